"""Liveness and readiness of the HTTP API against the real Neo4j, and when it is down."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.cli.main import _say_if_neo4j_refuses
from graph_service.errors import StoreAuthError
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
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


# -- a wrong password ----------------------------------------------------------------------------

PROBE_USER = "readyz-probe"  # a user of its own: Neo4j counts failed logins per user and locks it
PROBE_PASSWORD = "the-probe-password"
LOCKED_OUT = "incorrect authentication details too many times in a row"


@pytest.fixture()
def probe_user(session_store: Neo4jStore) -> str:
    with session_store.driver.session(database="system") as session:
        session.run(
            "CREATE OR REPLACE USER $user SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
            user=PROBE_USER,
            password=PROBE_PASSWORD,
        ).consume()
    return PROBE_USER


def logins(caplog: pytest.LogCaptureFixture, user: str) -> int:
    """Logins the driver sent for ``user`` (its debug log shows each Bolt LOGON, credentials masked)."""
    return sum(1 for r in caplog.records if "C: LOGON" in r.getMessage() and repr(user) in r.getMessage())


def test_a_wrong_password_is_503_with_the_reason_and_never_trips_the_login_rate_limit(
    neo4j_settings: Settings, probe_user: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="neo4j")
    neo4j_log = neo4j_settings.data_dir / "neo4j" / "logs" / "neo4j.log"
    offset = neo4j_log.stat().st_size if neo4j_log.exists() else 0
    # The background work runs as in production (RDF view refresh, product validation): before,
    # their logins and the readiness checks tripped Neo4j's lock, and /readyz answered 500.
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri, neo4j_user=probe_user, neo4j_password="not-the-password"
    )
    with TestClient(create_app(settings)) as client:
        answers = [client.get("/readyz") for _ in range(6)]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["status"] == "unavailable"
        assert "NEO4J_PASSWORD" in body["reason"] and probe_user in body["reason"]
        assert "locked" not in body["reason"]
        assert "not-the-password" not in answer.text
    # At most one login per readiness check, background work included, and none retried: fewer
    # than the three failures after which Neo4j locks the user.
    assert 1 <= logins(caplog, probe_user) <= 3
    if neo4j_log.exists():  # the local server says so too
        with open(neo4j_log, "rb") as handle:
            handle.seek(offset)
            assert LOCKED_OUT not in handle.read().decode("utf-8", "replace")


def test_once_the_password_is_right_the_store_logs_in_again(
    neo4j_settings: Settings, session_store: Neo4jStore, probe_user: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="neo4j")
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri, neo4j_user=probe_user, neo4j_password="the-new-password"
    )
    with Neo4jStore(settings, auth_retry_after_s=0.5) as store:
        for _ in range(3):  # refused once by Neo4j, then at once by the store itself
            with pytest.raises(StoreAuthError, match="NEO4J_PASSWORD"):
                store.health()
        assert logins(caplog, probe_user) == 1
        with session_store.driver.session(database="system") as session:
            session.run(
                "ALTER USER $user SET PLAINTEXT PASSWORD 'the-new-password' CHANGE NOT REQUIRED",
                user=probe_user,
            ).consume()
        deadline = time.monotonic() + 10
        while True:
            try:
                assert store.health().version.startswith("5.")
                break
            except StoreAuthError:
                assert time.monotonic() < deadline, "the store never tried the login again"
                time.sleep(0.1)


def test_serve_says_at_start_up_that_neo4j_refuses_the_password(
    neo4j_settings: Settings, probe_user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri, neo4j_user=probe_user, neo4j_password="not-this-one"
    )
    with Neo4jStore(settings) as store:
        _say_if_neo4j_refuses(store)
    said = " ".join(capsys.readouterr().err.split())
    assert f"refused the credentials of user '{probe_user}'" in said
    assert "NEO4J_PASSWORD" in said and "/readyz answers 503" in said
