"""kpiTrend and kpiComparison (kaizen) on the fixed plant plus a work unit of their own, by hand.

The fixed plant (written once for the module, not changed) stays as it is; this module adds a
site PLANT-K2 with one work unit WU-K2 and one shift 06:00–14:00 (480 min, no planned break) on
six days: "before" Mon 03-09, Tue 03-10, Wed 03-11 and "after" (the change) Mon 03-16, Tue 03-17,
Wed 03-18. Each day: SETUP 06:00–06:20, RUNNING 06:20 for R minutes, then IDLE; one operation
06:00 → 06:20 + R with PQ = 0.8 R produced at 60 s planned per unit, SQ scrap, no rework:

  before  R = 300, 330, 360   PQ = 240, 264, 288   SQ = PQ / 12 = 20, 22, 24
  after   R = 390, 420, 450   PQ = 312, 336, 360   SQ = PQ / 24 = 13, 14, 15

So per shift: availability R / 480, effectiveness PQ / R = 0.8, quality ratio 11/12 before and
23/24 after. No DOWN: technical efficiency 1 and no failures (MTTR, MTBF undefined).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from fractions import Fraction as F

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, build_data_products
from graph_service.products.validation import validate_rows
from graph_service.store import Neo4jStore
from tests.conftest import reset_database
from tests.integration.products.conftest import SHIPPED, execute, schema_of
from tests.integration.products.dataset import load_fixed_plant

AS_OF = dt.datetime(2026, 3, 30, tzinfo=dt.UTC)
BEFORE = [(dt.date(2026, 3, 9), 300), (dt.date(2026, 3, 10), 330), (dt.date(2026, 3, 11), 360)]
AFTER = [(dt.date(2026, 3, 16), 390), (dt.date(2026, 3, 17), 420), (dt.date(2026, 3, 18), 450)]

PLANT = """
CREATE (site:Site:Entity {siteCode: 'PLANT-K2', name: 'Kaizen plant'})
CREATE (wu:WorkUnit:Equipment:Entity {equipmentId: 'WU-K2', name: 'Cell K2', equipmentLevel: 'WORK_UNIT'})
CREATE (wu)-[:INSTALLED_AT]->(site)
WITH site, wu
UNWIND $days AS d
CREATE (s:Shift:Entity {shiftId: 'K2-' + d.day, name: 'Day', plannedBreakMinutes: 0.0,
        shiftStart: datetime(d.day + 'T06:00:00Z'), shiftEnd: datetime(d.day + 'T14:00:00Z')})
       -[:SHIFT_AT]->(site)
CREATE (:EquipmentStateChange:Entity {stateChangeId: 'K2-' + d.day + '-1', state: 'SETUP',
        since: datetime(d.day + 'T06:00:00Z')})-[:STATE_OF]->(wu)
CREATE (:EquipmentStateChange:Entity {stateChangeId: 'K2-' + d.day + '-2', state: 'RUNNING',
        since: datetime(d.day + 'T06:20:00Z')})-[:STATE_OF]->(wu)
CREATE (:EquipmentStateChange:Entity {stateChangeId: 'K2-' + d.day + '-3', state: 'IDLE',
        since: datetime(d.day + 'T06:20:00Z') + duration({minutes: d.r})})-[:STATE_OF]->(wu)
CREATE (o:Operation:ProductionWork:Entity {operationId: 'K2-' + d.day, sequence: 10, name: 'Assemble',
        status: 'COMPLETED', plannedRunTimePerUnitSeconds: 60.0, actualStart: datetime(d.day + 'T06:00:00Z'),
        actualEnd: datetime(d.day + 'T06:20:00Z') + duration({minutes: d.r}),
        producedQuantity: d.pq, goodQuantity: d.pq - d.sq, scrapQuantity: d.sq, reworkQuantity: 0.0})
