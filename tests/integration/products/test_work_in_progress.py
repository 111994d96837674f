"""workInProgress on the fixed plant: open orders per work center and their current operation."""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.products import DataProducts


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 3, hour, minute, tzinfo=dt.UTC)


def summary(rows: list[dict]) -> list[tuple]:
    return [
        (r["workCenterId"], r["productionOrderNumber"], r["currentOperationId"], r["currentOperationState"])
        for r in rows
    ]


def test_open_orders_per_work_center_with_their_current_operation(products: DataProducts) -> None:
    rows = products.query("workInProgress", asOf=at(10))
    # PRD-1, PRD-2, PRD-6 are completed. PRD-4 (released 09:00) has not started: at its planned
    # work center WC-1. PRD-3 runs op 20 on WU-2 (in WC-2) since 08:00. PRD-5 finished op 10 and
    # waits for op 20, whose work center is not known yet.
    assert summary(rows) == [
        ("WC-1", "PRD-4", "PRD-4/0010", "WAITING"),
        ("WC-2", "PRD-3", "PRD-3/0020", "IN_PROCESS"),
        (None, "PRD-5", "PRD-5/0020", "WAITING"),
    ]
    prd3 = rows[1]
    assert (prd3["operationCount"], prd3["completedOperationCount"]) == (3, 1)
    assert (prd3["currentEquipmentId"], prd3["currentOperationStartedAt"]) == ("WU-2", at(8))
    assert prd3["minutesInProcess"] == pytest.approx(120)  # 08:00 → 10:00
    assert prd3["behindSchedule"] is True  # planned end 09:00
    assert (prd3["salesOrderNumber"], prd3["workCenterName"]) == ("SO-2", "Assembly")
    assert rows[0]["behindSchedule"] is False  # PRD-4 is planned to end 03-04
    assert rows[2]["behindSchedule"] is True  # PRD-5 planned end 09:30


def test_as_of_an_earlier_moment_and_per_work_center(products: DataProducts) -> None:
    # At 07:00 PRD-3 runs op 10 on WU-1 (WC-1); PRD-5 has not started (planned WC-1); PRD-4 is not
    # released yet.
    assert summary(products.query("workInProgress", asOf=at(7))) == [
        ("WC-1", "PRD-3", "PRD-3/0010", "IN_PROCESS"),
        ("WC-1", "PRD-5", "PRD-5/0010", "WAITING"),
    ]
    assert summary(products.query("workInProgress", asOf=at(10), workCenterId="WC-2")) == [
        ("WC-2", "PRD-3", "PRD-3/0020", "IN_PROCESS")
    ]
