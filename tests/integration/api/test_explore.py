"""The Explore API on the simulated plant, checked against hand-written Cypher."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph_service.api.explore import Explorer
from graph_service.ontology.model import DomainModel
from graph_service.store import Neo4jStore
from graph_service.store.lineage import lineage_types
from tests.conftest import auth
from tests.integration.api.conftest import data, post

NODE = "id class classLabel key label context color properties { name label value masked }"
HOOD = f"""query($c: String!, $k: String!, $d: Int!, $l: Int!, $lang: String!) {{
  neighbourhood(class: $c, key: $k, depth: $d, limit: $l, lang: $lang) {{
    center {{ {NODE} }} nodes {{ {NODE} }} edges {{ id source target type label }} truncated }} }}"""


def traversable(model: DomainModel) -> str:
    lineage = lineage_types(model)
    return "|".join(
        sorted(r.rel_type for r in model.relations.values() if r.stored and r.rel_type not in lineage)
    )


def hood(client: TestClient, cls: str, key: str, depth: int = 1, limit: int = 100, lang: str = "en") -> Any:
    return data(client, HOOD, {"c": cls, "k": key, "d": depth, "l": limit, "lang": lang})["neighbourhood"]


def test_the_neighbourhood_is_what_cypher_finds(
    client: TestClient, graph: Neo4jStore, model: DomainModel
) -> None:
    order = graph.read("MATCH (o:SalesOrder) RETURN o.salesOrderNumber AS k ORDER BY k LIMIT 1")[0]["k"]
    for depth in (1, 2):
        expected = graph.read(
            f"MATCH (c:SalesOrder {{salesOrderNumber: $k}})-[:{traversable(model)}*1..{depth}]-(m) "
            "WHERE m <> c AND NOT m:DomainEvent RETURN count(DISTINCT m) AS n",
            {"k": order},
        )[0]["n"]
        found = hood(client, "SalesOrder", order, depth=depth, limit=500)
        assert found["center"]["id"] == f"SalesOrder:{order}"
        assert len(found["nodes"]) == expected > 0 and found["truncated"] is False
        ids = {found["center"]["id"], *(n["id"] for n in found["nodes"])}
        assert all(e["source"] in ids and e["target"] in ids for e in found["edges"])
        assert len(found["edges"]) >= len(found["nodes"]) if depth == 1 else True
    cut = hood(client, "SalesOrder", order, depth=2, limit=1)
    assert len(cut["nodes"]) == 1 and cut["truncated"] is True


def test_labels_come_in_the_requested_language(
    client: TestClient, graph: Neo4jStore, model: DomainModel
) -> None:
    order = graph.read("MATCH (o:SalesOrder) RETURN o.salesOrderNumber AS k LIMIT 1")[0]["k"]
    german = hood(client, "SalesOrder", order, lang="de")
    assert (
        german["center"]["classLabel"]
        == model.classes["SalesOrder"].label("de")
        != model.classes["SalesOrder"].label("en")
    )
    legend = data(client, '{ explorerLegend(lang: "de") { context label color } }')["explorerLegend"]
    assert {c["context"] for c in legend} == set(model.bounded_contexts())
    assert german["center"]["color"] == next(
        c["color"] for c in legend if c["context"] == german["center"]["context"]
    )


def test_unknown_classes_and_bounds_are_clear_errors(client: TestClient) -> None:
    body = post(client, HOOD, {"c": "SalesOrdr", "k": "x", "d": 1, "l": 10, "lang": "en"})
    assert "SalesOrdr" in body["errors"][0]["message"] and "SalesOrder" in body["errors"][0]["message"]
    deep = post(client, HOOD, {"c": "SalesOrder", "k": "x", "d": 9, "l": 10, "lang": "en"})
    assert "`depth` must be between 1 and 3" in deep["errors"][0]["message"]
    assert (
        data(client, HOOD, {"c": "SalesOrder", "k": "nope", "d": 1, "l": 10, "lang": "en"})["neighbourhood"]
        is None
    )


def test_search_finds_by_key_first_and_by_name(client: TestClient, graph: Neo4jStore) -> None:
    order = graph.read("MATCH (o:SalesOrder) RETURN o.salesOrderNumber AS k ORDER BY k LIMIT 1")[0]["k"]
    found = data(client, "query($t: String!) { searchEntities(text: $t) { id class } }", {"t": order})
    assert found["searchEntities"][0]["id"] == f"SalesOrder:{order}"
    customer = graph.read("MATCH (c:Customer) RETURN c.name AS name, c.customerNumber AS k LIMIT 1")[0]
    by_name = data(
        client,
        'query($t: String!) { searchEntities(text: $t, class: "Customer") { key } }',
        {"t": customer["name"][2:8]},
    )
    assert customer["k"] in {n["key"] for n in by_name["searchEntities"]}


def test_search_through_the_index_finds_what_a_scan_of_every_entity_finds(
    graph: Neo4jStore, model: DomainModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full-text index only proposes candidates; the exact test and the ranking are the scan's,
    so both must answer the same, for keys, fragments inside words, names and any letter case."""
    indexed = Explorer(model, graph)
    assert indexed._search_index_online(), "apply_schema creates ds_search"
    scanning = Explorer(model, graph)
    monkeypatch.setattr(scanning, "_search_index_online", lambda: False)
    order = graph.read("MATCH (o:SalesOrder) RETURN o.salesOrderNumber AS k ORDER BY k LIMIT 1")[0]["k"]
    name = graph.read("MATCH (c:Customer) RETURN c.name AS n ORDER BY n LIMIT 1")[0]["n"]
    texts = [order, order.lower(), order[3:], "L-FG-0000", name, name.upper(), name[2:8], "cnc", "-0"]
    for text in texts:
        for class_name in (None, "Lot", "Customer"):
            by_index = [n.id for n in indexed.search(text, class_name, 500, "en")]
            by_scan = [n.id for n in scanning.search(text, class_name, 500, "en")]
            assert sorted(by_index) == sorted(by_scan), (text, class_name)
            assert by_index[:1] == by_scan[:1], (text, class_name)
    assert indexed.search(order, None, 5, "en")[0].id == f"SalesOrder:{order}"


