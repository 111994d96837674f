"""Hostile text in every string argument returns no extra data and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import GraphQLObjectType

from graph_service.store import Neo4jStore
from tests.integration.api.conftest import data, post

ATTACKS = [
    "' OR 1=1 //",
    '" OR 1=1 //',
    "}) DETACH DELETE n //",
    "x'}) MATCH (m) DETACH DELETE m RETURN m //",
    "`) DETACH DELETE n //",
    "`Lot`",
    "$p0",
    "\\u0027 OR true",
    "SO-000001' OR '1'='1",
]


def graph_state(graph: Neo4jStore) -> dict[str, Any]:
    return graph.read(
        "MATCH (n) WITH count(n) AS nodes, sum(size(keys(n))) AS props "
        "RETURN nodes, props, COUNT { ()-[]->() } AS rels"
    )[0]


@pytest.fixture()
def unchanged(graph: Neo4jStore) -> Any:
    before = graph_state(graph)
    yield
    assert graph_state(graph) == before


def test_every_key_lookup_argument(client: TestClient, unchanged: None) -> None:
    schema = client.app.state.schema._schema  # type: ignore[attr-defined]
    lookups = [  # the generated key lookups: nullable objects taking only strings
        (name, field)
        for name, field in schema.query_type.fields.items()
        if name != "ontology"
        and isinstance(field.type, GraphQLObjectType)
        and field.args
        and all(str(arg.type) == "String!" for arg in field.args.values())
    ]
    assert len(lookups) > 50
    for name, field in lookups:
        arguments = ", ".join(f"{arg}: $v" for arg in field.args)
        query = f"query($v: String!) {{ {name}({arguments}) {{ __typename }} }}"
        for attack in ATTACKS:
            body = post(client, query, {"v": attack})
            assert body["data"] == {name: None}, (name, attack, body)
            if "class" in field.args:
                # The explorer's fields look a class name up in the model before any statement is
                # built: hostile text is an unknown class, said as such (never Cypher text).
                (error,) = body["errors"]
                assert error["extensions"]["code"] == "BAD_USER_INPUT", (name, attack, error)
                assert error["message"].startswith("unknown class"), (name, attack, error)
            else:
                assert not body.get("errors"), (name, attack, body["errors"])


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_on_a_coded_property_is_refused_as_an_unknown_code(
    client: TestClient, unchanged: None, attack: str
) -> None:
    # Inspection.result takes a code list (what every write of it keeps to): any other value is an
    # error naming the codes, before a statement is built.
    query = (
        "query($v: String!) { lots(where: {inspectionsViaInspectsLot: {some: {result: {eq: $v}}}})"
        " { totalCount } }"
    )
    body = post(client, query, {"v": attack})
    assert body.get("data") in (None, {"lots": None})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Inspection.result" in error["message"], error["message"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_string_filter_operator(client: TestClient, unchanged: None, attack: str) -> None:
    query = """query($v: String!, $l: [String!]!) {
      eq: lots(where: {lotNumber: {eq: $v}}) { totalCount }
      ne: lots(where: {lotNumber: {ne: $v}}) { totalCount }
      in: lots(where: {lotNumber: {in: $l}}) { totalCount }
      notIn: lots(where: {lotNumber: {notIn: $l}}) { totalCount }
      contains: lots(where: {lotNumber: {contains: $v}}) { totalCount }
      startsWith: lots(where: {lotNumber: {startsWith: $v}}) { totalCount }
      endsWith: lots(where: {lotNumber: {endsWith: $v}}) { totalCount }
      lt: lots(where: {lotNumber: {lt: $v}}) { totalCount }
      includes: lots(where: {sourceSystems: {includes: $v}}) { totalCount }
      related: lots(where: {inspectionsViaInspectsLot: {some: {inspectionId: {eq: $v}}}}) { totalCount }
      nested: salesOrders { nodes { hasItem(where: {salesOrderItemId: {eq: $v}}) { itemNumber } } }
      all: lots { totalCount } }"""
    result = data(client, query, {"v": attack, "l": [attack, attack + "'"]})
    total = result["all"]["totalCount"]
    expected = {
        "eq": 0,
        "ne": total,
        "in": 0,
        "notIn": total,
        "contains": 0,
        "startsWith": 0,
        "endsWith": 0,
        "includes": 0,
        "related": 0,
    }
    assert {k: result[k]["totalCount"] for k in expected} == expected
    assert all(order["hasItem"] == [] for order in result["nested"]["nodes"])
    assert result["lt"]["totalCount"] <= total


@pytest.mark.parametrize("attack", ATTACKS)
def test_cursors_languages_and_typed_scalars(client: TestClient, unchanged: None, attack: str) -> None:
    body = post(client, "query($v: String!) { lots(after: $v) { totalCount } }", {"v": attack})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert data(client, "query($v: String!) { ontology(lang: $v) { classes { label } } }", {"v": attack})
    for scalar, field in (
        ("Date", "orderDate"),
        ("DateTime", "lastEventTime"),
        ("Decimal", "totalNetAmount"),
    ):
        query = f"query($v: {scalar}!) {{ salesOrders(where: {{{field}: {{eq: $v}}}}) {{ totalCount }} }}"
        body = post(client, query, {"v": attack})
        assert body.get("data") is None and body["errors"], (scalar, body)


def test_literals_and_aliases_cannot_leave_graphql(client: TestClient, unchanged: None) -> None:
    body = post(client, '{ lots(where: {lotNumber: {eq: "\\"}) DETACH DELETE n //"}}) { totalCount } }')
    assert body["data"] == {"lots": {"totalCount": 0}}
    body = post(client, "{ `x`: lots { totalCount } }")
    assert body["data"] is None and "Syntax Error" in body["errors"][0]["message"]
    body = post(client, '{ lots(orderBy: [{field: "lotNumber) DETACH DELETE n //"}]) { totalCount } }')
    assert body["data"] is None and body["errors"]
