"""The per-caller rate limit bound to HTTP and websockets: who a caller is, what a refusal says.

:class:`~graph_service.api.auth.AuthMiddleware` asks :class:`CallerLimits` once per request to a
keyed path (GraphQL, ``/cypher``, ``/sparql``, products, catalog, metrics) and once per websocket
handshake; the graphql-transport-ws handler asks once per ``subscribe`` message. The open pages
and health checks are not counted (static, or free). A refusal is HTTP 429 with ``Retry-After``
and a message naming the limit and its settings; on ``/graphql`` a GraphQL error body with
``extensions.code`` ``RATE_LIMITED``, on a websocket an ``error`` message for that operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import Send

from graph_service.security.ratelimit import RateLimit, RateLimiter, Refusal
from graph_service.settings import Settings

#: ``extensions.code`` of a GraphQL request or subscription refused by the rate limit.
RATE_LIMITED = "RATE_LIMITED"
#: Where the scope keeps the caller a websocket's handshake was counted for.
CALLER_SCOPE_KEY = "digispine.rate_caller"

#: The way-in label of websocket handshakes and ``subscribe`` messages.
WEBSOCKET_WAY = "graphql-ws"
#: The way-in label of the refusals' metric, by path prefix (a caller cannot grow the label set).
_WAYS = (
    ("/graphql", "graphql"),
    ("/cypher", "cypher"),
    ("/sparql", "sparql"),
    ("/products/", "products"),
    ("/catalog", "catalog"),
    ("/metrics", "metrics"),
)


def caller_of(principal_name: str | None, client: tuple[str, int] | None) -> str:
    """Whose bucket a request spends: its API key's (by name) or, without a key, its address
    (behind a reverse proxy, the address uvicorn takes from ``X-Forwarded-For``)."""
    if principal_name is not None:
        return f"API key {principal_name!r}"
    return f"client address {client[0] if client else 'unknown'}"


def way_of(path: str) -> str:
    """The metric label of ``path``: one of a fixed few."""
    return next((way for prefix, way in _WAYS if path.startswith(prefix)), "other")


class CallerLimits:
    """One process's rate limit: its buckets, and ``on_refused(way)`` counting each refusal."""

    def __init__(self, limiter: RateLimiter, on_refused: Callable[[str], None] = lambda way: None) -> None:
        self.limiter = limiter
        self.on_refused = on_refused

    @classmethod
    def from_settings(
        cls, settings: Settings, on_refused: Callable[[str], None] = lambda way: None
    ) -> CallerLimits | None:
        """The limit ``DIGISPINE_RATE_LIMIT_*`` configure; None when it is switched off."""
        limit = RateLimit.from_settings(settings)
        return cls(RateLimiter(limit), on_refused) if limit is not None else None

    def check(self, caller: str, way: str) -> Refusal | None:
        """Spend one of ``caller``'s requests on ``way``; the refusal when none is left."""
        refusal = self.limiter.take(caller)
        if refusal is not None:
            self.on_refused(way)
        return refusal


def graphql_error(refusal: Refusal) -> dict[str, Any]:
    """The refusal as one GraphQL error (for ``errors`` and websocket ``error`` messages)."""
    return {
        "message": refusal.message,
        "extensions": {"code": RATE_LIMITED, "retryAfter": refusal.retry_after},
    }


def response_parts(refusal: Refusal, path: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The 429's body and headers: a GraphQL error body on ``/graphql``, else the middleware's
    own error shape (as its 401: ``{"error": …, "detail": …}``)."""
    if way_of(path) == "graphql":
        content: dict[str, Any] = {"data": None, "errors": [graphql_error(refusal)]}
    else:
        content = {"error": "rate_limited", "detail": refusal.message}
    body = orjson.dumps(content)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(refusal.retry_after).encode()),
    ]
    return body, headers


async def send_refusal(send: Send, refusal: Refusal, path: str) -> None:
    """Answer an HTTP request 429."""
    body, headers = response_parts(refusal, path)
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