def test_paths_and_events(client: TestClient, graph: Neo4jStore) -> None:
    row = graph.read(
        "MATCH (o:SalesOrder)-[:ORDERED_BY]->(c:Customer) "
        "RETURN o.salesOrderNumber AS o, c.customerNumber AS c LIMIT 1"
    )[0]
    paths = data(
        client,
        'query($o: String!, $c: String!) { paths(from: {class: "SalesOrder", key: $o}, '
        'to: {class: "Customer", key: $c}, maxLength: 3) { nodes { id } edges { type } } }',
        row,
    )["paths"]
    assert (
        paths[0]["nodes"][0]["id"] == f"SalesOrder:{row['o']}"
        and paths[0]["nodes"][-1]["id"] == f"Customer:{row['c']}"
    )
    assert [e["type"] for e in paths[0]["edges"]] == ["orderedBy"]
    events = data(
        client,
        'query($k: String!) { entityEvents(class: "SalesOrder", key: $k) { id type time source label } }',
        {"k": row["o"]},
    )["entityEvents"]
    expected = graph.read(
        "MATCH (:SalesOrder {salesOrderNumber: $k})<-[:AFFECTED]-(e:DomainEvent) RETURN count(e) AS n",
        {"k": row["o"]},
    )[0]["n"]
    assert len(events) == expected > 0
    assert [e["time"] for e in events] == sorted((e["time"] for e in events), reverse=True)


def test_personal_data_is_masked_and_readers_are_required(client: TestClient, graph: Neo4jStore) -> None:
    contact = graph.read("MATCH (c:Contact) RETURN c.contactId AS k, c.fullName AS name LIMIT 1")[0]
    query = (
        'query($k: String!) { neighbourhood(class: "Contact", key: $k) '
        "{ center { properties { name value masked } } } }"
    )

    def full_name(who: str) -> dict[str, Any]:
        response = client.post(
            "/graphql", json={"query": query, "variables": {"k": contact["k"]}}, headers=auth(who)
        )
        props = response.json()["data"]["neighbourhood"]["center"]["properties"]
        return next(p for p in props if p["name"] == "fullName")

    assert full_name("reader") == {"name": "fullName", "value": None, "masked": True}
    assert full_name("hr") == {"name": "fullName", "value": contact["name"], "masked": False}
    refused = client.post(
        "/graphql",
        json={"query": '{ explorerLegend { context } searchEntities(text: "SO") { id } }'},
        headers=auth("sales"),
    ).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("attack", ["x' OR 1=1 //", "}) MATCH (n) DETACH DELETE n //", "`) RETURN 1 //"])
def test_explore_arguments_are_parameters(client: TestClient, graph: Neo4jStore, attack: str) -> None:
    before = graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    post(client, "query($t: String!) { searchEntities(text: $t) { id } }", {"t": attack})
    post(client, HOOD, {"c": "SalesOrder", "k": attack, "d": 1, "l": 10, "lang": attack})
    body = post(client, HOOD, {"c": attack, "k": "x", "d": 1, "l": 10, "lang": "en"})
    assert body["errors"]
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == before


