"""The catalog's GraphQL types of a real-time data product (a stream): what it is computed from,
where to read it (Kafka, a GraphQL subscription) and its measured freshness.

A stream's ``DataProductEntry`` has ``kind: STREAM`` and a ``stream`` object of these types; its
``freshness`` is measured only when a query selects it
(:class:`~graph_service.streams.catalog.StreamCatalog`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from graph_service.streams.freshness import Freshness, FreshnessStatus

if TYPE_CHECKING:  # the stream modules import the products package: only names here
    from graph_service.streams.catalog import StreamCatalog
    from graph_service.streams.descriptor import StreamDescriptor, Window


class ProductKind(Enum):
    BATCH = "BATCH"
    STREAM = "STREAM"


DataProductKind = strawberry.enum(
    ProductKind,
    name="DataProductKind",
    description="BATCH: a query run on request over the graph; STREAM: derived events computed as "
    "the operational events arrive (a real-time data product).",
)

FreshnessStatusType = strawberry.enum(
    FreshnessStatus,
    name="StreamFreshnessStatus",
    description="MEASURED; NO_EVENTS (nothing derived yet); KAFKA_UNREACHABLE, TIMED_OUT or FAILED "
    "(then the figures that could not be measured are null, and detail says why).",
)


@strawberry.type(name="StreamWindow", description="A window of a stream (ISO 8601 durations).")
class WindowEntry:
    name: str
    kind: str = strawberry.field(description="tumbling, hopping, sliding, count or calendar.")
    size: str | None
    step: str | None
    count: int | None
    calendar: str | None = strawberry.field(description="The class whose entities are the windows.")


@strawberry.type(name="StreamKafkaDistribution", description="Reading the derived events from Kafka.")
class KafkaEntry:
    bootstrap_servers: str
    topic: str
    media_type: str = strawberry.field(description="application/cloudevents+json (structured mode).")
    shape: str = strawberry.field(description="IRI of the SHACL shape of each event's data.")
    key: str = strawberry.field(description="What a message's Kafka key is.")


@strawberry.type(name="StreamSubscriptionDistribution", description="Receiving the events over GraphQL.")
class SubscriptionEntry:
    field: str = strawberry.field(description="The subscription field of this version.")
    path: str = strawberry.field(description="The HTTP path of the websocket endpoint.")
    protocol: str = strawberry.field(description="The websocket subprotocol.")


@strawberry.type(
    name="StreamFreshness",
    description="Measured from Kafka when asked (reused for a few seconds); null figures could not "
    "be measured.",
)
class FreshnessEntry:
    status: FreshnessStatusType  # type: ignore[valid-type]
    measured_at: dt.datetime
    detail: str | None = strawberry.field(description="Why figures are missing, when they are.")
    consumer_lag: int | None = strawberry.field(
        description="Input events the stream's processors have not yet read (committed offsets of "
        "its consumer group vs. the end of the input topic, summed over partitions)."
    )
    last_event_time: dt.datetime | None = strawberry.field(
        description="Event time of the newest derived event (the newest input time it covers)."
    )
    last_written_at: dt.datetime | None = strawberry.field(
        description="When the newest derived event was written."
    )
    latency_p50_ms: float | None = strawberry.field(
        description="Median of (derived event written − its triggering input written) over the "
        "sampled events."
    )
    latency_p99_ms: float | None = strawberry.field(description="99th percentile of the same.")
    sampled_events: int = strawberry.field(description="Recent derived events measured (at most 1000).")
    sampled_violations: int | None = strawberry.field(
        description="Derived events withheld for violating the shape in the same time span."
    )
    conformance_rate: float | None = strawberry.field(
        description="sampledEvents / (sampledEvents + sampledViolations); null without either."
    )


@strawberry.type(
    name="DataProductStream", description="What a real-time data product is computed from and how to read it."
)
class StreamEntry:
    inputs: list[str] = strawberry.field(
        description="The operational event types (CloudEvents type) it reads."
    )
    key: str = strawberry.field(description="The owl:hasKey property it is keyed and partitioned by.")
    windows: list[WindowEntry]
    grace: str = strawberry.field(description="How long late events still revise a window.")
    emit: str = strawberry.field(description="revisions, final, alert or change.")
    output_type: str = strawberry.field(description="CloudEvents type of its derived events.")
    latency_sla: str = strawberry.field(description="Target p99 of event produced → derived event readable.")
    consumer_group: str
    kafka: KafkaEntry
    subscription: SubscriptionEntry
    catalog: strawberry.Private[Any]  # the StreamCatalog that measures freshness
    descriptor: strawberry.Private[Any]  # its StreamDescriptor

    @strawberry.field(
        description="Measured now (or a few seconds ago): lag, last event, latency, conformance."
    )
    async def freshness(self) -> FreshnessEntry:
        return freshness_entry(await self.catalog.freshness_async(self.descriptor))


def stream_entry(catalog: StreamCatalog, d: StreamDescriptor) -> StreamEntry:
    from graph_service.streams.descriptor import iso_duration

    kafka, subscription = catalog.kafka(d), catalog.subscription(d)
    return StreamEntry(
        inputs=list(d.inputs),
        key=f"ds:{d.key}",
        windows=[_window(w) for w in d.windows],
        grace=iso_duration(d.grace),
        emit=d.emit,
        output_type=d.output_type,
        latency_sla=iso_duration(d.latency_sla),
        consumer_group=d.consumer_group,
        kafka=KafkaEntry(
            bootstrap_servers=kafka.bootstrap_servers,
            topic=kafka.topic,
            media_type=kafka.media_type,
            shape=kafka.shape,
            key=kafka.key,
        ),
        subscription=SubscriptionEntry(
            field=subscription.field, path=subscription.path, protocol=subscription.protocol
        ),
        catalog=catalog,
        descriptor=d,
    )


def freshness_entry(f: Freshness) -> FreshnessEntry:
    return FreshnessEntry(
        status=f.status,
        measured_at=f.measured_at,
        detail=f.detail,
        consumer_lag=f.consumer_lag,
        last_event_time=f.last_event_time,
        last_written_at=f.last_written_at,
        latency_p50_ms=f.latency_p50_ms,
        latency_p99_ms=f.latency_p99_ms,
        sampled_events=f.sampled_events,
        sampled_violations=f.sampled_violations,
        conformance_rate=f.conformance_rate,
    )


def _window(w: Window) -> WindowEntry:
    from graph_service.streams.descriptor import iso_duration

    return WindowEntry(
        name=w.name,
        kind=w.kind,
        size=iso_duration(w.size) if w.size is not None else None,
        step=iso_duration(w.step) if w.step is not None else None,
        count=w.count,
        calendar=f"ds:{w.calendar}" if w.calendar else None,
    )
