"""Per HTTP request: its id (``X-Request-Id``, honoured or made), set for its log records and
returned in the response; its span; and one access log line with status and duration.

The outermost middleware of the app, so a request refused by authentication has an id, a span
and a log line too.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph_service.observability.logs import reset_request_id, use_request_id

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

access_log = logging.getLogger("digispine.access")

REQUEST_ID_HEADER = b"x-request-id"
#: What an incoming id may look like to be kept (else a new one is made): it lands in log lines
#: and response headers, so no spaces, quotes or control characters, and not too long.
_VALID_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-Id`` when it is a plausible id, else a new random one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _VALID_ID.fullmatch(value):
            return value.decode("ascii")
    return os.urandom(16).hex()  # 128 random bits, as a UUID4's, for a third of its cost


class RequestContextMiddleware:
    """Request id, span (with ``tracer``) and access log line of each HTTP request and websocket."""

    def __init__(self, app: ASGIApp, tracer: Tracer | None = None) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope.get("headers") or [])
        token = use_request_id(request_id)
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        started = time.perf_counter()
        try:
            if self.tracer is None:
                await self.app(scope, receive, send_with_id)
            else:
                await self._traced(scope, receive, send_with_id, status, request_id)
        finally:
            self._log(scope, status, time.perf_counter() - started)
            reset_request_id(token)

    async def _traced(
        self, scope: Scope, receive: Receive, send: Send, status: list[int], request_id: str
    ) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode

        assert self.tracer is not None
        method = scope.get("method", "WEBSOCKET")
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.path": scope.get("path", ""),
            "digispine.request_id": request_id,
        }
        with self.tracer.start_as_current_span(f"{method} {_route(scope)}", kind=SpanKind.SERVER) as span:
            span.set_attributes(attributes)
            await self.app(scope, receive, send)
            if status:
                span.set_attribute("http.response.status_code", status[0])
                if status[0] >= 500:
                    span.set_status(Status(StatusCode.ERROR))

    @staticmethod
    def _log(scope: Scope, status: list[int], seconds: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        access_log.info(
            "%s %s %s %.1f ms",
            scope.get("method", "WEBSOCKET"),
            scope.get("path", ""),
            status[0] if status else "-",
            seconds * 1000,
            extra={"status": status[0] if status else None, "duration_ms": round(seconds * 1000, 2)},
        )


def _route(scope: Scope) -> str:
    """A span name of low cardinality: the path's first segment (``/graphql``, ``/products``)."""
    path = scope.get("path", "") or "/"
    first = path.split("/", 2)[1] if path.count("/") else ""
    return "/" + first
