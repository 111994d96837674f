"""The per-caller rate limit on every keyed way in: GraphQL over HTTP, websocket handshakes and
subscribe messages, /cypher, /sparql; counted in /metrics. One app with a tiny limit (two
requests per caller, one more every ~17 minutes), so a test reaches it in three requests and
never waits for a refill."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.security import hash_key
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import keyed

PROTOCOL = "graphql-transport-ws"
BURST = 2
#: A key per test, so each spends a bucket of its own whatever the order.
KEYS = {
    "rl-gql": "reader",
    "rl-other": "reader",
    "rl-beside-anonymous": "reader",
    "rl-ws": "reader",
    "rl-ws-init": "reader",
    "rl-ws-handshake": "reader",
    "rl-cypher": "analyst",
    "rl-sparql": "analyst",
    "rl-metrics": "metrics",
}


def key_of(name: str) -> str:
    return f"dsk_test-{name}-key"


def headers(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key_of(name)}"}


@pytest.fixture(scope="module")
def client(session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings) -> Iterator[TestClient]:
    entries = ";".join(f"{name}:{hash_key(key_of(name))}:{roles}" for name, roles in KEYS.items())
    settings = keyed(
        neo4j_settings,
        api_keys=SecretStr(entries),
        anonymous_roles="reader",
        rate_limit_per_s=0.001,
        rate_limit_burst=BURST,
    )
    app = create_app(settings, session_store, model=model, data_products=False)
    with TestClient(app) as test_client:
        yield test_client


def typename(client: TestClient, name: str | None) -> Any:
    return client.post("/graphql", json={"query": "{ __typename }"}, headers=headers(name) if name else {})


def test_graphql_over_the_limit_is_429_rate_limited_naming_the_limit_and_counted(client: TestClient) -> None:
    assert [typename(client, "rl-gql").status_code for _ in range(BURST)] == [200] * BURST
    refused = typename(client, "rl-gql")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
    assert "API key 'rl-gql'" in error["message"] and "DIGISPINE_RATE_LIMIT_PER_S" in error["message"]
    assert typename(client, "rl-other").status_code == 200  # another caller is served meanwhile
    assert client.get("/healthz").status_code == 200  # open paths are not counted
    metrics = client.get("/metrics", headers=headers("rl-metrics")).text
    [count] = re.findall(r'^digispine_rate_limited_requests_total\{way="graphql"\} (\S+)$', metrics, re.M)
    assert float(count) >= 1


def test_cypher_and_sparql_are_limited_per_key(client: TestClient) -> None:
    cypher = [
        client.post("/cypher", json={"query": "RETURN 1 AS one"}, headers=headers("rl-cypher"))
        for _ in range(BURST + 1)
    ]
    assert [r.status_code for r in cypher] == [200] * BURST + [429]
    assert cypher[-1].json()["error"] == "rate_limited"
    assert "API key 'rl-cypher'" in cypher[-1].json()["detail"]
    assert "retry-after" in cypher[-1].headers
    # an unsupported body type is answered 415 by the route; the third request never reaches it
    sparql = [
        client.post("/sparql", content=b"x", headers={**headers("rl-sparql"), "Content-Type": "text/plain"})
        for _ in range(BURST + 1)
    ]
    assert [r.status_code for r in sparql] == [415] * BURST + [429]


def subscribe(ws: Any, operation: str) -> dict[str, Any]:
    """Send a subscribe that fails validation at once (no Kafka needed); the server's answer."""
    ws.send_json({"id": operation, "type": "subscribe", "payload": {"query": "subscription { nope }"}})
    while True:
        message = ws.receive_json()
        if message.get("id") == operation and message["type"] in ("error", "complete", "next"):
            return message


def test_each_subscribe_message_spends_the_callers_bucket(client: TestClient) -> None:
    # the handshake with a header key spends one, so one subscribe is left
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers=headers("rl-ws")) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        first = subscribe(ws, "1")
        assert (
            first["type"] == "error"
            and first["payload"][0].get("extensions", {}).get("code") != "RATE_LIMITED"
        )
        refused = subscribe(ws, "2")
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert "API key 'rl-ws'" in refused["payload"][0]["message"]
        ws.send_json({"type": "ping"})  # the socket stays open
        assert ws.receive_json()["type"] == "pong"


def test_a_key_sent_in_connection_init_spends_that_keys_bucket(client: TestClient) -> None:
    # handshake with one key, connection_init with another: subscribes spend the second's bucket
    with client.websocket_connect(
        "/graphql", subprotocols=[PROTOCOL], headers=headers("rl-ws-handshake")
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": {"apiKey": key_of("rl-ws-init")}})
        assert ws.receive_json()["type"] == "connection_ack"
        answers = [subscribe(ws, str(n)) for n in range(BURST + 1)]
    codes = [a["payload"][0].get("extensions", {}).get("code") for a in answers]
    assert codes[-1] == "RATE_LIMITED" and "RATE_LIMITED" not in codes[:-1]
    assert "API key 'rl-ws-init'" in answers[-1]["payload"][0]["message"]


def test_callers_without_a_key_are_limited_by_their_address(client: TestClient) -> None:
    statuses = []
    for _ in range(BURST + 1):
        statuses.append(typename(client, None).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) <= {200}
    refused = typename(client, None)
    assert "client address testclient" in refused.json()["errors"][0]["message"]
    assert typename(client, "rl-beside-anonymous").status_code == 200
