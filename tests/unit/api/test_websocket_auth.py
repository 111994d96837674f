"""AuthMiddleware at a websocket handshake, driven as ASGI: who gets through, and how a refusal
looks to a server with and without the ``websocket.http.response`` extension."""

from __future__ import annotations

import asyncio
from typing import Any

from graph_service.api.auth import AuthMiddleware
from graph_service.security import KeyRing, current_principal, hash_key, parse_entries

KEY = "dsk_unit-reader-key"


def handshake(
    ring: KeyRing, headers: list[tuple[bytes, bytes]], *, extension: bool
) -> tuple[list[Any], list[str]]:
    """The messages the middleware sent and the principals the app saw."""
    sent: list[Any] = []
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(current_principal().name)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/healthz",  # an open path for HTTP: still no key-less websocket
        "headers": headers,
        "extensions": {"websocket.http.response": {}} if extension else {},
    }
    middleware = AuthMiddleware(app, keyring=ring, open_paths=lambda method, path: True)
    asyncio.run(middleware(scope, receive, send))
    return sent, seen


def ring(anonymous: tuple[str, ...] = ()) -> KeyRing:
    return KeyRing(parse_entries(f"unit:{hash_key(KEY)}:reader", "test"), anonymous)


def test_a_key_in_the_headers_connects_as_its_principal() -> None:
    for header in ((b"authorization", f"Bearer {KEY}".encode()), (b"x-api-key", KEY.encode())):
        sent, seen = handshake(ring(), [header], extension=True)
        assert seen == ["unit"] and sent == []


def test_a_wrong_key_is_answered_401_where_the_server_can() -> None:
    sent, seen = handshake(ring(), [(b"authorization", b"Bearer dsk_wrong")], extension=True)
    assert seen == []
    assert sent[0]["type"] == "websocket.http.response.start" and sent[0]["status"] == 401
    assert (b"www-authenticate", b'Bearer realm="digispine"') in sent[0]["headers"]
    assert b"unauthorized" in sent[1]["body"]


def test_without_a_key_the_socket_opens_holding_no_role_until_connection_init() -> None:
    # a browser cannot set websocket headers: the GraphQL handler takes the key from
    # connection_init (tests/unit/api/test_subscriptions.py, tests/integration/api/test_subscriptions.py)
    sent, seen = handshake(ring(), [], extension=True)
    assert seen == ["unauthenticated"] and sent == []


def test_without_the_extension_the_handshake_is_closed_before_it_is_accepted() -> None:
    sent, seen = handshake(ring(), [(b"x-api-key", b"dsk_wrong")], extension=False)
    assert seen == [] and [m["type"] for m in sent] == ["websocket.close"]


def test_anonymous_roles_apply_to_websockets_as_to_http() -> None:
    sent, seen = handshake(ring(("reader",)), [], extension=True)
    assert seen == ["anonymous"] and sent == []
