"""customerQuality on the fixed plant: complaints, nonconformances and what is behind them."""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.products import DataProducts


def by_customer(rows: list[dict]) -> dict[str, dict]:
    return {row["customerNumber"]: row for row in rows}


def test_per_customer_complaints_nonconformances_orders_and_lots(products: DataProducts) -> None:
    rows = by_customer(products.query("customerQuality"))
    assert list(rows) == ["C-1", "C-2", "C-3"]

    c1 = rows["C-1"]
    # Orders SO-1 and SO-3; lots shipped: L-FG-1 (588) and L-FG-3 (10). CMP-1 (open) names SO-1
    # and L-FG-1; NC-2 was raised for it on L-FG-1. Affected: 1 of 2 shipped lots.
    assert (c1["orderCount"], c1["shippedLotCount"], c1["shippedQuantity"]) == (2, 2, 588 + 10)
    assert (c1["complaintCount"], c1["openComplaintCount"], c1["nonconformanceCount"]) == (1, 1, 1)
    assert (c1["affectedLotNumbers"], c1["affectedSalesOrderNumbers"]) == (["L-FG-1"], ["SO-1"])
    assert c1["affectedShippedLotRatio"] == pytest.approx(1 / 2)
    (complaint,) = c1["complaints"]
    assert (complaint["complaintNumber"], complaint["status"], complaint["salesOrderNumber"]) == (
        "CMP-1",
        "OPEN",
        "SO-1",
    )
    assert complaint["lotNumbers"] == ["L-FG-1"]
    (nc,) = c1["nonconformances"]
    assert (nc["nonconformanceNumber"], nc["lotNumber"], nc["complaintNumber"]) == ("NC-2", "L-FG-1", "CMP-1")
    assert (nc["productionOrderNumber"], nc["salesOrderNumbers"]) == ("PRD-1", ["SO-1"])

    c2 = rows["C-2"]
    # CMP-2 (closed) about SO-2/L-FG-2; NC-1 was found in-house on L-FG-2, which was shipped to
    # C-2 anyway: a quality escape that touches C-2. The only shipped lot is affected → ratio 1.
    assert (c2["complaintCount"], c2["openComplaintCount"], c2["nonconformanceCount"]) == (1, 0, 1)
    assert c2["nonconformances"][0]["nonconformanceNumber"] == "NC-1"
    assert c2["nonconformances"][0]["complaintNumber"] is None
    assert c2["complaints"][0]["closedAt"] == dt.datetime(2026, 3, 7, 10, tzinfo=dt.UTC)
    assert (c2["affectedLotCount"], c2["affectedShippedLotRatio"]) == (1, 1.0)

    c3 = rows["C-3"]
    assert (c3["orderCount"], c3["complaintCount"], c3["nonconformanceCount"], c3["affectedLotCount"]) == (
        0,
        0,
        0,
        0,
    )
    assert (c3["affectedShippedLotRatio"], c3["complaints"], c3["affectedLotNumbers"]) == (None, [], [])


def test_the_window_restricts_complaints_and_nonconformances(products: DataProducts) -> None:
    since = dt.datetime(2026, 3, 7, tzinfo=dt.UTC)
    rows = by_customer(products.query("customerQuality", **{"from": since}))
    # CMP-2 (03-06) and NC-1 (03-02) fall before the window; CMP-1 and NC-2 (03-08) inside.
    assert (rows["C-2"]["complaintCount"], rows["C-2"]["nonconformanceCount"]) == (0, 0)
    assert (rows["C-1"]["complaintCount"], rows["C-1"]["nonconformanceCount"]) == (1, 1)
    assert list(by_customer(products.query("customerQuality", customerNumber="C-2"))) == ["C-2"]
