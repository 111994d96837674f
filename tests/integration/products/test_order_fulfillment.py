"""orderFulfillment v2 (and the deprecated v1) on the fixed plant, against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.products import DataProducts
from graph_service.products.validation import ValidationStatus
from graph_service.store import Neo4jStore
from tests.integration.products.conftest import execute

LATER = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)

#: Three more orders on the fixed plant, for the statuses it has no order for. Customer C-4.
#:   SO-4  placed 03-03, no requested date; item 10: 20 FG-A; DLV-4 ships 20 on 03-06 12:00
#:   SO-5  placed 03-04, no requested date; item 10: 5 FG-A; nothing shipped
#:   SO-6  placed 03-04, wanted 03-06, COMPLETED now; item 10: 40 FG-A; DLV-6 ships 36 (a short
#:         delivery) on 03-06 09:00; the ERP closes the order only on 03-08 09:00
MORE_ORDERS = """
CREATE (c4:Customer:Organization:Party:Entity {customerNumber: 'C-4', name: 'Delta Tanks'})
CREATE (so4:SalesOrder:CommercialOrder:Entity {salesOrderNumber: 'SO-4', orderDate: date('2026-03-03'),
        status: 'COMPLETED'})-[:ORDERED_BY]->(c4)
CREATE (so5:SalesOrder:CommercialOrder:Entity {salesOrderNumber: 'SO-5', orderDate: date('2026-03-04'),
        status: 'OPEN'})-[:ORDERED_BY]->(c4)
CREATE (so6:SalesOrder:CommercialOrder:Entity {salesOrderNumber: 'SO-6', orderDate: date('2026-03-04'),
        requestedDeliveryDate: date('2026-03-06'), status: 'COMPLETED'})-[:ORDERED_BY]->(c4)
CREATE (i4:SalesOrderItem:OrderItem:LineItem:Entity {salesOrderItemId: 'SO-4/10', itemNumber: 10,
        orderedQuantity: 20.0})-[:ITEM_OF]->(so4)
CREATE (:SalesOrderItem:OrderItem:LineItem:Entity {salesOrderItemId: 'SO-5/10', itemNumber: 10,
        orderedQuantity: 5.0})-[:ITEM_OF]->(so5)
CREATE (i6:SalesOrderItem:OrderItem:LineItem:Entity {salesOrderItemId: 'SO-6/10', itemNumber: 10,
        orderedQuantity: 40.0})-[:ITEM_OF]->(so6)
CREATE (d4:Shipment:Entity {shipmentNumber: 'DLV-4', shippedAt: datetime('2026-03-06T12:00:00Z')})
CREATE (d6:Shipment:Entity {shipmentNumber: 'DLV-6', shippedAt: datetime('2026-03-06T09:00:00Z')})
CREATE (s4:ShipmentItem:LineItem:Entity {shipmentItemId: 'DLV-4/10', shippedQuantity: 20.0})
CREATE (s6:ShipmentItem:LineItem:Entity {shipmentItemId: 'DLV-6/10', shippedQuantity: 36.0})
CREATE (s4)-[:ITEM_OF_SHIPMENT]->(d4), (d4)-[:SHIPS_ORDER]->(so4), (s4)-[:FULFILLS_ITEM]->(i4),
       (s6)-[:ITEM_OF_SHIPMENT]->(d6), (d6)-[:SHIPS_ORDER]->(so6), (s6)-[:FULFILLS_ITEM]->(i6)
CREATE (:SalesOrderChanged:DomainEvent {eventId: 'EV-SO-6-closed',
        eventType: 'digispine.erp.SalesOrderChanged.v1', eventTime: datetime('2026-03-08T09:00:00Z')})
       -[:AFFECTED]->(so6)
