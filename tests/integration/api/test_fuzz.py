"""Generated queries (hypothesis-graphql) never make a server error: failures are GraphQL errors."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import GraphQLError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

hypothesis_graphql = pytest.importorskip("hypothesis_graphql")
nodes = hypothesis_graphql.nodes

#: Codes our resolvers give to errors the client can fix or the server reports on purpose.
EXPECTED_CODES = {"BAD_USER_INPUT", "QUERY_TIMEOUT", "COST_LIMIT_EXCEEDED", "FORBIDDEN"}
ROOT_FIELDS = ["salesOrders", "salesOrder", "equipmentList", "lots", "customer", "inspections", "ontology"]

SCALARS = {
    "Date": st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)).map(lambda d: nodes.String(d.isoformat())),
    "DateTime": st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)).map(
        lambda d: nodes.String(d.isoformat())
    ),
    "Decimal": st.decimals(-1e6, 1e6, places=3, allow_nan=False).map(lambda d: nodes.String(str(d))),
}


def test_generated_queries_give_data_or_graphql_errors_never_a_crash(client: TestClient) -> None:
    schema = client.app.state.schema  # type: ignore[attr-defined]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hypothesis_graphql.from_schema(schema.as_str(), fields=ROOT_FIELDS, custom_scalars=SCALARS))
    def run(query: str) -> None:
        response = client.post("/graphql", json={"query": query})
        assert response.status_code == 200, (query, response.text)
        result = asyncio.run(schema.execute(query))
        for error in result.errors or []:
            assert _expected(error), (query, error, error.original_error)

    run()


def _expected(error: GraphQLError) -> bool:
    original: Any = error.original_error
    if original is None:  # validation, depth and alias limits
        return True
    if isinstance(original, GraphQLError):
        return (original.extensions or {}).get("code") in EXPECTED_CODES
    return False
