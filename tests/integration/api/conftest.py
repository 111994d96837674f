"""A small simulated plant (seed 3, three days), loaded once for the API tests, and the app on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import auth, free_port, keyed
from tests.integration.api.spy import CountingStore
from tests.support.loading import load_simulated_plant


@pytest.fixture(scope="package")
def plant(
    neo4j_settings: Settings, session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    """The simulated events, loaded into an emptied database through the loaders' pipeline."""
    data_dir = tmp_path_factory.mktemp("api-loader")
    return load_simulated_plant(neo4j_settings, session_store, data_dir, seed=3, days=3, origin="api-test")


@pytest.fixture(scope="package")
def spy(session_store: Neo4jStore) -> CountingStore:
    return CountingStore(session_store)


@pytest.fixture(scope="package")
def client(
    plant: list[dict[str, Any]], spy: CountingStore, model: DomainModel, neo4j_settings: Settings
) -> Iterator[TestClient]:
    app = create_app(keyed(neo4j_settings), spy, model=model, data_products=False)  # type: ignore[arg-type]
    with TestClient(app, headers=auth("admin")) as test_client:
        yield test_client


@pytest.fixture()
def graph(session_store: Neo4jStore, plant: list[dict[str, Any]]) -> Neo4jStore:
    """The store for hand-written Cypher, to compute expectations independently of the API."""
    return session_store


def post(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole response body (data and errors); the HTTP status must be 200."""
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


def data(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of a query that must not fail."""
    body = post(client, query, variables)
    assert not body.get("errors"), body["errors"]
    return body["data"]


def events_of(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"].split(".")[2] == name]


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served by a real uvicorn (its own event loop, in a thread) at the URL yielded."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(15)
