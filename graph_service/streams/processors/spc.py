"""Statistical process control for a proportion: the p-chart and two Western Electric rules.

Pure functions over numbers, so the quality stream's state machine (processors/quality.py) and
its tests share one definition. A p-chart plots the defective share p_i = d_i / n_i of each
subgroup (here: one completed operation, d = scrap, n = produced). Its centre line is the pooled
share of a baseline, p̄ = Σd / Σn, and since subgroups differ in size the limits are per point:
σ_i = √(p̄(1 − p̄) / n_i), UCL_i = p̄ + 3σ_i, LCL_i = max(0, p̄ − 3σ_i) (Montgomery, Introduction
to Statistical Quality Control, ch. 7). The Western Electric Statistical Quality Control Handbook
(1956) numbers the rules used here: rule 1, one point beyond a 3σ limit; rule 4, eight
consecutive points on one side of the centre line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Rule 1 of the Western Electric rules: one point beyond a 3σ control limit.
BEYOND_LIMITS = "WE1_BEYOND_3_SIGMA"
#: Rule 4 of the Western Electric rules: a run of RUN_LENGTH points on one side of the centre line.
RUN_ON_ONE_SIDE = "WE4_RUN_OF_8"
#: The run length of rule 4.
RUN_LENGTH = 8


@dataclass(frozen=True)
class Limits:
    """The p-chart's lines for one subgroup of size n."""

    centre: float
    sigma: float
    lower: float
    upper: float


def p_chart_limits(centre: float, n: float) -> Limits | None:
    """The 3σ limits of a subgroup of size ``n`` around ``centre``; None when they say nothing
    (no parts, or a centre of exactly 0 or 1: σ = 0 and every point would be 'out')."""
    if n <= 0 or centre <= 0.0 or centre >= 1.0:
        return None
    sigma = math.sqrt(centre * (1.0 - centre) / n)
    return Limits(centre=centre, sigma=sigma, lower=max(0.0, centre - 3 * sigma), upper=centre + 3 * sigma)


def beyond_limits(p: float, limits: Limits) -> bool:
    """Rule 1: the point lies strictly outside the control limits."""
    return p > limits.upper or p < limits.lower


def side(p: float, centre: float) -> int:
    """+1 above the centre line, −1 below, 0 on it (a point on the line belongs to no run)."""
    if p > centre:
        return 1
    if p < centre:
        return -1
    return 0


def next_run(run: int, point_side: int) -> int:
    """The signed run length after a point: +k means the last k points were above the centre
    line, −k below; a point on the other side starts a new run, one on the line ends it."""
    if point_side == 0:
        return 0
    if run * point_side > 0:
        return run + point_side
    return point_side
