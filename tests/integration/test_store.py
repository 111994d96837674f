"""The store layer: health of the real server, and errors that help without leaking secrets."""

from __future__ import annotations

import pytest

from graph_service.errors import StoreAuthError, StoreUnavailable
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from tests.conftest import free_port


def test_health_reports_version_and_edition(store: Neo4jStore) -> None:
    info = store.health()
    assert info.version.startswith("5.")
    assert info.edition == "community" or info.edition == "enterprise"
    assert info.uri == store.uri


def test_reads_and_writes_round_trip(store: Neo4jStore) -> None:
    counters = store.write("UNWIND range(1, 5) AS i CREATE (:Probe {i: i})")
    assert counters.nodes_created == 5
    rows = store.read("MATCH (p:Probe) RETURN sum(p.i) AS total")
    assert rows == [{"total": 15}]


def test_unreachable_server_error_names_the_uri_and_hides_the_password() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    settings = load_settings(neo4j_uri=uri, neo4j_password="hidden-password-123")
    with (
        Neo4jStore(settings, connection_timeout=1.0, max_attempts=2, base_delay=0.01) as store,
        pytest.raises(StoreUnavailable) as info,
    ):
        store.health()
    message = str(info.value)
    assert uri in message
    assert "digispine neo4j start" in message
    assert "hidden-password-123" not in message


def test_wrong_password_is_reported_as_an_auth_error(neo4j_settings: Settings) -> None:
    settings = load_settings(neo4j_uri=neo4j_settings.bolt_uri, neo4j_password="definitely-wrong-pw")
    with Neo4jStore(settings) as store, pytest.raises(StoreAuthError) as info:
        store.health()
    assert "NEO4J_PASSWORD" in str(info.value)
    assert "definitely-wrong-pw" not in str(info.value)
