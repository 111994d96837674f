"""The loader's Prometheus metrics: events read, loaded, duplicates, rejected by reason, the
batch write latency and, reading Kafka, the consumer lag per partition.

A loader runs in a process of its own (``digispine load``, the demo's loader child), so it serves
its metrics itself: with ``DIGISPINE_LOADER_METRICS_PORT`` set, :meth:`LoaderMetrics.serve` opens
``http://DIGISPINE_LOADER_METRICS_HOST:PORT/metrics`` for Prometheus to scrape beside the API's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server

from graph_service.settings import Settings

log = logging.getLogger(__name__)

#: Batch write buckets (seconds): a batch of 1,000 events takes tens to hundreds of milliseconds.
WRITE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class LoaderMetrics:
    """The instruments of one loader process (a registry of its own)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.read = Counter("digispine_loader_events_read", "Events read from the source.", registry=r)
        self.loaded = Counter("digispine_loader_events_loaded", "Events written to the graph.", registry=r)
        self.duplicates = Counter(
            "digispine_loader_events_duplicate", "Events already in the graph (same payload).", registry=r
        )
        self.rejected = Counter(
            "digispine_loader_events_rejected",
            "Events dead-lettered, by reason (malformed-json, shacl, conflicting-duplicate, …).",
            ["reason"],
            registry=r,
        )
        self.batch_write = Histogram(
            "digispine_loader_batch_write_duration_seconds",
            "Time to write one batch to Neo4j (one transaction; retries included).",
            buckets=WRITE_BUCKETS,
            registry=r,
        )
        self.consumer_lag = Gauge(
            "digispine_loader_kafka_consumer_lag",
            "Messages of a partition after the loader's last committed offset (at its last commit).",
            ["topic", "partition"],
            registry=r,
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def batch(self, *, read: int, loaded: int, duplicates: int, rejected: Mapping[str, int]) -> None:
        """Count one committed batch."""
        self.read.inc(read)
        self.loaded.inc(loaded)
        self.duplicates.inc(duplicates)
        for reason, count in rejected.items():
            self.rejected.labels(reason).inc(count)

    def lag(self, topic: str, partition: int, messages: int) -> None:
        self.consumer_lag.labels(topic, str(partition)).set(max(0, messages))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def serve(self, host: str, port: int) -> int:
        """Serve ``/metrics`` on ``host:port`` from a daemon thread; the port bound (``port`` 0:
        a free one). :meth:`close` stops it."""
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


@contextmanager
def served_loader_metrics(
    settings: Settings, echo: Callable[[str], None] = log.info
) -> Iterator[LoaderMetrics | None]:
    """The loader's metrics, served on ``DIGISPINE_LOADER_METRICS_PORT`` while the block runs;
    None when that port is 0 (the loader then counts nothing)."""
    if not settings.loader_metrics_port:
        yield None
        return
    metrics = LoaderMetrics()
    port = metrics.serve(settings.loader_metrics_host, settings.loader_metrics_port)
    echo(f"Loader metrics on http://{settings.loader_metrics_host}:{port}/metrics")
    try:
        yield metrics
    finally:
        metrics.close()
