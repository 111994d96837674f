"""The projection and completion walk kept per cached document (:mod:`selection_cache`) answer
every later request as the first, per caller: masking follows the caller, not the first one to
send the document; selections whose shape depends on variables are never kept."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import auth

# a text of its own (the comment): the same text sent by another test would already be kept
CONTACTS = "# selection cache\n{ contacts(first: 20) { nodes { contactId fullName email phone } } }"


def _body(client: TestClient, role: str, query: str, variables: dict[str, Any] | None = None) -> bytes:
    body = {"query": query, "variables": variables or {}}
    response = client.post("/graphql", json=body, headers=auth(role))
    assert response.status_code == 200, response.text
    assert b'"errors"' not in response.content, response.content[:500]
    return response.content


def _walks(client: TestClient) -> int:
    return len(client.app.state.schema.execution_context_class.walks)  # type: ignore[attr-defined]


def test_a_kept_selection_answers_each_caller_as_its_first_request_did(client: TestClient) -> None:
    before = _walks(client)
    first = {role: _body(client, role, CONTACTS) for role in ("reader", "hr")}
    assert _walks(client) > before, "the contacts walk was not kept"
    # The masked answer and the full one differ (else the test would not show the cache per caller).
    assert first["reader"] != first["hr"]
    assert b"maskedFields" in first["reader"] and b"maskedFields" not in first["hr"]
    for role in ("hr", "reader", "hr", "reader"):
        assert _body(client, role, CONTACTS) == first[role], role


def test_selections_that_depend_on_variables_follow_each_request(client: TestClient) -> None:
    skip = (
        'query($with: Boolean!) { salesOrder(salesOrderNumber: "SO-000001") '
        "{ salesOrderNumber orderDate @include(if: $with) } }"
    )
    nested = (
        'query($k: Int!) { salesOrder(salesOrderNumber: "SO-000001") { hasItem(first: $k) { itemNumber } } }'
    )
    before = _walks(client)
    for _ in range(2):
        with_date = _body(client, "admin", skip, {"with": True})
        without = _body(client, "admin", skip, {"with": False})
        assert b"orderDate" in with_date and b"orderDate" not in without
        one = _body(client, "admin", nested, {"k": 1})
        three = _body(client, "admin", nested, {"k": 3})
        # the estimated cost is the plan's nested limit: each request was planned with its own k
        assert b'"cost":1}' in one and b'"cost":3}' in three
    assert _walks(client) == before
