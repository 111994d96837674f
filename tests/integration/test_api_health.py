"""Liveness and readiness of the HTTP API against the real Neo4j, and when it is down."""

from __future__ import annotations

from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings, load_settings
from tests.conftest import TEST_PASSWORD, free_port


def test_readyz_answers_200_with_the_neo4j_version(neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["neo4j"]["version"].startswith("5.")
    assert body["neo4j"]["edition"] in {"community", "enterprise"}


def test_readyz_answers_503_with_the_reason_when_neo4j_is_down() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    settings = load_settings(neo4j_uri=uri, neo4j_password=TEST_PASSWORD)
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert uri in ready.json()["reason"]
    assert TEST_PASSWORD not in ready.text
