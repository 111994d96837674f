"""What the store reports about each Cypher statement it runs: latency and a trace span.

:class:`Neo4jStore` and :class:`LoopReader` call :meth:`StatementObserver.statement` around every
statement; the API's lifespan installs an observer that feeds the Prometheus histogram and the
tracer (:class:`ObservedStatements`); elsewhere the :data:`NO_OBSERVER` costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Protocol

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
        self._latency = latency
        self._database = database
        self._tracer = tracer

    def statement(self, text: str, mode: str) -> AbstractContextManager[None]:
        return self._observe(text, mode)

    @contextmanager
    def _observe(self, text: str, mode: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            if self._tracer is None:
                yield
            else:
                attributes = {
                    "db.system.name": "neo4j",
                    "db.namespace": self._database,
                    "db.operation.name": mode,
                    "db.query.text": text[:MAX_STATEMENT_CHARS],
                }
                with self._tracer.start_as_current_span(f"neo4j {mode}", attributes=attributes):
                    yield
        finally:
            self._latency.labels(mode).observe(time.perf_counter() - started)
