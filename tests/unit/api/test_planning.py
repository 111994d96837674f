"""From GraphQL queries to the statements sent, with a fake store (no Neo4j): the planner's output."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import strawberry

from graph_service.api.graphql import make_schema
from graph_service.ontology.model import DomainModel
from tests.unit.api.fakes import FakeStore


@pytest.fixture(scope="module")
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture(scope="module")
def schema(model: DomainModel, store: FakeStore) -> strawberry.Schema:
    return make_schema(model, store)


def run(schema: strawberry.Schema, store: FakeStore, query: str, **variables: Any) -> list[tuple[str, dict]]:
    store.statements.clear()
    result = asyncio.run(schema.execute(query, variable_values=variables))
    assert not result.errors, result.errors
    return list(store.statements)


def test_a_nested_selection_with_variables_is_one_statement(
    schema: strawberry.Schema, store: FakeStore
) -> None:
    statements = run(
        schema,
        store,
        """query($n: Int!, $from: Date) { salesOrders(first: 3, where: {orderDate: {gte: $from}},
            orderBy: [{field: orderDate, direction: DESC}]) { edges { cursor node { salesOrderNumber
            hasItem(first: $n) { itemNumber orderedMaterial { materialNumber } } } } } }""",
        n=2,
        **{"from": "2026-01-06"},
    )
    assert len(statements) == 1
    text, params = statements[0]
    assert text == (
        "CALL () {\n"
        "  MATCH (n0:`SalesOrder`)\n"
        "  WHERE n0.`orderDate` >= $p0\n"
        "  WITH n0\n"
        "  ORDER BY n0.`orderDate` DESC, n0.`salesOrderNumber`\n"
        "  SKIP $p1 LIMIT $p2\n"
        "  RETURN collect(n0 {\n"
        "    .`salesOrderNumber`,\n"
        "    `hasItem`: COLLECT {\n"
        "      MATCH (n0)<-[:`ITEM_OF`]-(n1)\n"
        "      WITH n1 ORDER BY n1.`salesOrderItemId` LIMIT $p3\n"
        "      RETURN n1 {\n"
        "        .`itemNumber`,\n"
        "        `orderedMaterial`: head([(n1)-[:`ORDERED_MATERIAL`]->(n2) | n2 {.`materialNumber`}])\n"
        "      }\n"
        "    }\n"
        "  }) AS nodes\n"
        "}\n"
        "RETURN nodes"
    )
    assert str(params["p0"]) == "2026-01-06" and params["p1"] == 0 and params["p2"] == 4 and params["p3"] == 2


def test_a_superclass_reads_labels_and_the_fields_of_every_fragment(
    schema: strawberry.Schema, store: FakeStore
) -> None:
    (statement,) = run(
        schema,
        store,
        '{ equipment(equipmentId: "X") { __typename name ... on WorkCenter { costCenter } '
        "...unit } } fragment unit on WorkUnit { workUnitType partOf { equipmentId } }",
    )
    text = statement[0]
    assert "__labels: labels(n0)" in text and "__labels: labels(n1)" in text
    assert ".`costCenter`" in text and ".`workUnitType`" in text and "PART_OF" in text
    assert "WorkCenter" not in text.split("\n")[0]  # matched by the superclass label only


def test_every_root_field_is_one_statement_and_the_ontology_none(
    schema: strawberry.Schema, store: FakeStore
) -> None:
    statements = run(
        schema,
        store,
        '{ a: lots { totalCount } b: lots { nodes { lotNumber } } lot(lotNumber: "x") { lotNumber } '
        "ontology { version } }",
    )
    assert len(statements) == 3


def test_only_count_when_total_count_is_asked(schema: strawberry.Schema, store: FakeStore) -> None:
    (statement,) = run(schema, store, "{ lots { pageInfo { hasNextPage } } }")
    assert "count(" not in statement[0] and "collect(n0 {})" in statement[0]
    (statement,) = run(schema, store, "{ lots(first: 0) { totalCount } }")
    assert "collect" not in statement[0]


@pytest.mark.parametrize(
    "query",
    [
        "{ lots(first: 1001) { totalCount } }",
        "{ salesOrders { nodes { hasItem(first: 5000) { itemNumber } } } }",
        '{ lots(after: "nope") { totalCount } }',
    ],
)
def test_bad_arguments_are_client_errors_before_any_statement(
    schema: strawberry.Schema, store: FakeStore, query: str
) -> None:
    store.statements.clear()
    result = asyncio.run(schema.execute(query))
    assert result.errors and result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert store.statements == []


def test_date_and_datetime_fields_are_asked_of_neo4j_as_text_and_other_fields_as_values(
    schema: strawberry.Schema, store: FakeStore
) -> None:
    (statement,) = run(
        schema,
        store,
        "{ salesOrders(first: 5) { nodes { salesOrderNumber orderDate due: requestedDeliveryDate "
        "firstEventTime orderedBy { customerNumber } } } }",
    )
    text = statement[0]
    for prop in ("orderDate", "requestedDeliveryDate"):
        assert re.search(rf"`{prop}`: head\(\[(n\d) IN \[n0.`{prop}`\] \| CASE WHEN \1 IS :: DATE AND", text)
    assert re.search(
        r"`firstEventTime`: head\(\[(n\d) IN \[n0.`firstEventTime`\] \| CASE WHEN \1 IS :: ZONED DATETIME",
        text,
    )
    assert ".`salesOrderNumber`" in text and ".`customerNumber`" in text  # strings: as they are
