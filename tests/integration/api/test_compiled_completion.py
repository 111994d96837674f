"""Root fields completed in one walk answer byte for byte what graphql-core's field-by-field
completion answers, for every shape a selection can take (aliases, fragments, directives,
interfaces, edges and page info, masked personal data, nulls)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph_service.api.graphql import completion
from tests.conftest import auth

QUERIES: list[tuple[str, dict[str, Any]]] = [
    (
        "query($n: String!) { salesOrder(salesOrderNumber: $n) { __typename salesOrderNumber orderDate "
        "totalNetAmount status customer: orderedBy { customerNumber name } "
        "few: hasItem(first: 1) { itemNumber } hasItem(first: 3) { itemNumber orderedQuantity } } }",
        {"n": "SO-000001"},
    ),
    ('query { salesOrder(salesOrderNumber: "SO-none") { salesOrderNumber } }', {}),
    (
        "query($skip: Boolean!) { salesOrders(first: 5, orderBy: [{field: orderDate, direction: DESC}]) { "
        "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
        "edges { cursor node { ...order } } nodes { salesOrderNumber @skip(if: $skip) status } } } "
        "fragment order on SalesOrder { salesOrderNumber requestedDeliveryDate orderedBy { name } }",
        {"skip": True},
    ),
    (
        "{ equipmentList(first: 50) { nodes { __typename equipmentId name "
        "... on WorkCenter { partOf { equipmentId __typename } hasPart { equipmentId } } } } }",
        {},
    ),
    ("{ contacts(first: 20) { nodes { contactId fullName email phone } } }", {}),
    (
        "{ domainEvents(first: 30) { nodes { __typename eventType eventTime "
        "... on LotProduced { producedLot: affected { __typename } } } } }",
        {},
    ),
]


def _answer(client: TestClient, role: str, query: str, variables: dict[str, Any]) -> bytes:
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=auth(role))
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_compiled_answers_equal_field_by_field_answers(
    client: TestClient, role: str, caplog: pytest.LogCaptureFixture
) -> None:
    schema = client.app.state.schema  # type: ignore[attr-defined]
    with caplog.at_level(logging.DEBUG, logger=completion.__name__):
        compiled = [_answer(client, role, q, v) for q, v in QUERIES]
    assert not [r for r in caplog.records if r.name == completion.__name__], "a root field fell back"
    served = schema.execution_context_class
    schema.execution_context_class = completion.FieldByFieldExecutionContext
    try:
        plain = [_answer(client, role, q, v) for q, v in QUERIES]
    finally:
        schema.execution_context_class = served
    for (query, _), fast, slow in zip(QUERIES, compiled, plain, strict=True):
        assert fast == slow, query
        assert b'"errors"' not in fast, fast[:500]
