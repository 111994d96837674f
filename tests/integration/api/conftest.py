"""A small simulated plant (seed 3, three days), loaded once for the API tests, and the app on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.conftest import auth, free_port, keyed, reset_database
from tests.integration.api.spy import CountingStore
from tests.support.paths import REPO


@pytest.fixture(scope="package")
def plant(
    neo4j_settings: Settings, session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    """The simulated events, loaded into an emptied database through the loaders' pipeline."""
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=tmp_path_factory.mktemp("api-loader"),
    )
    parts = load_parts(settings)
    reset_database(session_store)
    apply_schema(session_store, parts.model)
    events = simulate(seed=3, days=3)
    records = [Record(orjson.dumps(e), f"api-test:{i}") for i, e in enumerate(events)]
    stats = build_pipeline(parts, session_store).run(records)
    assert stats.rejected_total == 0
    return events


@pytest.fixture(scope="package")
def model() -> DomainModel:
    return load_model(REPO / "ontology")


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