def test_a_neighbourhood_restricted_to_a_class_or_a_relation_is_what_cypher_finds(
    client: TestClient, graph: Neo4jStore, model: DomainModel
) -> None:
    row = graph.read(
        f"MATCH (w:WorkUnit)-[:{traversable(model)}]-(m) WHERE NOT m:DomainEvent "
        "WITH w, count(DISTINCT m) AS n RETURN w.equipmentId AS k ORDER BY n DESC, k LIMIT 1"
    )[0]["k"]
    query = """query($k: String!, $c: [String!], $r: [String!]) {
      neighbourhood(class: "WorkUnit", key: $k, limit: 500, classes: $c, relations: $r) {
        nodes { id class } edges { type } }
      neighbourSummary(class: "WorkUnit", key: $k) { classes { name count } relations { name count } } }"""
    everything = data(client, query, {"k": row})
    summary = everything["neighbourSummary"]
    assert len(summary["classes"]) >= 2 and summary["relations"]
    counts = [c["count"] for c in summary["classes"]]
    assert counts == sorted(counts, reverse=True)  # the largest group first
    for group in summary["classes"]:
        cls = model.classes[group["name"]]
        only = data(client, query, {"k": row, "c": [group["name"]]})["neighbourhood"]["nodes"]
        expected = graph.read(
            f"MATCH (:WorkUnit {{equipmentId: $k}})-[:{traversable(model)}]-(m:`{cls.neo4j_label}`) "
            "WHERE NOT m:DomainEvent RETURN count(DISTINCT m) AS n",
            {"k": row},
        )[0]["n"]
        assert len(only) == expected == group["count"], group
        assert {n["class"] for n in only} <= {
            c.name for c in model.classes.values() if cls.name in (c.name, *c.ancestors)
        }
    relation = summary["relations"][0]
    rel_type = next(r.rel_type for r in model.relations.values() if r.name == relation["name"])
    over = data(client, query, {"k": row, "r": [relation["name"]]})["neighbourhood"]
    expected = graph.read(
        f"MATCH (:WorkUnit {{equipmentId: $k}})-[:`{rel_type}`]-(m) WHERE NOT m:DomainEvent "
        "RETURN count(DISTINCT m) AS n",
        {"k": row},
    )[0]["n"]
    assert len(over["nodes"]) == expected == relation["count"]
    assert relation["name"] in {e["type"] for e in over["edges"]}

    # names are checked against the model, with a hint; a lineage relation is no neighbour's
    wrong = post(client, query, {"k": row, "c": ["Operaton"]})["errors"][0]
    assert wrong["extensions"]["code"] == "BAD_USER_INPUT" and "did you mean Operation" in wrong["message"]
    lineage = post(client, query, {"k": row, "r": ["affected"]})["errors"][0]
    assert "unknown relation 'affected'" in lineage["message"]
    assert "`classes` is empty" in post(client, query, {"k": row, "c": []})["errors"][0]["message"]


def test_an_events_lineage_lists_what_it_touched_and_an_entitys_events_read_in_time_order(
    client: TestClient, graph: Neo4jStore
) -> None:
    event = graph.read(
        "MATCH (e:DomainEvent)-[:AFFECTED]->(n) WITH e, count(n) AS n WHERE n >= 3 "
        "RETURN e.eventId AS id, e.source AS source, n ORDER BY id LIMIT 1"
    )[0]
    query = """query($id: ID!, $s: String) { eventLineage(id: $id, source: $s) {
      event { id type time source }
      touched { node { id class key } role kept { name value } } truncated } }"""
    lineage = data(client, query, {"id": event["id"], "s": event["source"]})["eventLineage"]
    assert lineage["event"]["id"] == event["id"] and lineage["event"]["source"] == event["source"]
    expected = graph.read(
        "MATCH (e:DomainEvent {eventId: $id, source: $s})-[:AFFECTED]->(n) RETURN elementId(n) AS id",
        {"id": event["id"], "s": event["source"]},
    )
    assert len(lineage["touched"]) == len(expected) == event["n"] and not lineage["truncated"]
    assert data(client, query, {"id": "no-such-event"})["eventLineage"] is None

    # and back: from one of those entities, its events in time order include this one
    first = lineage["touched"][0]["node"]
    events = data(
        client,
        "query($c: String!, $k: String!) { entityEvents(class: $c, key: $k, limit: 500, oldestFirst: true) "
        "{ id time role } }",
        {"c": first["class"], "k": first["key"]},
    )["entityEvents"]
    assert event["id"] in {e["id"] for e in events}
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
