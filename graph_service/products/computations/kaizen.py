"""Kaizen made visible: every KPI's weekly trend per work unit, and a before/after comparison with
a significance test per KPI (kpiTrend and kpiComparison).

Both read the KPI-defining products (equipmentOEE per shift, equipmentKpis per period and per day)
through the product calls, so their figures are those products' figures by construction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from graph_service.products.computations.base import ProductCalls, Row
from graph_service.products.computations.kpis import KPI_TABLE, KPIS, OEE, Kpi, period_values
from graph_service.products.errors import ParameterError
from graph_service.products.statistics import (
    MIN_EXPECTED,
    MIN_SAMPLES,
    Z_TEST,
    TestResult,
    two_proportion_z_test,
    welch_t_test,
)

_ORDER = {kpi.name: i for i, kpi in enumerate(KPI_TABLE)}
_DAY = dt.timedelta(days=1)

ASSUMPTIONS = {
    Z_TEST: (
        "pooled two-proportion z-test on part counts, two-sided: parts are independent trials with "
        f"one probability per period; normal approximation, so at least {MIN_EXPECTED} expected "
        "successes and failures per period under the pooled proportion"
    ),
    "shift": (
        "Welch's unequal-variances t-test on the per-shift values, two-sided: shifts are independent "
        f"observations whose mean is about normal; at least {MIN_SAMPLES} shifts with a value per period"
    ),
    "day": (
        "Welch's unequal-variances t-test on the per-day values of equipmentKpis, two-sided: days are "
        f"independent observations whose mean is about normal; at least {MIN_SAMPLES} days with a "
        "value per period"
    ),
}


class _Period:
    """One period's source rows, grouped by work unit."""

    def __init__(self, calls: ProductCalls, start: dt.datetime, end: dt.datetime, plan: Row) -> None:
        common = {"asOf": plan["asOf"], "equipmentId": plan["equipmentId"]}
        self.shifts: dict[str, list[Row]] = defaultdict(list)
        # equipmentOEE lists the shifts overlapping the window; a shift counts where it starts.
        for row in calls.run(*OEE, {"from": start, "to": end, **common}):
            if start <= row["shiftStart"] < end:
                self.shifts[row["equipmentId"]].append(row)
        self.kpis = {r["equipmentId"]: r for r in calls.run(*KPIS, {"from": start, "to": end, **common})}
        self.common = common
        self.start, self.end = start, end

    def units(self) -> set[str]:
        return set(self.shifts) | set(self.kpis)

    def values(self, unit: str) -> dict[str, float | None]:
        return period_values(self.shifts.get(unit, []), self.kpis.get(unit))

    def days(self, calls: ProductCalls) -> dict[str, list[Row]]:
        """equipmentKpis per UTC day of the period (the first and last day cut to it), by unit."""
        by_unit: dict[str, list[Row]] = defaultdict(list)
        day = dt.datetime.combine(self.start.date(), dt.time(), tzinfo=self.start.tzinfo)
        while day < self.end:
            lo, hi = max(day, self.start), min(day + _DAY, self.end)
            for row in calls.run(*KPIS, {"from": lo, "to": hi, **self.common}):
                by_unit[row["equipmentId"]].append(row)
            day += _DAY
        return by_unit


def kpi_trend(plan: list[Row], parameters: Mapping[str, Any], calls: ProductCalls) -> list[Row]:
    """One row per work unit, KPI and week of the plan (its rows: weekStart, periodStart,
    periodEnd, asOf, equipmentId)."""
    rows: list[Row] = []
    for week in plan:
        period = _Period(calls, week["periodStart"], week["periodEnd"], week)
        for unit in period.units():
            values = period.values(unit)
            rows += [
                {
                    "equipmentId": unit,
                    "kpi": kpi.name,
                    "unit": kpi.unit,
                    "weekStart": week["weekStart"],
                    "periodStart": week["periodStart"],
                    "periodEnd": week["periodEnd"],
                    "value": values[kpi.name],
                    "source": f"{kpi.source[0]} v{kpi.source[1]}",
                }
                for kpi in KPI_TABLE
            ]
    rows.sort(key=lambda r: (r["equipmentId"], _ORDER[r["kpi"]], r["weekStart"]))
    return rows


def kpi_comparison(plan: list[Row], parameters: Mapping[str, Any], calls: ProductCalls) -> list[Row]:
    """One row per work unit and KPI: the value before and after, the difference and the test.
    The plan has one row per period (period 'before' or 'after', periodStart, periodEnd, asOf,
    equipmentId, alpha)."""
    by_name = {row["period"]: row for row in plan}
    before, after = by_name["before"], by_name["after"]
    if before["periodStart"] < after["periodEnd"] and after["periodStart"] < before["periodEnd"]:
        raise ParameterError(
            "kpiComparison", "the before and after periods overlap; compare disjoint periods"
        )
    periods = [_Period(calls, p["periodStart"], p["periodEnd"], p) for p in (before, after)]
    days = [p.days(calls) for p in periods]
    alpha = float(before["alpha"])
    rows = []
    for unit in sorted(periods[0].units() | periods[1].units()):
        values = [p.values(unit) for p in periods]
        for kpi in KPI_TABLE:
            result = _test(kpi, unit, periods, days)
            rows.append(_comparison_row(unit, kpi, values[0][kpi.name], values[1][kpi.name], result, alpha))
    return rows


def _test(
    kpi: Kpi, unit: str, periods: Sequence[_Period], days: Sequence[Mapping[str, list[Row]]]
) -> TestResult:
    if kpi.proportion is not None:
        counts = [[kpi.proportion(r) for r in p.shifts.get(unit, [])] for p in periods]
        (x1, n1), (x2, n2) = ((sum(c[0] for c in cs), sum(c[1] for c in cs)) for cs in counts)
        return two_proportion_z_test(x1, n1, x2, n2)
    if kpi.source == OEE:
        samples = [
            [r[kpi.field] for r in p.shifts.get(unit, []) if r[kpi.field] is not None] for p in periods
        ]
    else:
        samples = [[r[kpi.field] for r in d.get(unit, []) if r[kpi.field] is not None] for d in days]
    return welch_t_test([float(v) for v in samples[0]], [float(v) for v in samples[1]])


def _comparison_row(
    unit: str, kpi: Kpi, before: float | None, after: float | None, result: TestResult, alpha: float
) -> Row:
    p = result.p_value
    if p is None:
        verdict, significant = "NOT_ENOUGH_DATA", None
    elif p < alpha:
        rising = (result.mean_after or 0.0) > (result.mean_before or 0.0)
        verdict, significant = ("SIGNIFICANT_INCREASE" if rising else "SIGNIFICANT_DECREASE"), True
    else:
        verdict, significant = "NO_SIGNIFICANT_CHANGE", False
    return {
        "equipmentId": unit,
        "kpi": kpi.name,
        "unit": kpi.unit,
        "valueBefore": before,
        "valueAfter": after,
        "difference": None if before is None or after is None else after - before,
        "test": result.name,
        "sampleUnit": kpi.sample_unit,
        "sizeBefore": float(result.size_before),
        "sizeAfter": float(result.size_after),
        "sampleMeanBefore": result.mean_before,
        "sampleMeanAfter": result.mean_after,
        "statistic": result.statistic,
        "degreesOfFreedom": result.degrees_of_freedom,
        "pValue": p,
        "alpha": alpha,
        "significant": significant,
        "verdict": verdict,
        "assumptions": ASSUMPTIONS[Z_TEST if kpi.test == Z_TEST else kpi.sample_unit],
        "note": result.note,
    }
