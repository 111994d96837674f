"""What observability costs a request: the pieces the API adds, each timed against the same work
without it, in one process (no Neo4j, no network: the pieces alone).

Run: ``.venv/bin/python -m bench.observability [--n 100000]`` (see docs/observability.md). Prints,
per piece, the time per call with and without it and the difference in microseconds:

- the request middleware (request id, response header, access line; log level WARNING, so the
  line is not written, and INFO into a handler that drops it), around a bare ASGI app;
- the same with tracing (the SDK's tracer, spans to an exporter that keeps nothing);
- a root field's wrapper (count and latency; and with a span) around a resolver returning at once;
- the statement observer (latency histogram; and with a span) around an empty block.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from graph_service.observability.graphql import _RootField
from graph_service.observability.metrics import ServiceMetrics
from graph_service.observability.requests import RequestContextMiddleware


class _Drop(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _Info:
    """What a resolver's ``info`` holds that the wrapper reads."""

    class operation:  # noqa: N801 - mirrors graphql-core's attribute
        class operation:  # noqa: N801
            value = "query"

        name = None


def _per_call_us(work: Callable[[], Any], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        work()
    return (time.perf_counter() - started) / n * 1e6


def _asgi_per_call_us(app: Any, n: int) -> float:
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [(b"host", b"x")]}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def run() -> float:
        started = time.perf_counter()
        for _ in range(n):
            await app(dict(scope), receive, send)
        return (time.perf_counter() - started) / n * 1e6

    return asyncio.run(run())


async def _bare_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="calls per measurement")
    n = parser.parse_args().n
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Drop()))
    tracer = provider.get_tracer("bench")
    metrics = ServiceMetrics()
    access = logging.getLogger("digispine.access")
    rows: list[tuple[str, float, float]] = []

    bare = _asgi_per_call_us(_bare_app, n)
    logging.getLogger().setLevel(logging.WARNING)
    rows.append(
        (
            "request middleware, access line off",
            bare,
            _asgi_per_call_us(RequestContextMiddleware(_bare_app), n),
        )
    )
    logging.getLogger().setLevel(logging.INFO)
    access.addHandler(logging.NullHandler())
    access.propagate = False
    rows.append(
        (
            "request middleware, access line formatted",
            bare,
            _asgi_per_call_us(RequestContextMiddleware(_bare_app), n),
        )
    )
    logging.getLogger().setLevel(logging.WARNING)
    rows.append(
        (
            "request middleware with a span",
            bare,
            _asgi_per_call_us(RequestContextMiddleware(_bare_app, tracer), n),
        )
    )

    def resolver(source: Any, info: Any) -> int:
        return 1

    plain = _per_call_us(lambda: resolver(None, _Info), n)
    counted = _RootField("lot", resolver, metrics, None)
    traced = _RootField("lot", resolver, metrics, tracer)
    rows.append(("root field: count and latency", plain, _per_call_us(lambda: counted(None, _Info), n)))
    rows.append(("root field with a span", plain, _per_call_us(lambda: traced(None, _Info), n)))

    def empty(context: Callable[[], Any]) -> Callable[[], None]:
        def work() -> None:
            with context():
                pass

        return work

    observed = metrics.statements("neo4j")
    spanned = metrics.statements("neo4j", tracer)
    base = _per_call_us(empty(nullcontext), n)
    rows.append(
        ("statement: latency", base, _per_call_us(empty(lambda: observed.statement("MATCH (n)", "read")), n))
    )
    rows.append(
        (
            "statement with a span",
            base,
            _per_call_us(empty(lambda: spanned.statement("MATCH (n)", "read")), n),
        )
    )

    print(f"{'piece':<44} {'without µs':>11} {'with µs':>9} {'added µs':>9}")
    for name, without, with_ in rows:
        print(f"{name:<44} {without:>11.2f} {with_:>9.2f} {with_ - without:>9.2f}")


if __name__ == "__main__":
    main()
