"""The limit of operations one websocket runs at once: the refusal carries a code, the limit and
its setting, and the socket stays open. Driven through the real route and handler over a tiny
schema whose subscription never ends (no Neo4j, no Kafka)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.testclient import TestClient

from graph_service.api.app import graphql_routes
from graph_service.api.graphql.subscription_sharing import SharedSubscriptions
from graph_service.api.graphql.subscription_transport import transport_handler
from graph_service.security import KeyRing, hash_key, parse_entries
from graph_service.settings import Settings

KEY = "dsk_unit-limit-key"
PROTOCOL = "graphql-transport-ws"


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def forever(self) -> AsyncGenerator[int, None]:
        yield 1
        await asyncio.Event().wait()  # open until the client completes it
        yield 2


def client(max_operations: int) -> TestClient:
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    sharing = SharedSubscriptions(schema, client_queue=16, max_tokens=1000, max_bytes=10_000)
    ring = KeyRing(parse_entries(f"unit:{hash_key(KEY)}:reader", "test"))
    handler = transport_handler(ring, sharing)
    app = Starlette(routes=graphql_routes(schema, websocket=handler, max_operations=max_operations))
    return TestClient(app)


def send_subscribe(ws: Any, operation: str) -> None:
    ws.send_json({"id": operation, "type": "subscribe", "payload": {"query": "subscription { forever }"}})


def next_reply(ws: Any) -> dict[str, Any]:
    """The next message that is not a running operation's ``next`` (an error, a pong)."""
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message.get("type") != "next":
            return message


def test_a_subscribe_beyond_the_sockets_limit_is_refused_with_a_code_naming_the_setting() -> None:
    with (
        client(max_operations=2) as test_client,
        test_client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {"apiKey": KEY}})
        assert ws.receive_json()["type"] == "connection_ack"
        send_subscribe(ws, "0")
        send_subscribe(ws, "1")
        send_subscribe(ws, "2")
        refused = next_reply(ws)
        assert (refused["type"], refused["id"]) == ("error", "2"), refused
        [error] = refused["payload"]
        assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": 2}
        assert "DIGISPINE_SUBSCRIPTION_MAX_PER_SOCKET=2" in error["message"]
        ws.send_json({"id": "0", "type": "complete"})  # one ends: room for another
        send_subscribe(ws, "3")
        ws.send_json({"type": "ping"})
        assert next_reply(ws)["type"] == "pong"  # "3" was not refused: its error would come first
        send_subscribe(ws, "4")  # full again
        refused = next_reply(ws)
        assert (refused["type"], refused["id"]) == ("error", "4"), refused


def test_the_limit_is_a_setting_with_the_documented_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGISPINE_SUBSCRIPTION_MAX_PER_SOCKET", raising=False)
    assert Settings().subscription_max_per_socket == 100
    monkeypatch.setenv("DIGISPINE_SUBSCRIPTION_MAX_PER_SOCKET", "5")
    assert Settings().subscription_max_per_socket == 5
