"""``orderBy`` and Relay pagination: walking every page gives the whole list, once, in order."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph_service.store import Neo4jStore
from tests.integration.api.conftest import data, post

PAGE = """query($first: Int, $after: String, $order: [EquipmentStateChangeOrder!]) {
  equipmentStateChanges(first: $first, after: $after, orderBy: $order) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { stateChangeId since } } } }"""


def walk(client: TestClient, first: int, order: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = data(client, PAGE, {"first": first, "after": after, "order": order})["equipmentStateChanges"]
        assert len(page["edges"]) <= first
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(seen)
            return seen
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("first", [1, 7, 20, 1000])
def test_walking_all_pages_gives_every_node_once_in_key_order(
    client: TestClient, graph: Neo4jStore, first: int
) -> None:
    everything = [
        r["id"] for r in graph.read("MATCH (c:EquipmentStateChange) RETURN c.stateChangeId AS id ORDER BY id")
    ]
    assert len(everything) > 20
    assert [n["stateChangeId"] for n in walk(client, first)] == everything


def test_walking_pages_in_a_custom_order(client: TestClient, graph: Neo4jStore) -> None:
    order = [{"field": "since", "direction": "DESC"}]
    rows = graph.read(
        "MATCH (c:EquipmentStateChange) RETURN c.stateChangeId AS id ORDER BY c.since DESC, c.stateChangeId"
    )
    assert [n["stateChangeId"] for n in walk(client, 9, order)] == [r["id"] for r in rows]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_order_by_a_decimal_then_a_string(client: TestClient, graph: Neo4jStore, direction: str) -> None:
    query = """query($d: SortDirection!) { lots(first: 100, orderBy: [{field: lotQuantity, direction: $d},
        {field: lotNumber, direction: $d}]) { nodes { lotNumber lotQuantity } } }"""
    found = [n["lotNumber"] for n in data(client, query, {"d": direction})["lots"]["nodes"]]
    rows = graph.read(
        f"MATCH (l:Lot) RETURN l.lotNumber AS n ORDER BY l.lotQuantity {direction}, l.lotNumber {direction}"
    )
    assert found == [r["n"] for r in rows]


def test_the_default_page_size_is_twenty_and_first_is_bounded(client: TestClient) -> None:
    page = data(client, "{ domainEvents { totalCount nodes { eventId } pageInfo { hasNextPage } } }")[
        "domainEvents"
    ]
    assert len(page["nodes"]) == 20 and page["totalCount"] > 20 and page["pageInfo"]["hasNextPage"]
    body = post(client, "{ domainEvents(first: 1001) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = post(client, "{ domainEvents(first: -1) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_total_count_alone_reads_no_page(client: TestClient, graph: Neo4jStore) -> None:
    total = data(client, "{ domainEvents(first: 0) { totalCount } }")["domainEvents"]["totalCount"]
    assert total == graph.read("MATCH (e:DomainEvent) RETURN count(e) AS n")[0]["n"]


def test_a_foreign_cursor_is_a_client_error(client: TestClient) -> None:
    body = post(client, '{ lots(after: "not-a-cursor") { totalCount } }')
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
