"""A nested selection is one Cypher statement per root field, counted on the real driver."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graph_service.store import Neo4jStore
from tests.integration.api.conftest import data
from tests.integration.api.spy import CountingStore

# Each nested list says how many items it wants (``first``): the cost limit counts the worst case
# of every level, so a deep selection with the default nested page sizes would be refused.
CHAIN = """query($c: String!, $o: Int, $i: Int, $p: Int, $l: Int, $x: Int, $r: Int) {
 customer(customerNumber: $c) {
  customerNumber
  salesOrdersViaOrderedBy(first: $o) { salesOrderNumber
    hasItem(first: $i) { itemNumber
      productionOrdersViaForSalesOrderItem(first: $p) { productionOrderNumber
        lotsViaProducedBy(first: $l) { lotNumber
          inspectionsViaInspectsLot(first: $x) { inspectionId result
            hasResult(first: $r) { conforming measures { characteristicId } } }
        } } } } } }"""

FAN_OUT = """
MATCH (c:Customer)<-[:ORDERED_BY]-(o:SalesOrder)
WITH max(COUNT { (c)<-[:ORDERED_BY]-() }) AS o
MATCH (so:SalesOrder) WITH o, max(COUNT { (so)<-[:ITEM_OF]-() }) AS i
MATCH (it:SalesOrderItem) WITH o, i, max(COUNT { (it)<-[:FOR_SALES_ORDER_ITEM]-() }) AS p
MATCH (po:ProductionOrder) WITH o, i, p, max(COUNT { (po)<-[:PRODUCED_BY]-() }) AS l
MATCH (lot:Lot) WITH o, i, p, l, max(COUNT { (lot)<-[:INSPECTS_LOT]-() }) AS x
MATCH (ins:Inspection) RETURN o, i, p, l, x, max(COUNT { (ins)<-[:RESULT_OF]-() }) AS r"""

HAND_WRITTEN = """
MATCH (c:Customer {customerNumber: $c})<-[:ORDERED_BY]-(o:SalesOrder)<-[:ITEM_OF]-(i:SalesOrderItem)
      <-[:FOR_SALES_ORDER_ITEM]-(p:ProductionOrder)<-[:PRODUCED_BY]-(l:Lot)<-[:INSPECTS_LOT]-(x:Inspection)
RETURN o.salesOrderNumber AS o, i.itemNumber AS i, p.productionOrderNumber AS p, l.lotNumber AS l,
       x.inspectionId AS x, x.result AS r, COUNT { (x)<-[:RESULT_OF]-() } AS results
ORDER BY o, i, p, l, x"""


def flatten(customer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            o["salesOrderNumber"],
            i["itemNumber"],
            p["productionOrderNumber"],
            lot["lotNumber"],
            x["inspectionId"],
            x["result"],
            len(x["hasResult"]),
        )
        for o in customer["salesOrdersViaOrderedBy"]
        for i in o["hasItem"]
        for p in i["productionOrdersViaForSalesOrderItem"]
        for lot in p["lotsViaProducedBy"]
        for x in lot["inspectionsViaInspectsLot"]
    ]


def test_customer_to_orders_to_items_to_production_to_lots_to_inspections_is_one_statement(
    client: TestClient, spy: CountingStore, graph: Neo4jStore
) -> None:
    customers = graph.read(
        "MATCH (c:Customer)<-[:ORDERED_BY]-()<-[:ITEM_OF]-()<-[:FOR_SALES_ORDER_ITEM]-()<-[:PRODUCED_BY]-()"
        "<-[:INSPECTS_LOT]-() RETURN DISTINCT c.customerNumber AS c ORDER BY c"
    )
    assert customers
    fan_out = graph.read(FAN_OUT)[0]  # the largest page each level needs, so nothing is cut
    for row in customers:
        spy.statements.clear()
        customer = data(client, CHAIN, {"c": row["c"], **fan_out})["customer"]
        assert len(spy.statements) == 1
        expected = [tuple(r.values()) for r in graph.read(HAND_WRITTEN, {"c": row["c"]})]
        assert flatten(customer) == expected
        measured = customer["salesOrdersViaOrderedBy"][0]["hasItem"][0][
            "productionOrdersViaForSalesOrderItem"
        ]
        assert measured[0]["lotsViaProducedBy"][0]["inspectionsViaInspectsLot"][0]["hasResult"][0]["measures"]


def test_a_page_of_nested_rows_is_still_one_statement_and_no_more_per_parent(
    client: TestClient, spy: CountingStore
) -> None:
    query = """{ salesOrders(first: 100) { totalCount edges { cursor node { salesOrderNumber
        orderedBy { name contactsViaContactOf(first: 5) { fullName } }
        hasItem(first: 10) { orderedMaterial { materialNumber } }
        shipmentsViaShipsOrder(first: 5) { hasShipmentItem(first: 10) { shipsLot { lotNumber } } } } } } }"""
    spy.statements.clear()
    page = data(client, query)["salesOrders"]
    assert page["totalCount"] > 1
    assert len(spy.statements) == 1


def test_each_root_field_is_one_statement(client: TestClient, spy: CountingStore) -> None:
    query = """{ a: lots(first: 3) { nodes { lotNumber producedBy { productionOrderNumber } } }
        b: lots(first: 2, after: "b2Zmc2V0OjA=") { nodes { lotNumber } }
        salesOrder(salesOrderNumber: "SO-000001") { hasItem { itemNumber } }
        ontology { version } }"""
    spy.statements.clear()
    result = data(client, query)
    assert len(spy.statements) == 3  # ontology reads the model, not Neo4j
    assert result["b"]["nodes"][0]["lotNumber"] == result["a"]["nodes"][1]["lotNumber"]


def test_aliases_of_one_relation_field_keep_their_own_arguments(
    client: TestClient, spy: CountingStore
) -> None:
    query = """{ salesOrder(salesOrderNumber: "SO-000002") {
        first: hasItem(first: 1) { itemNumber }
        last: hasItem(first: 1, orderBy: [{field: itemNumber, direction: DESC}]) { itemNumber }
        hasItem { itemNumber }
        ... on SalesOrder { again: hasItem(where: {itemNumber: {eq: 20}}) { itemNumber } } } }"""
    spy.statements.clear()
    order = data(client, query)["salesOrder"]
    assert len(spy.statements) == 1
    assert order == {
        "first": [{"itemNumber": 10}],
        "last": [{"itemNumber": 20}],
        "hasItem": [{"itemNumber": 10}, {"itemNumber": 20}],
        "again": [{"itemNumber": 20}],
    }


def test_fragments_and_directives_shape_the_single_statement(client: TestClient, spy: CountingStore) -> None:
    query = """query($withItems: Boolean!) { salesOrder(salesOrderNumber: "SO-000002") { ...head
        hasItem @include(if: $withItems) { itemNumber } } }
      fragment head on SalesOrder { salesOrderNumber currency @skip(if: true) }"""
    spy.statements.clear()
    assert data(client, query, {"withItems": False}) == {"salesOrder": {"salesOrderNumber": "SO-000002"}}
    text = spy.statements[0][0]
    assert "ITEM_OF" not in text and "currency" not in text