"""


@pytest.fixture()
def more_orders(products: DataProducts, fixed_plant: Neo4jStore) -> DataProducts:
    fixed_plant.write(MORE_ORDERS)
    return products


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


def test_every_delivery_status_on_hand_computed_orders(more_orders: DataProducts) -> None:
    rows = by_order(more_orders.query("orderFulfillment", "v2", asOf=LATER))
    status = {number: (row["deliveryStatus"], row["daysLate"]) for number, row in rows.items()}
    assert status == {
        "SO-1": ("ON_TIME", 0),  # 588 of 600 shipped 03-05 10:00, closed 10:10; wanted 03-06
        "SO-2": ("OVERDUE", 6),  # 96 of 150 shipped, still open; wanted 03-04, asOf 03-10: 10 - 4 = 6
        "SO-3": ("LATE", 2),  # all 10 shipped 03-07; wanted 03-05: 7 - 5 = 2
        "SO-4": ("DELIVERED", 0),  # all 20 shipped 03-06 12:00; no requested date to compare
        "SO-5": ("OPEN", 0),  # nothing shipped; no requested date, so never overdue
        "SO-6": ("ON_TIME", 0),  # 36 of 40 shipped 03-06 09:00, closed 03-08 ≤ asOf; wanted 03-06
    }
    assert rows["SO-4"]["requestedDeliveryDate"] is None
    assert rows["SO-4"]["deliveredAt"] == dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC)
    assert (rows["SO-5"]["requestedDeliveryDate"], rows["SO-5"]["deliveredAt"]) == (None, None)
    # Delivered at its last shipment, not at the close.
    assert rows["SO-6"]["deliveredAt"] == dt.datetime(2026, 3, 6, 9, tzinfo=dt.UTC)
    assert rows["SO-6"]["shippedRatio"] == pytest.approx(36 / 40)


def test_a_shipped_order_is_not_delivered_before_the_erp_closes_it(more_orders: DataProducts) -> None:
    # 03-07 12:00: SO-6 has shipped 36 of 40 (03-06 09:00), but the ERP closes it only on 03-08, so
    # it is not delivered; wanted 03-06 < 03-07 → OVERDUE by 7 - 6 = 1 day.
    at = dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC)
    so6 = by_order(more_orders.query("orderFulfillment", "v2", asOf=at))["SO-6"]
    assert (so6["shippedQuantity"], so6["shipmentCount"]) == (36, 1)
    assert so6["lastShippedAt"] == dt.datetime(2026, 3, 6, 9, tzinfo=dt.UTC)
    assert (so6["deliveredAt"], so6["deliveryStatus"], so6["daysLate"]) == (None, "OVERDUE", 1)
    # SO-1 at 03-05 10:05: shipped 588 of 600 at 10:00, closed at 10:10 → not yet delivered; wanted
    # 03-06, not passed → OPEN.
    so1 = by_order(
        more_orders.query("orderFulfillment", "v2", asOf=dt.datetime(2026, 3, 5, 10, 5, tzinfo=dt.UTC))
    )["SO-1"]
    assert (so1["shippedQuantity"], so1["deliveredAt"], so1["deliveryStatus"]) == (588, None, "OPEN")


def test_orders_without_a_requested_date_are_served_over_graphql_and_conform(
    more_orders: DataProducts,
) -> None:
    data = execute(
        more_orders,
        """query($at: DateTime) { orderFulfillmentV2(asOf: $at, customerNumber: "C-4") {
             salesOrderNumber requestedDeliveryDate deliveryStatus daysLate } }""",
        {"at": LATER.isoformat()},
    )
    assert data["orderFulfillmentV2"] == [
        {
            "salesOrderNumber": "SO-4",
            "requestedDeliveryDate": None,
            "deliveryStatus": "DELIVERED",
            "daysLate": 0,
        },
        {"salesOrderNumber": "SO-5", "requestedDeliveryDate": None, "deliveryStatus": "OPEN", "daysLate": 0},
        {
            "salesOrderNumber": "SO-6",
            "requestedDeliveryDate": "2026-03-06",
            "deliveryStatus": "ON_TIME",
            "daysLate": 0,
        },
    ]
    result = more_orders.validate("orderFulfillment", "v2")
    assert result.status is ValidationStatus.CONFORMS, result.sample_violations
