"""The observability of one app: its metrics, its tracer, the ``/metrics`` route, and what the
lifespan hands it (store, reader, products, streams) to report on.

Built by :func:`graph_service.api.app.create_app`; the lifespan calls :meth:`Observability.attach`
once the store and products exist and :meth:`Observability.detach` at shutdown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from graph_service.observability.graphql import errors_extension, instrument_root_fields
from graph_service.observability.metrics import (
    PoolCollector,
    ProductsCollector,
    ServiceMetrics,
    StreamsCollector,
)
from graph_service.observability.statements import StatementObserver
from graph_service.observability.tracing import tracer_of, tracer_provider
from graph_service.ontology.model import EVENT_ROOT
from graph_service.security import METRICS, current_principal
from graph_service.settings import Settings

if TYPE_CHECKING:
    import strawberry
    from opentelemetry.sdk.trace import TracerProvider

    from graph_service.products import DataProducts
    from graph_service.store import LoopReader, Neo4jStore

METRICS_PATH = "/metrics"


class Observability:
    """Metrics and traces of one app. ``provider``: the tracer provider to use (tests: one with
    an in-memory exporter); None: the one ``DIGISPINE_OTLP_ENDPOINT`` asks for, or no tracing.
    ``metrics_dir``: prometheus-client's multiprocess directory when the app is one of several
    worker processes (:mod:`graph_service.observability.multiprocess`)."""

    def __init__(
        self, settings: Settings, provider: TracerProvider | None = None, metrics_dir: Path | None = None
    ) -> None:
        self.metrics = ServiceMetrics(metrics_dir)
        self._owns_provider = provider is None
        self.provider = provider if provider is not None else tracer_provider(settings)
        self.tracer = tracer_of(self.provider)
        self.metrics_open = settings.metrics_open
        self._collectors: list[Collector] = []
        self._previous: StatementObserver | None = None

    def is_open(self, method: str, path: str) -> bool:
        """Whether ``path`` is served without a key (``/metrics`` with ``DIGISPINE_METRICS_OPEN``)."""
        return self.metrics_open and path == METRICS_PATH and method in ("GET", "HEAD")

    def extensions(self) -> list[Any]:
        """The strawberry extensions to add to the schema (errors by root field and code)."""
        return [errors_extension(self.metrics)]

    def instrument(self, schema: strawberry.Schema) -> None:
        instrument_root_fields(schema, self.metrics, self.tracer)
        subscription = schema._schema.subscription_type  # the graphql-core schema strawberry built
        self.metrics.subscriptions.fields = frozenset(subscription.fields if subscription else ())

    def attach(self, store: Neo4jStore, reader: LoopReader, products: DataProducts | None) -> None:
        """Report the store's statements, its pools, the products' and the streams' state."""
        self._previous = store.observe(self.metrics.statements(store.database, self.tracer))

        def drivers() -> Iterator[tuple[str, Any]]:
            yield "sync", store.driver
            yield "async", reader.driver

        self._collectors = [PoolCollector(drivers)]
        if products is not None:
            self._collectors.append(ProductsCollector(products, store, EVENT_ROOT))
            if products.streams is not None:
                self._collectors.append(StreamsCollector(products.streams))
        for collector in self._collectors:
            self.metrics.watch(collector)

    def detach(self, store: Neo4jStore) -> None:
        """Undo :meth:`attach` (an app's lifespan may run again, as a test client's does)."""
        for collector in self._collectors:
            self.metrics.unwatch(collector)
        self._collectors = []
        if self._previous is not None:
            store.observe(self._previous)
            self._previous = None

    def close(self) -> None:
        """Export the spans still buffered, when the provider is ours."""
        if self._owns_provider and self.provider is not None:
            self.provider.shutdown()

    def router(self) -> APIRouter:
        """``GET /metrics``: the Prometheus exposition; a key with the ``metrics`` (or ``admin``)
        role unless ``DIGISPINE_METRICS_OPEN``."""
        router = APIRouter(tags=["operations"])

        @router.get(METRICS_PATH, response_class=Response)
        async def metrics() -> Response:
            """Prometheus metrics of this API process (text exposition format 0.0.4)."""
            principal = current_principal()
            if not self.metrics_open and not principal.has_role(METRICS):
                raise HTTPException(403, f"{principal.name} lacks the role needed here ({METRICS})")
            body = await run_in_threadpool(self.metrics.exposition)  # collectors read Neo4j, Kafka
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        return router
