"""What the store reports about each Cypher statement it runs: latency and a trace span.

:class:`Neo4jStore` and :class:`LoopReader` call :meth:`StatementObserver.statement` around every
statement; the API's lifespan installs an observer that feeds the Prometheus histogram and the
tracer (:class:`ObservedStatements`); elsewhere the :data:`NO_OBSERVER` costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer
    from prometheus_client import Histogram

#: Longest statement text put on a span: generated statements run to a few kilobytes, and a
#: collector refuses very large attributes. The text holds parameter names only, never values.
MAX_STATEMENT_CHARS = 4096


class StatementObserver(Protocol):
    """Wraps the run of one statement (``mode``: ``read`` or ``write``)."""

    def statement(self, text: str, mode: str) -> AbstractContextManager[None]: ...


class _NoObserver:
    def statement(self, text: str, mode: str) -> AbstractContextManager[None]:
        return nullcontext()


NO_OBSERVER: StatementObserver = _NoObserver()


class ObservedStatements:
    """Times each statement into ``latency`` (labelled by mode) and, with a ``tracer``, wraps it
    in a span ``neo4j <mode>`` with the statement's text (OpenTelemetry's database conventions)."""

    def __init__(self, latency: Histogram, database: str, tracer: Tracer | None = None) -> None:
        self._latency = {mode: latency.labels(mode) for mode in ("read", "write")}
        self._database = database
        self._tracer = tracer

    def statement(self, text: str, mode: str) -> AbstractContextManager[None]:
        if self._tracer is None:
            return _Timed(self._latency[mode])
        return self._traced(text, mode)

    @contextmanager
    def _traced(self, text: str, mode: str) -> Iterator[None]:
        assert self._tracer is not None
        attributes = {
            "db.system.name": "neo4j",
            "db.namespace": self._database,
            "db.operation.name": mode,
            "db.query.text": text[:MAX_STATEMENT_CHARS],
        }
        with (
            _Timed(self._latency[mode]),
            self._tracer.start_as_current_span(f"neo4j {mode}", attributes=attributes),
        ):
            yield


class _Timed(AbstractContextManager[None]):
    """Observes the seconds its block took (a class, not a generator: it runs per statement)."""

    __slots__ = ("_histogram", "_started")

    def __init__(self, histogram: Any) -> None:
        self._histogram = histogram
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._histogram.observe(time.perf_counter() - self._started)
