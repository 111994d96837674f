"""Significance tests for comparing a KPI in two periods: two-proportion z-test and Welch's t-test.

Pure functions on numbers (no I/O). The p-values are two-sided. The t distribution's tail comes
from the regularised incomplete beta function, evaluated by its continued fraction (modified
Lentz); the normal tail from ``math.erfc``. Both are exact to ~1e-11 in the ranges a KPI
comparison meets (above 10⁷ degrees of freedom the t tail is the normal one), so no statistics
package is needed at run time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_TEST = "two-proportion z-test"
WELCH = "Welch's t-test"
#: Successes and failures each period needs for the normal approximation of a proportion.
MIN_EXPECTED = 5
#: Samples each period needs for a variance.
MIN_SAMPLES = 2

_EPS = 1e-15
_RELATIVE_NOISE = 1e-9
_NORMAL_DF = 1e7
_TINY = 1e-300


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test; ``p_value`` is None when there was not enough data (``note`` says why)."""

    name: str
    size_before: float
    size_after: float
    mean_before: float | None
    mean_after: float | None
    statistic: float | None = None
    degrees_of_freedom: float | None = None
    p_value: float | None = None
    note: str | None = None


def normal_two_sided_p(z: float) -> float:
    """P(|Z| ≥ |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must lie in [0, 1], got {x}")
    return _incomplete_beta(a, b, x, 1.0 - x)


def _incomplete_beta(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b) with y = 1 − x given separately, so that x near 1 keeps the digits of y."""
    if x <= 0.0 or y <= 0.0:
        return 0.0 if x <= 0.0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y))
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            fraction *= d * c
        if abs(d * c - 1.0) < _EPS:
            break
    return fraction


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for Student's t with ``df`` (not necessarily whole) degrees of freedom."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if df > _NORMAL_DF:  # lgamma of huge arguments loses digits; the normal is exact enough there
        return normal_two_sided_p(t)
    return _incomplete_beta(df / 2.0, 0.5, df / (df + t * t), t * t / (df + t * t))


def two_proportion_z_test(x_before: float, n_before: float, x_after: float, n_after: float) -> TestResult:
    """Pooled two-proportion z-test of x/n before against after.

    Assumes independent trials with one success probability per period, and the normal
    approximation: each period needs at least ``MIN_EXPECTED`` expected successes and failures
    under the pooled proportion; otherwise the result says "not enough data".
    """
    p_before = x_before / n_before if n_before > 0 else None
    p_after = x_after / n_after if n_after > 0 else None
    result = TestResult(Z_TEST, n_before, n_after, p_before, p_after)
    if p_before is None or p_after is None:
        return _not_enough(result, "a period has no trials")
    pooled = (x_before + x_after) / (n_before + n_after)
    expected = min(n * q for n in (n_before, n_after) for q in (pooled, 1.0 - pooled))
    if expected < MIN_EXPECTED:
        return _not_enough(
            result,
            f"the normal approximation needs at least {MIN_EXPECTED} expected successes and failures "
            f"per period; the smallest is {expected:g}",
        )
    z = (p_after - p_before) / math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_before + 1.0 / n_after))
    return _tested(result, z, None, normal_two_sided_p(z))


def welch_t_test(before: Sequence[float], after: Sequence[float]) -> TestResult:
    """Welch's unequal-variances t-test of the mean before against after.

    Assumes independent samples (one value per shift or day) whose means are about normally
    distributed; variances may differ. Needs ``MIN_SAMPLES`` values per period and some variation.
    """
    n1, n2 = len(before), len(after)
    mean1 = sum(before) / n1 if n1 else None
    mean2 = sum(after) / n2 if n2 else None
    result = TestResult(WELCH, n1, n2, mean1, mean2)
    if mean1 is None or mean2 is None or min(n1, n2) < MIN_SAMPLES:
        return _not_enough(result, f"each period needs at least {MIN_SAMPLES} values; got {n1} and {n2}")
    v1 = sum((x - mean1) ** 2 for x in before) / (n1 - 1)
    v2 = sum((x - mean2) ** 2 for x in after) / (n2 - 1)
    se2 = v1 / n1 + v2 / n2
    # Equal values summed in floating point leave a variance of rounding noise, not of the data.
    if math.sqrt(se2) <= _RELATIVE_NOISE * max(abs(mean1), abs(mean2), 1.0):
        return _not_enough(result, "the values do not vary in either period, so no variance can be estimated")
    t = (mean2 - mean1) / math.sqrt(se2)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    return _tested(result, t, df, t_two_sided_p(t, df))


def _tested(result: TestResult, statistic: float, df: float | None, p: float) -> TestResult:
    return TestResult(
        result.name, result.size_before, result.size_after, result.mean_before, result.mean_after,
        statistic, df, p,
    )  # fmt: skip


def _not_enough(result: TestResult, why: str) -> TestResult:
    return TestResult(
        result.name, result.size_before, result.size_after, result.mean_before, result.mean_after,
        note=f"not enough data: {why}",
    )  # fmt: skip
