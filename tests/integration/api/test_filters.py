"""``where`` filters, each checked against the same condition written by hand in Cypher."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph_service.store import Neo4jStore
from tests.integration.api.conftest import data, post

LOTS = "query($w: LotWhere) { lots(first: 1000, where: $w) { totalCount nodes { lotNumber } } }"


def lots(client: TestClient, where: dict[str, Any]) -> list[str]:
    page = data(client, LOTS, {"w": where})["lots"]
    numbers = [n["lotNumber"] for n in page["nodes"]]
    assert page["totalCount"] == len(numbers)
    return numbers


def expected(graph: Neo4jStore, condition: str, params: dict[str, Any] | None = None) -> list[str]:
    rows = graph.read(f"MATCH (l:Lot) WHERE {condition} RETURN l.lotNumber AS n ORDER BY n", params or {})
    return [r["n"] for r in rows]


CASES = [
    ({"lotNumber": {"eq": "L-FG-000002"}}, "l.lotNumber = 'L-FG-000002'"),
    (
        {"lotNumber": {"in": ["L-FG-000001", "L-RM-000003", "nope"]}},
        "l.lotNumber IN ['L-FG-000001', 'L-RM-000003']",
    ),
    ({"lotNumber": {"notIn": ["L-FG-000001"]}}, "l.lotNumber <> 'L-FG-000001'"),
    ({"lotNumber": {"startsWith": "L-FG"}}, "l.lotNumber STARTS WITH 'L-FG'"),
    ({"lotNumber": {"contains": "RM-00000"}}, "l.lotNumber CONTAINS 'RM-00000'"),
    ({"lotNumber": {"endsWith": "3"}}, "l.lotNumber ENDS WITH '3'"),
    ({"lotQuantity": {"gte": "40", "lt": 200}}, "l.lotQuantity >= 40 AND l.lotQuantity < 200"),
    ({"lotQuantity": {"gt": "46.0"}}, "l.lotQuantity > 46"),
    ({"lotQuantity": {"lte": 46}}, "l.lotQuantity <= 46"),
    (
        {"producedAt": {"gte": "2026-01-06T00:00:00Z", "lt": "2026-01-07T00:00:00+00:00"}},
        "datetime('2026-01-06T00:00:00Z') <= l.producedAt < datetime('2026-01-07T00:00:00Z')",
    ),
    ({"producedAt": {"gt": "2026-01-06T12:00:00"}}, "l.producedAt > datetime('2026-01-06T12:00:00Z')"),
    ({"producedAt": {"isNull": True}}, "l.producedAt IS NULL"),
    ({"status": {"ne": "BLOCKED"}}, "l.status <> 'BLOCKED'"),
    ({"sourceSystems": {"includes": "qms/main"}}, "'qms/main' IN l.sourceSystems"),
    (
        {"inspectionsViaInspectsLot": {"some": {"result": {"eq": "FAIL"}}}},
        "EXISTS { (l)<-[:INSPECTS_LOT]-(i) WHERE i.result = 'FAIL' }",
    ),
    ({"inspectionsViaInspectsLot": {"none": {}}}, "NOT EXISTS { (l)<-[:INSPECTS_LOT]-() }"),
    (
        {"inspectionsViaInspectsLot": {"every": {"result": {"eq": "PASS"}}}},
        "NOT EXISTS { (l)<-[:INSPECTS_LOT]-(i) WHERE NOT i.result = 'PASS' }",
    ),
    ({"consumedLot": {"some": {}}}, "EXISTS { (l)-[:CONSUMED_LOT]->() }"),
    (
        {"lotOfMaterial": {"some": {"materialType": {"eq": "RAW"}}}},
        "EXISTS { (l)-[:LOT_OF_MATERIAL]->(m) WHERE m.materialType = 'RAW' }",
    ),
    (
        {"AND": [{"lotNumber": {"startsWith": "L-RM"}}, {"lotQuantity": {"gte": 100}}]},
        "l.lotNumber STARTS WITH 'L-RM' AND l.lotQuantity >= 100",
    ),
    (
        {"OR": [{"lotNumber": {"eq": "L-FG-000001"}}, {"status": {"eq": "BLOCKED"}}]},
        "l.lotNumber = 'L-FG-000001' OR l.status = 'BLOCKED'",
    ),
    ({"NOT": {"lotNumber": {"startsWith": "L-RM"}}}, "NOT l.lotNumber STARTS WITH 'L-RM'"),
    (
        {
            "NOT": {"OR": [{"lotNumber": {"startsWith": "L-RM"}}, {"lotQuantity": {"lt": 40}}]},
            "lotUnit": {"eq": "PCE"},
        },
        "NOT (l.lotNumber STARTS WITH 'L-RM' OR l.lotQuantity < 40) AND l.lotUnit = 'PCE'",
    ),
]


@pytest.mark.parametrize(("where", "condition"), CASES, ids=[c for _, c in CASES])
def test_a_filter_selects_what_the_same_condition_in_cypher_selects(
    client: TestClient, graph: Neo4jStore, where: dict[str, Any], condition: str
) -> None:
    assert lots(client, where) == expected(graph, condition)


def test_the_filters_are_not_trivial_on_this_plant(graph: Neo4jStore) -> None:
    total = len(expected(graph, "true"))
    for _, condition in CASES:
        assert len(expected(graph, condition)) < total or "notIn" in condition or "<>" in condition


def test_dates_filter_by_calendar_day(client: TestClient, graph: Neo4jStore) -> None:
    query = """{ salesOrders(where: {orderDate: {gte: "2026-01-06", lte: "2026-01-07"}}) {
        nodes { salesOrderNumber } } }"""
    found = [n["salesOrderNumber"] for n in data(client, query)["salesOrders"]["nodes"]]
    rows = graph.read(
        "MATCH (o:SalesOrder) WHERE date('2026-01-06') <= o.orderDate <= date('2026-01-07') "
        "RETURN o.salesOrderNumber AS n ORDER BY n"
    )
    assert found == [r["n"] for r in rows] and found


def test_nested_relation_fields_take_their_own_where(client: TestClient, graph: Neo4jStore) -> None:
    query = """{ productionOrders(first: 100) { nodes { productionOrderNumber
        hasOperation(where: {sequence: {gte: 20}}) { operationId sequence } } } }"""
    for order in data(client, query)["productionOrders"]["nodes"]:
        rows = graph.read(
            "MATCH (:ProductionOrder {productionOrderNumber: $n})<-[:OPERATION_OF]-(o) "
            "WHERE o.sequence >= 20 "
            "RETURN o.operationId AS id ORDER BY id",
            {"n": order["productionOrderNumber"]},
        )
        assert [o["operationId"] for o in order["hasOperation"]] == [r["id"] for r in rows]


def test_a_code_that_no_write_can_produce_is_an_error_naming_the_allowed_codes(client: TestClient) -> None:
    for where in ({"status": {"eq": "BLOKED"}}, {"status": {"in": ["RELEASED", "BLOKED"]}}):
        body = post(client, LOTS, {"w": where})
        assert body["data"] is None or body["data"].get("lots") is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "'BLOKED'" in error["message"] and "Did you mean 'BLOCKED'?" in error["message"]
        assert "BLOCKED" in error["extensions"]["allowed"] and "BLOKED" not in error["extensions"]["allowed"]
    # a relation filter reaches the target class's codes, and a code that is one still selects
    nested = {"lotOfMaterial": {"some": {"materialType": {"eq": "RAW_MATERIAL"}}}}
    assert "RAW" in post(client, LOTS, {"w": nested})["errors"][0]["message"]
    assert lots(client, {"status": {"eq": "BLOCKED"}}) == lots(client, {"status": {"in": ["BLOCKED"]}})
