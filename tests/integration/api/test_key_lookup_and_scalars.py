"""Finding one node by business key; decimals, dates and datetimes as the client sees them."""

from __future__ import annotations

import decimal
from typing import Any

from fastapi.testclient import TestClient

from graph_service.store import Neo4jStore
from tests.integration.api.conftest import data, events_of

ORDER = """query($n: String!) { salesOrder(salesOrderNumber: $n) {
  salesOrderNumber orderDate requestedDeliveryDate currency totalNetAmount firstEventTime sourceSystems
  orderedBy { customerNumber name } hasItem { itemNumber orderedQuantity netPrice } } }"""


def test_a_sales_order_is_found_by_its_business_key(client: TestClient, plant: list[dict[str, Any]]) -> None:
    created = events_of(plant, "SalesOrderCreated")[0]
    payload = created["data"]
    order = data(client, ORDER, {"n": payload["salesOrderNumber"]})["salesOrder"]
    assert order["salesOrderNumber"] == payload["salesOrderNumber"]
    assert order["orderDate"] == payload["orderDate"]
    assert order["requestedDeliveryDate"] == payload["requestedDeliveryDate"]
    assert order["currency"] == payload["currency"]
    assert order["orderedBy"]["customerNumber"] == payload["customerNumber"]
    assert [i["itemNumber"] for i in order["hasItem"]] == sorted(i["itemNumber"] for i in payload["items"])
    assert order["sourceSystems"] == [created["source"]]


def test_an_unknown_key_answers_null(client: TestClient) -> None:
    assert data(client, ORDER, {"n": "SO-999999"}) == {"salesOrder": None}


def test_decimals_serialise_exactly(client: TestClient, plant: list[dict[str, Any]]) -> None:
    for created in events_of(plant, "SalesOrderCreated"):
        payload = created["data"]
        order = data(client, ORDER, {"n": payload["salesOrderNumber"]})["salesOrder"]
        assert isinstance(order["totalNetAmount"], str)
        assert decimal.Decimal(order["totalNetAmount"]) == decimal.Decimal(str(payload["totalNetAmount"]))
        for item, given in zip(
            order["hasItem"], sorted(payload["items"], key=lambda i: i["itemNumber"]), strict=True
        ):
            assert decimal.Decimal(item["orderedQuantity"]) == decimal.Decimal(str(given["quantity"]))
            assert decimal.Decimal(item["netPrice"]) == decimal.Decimal(str(given["netPrice"]))


def test_dates_and_datetimes_are_iso_8601(
    client: TestClient, plant: list[dict[str, Any]], graph: Neo4jStore
) -> None:
    payload = events_of(plant, "LotProduced")[0]["data"]
    query = "query($n: String!) { lot(lotNumber: $n) { producedAt lastEventTime } }"
    lot = data(client, query, {"n": payload["lotNumber"]})["lot"]
    assert lot["producedAt"] == payload["producedAt"].replace("Z", "+00:00")
    stored = graph.read(
        "MATCH (l:Lot {lotNumber: $n}) RETURN l.lastEventTime AS t", {"n": payload["lotNumber"]}
    )
    assert lot["lastEventTime"] == stored[0]["t"].to_native().isoformat()
    order = data(client, ORDER, {"n": "SO-000001"})["salesOrder"]
    assert order["firstEventTime"].endswith("+00:00") and order["orderDate"] == "2026-01-05"
