"""What a GraphQL request over HTTP must pass before strawberry reads it.

The caller must hold a role that grants some GraphQL access (``reader``, or an access role of a
served data product; ``admin`` holds every role): anyone else is answered 403 before the body is
read, so an unprivileged key costs the server no parsing or validation at all. The body (the
document and its variables) may have at most ``max_body_bytes``: a larger one is answered 413,
by its ``Content-Length`` before reading it or once the bytes read pass the limit. Both answers
carry a GraphQL error body (``errors[0].extensions.code`` ``FORBIDDEN`` / ``DOCUMENT_TOO_LARGE``).
The document's own limits are checked later, by :mod:`graph_service.api.graphql.document_gate`.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph_service.api.graphql.errors import DOCUMENT_TOO_LARGE, FORBIDDEN
from graph_service.security import current_principal


class GraphQLRequestGate:
    """ASGI wrapper of the GraphQL app: role and body-size checks on ``POST`` requests."""

    def __init__(self, app: ASGIApp, *, access_roles: Iterable[str], max_body_bytes: int) -> None:
        self.app = app
        self.access_roles = tuple(sorted(set(access_roles)))
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        principal = current_principal()
        if not principal.has_any(self.access_roles):
            message = (
                f"{principal.name} may not use the GraphQL API: it needs one of the roles "
                f"{', '.join(self.access_roles)}"
            )
            await _answer(send, 403, message, FORBIDDEN)
            return
        if _declared_length(scope) > self.max_body_bytes:
            await self._too_large(send)
            return
        body = await self._read_body(receive)
        if body is None:
            await self._too_large(send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit (then the rest is not read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        message = (
            f"the request body is larger than {self.max_body_bytes} bytes (DIGISPINE_GRAPHQL_MAX_BODY_BYTES)"
        )
        await _answer(send, 413, message, DOCUMENT_TOO_LARGE)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then what the client sends next."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _answer(send: Send, status: int, message: str, code: str) -> None:
    body = orjson.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
