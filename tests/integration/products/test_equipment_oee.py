"""equipmentOEE on the fixed plant: ISO 22400-2 KPIs per work unit and shift, computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.products import DataProducts
from tests.integration.products.conftest import execute

AS_OF = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)


def rows_by_key(products: DataProducts, **parameters: object) -> dict[tuple[str, str], dict]:
    rows = products.query("equipmentOEE", asOf=AS_OF, **parameters)
    return {(row["equipmentId"], row["shiftId"]): row for row in rows}


def test_oee_of_one_work_unit_in_one_shift_follows_iso_22400(products: DataProducts) -> None:
    row = rows_by_key(products)[("WU-1", "S-A")]
    # Shift S-A 06:00–14:00 = 480 min, 30 min planned break → PBT = 450 min.
    pbt = 480 - 30
    # RUNNING 06:10–09:00 (170 min) and 09:30–13:00 (210 min) → APT = 380 min.
    apt = 170 + 210
    # 600 units at 30 s/unit → PRU × PQ = 18 000 s = 300 min.
    planned_run = 600 * 30 / 60
    assert row["plannedBusyTimeMinutes"] == pytest.approx(pbt)
    assert row["actualProductionTimeMinutes"] == pytest.approx(apt)
    assert row["downTimeMinutes"] == pytest.approx(30)  # DOWN 09:00–09:30
    assert row["setupTimeMinutes"] == pytest.approx(10)  # SETUP 06:00–06:10
    assert row["plannedRunTimeMinutes"] == pytest.approx(planned_run)
    assert (row["producedQuantity"], row["goodQuantity"], row["scrapQuantity"], row["reworkQuantity"]) == (
        600,
        588,
        12,
        6,
    )
    availability = apt / pbt  # 380 / 450 = 0.8444
    effectiveness = planned_run / apt  # 300 / 380 = 0.7895
    quality = 588 / 600  # 0.98
    assert row["availability"] == pytest.approx(availability)
    assert row["effectiveness"] == pytest.approx(effectiveness)
    assert row["qualityRatio"] == pytest.approx(0.98)
    assert row["oee"] == pytest.approx(availability * effectiveness * quality)  # = 300/450 × 0.98 = 0.6533
    assert row["oee"] == pytest.approx(0.653333, abs=1e-6)
    assert row["scrapRatio"] == pytest.approx(12 / 600)  # 0.02
    assert row["reworkRatio"] == pytest.approx(6 / 600)  # 0.01
    assert row["firstPassYield"] == pytest.approx((588 - 6) / 600)  # 0.97
    assert (row["workCenterId"], row["operationCount"]) == ("WC-1", 1)


def test_an_operation_spanning_two_shifts_is_split_by_its_running_time(products: DataProducts) -> None:
    rows = rows_by_key(products)
    # WU-2 runs PRD-2/0010 13:30–15:30: 30 min in S-A, 90 min in S-B → shares 1/4 and 3/4 of
    # 100 produced, 96 good, 4 scrap; planned run time 100 × 54 s = 90 min.
    early, late = rows[("WU-2", "S-A")], rows[("WU-2", "S-B")]
    assert early["actualProductionTimeMinutes"] == pytest.approx(30)
    assert late["actualProductionTimeMinutes"] == pytest.approx(90)
    assert (early["producedQuantity"], early["goodQuantity"], early["scrapQuantity"]) == pytest.approx(
        (25, 24, 1)
    )
    assert (late["producedQuantity"], late["goodQuantity"], late["scrapQuantity"]) == pytest.approx(
        (75, 72, 3)
    )
    assert early["plannedRunTimeMinutes"] == pytest.approx(90 / 4)
    assert late["plannedRunTimeMinutes"] == pytest.approx(90 * 3 / 4)
    # Effectiveness is the operation's own in both shifts: 90 min planned / 120 min running.
    assert early["effectiveness"] == pytest.approx(22.5 / 30) == 0.75
    assert late["effectiveness"] == pytest.approx(67.5 / 90)
    assert early["availability"] == pytest.approx(30 / 450)
    assert late["availability"] == pytest.approx(90 / 450)
    assert early["oee"] == pytest.approx(30 / 450 * 0.75 * 0.96)  # 0.048
    assert late["oee"] == pytest.approx(90 / 450 * 0.75 * 0.96)  # 0.144
    assert early["setupTimeMinutes"] == pytest.approx(10)  # SETUP 13:20–13:30


def test_rows_cover_the_work_units_that_ran_and_idle_ones_on_request(products: DataProducts) -> None:
    assert list(rows_by_key(products)) == [("WU-1", "S-A"), ("WU-2", "S-A"), ("WU-2", "S-B")]
    with_idle = rows_by_key(products, includeIdle=True)
    assert list(with_idle) == [("WU-1", "S-A"), ("WU-2", "S-A"), ("WU-1", "S-B"), ("WU-2", "S-B")]
    idle = with_idle[("WU-1", "S-B")]
    # WU-1 is IDLE from 13:00: nothing ran, nothing was produced → availability 0, the rest undefined.
    assert idle["availability"] == 0
    assert idle["effectiveness"] is idle["qualityRatio"] is idle["oee"] is idle["firstPassYield"] is None


def test_filters_select_equipment_and_shift_window(products: DataProducts) -> None:
    only_wu2 = rows_by_key(products, equipmentId="WU-2")
    assert list(only_wu2) == [("WU-2", "S-A"), ("WU-2", "S-B")]
    late_shift = rows_by_key(products, **{"from": dt.datetime(2026, 3, 2, 14, tzinfo=dt.UTC)})
    assert list(late_shift) == [("WU-2", "S-B")]


def test_as_of_cuts_the_timeline_and_ignores_later_completions(products: DataProducts) -> None:
    # At 10:00 WU-1 has run 170 + 30 min; PRD-1/0010 is not completed yet, so nothing was produced;
    # WU-2 starts at 13:20, which has not happened yet: no row.
    at_ten = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    rows = {r["shiftId"]: r for r in products.query("equipmentOEE", asOf=at_ten, equipmentId="WU-1")}
    assert list(rows) == ["S-A"]
    assert rows["S-A"]["actualProductionTimeMinutes"] == pytest.approx(200)
    # The shift is half over: window 06:00–10:00 = 240 min, minus 240/480 of the 30 min break.
    assert rows["S-A"]["plannedBusyTimeMinutes"] == pytest.approx(240 - 30 * 240 / 480)  # 225
    assert rows["S-A"]["availability"] == pytest.approx(200 / 225)
    assert rows["S-A"]["producedQuantity"] == 0
    assert rows["S-A"]["effectiveness"] == 0
    assert products.query("equipmentOEE", asOf=at_ten, equipmentId="WU-2") == []


def test_the_graphql_field_serves_the_same_numbers(products: DataProducts) -> None:
    data = execute(
        products,
        """query($asOf: DateTime) {
             equipmentOEE(asOf: $asOf, equipmentId: "WU-1") {
               equipmentId shiftId shiftStart availability effectiveness qualityRatio oee firstPassYield
             }
           }""",
        {"asOf": AS_OF.isoformat()},
    )
    (row,) = data["equipmentOEE"]
    assert row["shiftStart"] == "2026-03-02T06:00:00+00:00"
    assert row["oee"] == pytest.approx(380 / 450 * 300 / 380 * 0.98)
    assert row["firstPassYield"] == pytest.approx(0.97)
