"""orderFulfillment v2 (and the deprecated v1) on the fixed plant, against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.products import DataProducts

LATER = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)


def by_order(rows: list[dict]) -> dict[str, dict]:
    return {row["salesOrderNumber"]: row for row in rows}


def test_each_sales_order_with_progress_shipped_quantity_and_delivery_status(products: DataProducts) -> None:
    rows = by_order(products.query("orderFulfillment", "v2", asOf=LATER))
    assert list(rows) == ["SO-1", "SO-2", "SO-3"]  # by order date, then number; the stub SO-9 is left out

    so1 = rows["SO-1"]
    # 600 ordered; PRD-1 made 588 good; DLV-1 shipped 588 on 03-05, the ERP closed the order →
    # delivered 03-05 ≤ wanted 03-06: on time.
    assert (so1["orderedQuantity"], so1["producedQuantity"], so1["shippedQuantity"]) == (600, 588, 588)
    assert so1["shippedRatio"] == pytest.approx(588 / 600)  # 0.98, a short delivery accepted
    assert (so1["productionOrderCount"], so1["completedProductionOrderCount"]) == (1, 1)
    assert so1["productionProgress"] == 1.0
    assert so1["deliveredAt"] == dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC)
    assert (so1["deliveryStatus"], so1["daysLate"]) == ("ON_TIME", 0)
    assert (so1["customerNumber"], so1["customerName"]) == ("C-1", "Alpha Pumps GmbH")

    so2 = rows["SO-2"]
    # Items 100 + 50; PRD-2 done (96 good), PRD-3 open; operations: PRD-2/0010 and PRD-3/0010 of
    # 4 done → progress 2/4. Only 96 shipped and the order is OPEN → not delivered; wanted 03-04,
    # and at 03-10 that is 6 days ago → OVERDUE by 6.
    assert (so2["itemCount"], so2["orderedQuantity"]) == (2, 150)
    assert (so2["productionOrderCount"], so2["completedProductionOrderCount"]) == (2, 1)
    assert (so2["operationCount"], so2["completedOperationCount"]) == (4, 2)
    assert so2["productionProgress"] == pytest.approx(2 / 4)
    assert (so2["producedQuantity"], so2["shippedQuantity"]) == (96, 96)
    assert so2["shippedRatio"] == pytest.approx(96 / 150)
    assert so2["lastShippedAt"] == dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
    assert so2["deliveredAt"] is None
    assert (so2["deliveryStatus"], so2["daysLate"]) == ("OVERDUE", 6)

    so3 = rows["SO-3"]
    # 10 ordered, no production (from stock), 10 shipped on 03-07, wanted 03-05 → 2 days late.
    assert (so3["productionOrderCount"], so3["productionProgress"]) == (0, None)
    assert (so3["shippedQuantity"], so3["shippedRatio"]) == (10, 1.0)
    assert (so3["deliveryStatus"], so3["daysLate"]) == ("LATE", 2)


def test_as_of_an_earlier_moment_counts_only_what_had_happened(products: DataProducts) -> None:
    rows = by_order(products.query("orderFulfillment", "v2", asOf=dt.datetime(2026, 3, 3, tzinfo=dt.UTC)))
    # At 03-03 00:00 nothing is shipped yet; PRD-1 and PRD-2 are done, PRD-3 has not started.
    so1, so2 = rows["SO-1"], rows["SO-2"]
    assert (so1["shippedQuantity"], so1["shipmentCount"], so1["deliveryStatus"]) == (0, 0, "OPEN")
    assert (so2["completedOperationCount"], so2["productionProgress"]) == (1, pytest.approx(1 / 4))
    assert (so2["deliveryStatus"], so2["daysLate"]) == ("OPEN", 0)  # wanted 03-04: not yet due
    assert rows["SO-3"]["deliveryStatus"] == "OPEN"


def test_filters_by_customer_and_order_date(products: DataProducts) -> None:
    assert list(by_order(products.query("orderFulfillment", "v2", asOf=LATER, customerNumber="C-2"))) == [
        "SO-2"
    ]
    placed_on_the_3rd = products.query("orderFulfillment", "v2", asOf=LATER, **{"from": dt.date(2026, 3, 3)})
    assert list(by_order(placed_on_the_3rd)) == ["SO-3"]


def test_version_1_reports_on_time_as_a_flag(products: DataProducts) -> None:
    rows = by_order(products.query("orderFulfillment", "v1"))
    assert {number: row["onTime"] for number, row in rows.items()} == {
        "SO-1": True,
        "SO-2": None,
        "SO-3": False,
    }
    assert (rows["SO-2"]["orderedQuantity"], rows["SO-2"]["producedQuantity"]) == (150, 96)
    assert set(rows["SO-1"]) == {
        "salesOrderNumber",
        "customerNumber",
        "orderDate",
        "requestedDeliveryDate",
        "orderedQuantity",
        "producedQuantity",
        "shippedQuantity",
        "onTime",
    }