CREATE (o)-[:PERFORMED_ON]->(wu), (o)-[:DURING_SHIFT]->(s)
"""


def plant_days() -> list[dict]:
    days = []
    for period, scrap_share in ((BEFORE, 12), (AFTER, 24)):
        for day, r in period:
            pq = r * 4 // 5
            days.append({"day": day.isoformat(), "r": r, "pq": float(pq), "sq": float(pq // scrap_share)})
    return days


@pytest.fixture(scope="module")
def products(session_store: Neo4jStore, model: DomainModel) -> DataProducts:
    reset_database(session_store)
    load_fixed_plant(session_store)
    session_store.write(PLANT, {"days": plant_days()})
    return build_data_products(SHIPPED, model, session_store)


def utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def welch(before: list[F], after: list[F]) -> tuple[float, float]:
    """t and Welch–Satterthwaite df in exact fractions (t = diff / sqrt(se²))."""
    m1, m2 = sum(before) / len(before), sum(after) / len(after)
    v1 = sum((x - m1) ** 2 for x in before) / (len(before) - 1) / len(before)
    v2 = sum((x - m2) ** 2 for x in after) / (len(after) - 1) / len(after)
    df = (v1 + v2) ** 2 / (v1**2 / (len(before) - 1) + v2**2 / (len(after) - 1))
    return float(m2 - m1) / math.sqrt(v1 + v2), float(df)


def test_the_weekly_trend_is_each_kpi_of_each_week(products: DataProducts) -> None:
    rows = products.query(
        "kpiTrend",
        asOf=AS_OF,
        equipmentId="WU-K2",
        **{"from": utc(dt.date(2026, 3, 9)), "to": utc(dt.date(2026, 3, 23))},
    )
    trend = {(r["kpi"], r["weekStart"].date().isoformat()): r["value"] for r in rows}
    weeks = sorted({w for _, w in trend})
    assert weeks == ["2026-03-09", "2026-03-16"]
    # Week of 03-09: APT 300 + 330 + 360 = 990 of PBT 3 × 480 = 1440; PRU × PQ = 792 min;
    # GQ 726 of PQ 792; SQ 66.
    assert trend[("availability", "2026-03-09")] == pytest.approx(990 / 1440)  # 0.6875
    assert trend[("effectiveness", "2026-03-09")] == pytest.approx(792 / 990)  # 0.8
    assert trend[("qualityRatio", "2026-03-09")] == pytest.approx(11 / 12)
    assert trend[("oee", "2026-03-09")] == pytest.approx(0.6875 * 0.8 * 11 / 12)  # 0.50417
    assert trend[("scrapRatio", "2026-03-09")] == pytest.approx(1 / 12)
    assert trend[("reworkRatio", "2026-03-09")] == 0
    assert trend[("firstPassYield", "2026-03-09")] == pytest.approx(11 / 12)
    # equipmentKpis for the week: AUST 60, AUPT = AUBT = 1050, AOET = Σ (20 + R) = 1050.
    assert trend[("throughputRate", "2026-03-09")] == pytest.approx(792 / 1050 * 60)  # 45.257 per hour
    assert trend[("setupRatio", "2026-03-09")] == pytest.approx(60 / 1050)
    assert trend[("allocationEfficiency", "2026-03-09")] == pytest.approx(1050 / 1440)
    assert trend[("utilizationEfficiency", "2026-03-09")] == pytest.approx(990 / 1050)
    assert trend[("meanTimeToRepair", "2026-03-09")] is None  # no failure
    # Week of 03-16: APT 1260 of 1440, GQ 966 of PQ 1008, AUPT 1320.
    assert trend[("availability", "2026-03-16")] == pytest.approx(1260 / 1440)  # 0.875
    assert trend[("oee", "2026-03-16")] == pytest.approx(0.875 * 0.8 * 23 / 24)  # 0.67083
    assert trend[("throughputRate", "2026-03-16")] == pytest.approx(1008 / 1320 * 60)  # 45.818
    # Rows by KPI (in the table's order), then week: a trend line each.
    assert [r["weekStart"] for r in rows[:2]] == [utc(dt.date(2026, 3, 9)), utc(dt.date(2026, 3, 16))]
    assert {r["source"] for r in rows} == {"equipmentOEE v1", "equipmentKpis v2"}


def test_the_trend_of_the_fixed_plant_is_its_products_figures(products: DataProducts) -> None:
    # The fixed plant's Monday 03-02: the trend's week of 03-02, cut to [03-02, 03-03), is
    # equipmentKpis v2 of that day, and its availability is Σ APT / Σ PBT over WU-1's shifts.
    day = {"from": utc(dt.date(2026, 3, 2)), "to": utc(dt.date(2026, 3, 3))}
    rows = products.query("kpiTrend", asOf=AS_OF, equipmentId="WU-1", **day)
    trend = {r["kpi"]: r["value"] for r in rows}
    (kpis,) = products.query("equipmentKpis", asOf=AS_OF, equipmentId="WU-1", **day)
    assert trend["meanTimeBetweenFailures"] == kpis["meanTimeBetweenFailuresMinutes"] == pytest.approx(390)
    shifts = products.query("equipmentOEE", asOf=AS_OF, equipmentId="WU-1", **day)
    apt = sum(s["actualProductionTimeMinutes"] for s in shifts)
    pbt = sum(s["plannedBusyTimeMinutes"] for s in shifts)
    assert trend["availability"] == pytest.approx(apt / pbt)


def test_the_comparison_states_each_change_with_its_test(products: DataProducts) -> None:
    rows = products.query(
        "kpiComparison",
        asOf=AS_OF,
        equipmentId="WU-K2",
        beforeFrom=utc(dt.date(2026, 3, 9)),
        beforeTo=utc(dt.date(2026, 3, 16)),
        afterFrom=utc(dt.date(2026, 3, 16)),
        afterTo=utc(dt.date(2026, 3, 23)),
    )
    found = {r["kpi"]: r for r in rows}
    # Availability, Welch's t-test on the three shifts of each period: before 300, 330, 360 / 480
    # (mean 330/480, s² = 900/480²), after 390, 420, 450 / 480 (mean 420/480, s² = 900/480²).
    # t = (90/480) / sqrt(900/480² / 3 × 2) = 90 / sqrt(600) = 9 / √6 = 3.67423; equal variances
    # and sizes give df = 2 (n − 1) = 4, where Student's t has a closed form:
    # F(t) = 1/2 + 3/8 · t/√u · (1 − t² / (12 u)), u = 1 + t²/4; p = 2 (1 − F(t)) = 0.0213116.
    t = 9 / math.sqrt(6)
    u = 1 + t * t / 4
    p = 2 * (1 - (0.5 + 3 / 8 * t / math.sqrt(u) * (1 - t * t / (12 * u))))
    row = found["availability"]
    assert (row["valueBefore"], row["valueAfter"]) == (pytest.approx(0.6875), pytest.approx(0.875))
    assert row["difference"] == pytest.approx(0.1875)
    assert (row["test"], row["sampleUnit"], row["sizeBefore"], row["sizeAfter"]) == (
        "Welch's t-test",
        "shift",
        3,
        3,
    )
    assert row["statistic"] == pytest.approx(t, rel=1e-9)
    assert row["degreesOfFreedom"] == pytest.approx(4, rel=1e-9)
    assert row["pValue"] == pytest.approx(p, rel=1e-9)  # 0.0213
    assert (row["significant"], row["verdict"], row["alpha"]) == (True, "SIGNIFICANT_INCREASE", 0.05)
    # Scrap ratio, two-proportion z-test on parts: 66 of 792 (1/12) before, 42 of 1008 (1/24)
    # after; pooled 108 / 1800 = 0.06; z = (1/24 − 1/12) / sqrt(0.06 × 0.94 × (1/792 + 1/1008))
    # = −3.69493; p = erfc(|z| / √2) = 0.00021995.
    z = (1 / 24 - 1 / 12) / math.sqrt(0.06 * 0.94 * (1 / 792 + 1 / 1008))
    row = found["scrapRatio"]
    assert (row["test"], row["sampleUnit"], row["sizeBefore"], row["sizeAfter"]) == (
        "two-proportion z-test",
        "part",
        792,
        1008,
    )
    assert (row["sampleMeanBefore"], row["sampleMeanAfter"]) == (pytest.approx(1 / 12), pytest.approx(1 / 24))
    assert row["statistic"] == pytest.approx(z, rel=1e-9)
    assert row["pValue"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)
    assert row["verdict"] == "SIGNIFICANT_DECREASE" and row["degreesOfFreedom"] is None
    # The quality ratio is the complement: the same |z|, the other sign.
    assert found["qualityRatio"]["statistic"] == pytest.approx(-z, rel=1e-9)
    assert found["qualityRatio"]["verdict"] == "SIGNIFICANT_INCREASE"
    # OEE per shift is availability × 0.8 × quality: before R/480 × 11/15, after R/480 × 23/30.
    t, df = welch([F(r, 480) * F(11, 15) for _, r in BEFORE], [F(r, 480) * F(23, 30) for _, r in AFTER])
    assert (found["oee"]["statistic"], found["oee"]["degreesOfFreedom"]) == (
        pytest.approx(t, rel=1e-9),
        pytest.approx(df, rel=1e-9),
    )  # t = 4.3536, df = 3.9910
    # Throughput per day from equipmentKpis: PQ / (20 + R) × 60 per hour.
    t, df = welch(
        [F(r * 4 // 5 * 60, 20 + r) for _, r in BEFORE], [F(r * 4 // 5 * 60, 20 + r) for _, r in AFTER]
    )
    row = found["throughputRate"]
    assert (row["sampleUnit"], row["sizeBefore"]) == ("day", 3)
    assert (row["statistic"], row["degreesOfFreedom"]) == (
        pytest.approx(t, rel=1e-9),
        pytest.approx(df, rel=1e-9),
    )


def test_the_comparison_says_when_the_data_do_not_allow_a_test(products: DataProducts) -> None:
    rows = products.query(
        "kpiComparison",
        asOf=AS_OF,
        equipmentId="WU-K2",
        beforeFrom=utc(dt.date(2026, 3, 9)),
        beforeTo=utc(dt.date(2026, 3, 16)),
        afterFrom=utc(dt.date(2026, 3, 16)),
        afterTo=utc(dt.date(2026, 3, 23)),
        alpha=0.01,
    )
    found = {r["kpi"]: r for r in rows}
    # Effectiveness is 0.8 in every shift: no variance, no t.
    assert found["effectiveness"]["verdict"] == "NOT_ENOUGH_DATA"
    assert "do not vary" in found["effectiveness"]["note"] and found["effectiveness"]["pValue"] is None
    # No rework at all: 0 expected successes under the pooled proportion, fewer than 5.
    assert found["reworkRatio"]["verdict"] == "NOT_ENOUGH_DATA" and "expected" in found["reworkRatio"]["note"]
    # No failures: no MTTR value on any day.
    assert (
        found["meanTimeToRepair"]["note"]
        == "not enough data: each period needs at least 2 values; got 0 and 0"
    )
    assert found["meanTimeToRepair"]["significant"] is None
    # At alpha 0.01 the availability's p = 0.0213 is no longer significant.
    assert (found["availability"]["verdict"], found["availability"]["significant"]) == (
        "NO_SIGNIFICANT_CHANGE",
        False,
    )
    # One day after: one shift, too few for Welch's test.
    (one,) = [
        r
        for r in products.query(
            "kpiComparison",
            asOf=AS_OF,
            equipmentId="WU-K2",
            beforeFrom=utc(dt.date(2026, 3, 9)),
            beforeTo=utc(dt.date(2026, 3, 16)),
            afterFrom=utc(dt.date(2026, 3, 16)),
            afterTo=utc(dt.date(2026, 3, 17)),
        )
        if r["kpi"] == "availability"
    ]
    assert (one["sizeAfter"], one["verdict"]) == (1, "NOT_ENOUGH_DATA")


def test_graphql_serves_both_and_refuses_overlapping_periods(products: DataProducts) -> None:
    data = execute(
        products,
        """{ kpiComparison(beforeFrom: "2026-03-09T00:00:00Z", beforeTo: "2026-03-16T00:00:00Z",
                           afterFrom: "2026-03-16T00:00:00Z", afterTo: "2026-03-23T00:00:00Z",
                           asOf: "2026-03-30T00:00:00Z", equipmentId: "WU-K2") { kpi verdict pValue }
             kpiTrend(from: "2026-03-09T00:00:00Z", to: "2026-03-23T00:00:00Z", asOf: "2026-03-30T00:00:00Z",
                      equipmentId: "WU-K2") { kpi weekStart value } }""",
    )
    assert {
        "kpi": "availability",
        "verdict": "SIGNIFICANT_INCREASE",
        "pValue": pytest.approx(0.0213116, rel=1e-5),
    } in data["kpiComparison"]
    assert len(data["kpiTrend"]) == 2 * len({r["kpi"] for r in data["kpiTrend"]})  # two weeks of each KPI
    result = asyncio.run(
        schema_of(products).execute(
            """{ kpiComparison(beforeFrom: "2026-03-09T00:00:00Z", beforeTo: "2026-03-17T00:00:00Z",
                               afterFrom: "2026-03-16T00:00:00Z", afterTo: "2026-03-23T00:00:00Z") {
                   kpi } }"""
        )
    )
    assert result.errors and "overlap" in result.errors[0].message
    comparison = products.query(
        "kpiComparison",
        asOf=AS_OF,
        beforeFrom=utc(dt.date(2026, 3, 9)),
        beforeTo=utc(dt.date(2026, 3, 16)),
        afterFrom=utc(dt.date(2026, 3, 16)),
        afterTo=utc(dt.date(2026, 3, 23)),
    )
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    # The rows conform to their shapes (validated directly: the scheduled validation runs on the
    # simulated plant in test_simulated_plant).
    trend = products.query(
        "kpiTrend", asOf=AS_OF, **{"from": utc(dt.date(2026, 3, 2)), "to": utc(dt.date(2026, 3, 23))}
    )
    for name, rows in (("kpiTrend", trend), ("kpiComparison", comparison)):
        product = products.registry.latest(name)
        result = validate_rows(rows, product.shape, product=name, version=product.version)
        assert result.conforms is True and result.row_count > 0, result.as_dict()
