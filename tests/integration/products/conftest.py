"""Fixtures of the data product tests: the model, the fixed plant, the products, a small API.

The API here is a stand-in for the one in graph_service/api: it mounts the products exactly as
that one is meant to (root query merged, extension installed, router included).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
from fastapi import FastAPI
from fastapi.testclient import TestClient
from strawberry.fastapi import GraphQLRouter
from strawberry.tools import merge_types

from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, ProductPaths, ProductViolationsExtension, build_data_products
from graph_service.store import Neo4jStore
from tests.integration.products.dataset import load_fixed_plant
from tests.support.paths import REPO

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED = ProductPaths((REPO / "queries",), (REPO / "shapes" / "products",))
WITH_BROKEN = ProductPaths(
    (REPO / "queries", FIXTURES / "queries"), (REPO / "shapes" / "products", FIXTURES / "shapes")
)


@pytest.fixture()
def fixed_plant(store: Neo4jStore) -> Neo4jStore:
    """The clean database with the hand-written plant of dataset.py."""
    load_fixed_plant(store)
    return store


@pytest.fixture()
def products(fixed_plant: Neo4jStore, model: DomainModel) -> DataProducts:
    return build_data_products(SHIPPED, model, fixed_plant)


@pytest.fixture()
def broken_products(store: Neo4jStore, model: DomainModel) -> DataProducts:
    """The shipped products plus the deliberately broken ones of fixtures/."""
    return build_data_products(WITH_BROKEN, model, store)


def schema_of(products: DataProducts) -> strawberry.Schema:
    return strawberry.Schema(
        query=merge_types("Query", (products.query_type,)), extensions=[ProductViolationsExtension]
    )


def make_app(products: DataProducts) -> FastAPI:
    app = FastAPI()
    app.include_router(GraphQLRouter(schema_of(products)), prefix="/graphql")
    app.include_router(products.router)
    return app


@pytest.fixture()
def client(products: DataProducts) -> Iterator[TestClient]:
    with TestClient(make_app(products)) as test_client:
        yield test_client


def execute(products: DataProducts, query: str, variables: dict[str, Any] | None = None) -> Any:
    """Run a GraphQL operation in-process; fails the test on GraphQL errors."""
    result = asyncio.run(schema_of(products).execute(query, variable_values=variables))
    assert result.errors is None, result.errors
    return result.data
