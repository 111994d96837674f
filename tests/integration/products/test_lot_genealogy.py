"""lotGenealogy on the fixed plant: from a raw lot to every shipment it reached, and back."""

from __future__ import annotations

import datetime as dt

from graph_service.products import DataProducts
from tests.integration.products.conftest import execute


def trace(rows: list[dict]) -> list[tuple[str, str, int]]:
    return [(row["lotNumber"], row["direction"], row["depth"]) for row in rows]


def test_forward_from_a_raw_lot_reaches_every_customer_shipment(products: DataProducts) -> None:
    rows = products.query("lotGenealogy", lotNumber="L-RM-1")
    # L-RM-1 → L-SF-1 → L-FG-1 (two steps) and L-RM-1 → L-FG-2 (one step).
    assert trace(rows) == [
        ("L-RM-1", "SELF", 0),
        ("L-FG-2", "FORWARD", 1),
        ("L-SF-1", "FORWARD", 1),
        ("L-FG-1", "FORWARD", 2),
    ]
    by_lot = {row["lotNumber"]: row for row in rows}
    raw = by_lot["L-RM-1"]
    assert (raw["supplierId"], raw["quantity"], raw["unit"], raw["materialType"]) == (
        "SUP-1",
        100,
        "KG",
        "RAW",
    )
    reached = {
        (
            shipment["shipmentNumber"],
            shipment["customerNumber"],
            shipment["salesOrderNumber"],
            shipment["quantity"],
        )
        for row in rows
        for shipment in row["shipments"]
    }
    assert reached == {("DLV-1", "C-1", "SO-1", 588), ("DLV-2", "C-2", "SO-2", 96)}
    fg2 = by_lot["L-FG-2"]
    assert (fg2["status"], fg2["nonconformanceCount"], fg2["productionOrderNumber"]) == (
        "BLOCKED",
        1,
        "PRD-2",
    )
    assert fg2["shipments"][0]["shippedAt"] == dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
    assert by_lot["L-SF-1"]["shipments"] == []


def test_backward_from_a_finished_lot_reaches_its_raw_lots_and_suppliers(products: DataProducts) -> None:
    rows = products.query("lotGenealogy", lotNumber="L-FG-1")
    assert trace(rows) == [
        ("L-RM-1", "BACKWARD", 2),
        ("L-RM-2", "BACKWARD", 1),
        ("L-SF-1", "BACKWARD", 1),
        ("L-FG-1", "SELF", 0),
    ]
    by_lot = {row["lotNumber"]: row for row in rows}
    assert by_lot["L-RM-1"]["supplierId"] == "SUP-1"
    assert by_lot["L-RM-2"]["supplierId"] is None  # received without a purchase order
    assert (by_lot["L-FG-1"]["salesOrderNumber"], by_lot["L-FG-1"]["quantity"]) == ("SO-1", 588)
    assert all(row["rootLotNumber"] == "L-FG-1" for row in rows)


def test_max_depth_limits_the_steps_and_unknown_lots_give_nothing(products: DataProducts) -> None:
    assert trace(products.query("lotGenealogy", lotNumber="L-RM-1", maxDepth=1)) == [
        ("L-RM-1", "SELF", 0),
        ("L-FG-2", "FORWARD", 1),
        ("L-SF-1", "FORWARD", 1),
    ]
    assert products.query("lotGenealogy", lotNumber="L-NOPE") == []


def test_the_graphql_field_nests_the_shipments(products: DataProducts) -> None:
    data = execute(
        products,
        '{ lotGenealogy(lotNumber: "L-RM-1") {'
        "  lotNumber direction shipments { shipmentNumber customerName } } }",
    )
    assert data["lotGenealogy"][-1] == {
        "lotNumber": "L-FG-1",
        "direction": "FORWARD",
        "shipments": [{"shipmentNumber": "DLV-1", "customerName": "Alpha Pumps GmbH"}],
    }
