"""Shared fixtures: a real Neo4j for the whole session, and a clean database per test.

The server is the project's own local Neo4j (started on a free port with a temporary data
directory and stopped at the end), or the one named by NEO4J_URI when that is set.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from graph_service.ontology.model import DomainModel
from graph_service.security import hash_key
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j

TEST_PASSWORD = "digispine-test-pw"

#: API keys of the tests: name -> (key, roles). Only their SHA-256 goes into the settings.
TEST_KEYS: dict[str, tuple[str, str]] = {
    "admin": ("dsk_test-admin-key", "admin"),
    "reader": ("dsk_test-reader-key", "reader"),
    "analyst": ("dsk_test-analyst-key", "analyst"),
    "hr": ("dsk_test-hr-key", "reader,personal-data"),
    "sales": ("dsk_test-sales-key", "sales"),
}


def keyed(settings: Settings, **updates: object) -> Settings:
    """``settings`` with the test API keys configured (and any other ``updates``). The RDF view is
    refreshed and the data products validated only on demand unless ``rdf_refresh_s`` or
    ``product_validation_s`` is given, so tests decide when they run."""
    entries = ";".join(f"{name}:{hash_key(key)}:{roles}" for name, (key, roles) in TEST_KEYS.items())
    return settings.model_copy(
        update={"api_keys": SecretStr(entries), "rdf_refresh_s": 0, "product_validation_s": 0, **updates}
    )


def auth(name: str) -> dict[str, str]:
    """Headers that present the test key ``name``."""
    return {"Authorization": f"Bearer {TEST_KEYS[name][0]}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a real, running Neo4j."""
    if os.environ.get("NEO4J_URI"):
        yield load_settings()
        return
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("neo4j-session"),
        neo4j_bolt_port=free_port(),
        neo4j_password=TEST_PASSWORD,
        neo4j_uri=None,
    )
    local = LocalNeo4j(settings)
    local.start()
    try:
        yield load_settings(
            data_dir=settings.data_dir,
            neo4j_bolt_port=settings.neo4j_bolt_port,
            neo4j_password=TEST_PASSWORD,
            neo4j_uri=f"bolt://127.0.0.1:{settings.neo4j_bolt_port}",
        )
    finally:
        local.stop()


@pytest.fixture(scope="session")
def session_store(neo4j_settings: Settings) -> Iterator[Neo4jStore]:
    with Neo4jStore(neo4j_settings) as store:
        yield store


def reset_database(store: Neo4jStore) -> None:
    """Empty the database: nodes, relationships, constraints and our indexes."""
    drops = [
        f"DROP CONSTRAINT `{row['name']}` IF EXISTS" for row in store.read("SHOW CONSTRAINTS YIELD name")
    ]
    drops += [
        f"DROP INDEX `{row['name']}` IF EXISTS"
        for row in store.read(
            "SHOW INDEXES YIELD name, type, owningConstraint "
            "WHERE type <> 'LOOKUP' AND owningConstraint IS NULL"
        )
    ]
    if drops:
        # One schema transaction for all of them: one each made the reset of a loaded schema
        # (about 40 items) take seconds, in nearly every test that loads events.
        def drop_all() -> None:
            with store.driver.session(database=store.database) as session:
                session.execute_write(lambda tx: [tx.run(statement).consume() for statement in drops])

        store.call(drop_all)
    store.write("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")


@pytest.fixture()
def store(session_store: Neo4jStore) -> Neo4jStore:
    """The session's store, on an empty database."""
    reset_database(session_store)
    return session_store


@pytest.fixture(scope="session")
def model() -> DomainModel:
    """The shipped ontology, compiled once for the session (a module testing another ontology
    defines a ``model`` of its own)."""
    from graph_service.ontology.compiler import load_model
    from tests.support.paths import ONTOLOGY_DIR

    return load_model(ONTOLOGY_DIR)


# A real Kafka broker for the tests that stream (started once, on first use).
from tests.integration.kafka_fixtures import kafka_settings  # noqa: E402,F401


@pytest.fixture(scope="session")
def mqtt_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings whose ``mqtt_address`` names a real, running MQTT broker: the project's own
    mosquitto on a free port (started once, on first use), or DIGISPINE_MQTT_BROKER when set."""
    from graph_service.mqtt.local_mosquitto import LocalMosquitto

    settings = load_settings()
    if settings.external_mqtt:
        yield settings
        return
    broker = LocalMosquitto(tmp_path_factory.mktemp("mqtt-session"), free_port())
    broker.start()
    try:
        yield load_settings(mqtt_port=broker.port, mqtt_broker=None)
    finally:
        broker.stop(timeout=15.0)
