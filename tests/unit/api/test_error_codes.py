"""Every GraphQL error a client sees has an ``extensions.code``, the driver's own failures
(outside Neo4jError) included; the store turns them into errors naming the URI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from neo4j._exceptions import SocketDeadlineExceededError
from neo4j.exceptions import ConnectionAcquisitionTimeoutError, ServiceUnavailable

from graph_service.api.graphql import make_schema
from graph_service.errors import StoreNotAnswering, StoreUnavailable
from graph_service.ontology.model import DomainModel
from graph_service.settings import load_settings
from graph_service.store import Neo4jStore
from graph_service.store.failures import store_failure
from tests.unit.api.fakes import FakeStore

LOOKUP = "{ salesOrders(first: 1) { edges { node { salesOrderNumber } } } }"


class FailingStore(FakeStore):
    """Answers every statement by raising ``error`` as the driver would."""

    uri = "neo4j://db.example:7687"

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def run(self, query: Any, parameters: dict[str, Any]) -> Any:
        raise self.error


def codes(schema: strawberry.Schema, query: str, **variables: Any) -> list[tuple[str, str]]:
    result = asyncio.run(schema.execute(query, variable_values=variables))
    assert result.errors
    return [(e.extensions["code"], e.message) for e in result.errors]  # type: ignore[index]


@pytest.mark.parametrize(
    "error", [SocketDeadlineExceededError("write timed out"), ConnectionAcquisitionTimeoutError("pool")]
)
def test_a_driver_failure_reaching_a_resolver_is_graph_unavailable(
    model: DomainModel, error: Exception
) -> None:
    [(code, message)] = codes(make_schema(model, FailingStore(error)), LOOKUP)
    assert code == "GRAPH_UNAVAILABLE"
    assert "neo4j://db.example:7687 did not answer in time" in message and type(error).__name__ in message


def test_an_unexpected_error_is_internal_server_error(model: DomainModel) -> None:
    [(code, _)] = codes(make_schema(model, FailingStore(ZeroDivisionError("bug"))), LOOKUP)
    assert code == "INTERNAL_SERVER_ERROR"


def test_graphql_cores_own_errors_get_codes(model: DomainModel) -> None:
    schema = make_schema(model, FakeStore())
    assert codes(schema, "{ salesOrders(")[0][0] == "GRAPHQL_PARSE_FAILED"
    assert codes(schema, "{ noSuchField }")[0][0] == "GRAPHQL_VALIDATION_FAILED"
    query = "query($n: Int) { salesOrders(first: $n) { totalCount } }"
    assert codes(schema, query, n="three")[0][0] == "BAD_USER_INPUT"


def test_a_code_the_layer_chose_is_kept(model: DomainModel) -> None:
    schema = make_schema(model, FakeStore())
    [(code, _)] = codes(schema, "{ salesOrders(first: 100000) { totalCount } }")
    assert code == "BAD_USER_INPUT"


def test_the_store_turns_the_drivers_connection_failures_into_its_own_errors() -> None:
    settings = load_settings(neo4j_uri="neo4j://127.0.0.1:9")
    with Neo4jStore(settings, max_attempts=1) as store:

        def deadline() -> None:
            raise SocketDeadlineExceededError("read timed out")

        with pytest.raises(StoreNotAnswering, match=r"127\.0\.0\.1:9 did not answer in time"):
            store.call(deadline)
    assert isinstance(store_failure(ServiceUnavailable("gone"), "u"), StoreUnavailable)
    assert isinstance(store_failure(ConnectionAcquisitionTimeoutError("pool"), "u"), StoreNotAnswering)
    assert store_failure(ValueError("a bug"), "u") is None
