"""The streams as real-time data products: their two distributions and their measured freshness.

Built once in the composition root and handed to the data products' catalog (GraphQL
``dataProducts`` and ``/catalog.jsonld``), which lists the streams beside the batch products. A
measurement reads Kafka in a worker thread, at most one at a time per stream, bounded by
``DIGISPINE_STREAM_FRESHNESS_TIMEOUT_S`` and reused for ``DIGISPINE_STREAM_FRESHNESS_CACHE_S``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from graph_service.settings import Settings
from graph_service.streams.descriptor import StreamDescriptor
from graph_service.streams.freshness import Freshness, FreshnessConfig, FreshnessStatus, measure, now_utc
from graph_service.streams.registry import StreamRegistry

#: The media type of a derived event on Kafka (structured-mode CloudEvents, JSON).
CLOUDEVENTS_JSON = "application/cloudevents+json"
#: The websocket subprotocol of GraphQL subscriptions.
SUBSCRIPTION_PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION_PROTOCOL_SPEC = "https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md"


@dataclass(frozen=True)
class KafkaDistribution:
    bootstrap_servers: str
    topic: str
    media_type: str
    shape: str
    key: str  # what the Kafka key of a message is


@dataclass(frozen=True)
class SubscriptionDistribution:
    field: str
    path: str
    protocol: str


class StreamCatalog:
    """The registry's streams with their distributions and cached freshness."""

    def __init__(
        self,
        registry: StreamRegistry,
        config: FreshnessConfig,
        *,
        cache_s: float = 5.0,
        graphql_path: str = "/graphql",
        measure_with: Callable[[StreamDescriptor, FreshnessConfig], Freshness] = measure,
    ) -> None:
        self.registry = registry
        self.config = config
        self.cache_s = cache_s
        self.graphql_path = graphql_path
        self._measure = measure_with
        self._cache: dict[tuple[str, int], tuple[float, Freshness]] = {}
        self._locks: dict[tuple[str, int], threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def from_settings(
        cls, registry: StreamRegistry, settings: Settings, *, graphql_path: str = "/graphql"
    ) -> StreamCatalog:
        config = FreshnessConfig(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            input_topic=settings.events_topic,
            violations_topic=settings.stream_violations_topic,
            sample=settings.stream_freshness_sample,
            timeout_s=settings.stream_freshness_timeout_s,
        )
        return cls(registry, config, cache_s=settings.stream_freshness_cache_s, graphql_path=graphql_path)

    def __iter__(self) -> Iterator[StreamDescriptor]:
        return iter(self.registry)

    def is_latest(self, d: StreamDescriptor) -> bool:
        return self.registry.latest(d.name) is d

    def field_name(self, d: StreamDescriptor) -> str:
        """The versioned subscription field (``equipmentOeeV1``); the latest is also ``equipmentOee``."""
        return f"{d.name}V{d.major}"

    def kafka(self, d: StreamDescriptor) -> KafkaDistribution:
        return KafkaDistribution(
            bootstrap_servers=self.config.bootstrap_servers,
            topic=d.topic,
            media_type=CLOUDEVENTS_JSON,
            shape=d.shape_iri,
            key=f"the value of ds:{d.key} (UTF-8)",
        )

    def subscription(self, d: StreamDescriptor) -> SubscriptionDistribution:
        return SubscriptionDistribution(self.field_name(d), self.graphql_path, SUBSCRIPTION_PROTOCOL)

    # -- freshness --------------------------------------------------------------------------------

    def freshness(self, d: StreamDescriptor) -> Freshness:
        """The cached measurement, or a new one (blocking: call from a worker thread)."""
        key = (d.name, d.major)
        cached = self._fresh(key)
        if cached is not None:
            return cached
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        # One measurement per stream at a time: the others wait for it, then share it.
        if not lock.acquire(timeout=self.config.timeout_s + 1.0):
            return Freshness(
                FreshnessStatus.TIMED_OUT, now_utc(), detail="another measurement is still running"
            )
        try:
            cached = self._fresh(key)
            if cached is None:
                cached = self._measure(d, self.config)
                self._cache[key] = (time.monotonic(), cached)
            return cached
        finally:
            lock.release()

    def freshness_all(self) -> dict[tuple[str, int], Freshness]:
        """Every stream's freshness, measured side by side (blocking; the JSON-LD catalog's)."""
        streams = list(self.registry)
        if not streams:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(streams)), thread_name_prefix="freshness") as pool:
            results = list(pool.map(self.freshness, streams))
        return {(d.name, d.major): r for d, r in zip(streams, results, strict=True)}

    async def freshness_async(self, d: StreamDescriptor) -> Freshness:
        """:meth:`freshness` in a worker thread, never holding the event loop longer than the timeout."""
        cached = self._fresh((d.name, d.major))
        if cached is not None:
            return cached
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.freshness, d), self.config.timeout_s + 1.0)
        except TimeoutError:
            return Freshness(
                FreshnessStatus.TIMED_OUT,
                now_utc(),
                detail=f"Kafka did not answer within {self.config.timeout_s:g} s",
            )

    def _fresh(self, key: tuple[str, int]) -> Freshness | None:
        found = self._cache.get(key)
        if found is None or time.monotonic() - found[0] > self.cache_s:
            return None
        return found[1]
