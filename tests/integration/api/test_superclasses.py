"""Querying a superclass returns the instances of its subclasses, as their concrete types."""

from __future__ import annotations

from fastapi.testclient import TestClient

from graph_service.store import Neo4jStore
from tests.integration.api.conftest import data

EQUIPMENT = """{ equipmentList(first: 100) { totalCount nodes { __typename equipmentId equipmentLevel
  ... on WorkCenter { partOf { __typename equipmentId } hasPart { __typename equipmentId } }
  ... on WorkUnit { workUnitType } } } }"""


def test_equipment_returns_areas_work_centers_and_work_units(client: TestClient, graph: Neo4jStore) -> None:
    page = data(client, EQUIPMENT)["equipmentList"]
    rows = graph.read(
        "MATCH (e:Equipment) RETURN e.equipmentId AS id, "
        "[l IN labels(e) WHERE l IN ['Area', 'WorkCenter', 'WorkUnit']][0] AS type ORDER BY id"
    )
    assert [(n["equipmentId"], n["__typename"]) for n in page["nodes"]] == [
        (r["id"], r["type"]) for r in rows
    ]
    assert {n["__typename"] for n in page["nodes"]} == {"Area", "WorkCenter", "WorkUnit"}
    level = {"Area": "AREA", "WorkCenter": "WORK_CENTER", "WorkUnit": "WORK_UNIT"}
    assert all(level[n["__typename"]] == n["equipmentLevel"] for n in page["nodes"])
    work_center = next(n for n in page["nodes"] if n["__typename"] == "WorkCenter")
    assert work_center["partOf"]["__typename"] == "Area"
    assert {p["__typename"] for p in work_center["hasPart"]} <= {"WorkUnit"}


def test_a_key_lookup_on_a_superclass_finds_the_subclass_instance(client: TestClient) -> None:
    found = data(client, '{ equipment(equipmentId: "WU-CNC-01") { __typename name } }')["equipment"]
    assert found == {"__typename": "WorkUnit", "name": "CNC mill 1"}


def test_abstract_superclasses_list_every_kind(client: TestClient, graph: Neo4jStore) -> None:
    page = data(client, "{ parties(first: 1000) { totalCount nodes { __typename name } } }")["parties"]
    assert page["totalCount"] == graph.read("MATCH (p:Party) RETURN count(p) AS n")[0]["n"]
    assert {n["__typename"] for n in page["nodes"]} >= {"Customer", "Supplier", "Contact", "Operator"}
    events = data(client, "{ domainEvents(first: 5) { nodes { __typename eventType } } }")["domainEvents"][
        "nodes"
    ]
    assert all(n["eventType"].split(".")[2] == n["__typename"] for n in events)


def test_a_relation_to_an_abstract_class_resolves_each_node(client: TestClient) -> None:
    query = """{ salesOrderCreatedEvents(first: 1) {
        nodes { affected { __typename } reportedBy { sourceSystemId } } } }"""
    event = data(client, query)["salesOrderCreatedEvents"]["nodes"][0]
    assert {a["__typename"] for a in event["affected"]} >= {"SalesOrder", "SalesOrderItem"}
    assert event["reportedBy"]["sourceSystemId"].startswith("erp/")
