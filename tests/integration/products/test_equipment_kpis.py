"""equipmentKpis on the fixed plant: the ISO 22400-2 KPIs beyond OEE per work unit and period, by hand.

The fixed plant is written once for the module (the tests only read it).
"""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, build_data_products
from graph_service.store import Neo4jStore
from tests.conftest import reset_database
from tests.integration.products.conftest import SHIPPED, execute
from tests.integration.products.dataset import load_fixed_plant

AS_OF = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
TUESDAY = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
WEDNESDAY = dt.datetime(2026, 3, 4, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def products(session_store: Neo4jStore, model: DomainModel) -> DataProducts:
    reset_database(session_store)
    load_fixed_plant(session_store)
    return build_data_products(SHIPPED, model, session_store)


def rows_by_unit(products: DataProducts, start: dt.datetime, end: dt.datetime, **parameters: object) -> dict:
    rows = products.query("equipmentKpis", asOf=AS_OF, **{"from": start, "to": end}, **parameters)
    return {row["equipmentId"]: row for row in rows}


def test_kpis_of_a_unit_with_a_failure_follow_iso_22400(products: DataProducts) -> None:
    row = rows_by_unit(products, MONDAY, TUESDAY)["WU-1"]
    # WU-1 on Monday: SETUP 06:00–06:10, RUNNING 06:10–09:00 and 09:30–13:00, DOWN 09:00–09:30,
    # then IDLE (no time element).
    apt, aust, adet = 170 + 210, 10, 30  # 380, 10, 30 min
    aupt, aubt = apt + aust, apt + aust + adet  # 390, 420 min
    # Shifts S-A and S-B lie wholly in the day: 2 × (480 − 30) = 900 min planned busy time.
    pbt = 2 * (480 - 30)
    # PRD-1/0010 completed on WU-1: 06:00–13:00 = 420 min, 600 produced, 6 rework.
    aoet, pq, rq = 420, 600, 6
    assert row["plannedBusyTimeMinutes"] == pytest.approx(pbt)
    assert (
        row["actualProductionTimeMinutes"],
        row["actualSetupTimeMinutes"],
        row["actualDelayTimeMinutes"],
    ) == (
        pytest.approx(apt),
        pytest.approx(aust),
        pytest.approx(adet),
    )
    assert row["actualProcessingTimeMinutes"] == pytest.approx(aupt)
    assert row["actualBusyTimeMinutes"] == pytest.approx(aubt)
    assert row["actualOrderExecutionTimeMinutes"] == pytest.approx(aoet)
    assert (row["operationCount"], row["producedQuantity"], row["reworkQuantity"], row["failureCount"]) == (
        1,
        600,
        6,
        1,
    )
    assert row["throughputRatePerHour"] == pytest.approx(pq / (aoet / 60))  # 600 / 7 h = 85.714
    assert row["setupRatio"] == pytest.approx(aust / aupt)  # 10 / 390 = 0.02564
    assert row["technicalEfficiency"] == pytest.approx(apt / (apt + adet))  # 380 / 410 = 0.92683
    assert row["reworkRatio"] == pytest.approx(rq / pq)  # 0.01
    assert row["allocationRatio"] == pytest.approx(aubt / aoet) == 1.0  # busy the whole order time
    assert row["meanTimeToRepairMinutes"] == pytest.approx(30)  # one failure, DOWN 30 min
    # ISO 22400-2's TBF is setup and production time without delay: AUPT = 390 min per failure.
    assert row["meanTimeBetweenFailuresMinutes"] == pytest.approx(aupt / 1)
    assert row["allocationEfficiency"] == pytest.approx(aubt / pbt)  # 420 / 900 = 0.46667
    assert row["utilizationEfficiency"] == pytest.approx(apt / aubt)  # 380 / 420 = 0.90476
    assert row["productionProcessRatio"] == pytest.approx(apt / aoet)  # 380 / 420
    assert "equipmentLoadRatio" not in row  # PQ / capacity: no capacity is recorded
    assert row["workCenterId"] == "WC-1"


def test_a_unit_without_failures_has_no_mttr_or_mtbf(products: DataProducts) -> None:
    row = rows_by_unit(products, MONDAY, TUESDAY)["WU-2"]
    # WU-2: SETUP 13:20–13:30, RUNNING 13:30–15:30, no DOWN. PRD-2/0010 13:20–15:30 = 130 min,
    # 100 produced, no rework.
    assert row["throughputRatePerHour"] == pytest.approx(100 / (130 / 60))  # 46.154
    assert row["setupRatio"] == pytest.approx(10 / 130)
    assert row["technicalEfficiency"] == 1.0
    assert row["reworkRatio"] == 0
    assert row["allocationRatio"] == pytest.approx(130 / 130)
    assert row["allocationEfficiency"] == pytest.approx(130 / 900)
    assert row["utilizationEfficiency"] == pytest.approx(120 / 130)
    assert row["failureCount"] == 0
    assert row["meanTimeToRepairMinutes"] is row["meanTimeBetweenFailuresMinutes"] is None


def test_a_period_cuts_the_timeline_and_counts_operations_where_they_complete(products: DataProducts) -> None:
    # 06:00–11:00 on Monday: WU-1 SETUP 10, RUNNING 170 + 90, DOWN 30; PRD-1/0010 completes at
    # 13:00, outside → no AOET, no quantities. S-A is cut to 300 of 480 min: 300 − 30 × 300/480.
    rows = rows_by_unit(products, MONDAY.replace(hour=6), MONDAY.replace(hour=11))
    assert list(rows) == ["WU-1"]  # WU-2 starts at 13:20
    row = rows["WU-1"]
    assert row["actualProductionTimeMinutes"] == pytest.approx(260)
    assert row["plannedBusyTimeMinutes"] == pytest.approx(300 - 30 * 300 / 480)  # 281.25
    assert row["allocationEfficiency"] == pytest.approx(300 / 281.25)  # above 1: busy through the break
    assert row["operationCount"] == 0
    assert row["throughputRatePerHour"] is row["allocationRatio"] is row["reworkRatio"] is None
    assert row["technicalEfficiency"] == pytest.approx(260 / 290)


def test_a_day_without_shifts_or_state_changes_keeps_its_undefined_ratios_null(
    products: DataProducts,
) -> None:
    rows = rows_by_unit(products, TUESDAY, WEDNESDAY)
    # Tuesday: WU-1 completes PRD-3/0010 (06:00–07:30, 50) and PRD-5/0010 (07:30–08:00, 10) but
    # its last state is IDLE since Monday 13:00: no busy time. No shift is defined: PBT 0.
    # WU-2's PRD-3/0020 is still running and WU-2 is IDLE: no row.
    assert list(rows) == ["WU-1"]
    row = rows["WU-1"]
    assert row["actualOrderExecutionTimeMinutes"] == pytest.approx(120)
    assert row["throughputRatePerHour"] == pytest.approx(60 / 2)
    assert row["allocationRatio"] == 0
    assert row["plannedBusyTimeMinutes"] == 0
    assert row["allocationEfficiency"] is row["setupRatio"] is row["technicalEfficiency"] is None
    assert row["utilizationEfficiency"] is None
    assert row["productionProcessRatio"] == 0  # AOET 120 min, no RUNNING time


def test_the_graphql_field_serves_the_same_numbers(products: DataProducts) -> None:
    data = execute(
        products,
        """query($asOf: DateTime, $from: DateTime!, $to: DateTime!) {
             equipmentKpis(asOf: $asOf, from: $from, to: $to, equipmentId: "WU-1") {
               equipmentId throughputRatePerHour setupRatio meanTimeToRepairMinutes allocationEfficiency
             }
             equipmentKpisV1(asOf: $asOf, from: $from, to: $to, equipmentId: "WU-1") {
               meanTimeBetweenFailuresMinutes equipmentLoadRatio
             }
           }""",
        {"asOf": AS_OF.isoformat(), "from": MONDAY.isoformat(), "to": TUESDAY.isoformat()},
    )
    (row,) = data["equipmentKpis"]
    assert row["throughputRatePerHour"] == pytest.approx(600 / 7)
    assert row["meanTimeToRepairMinutes"] == pytest.approx(30)
    assert row["allocationEfficiency"] == pytest.approx(420 / 900)
    # v1 (deprecated) keeps its meaning: MTBF = APT / FE = 380, and AUBT / PBT under its old name.
    (old,) = data["equipmentKpisV1"]
    assert old["meanTimeBetweenFailuresMinutes"] == pytest.approx(380)
    assert old["equipmentLoadRatio"] == pytest.approx(420 / 900)
