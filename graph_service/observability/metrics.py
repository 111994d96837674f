"""The API process's Prometheus metrics: GraphQL root fields, subscriptions, Cypher statements,
the Neo4j pools, the data products' validation and freshness, the streams' lag and latency.

One :class:`ServiceMetrics` per app, with a registry of its own (never prometheus-client's global
one: two apps in one process, as in the tests, keep their figures apart). Counters, gauges and
histograms are updated where the work happens; everything else is read when Prometheus scrapes,
by the collectors below, from the objects the lifespan built. With ``serve --workers N`` the
instruments live in prometheus-client's multiprocess files (:mod:`.multiprocess`) and a scrape of
any worker reads every worker's. Names and labels: docs/observability.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neo4j.exceptions import DriverError, Neo4jError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from graph_service.errors import DigiSpineError
from graph_service.observability.statements import ObservedStatements

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from graph_service.products import DataProducts
    from graph_service.store import Neo4jStore
    from graph_service.streams.catalog import StreamCatalog

log = logging.getLogger(__name__)

#: Latency buckets (seconds) for requests and statements: 1 ms to the 30 s timeouts.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The statuses a product's validation can be in (``ValidationStatus``), one series each.
VALIDATION_STATES = ("CONFORMS", "NONCONFORMING", "TIMED_OUT", "FAILED", "NOT_CHECKED")
#: How long the newest event's time may take to read at a scrape.
GRAPH_AGE_TIMEOUT_S = 2.0


class SubscriptionMetrics:
    """GraphQL subscriptions per root field: open now, results delivered, slow clients dropped.

    Fields are the schema's subscription fields; anything else (a document that names no such
    field, refused by the schema anyway) counts as ``-``, so a client cannot grow the label set."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.fields: frozenset[str] = frozenset()
        self._active = Gauge(
            "digispine_subscriptions_active",
            "GraphQL subscriptions open now, by root field (every worker's, summed).",
            ["field"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._deliveries = Counter(
            "digispine_subscription_deliveries",
            "Subscription results sent to clients (one per client and result), by root field.",
            ["field"],
            registry=registry,
        )
        self._dropped = Counter(
            "digispine_subscription_dropped_clients",
            "Subscribers dropped for falling too far behind (SUBSCRIBER_TOO_SLOW), by root field.",
            ["field"],
            registry=registry,
        )

    def label(self, field: str | None) -> str:
        return field if field is not None and field in self.fields else "-"

    def opened(self, field: str) -> None:
        self._active.labels(field).inc()

    def closed(self, field: str) -> None:
        self._active.labels(field).dec()

    def delivered(self, field: str) -> None:
        self._deliveries.labels(field).inc()

    def dropped(self, field: str) -> None:
        self._dropped.labels(field).inc()


class ServiceMetrics:
    """The registry of one app and the instruments its layers update. ``multiprocess_dir``: the
    directory of prometheus-client's multiprocess mode (``serve --workers``): the exposition then
    reads every worker's instruments from it, beside this worker's scrape-time collectors."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._exposed = self.registry
        if multiprocess_dir is not None:
            # the instruments write to the directory's files; the exposition reads them all (this
            # worker's included), so this worker's registry is never exposed itself
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed, path=str(multiprocess_dir))
        self.graphql_requests = Counter(
            "digispine_graphql_requests",
            "GraphQL root fields resolved, by root field.",
            ["root_field"],
            registry=self.registry,
        )
        self.graphql_latency = Histogram(
            "digispine_graphql_duration_seconds",
            "Time to resolve a GraphQL root field (its one statement included), by root field.",
            ["root_field"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.graphql_errors = Counter(
            "digispine_graphql_errors",
            "GraphQL errors by root field and extensions.code ('-' as root field: the operation "
            "was refused before any field ran: parsing, validation, limits).",
            ["root_field", "code"],
            registry=self.registry,
        )
        self.neo4j_latency = Histogram(
            "digispine_neo4j_statement_duration_seconds",
            "Time of one Cypher statement on Neo4j (retries included), by mode (read, write).",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.subscriptions = SubscriptionMetrics(self.registry)
        self.rate_limited = Counter(
            "digispine_rate_limited_requests",
            "Requests refused by the per-caller rate limit (429, RATE_LIMITED), by way in "
            "(graphql, graphql-ws, cypher, sparql, products, catalog, metrics, other).",
            ["way"],
            registry=self.registry,
        )

    def refused_by_rate_limit(self, way: str) -> None:
        self.rate_limited.labels(way).inc()

    def statements(self, database: str, tracer: Tracer | None = None) -> ObservedStatements:
        """The store's statement observer feeding :attr:`neo4j_latency` (and spans with ``tracer``)."""
        return ObservedStatements(self.neo4j_latency, database, tracer)

    def watch(self, collector: Collector) -> None:
        """Add a scrape-time collector (its figures are this process's, also with workers)."""
        self._exposed.register(collector)

    def unwatch(self, collector: Collector) -> None:
        self._exposed.unregister(collector)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format (blocking: collectors may read Neo4j, Kafka)."""
        return generate_latest(self._exposed)


class PoolCollector:
    """Connections of the Neo4j drivers' pools: open, in use, and the maximum, per driver.

    The driver has no public pool statistics; its pool's connection lists are read, and a driver
    version that changed them yields no series (logged once) rather than a failed scrape."""

    def __init__(self, drivers: Callable[[], Iterable[tuple[str, Any]]]) -> None:
        self._drivers = drivers
        self._warned = False

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        open_ = GaugeMetricFamily("digispine_neo4j_pool_connections", "Open connections.", labels=["driver"])
        in_use = GaugeMetricFamily(
            "digispine_neo4j_pool_connections_in_use", "Connections lent to a session.", labels=["driver"]
        )
        limit = GaugeMetricFamily(
            "digispine_neo4j_pool_max_connections", "The pool's maximum size.", labels=["driver"]
        )
        for name, driver in self._drivers():
            figures = self._figures(driver)
            if figures is None:
                continue
            open_.add_metric([name], figures[0])
            in_use.add_metric([name], figures[1])
            limit.add_metric([name], figures[2])
        yield from (open_, in_use, limit)

    def _figures(self, driver: Any) -> tuple[int, int, int] | None:
        try:
            pool = driver._pool
            connections = [c for queue in list(pool.connections.values()) for c in list(queue)]
            in_use = sum(1 for c in connections if c.in_use)
            return len(connections), in_use, int(pool.pool_config.max_connection_pool_size)
        except AttributeError:
            if not self._warned:
                log.warning("this neo4j driver's pool has changed shape: no pool metrics")
                self._warned = True
            return None


class ProductsCollector:
    """Per data product version: its validation state (one series per state, 1 for the current
    one), violations, when it was last checked, and its freshness: the age of the newest event in
    the graph it reads, beside its SLA (alert when age > SLA)."""

    def __init__(self, products: DataProducts, store: Neo4jStore, event_label: str) -> None:
        self._products = products
        self._store = store
        # The label comes from the compiled model, never from input: safe to quote into Cypher.
        self._newest_event = (
            f"MATCH (e:`{event_label}`) WHERE e.eventTime IS NOT NULL "
            "RETURN e.eventTime AS t ORDER BY e.eventTime DESC LIMIT 1"
        )

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        labels = ["product", "version"]
        state = GaugeMetricFamily(
            "digispine_product_validation_state",
            "1 for the product's current validation state, 0 for the others.",
            labels=[*labels, "state"],
        )
        violations = GaugeMetricFamily(
            "digispine_product_violations", "SHACL violations of the latest validation.", labels=labels
        )
        checked = GaugeMetricFamily(
            "digispine_product_validated_timestamp_seconds",
            "When the latest validation ran (Unix time).",
            labels=labels,
        )
        sla = GaugeMetricFamily(
            "digispine_product_freshness_sla_seconds", "The product's freshness SLA.", labels=labels
        )
        age = GaugeMetricFamily(
            "digispine_product_freshness_age_seconds",
            "Age of the newest event in the graph the product reads (compare with its SLA).",
            labels=labels,
        )
        graph_age = self._graph_age()
        for product in self._products.registry:
            key = [product.name, product.version]
            result = self._products.latest_result(product)
            current = "NOT_CHECKED" if result is None else result.status.value
            for name in VALIDATION_STATES:
                state.add_metric([*key, name], 1.0 if name == current else 0.0)
            if result is not None:
                checked.add_metric(key, result.checked_at.timestamp())
                if result.violation_count is not None:
                    violations.add_metric(key, result.violation_count)
            sla.add_metric(key, product.descriptor.freshness_sla_seconds)
            if graph_age is not None:
                age.add_metric(key, graph_age)
        yield from (state, violations, checked, sla, age)

    def _graph_age(self) -> float | None:
        try:
            rows = self._store.read(self._newest_event, timeout_s=GRAPH_AGE_TIMEOUT_S)
        except (Neo4jError, DriverError, DigiSpineError) as exc:  # the scrape answers; no age then
            log.warning("metrics: could not read the newest event's time: %s", exc)
            return None
        if not rows:
            return None
        newest: dt.datetime = rows[0]["t"].to_native()
        return (dt.datetime.now(dt.UTC) - newest).total_seconds()


class StreamsCollector:
    """Per stream version, its measured freshness (cached by the catalog, as the catalog shows it):
    consumer lag, latency p50/p99, age of the newest derived event, conformance rate."""

    def __init__(self, catalog: StreamCatalog) -> None:
        self._catalog = catalog

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        labels = ["stream", "version"]
        lag = GaugeMetricFamily(
            "digispine_stream_consumer_lag",
            "Input messages the stream's processors have yet to read.",
            labels=labels,
        )
        latency = GaugeMetricFamily(
            "digispine_stream_latency_seconds",
            "Input produced → derived event written, over the recent derived events.",
            labels=[*labels, "quantile"],
        )
        age = GaugeMetricFamily(
            "digispine_stream_last_event_age_seconds", "Age of the newest derived event.", labels=labels
        )
        conformance = GaugeMetricFamily(
            "digispine_stream_conformance_ratio",
            "Share of derived events that met their shape.",
            labels=labels,
        )
        status = GaugeMetricFamily(
            "digispine_stream_freshness_up", "1 when the stream's freshness could be measured.", labels=labels
        )
        measured = self._catalog.freshness_all() if len(self._catalog.registry) else {}
        for (name, major), f in sorted(measured.items()):
            key = [name, f"v{major}"]
            status.add_metric(key, 1.0 if f.status.value in ("MEASURED", "NO_EVENTS") else 0.0)
            if f.consumer_lag is not None:
                lag.add_metric(key, f.consumer_lag)
            for quantile, value in (("0.5", f.latency_p50_ms), ("0.99", f.latency_p99_ms)):
                if value is not None:
                    latency.add_metric([*key, quantile], value / 1000.0)
            if f.last_written_at is not None:
                age.add_metric(key, (f.measured_at - f.last_written_at).total_seconds())
            if f.conformance_rate is not None:
                conformance.add_metric(key, f.conformance_rate)
        yield from (lag, latency, age, conformance, status)
