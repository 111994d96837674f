"""The KPIs that kaizen views follow, where each comes from, and how a period's value is formed.

One table, read by the trend and the comparison. The OEE family comes from equipmentOEE's shift
rows and is aggregated as a ratio of sums (a week's availability is its RUNNING time over its
planned busy time, not the mean of its shifts' availabilities); the other ISO 22400-2 KPIs come
from equipmentKpis, which computes a period's value itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from graph_service.products.computations.base import Row
from graph_service.products.statistics import WELCH, Z_TEST

OEE = ("equipmentOEE", "1")
KPIS = ("equipmentKpis", "2")

RATIO = "ratio"


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name in the rows, unit, source product, and the test that compares periods.

    ``proportion`` (z-test KPIs): the successes and trials of one shift row. ``field``: the
    source row's value of one shift (OEE family) or one period (equipmentKpis).
    """

    name: str
    unit: str
    source: tuple[str, str]
    test: str
    field: str
    proportion: Callable[[Row], tuple[float, float]] | None = None

    @property
    def sample_unit(self) -> str:
        """What one observation of the test is."""
        if self.test == Z_TEST:
            return "part"
        return "shift" if self.source == OEE else "day"


def _q(row: Row, name: str) -> float:
    return float(row.get(name) or 0.0)


KPI_TABLE: tuple[Kpi, ...] = (
    Kpi("availability", RATIO, OEE, WELCH, "availability"),
    Kpi("effectiveness", RATIO, OEE, WELCH, "effectiveness"),
    Kpi("qualityRatio", RATIO, OEE, Z_TEST, "qualityRatio",
        lambda r: (_q(r, "goodQuantity"), _q(r, "producedQuantity"))),
    Kpi("oee", RATIO, OEE, WELCH, "oee"),
    Kpi("scrapRatio", RATIO, OEE, Z_TEST, "scrapRatio",
        lambda r: (_q(r, "scrapQuantity"), _q(r, "producedQuantity"))),
    Kpi("reworkRatio", RATIO, OEE, Z_TEST, "reworkRatio",
        lambda r: (_q(r, "reworkQuantity"), _q(r, "producedQuantity"))),
    Kpi("firstPassYield", RATIO, OEE, Z_TEST, "firstPassYield",
        lambda r: (_q(r, "goodQuantity") - _q(r, "reworkQuantity"), _q(r, "producedQuantity"))),
    Kpi("throughputRate", "units per hour", KPIS, WELCH, "throughputRatePerHour"),
    Kpi("setupRatio", RATIO, KPIS, WELCH, "setupRatio"),
    Kpi("technicalEfficiency", RATIO, KPIS, WELCH, "technicalEfficiency"),
    Kpi("allocationRatio", RATIO, KPIS, WELCH, "allocationRatio"),
    Kpi("allocationEfficiency", RATIO, KPIS, WELCH, "allocationEfficiency"),
    Kpi("utilizationEfficiency", RATIO, KPIS, WELCH, "utilizationEfficiency"),
    Kpi("productionProcessRatio", RATIO, KPIS, WELCH, "productionProcessRatio"),
    Kpi("meanTimeToRepair", "minutes", KPIS, WELCH, "meanTimeToRepairMinutes"),
    Kpi("meanTimeBetweenFailures", "minutes", KPIS, WELCH, "meanTimeBetweenFailuresMinutes"),
)  # fmt: skip


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def oee_family(shifts: Sequence[Row]) -> dict[str, float | None]:
    """The OEE family of a set of shift rows of one unit, each a ratio of sums (ISO 22400-2)."""
    pbt, apt, prt = (sum(_q(r, f) for r in shifts) for f in _TIMES)
    pq, gq, sq, rq = (sum(_q(r, f) for r in shifts) for f in _QUANTITIES)
    availability, effectiveness, quality = _ratio(apt, pbt), _ratio(prt, apt), _ratio(gq, pq)
    factors = (availability, effectiveness, quality)
    return {
        "availability": availability,
        "effectiveness": effectiveness,
        "qualityRatio": quality,
        "oee": None if None in factors else availability * effectiveness * quality,  # type: ignore[operator]
        "scrapRatio": _ratio(sq, pq),
        "reworkRatio": _ratio(rq, pq),
        "firstPassYield": _ratio(gq - rq, pq),
    }


_TIMES = ("plannedBusyTimeMinutes", "actualProductionTimeMinutes", "plannedRunTimeMinutes")
_QUANTITIES = ("producedQuantity", "goodQuantity", "scrapQuantity", "reworkQuantity")


def period_values(shifts: Sequence[Row], kpis_row: Row | None) -> dict[str, float | None]:
    """Every KPI of one unit in one period: the OEE family from its shift rows, the rest from its
    equipmentKpis row (None: no row, so every such KPI is undefined)."""
    values: dict[str, float | None] = (
        oee_family(shifts) if shifts else dict.fromkeys((k.name for k in KPI_TABLE if k.source == OEE), None)
    )
    for kpi in KPI_TABLE:
        if kpi.source == KPIS:
            value = None if kpis_row is None else kpis_row.get(kpi.field)
            values[kpi.name] = None if value is None else float(value)
    return values
