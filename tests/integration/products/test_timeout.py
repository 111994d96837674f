"""A data product query is stopped by Neo4j after the GraphQL timeout, and the client gets a
QUERY_TIMEOUT error naming the product instead of waiting for it."""

from __future__ import annotations

import asyncio
from typing import Any

from graph_service.products import DataProducts, build_data_products
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.integration.products.conftest import SHIPPED, schema_of

#: Runs for minutes unless stopped.
SLOW = "UNWIND range(1, 400000000) AS x WITH x WHERE x = -1 RETURN count(x) AS n"


class SlowStore:
    """The real store, running a slow statement in place of every product query."""

    def __init__(self, store: Neo4jStore) -> None:
        self._store = store

    def read(self, cypher: str, parameters: Any = None, *, timeout_s: float | None = None) -> Any:
        return self._store.read(SLOW, {}, timeout_s=timeout_s)


def test_a_slow_product_is_stopped_and_reported_as_a_timeout(
    products: DataProducts, store: Neo4jStore
) -> None:
    products.runner.store = SlowStore(store)  # type: ignore[assignment]
    products.runner.timeout_s = 0.5
    result = asyncio.run(schema_of(products).execute("{ orderFulfillment { salesOrderNumber } }"))
    assert result.data == {"orderFulfillment": None}
    assert result.errors is not None and len(result.errors) == 1
    error = result.errors[0]
    assert error.extensions["code"] == "QUERY_TIMEOUT"  # type: ignore[index]
    assert error.extensions["product"].startswith("orderFulfillment")  # type: ignore[index]
    assert "0.5 s" in error.message and "orderFulfillment" in error.message


def test_products_built_from_settings_take_the_graphql_timeout(
    neo4j_settings: Settings, store: Neo4jStore, model: Any
) -> None:
    settings = neo4j_settings.model_copy(update={"graphql_timeout_s": 7.0})
    assert build_data_products(settings, model, store).timeout_s == 7.0
    assert build_data_products(SHIPPED, model, store).timeout_s is None
