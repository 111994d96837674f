"""The stream processing runtime: one Quix Streams application per stream instance.

Topology (the same for every processor)::

    events topic ──route()──▶ <stream topic>.keyed ──handle(state of key)──▶ stream topic
                                   ▲                       │          └──▶ violations topic
                                   └──── out.send() ───────┘

``route`` re-keys each input event (a processor may give one event several keys); ``handle`` runs
with the RocksDB state of the message's key. A processor that must join facts of different keys
(an operation's equipment, a site's shift calendar) sends them on through the keyed topic: one
topic, one state store, no nested ``group_by`` (which Quix refuses). Everything a message does —
state changes, keyed messages, derived events, input offsets — is one Kafka transaction
(``processing_guarantee="exactly-once"``), committed every ``DIGISPINE_STREAM_COMMIT_INTERVAL_S``
(0.1 s).

A stable ``transactional.id`` per (stream, major, instance) lets a restarted instance fence its
dead predecessor's open transaction at once (a random one leaves it open until it times out), and
a 6 s session timeout hands a dead member's partitions over quickly: with Quix's defaults a kill -9
stalled read_committed readers ~62 s, with these ~8 s (docs/streams.md "Processing").
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from graph_service.errors import DigiSpineError as StreamError  # streams.errors imports products: a cycle
from graph_service.settings import Settings
from graph_service.streams.envelope import (
    ShapeCheck,
    StreamIdentity,
    build_event,
    utc_text,
    violation_record,
)
from loaders.envelope import parse_line
from loaders.errors import EventRejected

log = logging.getLogger(__name__)

#: The key wall-clock ticks arrive under (never a business key: ``~`` starts no key of ours).
CLOCK_KEY = "~clock"
SESSION_TIMEOUT_MS = 6000
PROGRESS_EVERY = 10.0
#: RocksDB's memtable and block cache for a processor's state (Quix's defaults, 64 MB × 3 and
#: 1 GB, are for big state: a processor rewrites a few small values per key, and the memtable
#: filled up to its size, most of a processor's memory above the engine's).
STATE_WRITE_BUFFER = 4 * 1024 * 1024
STATE_BLOCK_CACHE = 8 * 1024 * 1024


class ProcessorNotFound(StreamError):
    """No processor module computes the stream."""


@dataclass(frozen=True)
class InputEvent:
    """An operational event of one of the stream's input types, checked as the loader checks it."""

    type: str
    source: str
    id: str
    time: dt.datetime
    subject: str | None
    data: dict[str, Any]
    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    @property
    def origin(self) -> Origin:
        return Origin(
            self.source,
            self.id,
            utc_text(self.time),
            self.topic,
            self.partition,
            self.offset,
            self.timestamp_ms,
        )


@dataclass(frozen=True)
class Origin:
    """The input event a keyed message (transitively) came from."""

    source: str
    id: str
    time_text: str
    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    def to_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies field by field, ~8 % of a processor's time.
        return {
            "source": self.source,
            "id": self.id,
            "time_text": self.time_text,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp_ms": self.timestamp_ms,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Origin:
        return cls(**value)


@dataclass(frozen=True)
class Routed:
    """A keyed message: ``body`` goes to ``handle`` under ``key``."""

    key: str
    body: dict[str, Any]


class KeyState(Protocol):
    """The state of one key (Quix's ``State``)."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


_MISSING = object()


class MemoState:
    """One ``handle`` call's view of a key's state: each value is decoded once however often the
    processor reads it (Quix decodes the stored JSON on every ``get``, and a processor reads the
    same few values many times a message); writes go through at once, so the transaction, the
    changelog and a later message see exactly what they would without it. Only for one call: a
    value a processor changes in place and does not ``set`` is never kept past the call."""

    __slots__ = ("_state", "_values")

    def __init__(self, state: KeyState) -> None:
        self._state = state
        self._values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            value = self._values[key] = self._state.get(key, _MISSING)
        return default if value is _MISSING else value

    def set(self, key: str, value: Any) -> None:
        self._state.set(key, value)
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._state.delete(key)
        self._values[key] = _MISSING

    def exists(self, key: str) -> bool:
        if key in self._values:
            return self._values[key] is not _MISSING
        return self._state.exists(key)


class StreamProcessor(Protocol):
    """What a processor module's ``create(descriptor, settings)`` returns."""

    def route(self, event: InputEvent) -> Iterable[Routed]: ...

    def handle(
        self, key: str, body: dict[str, Any], origin: Origin, state: KeyState, out: Outbox
    ) -> None: ...


class DerivedEvents:
    """Builds, validates and serialises a stream's derived events (one per process)."""

    def __init__(self, descriptor: Any) -> None:
        self.stream = StreamIdentity.of(descriptor)
        # The stream's check compiled its shape (compiled.py); else read it here (imports rdflib).
        check: ShapeCheck | None = getattr(descriptor, "flat_shape", None)
        if check is None:
            from graph_service.streams.shacl_check import shape_check

            check = shape_check(Path(descriptor.shape_path), descriptor.shape_iri)
        self.validator = check
        self.emitted = 0
        self.violations = 0


class Outbox:
    """What one ``handle`` call produces: keyed messages and derived events, in order."""

    def __init__(self, events: DerivedEvents, origin: Origin) -> None:
        self._events = events
        self._origin = origin
        self.records: list[dict[str, Any]] = []

    def send(self, key: str, body: Mapping[str, Any]) -> None:
        """A keyed message back through the keyed topic (carrying the same origin)."""
        self.records.append({"r": "k", "k": key, "v": {"o": self._origin.to_json(), "b": dict(body)}})

    def emit(
        self,
        *,
        subject: str,
        data: Mapping[str, Any],
        time: dt.datetime,
        id_parts: list[Any],
        lineage: Mapping[str, Any],
    ) -> dict[str, Any]:
        """A derived event: validated, then to the stream topic, or to the violations topic."""
        stream = self._events.stream
        event = build_event(
            stream,
            subject=subject,
            data=data,
            time=time,
            id_parts=id_parts,
            lineage=lineage,
            inputts=self._origin.timestamp_ms,
        )
        report = self._events.validator.validate(
            event["data"], focus=f"urn:digispine:stream-event:{event['id']}"
        )
        if report:
            self._events.violations += 1
            log.warning(
                "derived event %s of %s fails its shape: %s", event["id"], stream.name, report[0]["message"]
            )
            record = violation_record(stream, event, report)
            self.records.append({"r": "x", "k": stream.name, "v": orjson.dumps(record)})
        else:
            self._events.emitted += 1
            self.records.append({"r": "o", "k": subject, "v": orjson.dumps(event)})
        return event


class Progress:
    """Reports each input partition's event time to the processor's ``progress_key`` (if it has
    one) when the partition enters a new minute; the processor's watermark is the least of them.

    Within a partition the report follows every keyed message routed before it (one producer, one
    partition per key: Kafka keeps that order), which is what makes the watermark safe to close on."""

    def __init__(self, key: str | None, partitions: int) -> None:
        self.key = key
        self.partitions = partitions
        self._announced: dict[int, int] = {}

    def records(
        self, when: dt.datetime, source: str, event_id: str, where: tuple[str, int, int, int]
    ) -> list[dict[str, Any]]:
        """The report due after the event ``(source, event_id)`` at ``where`` = (topic, partition,
        offset, Kafka timestamp), if it moved its partition into a new minute."""
        if self.key is None:
            return []
        topic, partition, offset, timestamp = where
        minute = int(when.timestamp()) // 60
        if minute <= self._announced.get(partition, -1):
            return []
        self._announced[partition] = minute
        origin = Origin(source, event_id, utc_text(when), topic, partition, offset, timestamp)
        body = {
            "kind": "progress",
            "partition": partition,
            "partitions": self.partitions,
            "time": utc_text(when),
        }
        return [{"r": "k", "k": self.key, "v": {"o": origin.to_json(), "b": body}}]


# -- finding the processor -----------------------------------------------------------------------------
def load_processor(descriptor: Any, settings: Settings) -> StreamProcessor:
    """The processor of ``descriptor``: its ``processor:`` module, else the module of
    :mod:`graph_service.streams.processors` whose ``STREAMS`` names the stream."""
    module_name = getattr(descriptor, "processor", None)
    if not module_name:
        from graph_service.streams import processors

        for info in pkgutil.iter_modules(processors.__path__):
            candidate = importlib.import_module(f"{processors.__name__}.{info.name}")
            if descriptor.name in getattr(candidate, "STREAMS", ()):
                module_name = candidate.__name__
                break
    if not module_name:
        raise ProcessorNotFound(
            f"no processor computes the stream {descriptor.name!r}: add a module to "
            "graph_service/streams/processors with STREAMS = ('<name>',) and create(descriptor, settings)"
        )
    module = importlib.import_module(module_name)
    return module.create(descriptor, settings)  # type: ignore[no-any-return]


# -- names ------------------------------------------------------------------------------------------------
def keyed_topic_name(descriptor: Any) -> str:
    return f"{descriptor.topic}.keyed"


def transactional_id(descriptor: Any, instance: str) -> str:
    """Stable per (stream, major, instance): a restart fences its own dead predecessor at once."""
    return f"digispine-stream-{descriptor.name}-v{descriptor.major}-{instance}"


def state_dir(settings: Settings, descriptor: Any, instance: str) -> Path:
    return Path(settings.data_dir) / "streams" / "state" / f"{descriptor.name}-v{descriptor.major}-{instance}"


# -- the application ----------------------------------------------------------------------------------
@dataclass
class Counters:
    inputs: int = 0
    ignored: int = 0
    bad: int = 0
    handled: int = 0
    last_log: float = 0.0


def _serialize_field(name: str, as_json: bool) -> Any:
    from quixstreams.models.serializers import Serializer

    class FieldSerializer(Serializer):
        """Writes one member of the record (the runtime's records carry key and route too)."""

        def __call__(self, value: Any, ctx: Any) -> bytes:
            member = value[name]
            return orjson.dumps(member) if as_json else member

    return FieldSerializer()


def partitions_of(settings: Settings, topic: str) -> tuple[int, int] | None:
    """(partitions, replication factor) of ``topic``, or None when it does not exist."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    metadata = admin.list_topics(topic, timeout=10)
    found = metadata.topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        return None
    replicas = len(next(iter(found.partitions.values())).replicas) or 1
    return len(found.partitions), replicas


def build_application(
    descriptor: Any,
    settings: Settings,
    processor: StreamProcessor,
    *,
    instance: str,
    events: DerivedEvents | None = None,
) -> tuple[Any, Counters, DerivedEvents]:
    """The Quix application of one stream instance (not started)."""
    from quixstreams import Application
    from quixstreams.models import TopicConfig
    from quixstreams.state.rocksdb import RocksDBOptions

    events = events or DerivedEvents(descriptor)
    inputs = frozenset(descriptor.inputs)
    counters = Counters(last_log=time.monotonic())
    shape = partitions_of(settings, settings.events_topic) or (1, 1)
    config = TopicConfig(num_partitions=shape[0], replication_factor=shape[1])
    app = Application(
        broker_address=settings.kafka_bootstrap_servers,
        consumer_group=descriptor.consumer_group,
        auto_offset_reset="earliest",
        commit_interval=settings.stream_commit_interval_s,
        processing_guarantee="exactly-once",
        state_dir=state_dir(settings, descriptor, instance),
        consumer_extra_config={
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": SESSION_TIMEOUT_MS // 3,
        },
        producer_extra_config={"transactional.id": transactional_id(descriptor, instance)},
        rocksdb_options=RocksDBOptions(
            write_buffer_size=STATE_WRITE_BUFFER,
            max_write_buffer_number=2,
            block_cache_size=STATE_BLOCK_CACHE,
        ),
        loglevel=None,
    )
    events_topic = app.topic(
        settings.events_topic, value_deserializer="bytes", key_deserializer="bytes", config=config
    )
    keyed = app.topic(
        keyed_topic_name(descriptor),
        value_deserializer="json",
        key_deserializer="str",
        value_serializer=_serialize_field("v", as_json=True),
        key_serializer="str",
        config=config,
    )
    output = app.topic(
        descriptor.topic, value_serializer=_serialize_field("v", False), key_serializer="str", config=config
    )
    violations = app.topic(
        settings.stream_violations_topic,
        value_serializer=_serialize_field("v", False),
        key_serializer="str",
        config=TopicConfig(num_partitions=1, replication_factor=shape[1]),
    )

    def route(value: bytes, _key: Any, timestamp: int, _headers: Any) -> list[dict[str, Any]]:
        from quixstreams import message_context

        counters.inputs += 1
        _progress(descriptor, counters, events)
        try:
            envelope = parse_line(value)
        except EventRejected as exc:
            counters.bad += 1
            log.info("stream %s ignores a bad input: %s", descriptor.name, exc)
            return []
        ctx = message_context()
        where = (ctx.topic, ctx.partition, ctx.offset, timestamp)
        records = progress.records(envelope.time, envelope.source, envelope.id, where)
        if envelope.type not in inputs:
            counters.ignored += 1
            return records
        event = InputEvent(
            type=envelope.type,
            source=envelope.source,
            id=envelope.id,
            time=envelope.time.astimezone(dt.UTC),
            subject=envelope.subject,
            data=envelope.data,
            topic=ctx.topic,
            partition=ctx.partition,
            offset=ctx.offset,
            timestamp_ms=timestamp,
        )
        origin = event.origin.to_json()
        routed = [{"r": "k", "k": r.key, "v": {"o": origin, "b": r.body}} for r in processor.route(event)]
        return routed + records

    progress = Progress(getattr(processor, "progress_key", None), shape[0])

    def handle(value: dict[str, Any], key: str, _ts: int, _headers: Any, state: Any) -> list[dict[str, Any]]:
        counters.handled += 1
        origin = Origin.from_json(value["o"])
        out = Outbox(events, origin)
        processor.handle(key, value["b"], origin, MemoState(state), out)
        return out.records

    sdf = app.dataframe(events_topic).apply(route, metadata=True, expand=True)
    sdf.to_topic(keyed, key=_record_key)
    results = app.dataframe(keyed).apply(handle, stateful=True, metadata=True, expand=True)
    _branch(results, "k").to_topic(keyed, key=_record_key)
    # A derived event is stamped when it is produced: Quix would give it its input's timestamp,
    # and the catalog's latency (message timestamp − `inputts`) would then always read 0.
    _branch(results, "o").set_timestamp(_now_ms).to_topic(output, key=_record_key)
    _branch(results, "x").set_timestamp(_now_ms).to_topic(violations, key=_record_key)
    return app, counters, events


def _now_ms(_value: Any, _key: Any, _timestamp: int, _headers: Any) -> int:
    return int(time.time() * 1000)


def _record_key(record: dict[str, Any]) -> str:
    return str(record["k"])


def _branch(sdf: Any, route: str) -> Any:
    return sdf.filter(lambda record: record["r"] == route)


def _progress(descriptor: Any, counters: Counters, events: DerivedEvents) -> None:
    now = time.monotonic()
    if now - counters.last_log >= PROGRESS_EVERY:
        counters.last_log = now
        log.info(
            "stream %s v%s: %d inputs (%d other types, %d bad), %d keyed messages, %d derived events, "
            "%d violations",
            descriptor.name,
            descriptor.major,
            counters.inputs,
            counters.ignored,
            counters.bad,
            counters.handled,
            events.emitted,
            events.violations,
        )


# -- the clock ----------------------------------------------------------------------------------------
class Clock(threading.Thread):
    """Wall-clock ticks into the keyed topic (key :data:`CLOCK_KEY`), so idle keys' windows close.

    Ticks go through the log like any input, so a replay of the keyed topic sees the same ticks."""

    def __init__(
        self, settings: Settings, topic: str, interval: float, now: Callable[[], dt.datetime]
    ) -> None:
        super().__init__(name="stream-clock", daemon=True)
        self._producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers, "linger.ms": 5})
        self._topic = topic
        self._interval = interval
        self._now = now
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._producer.produce(self._topic, key=CLOCK_KEY.encode(), value=_tick_value(self._now()))
            self._producer.poll(0)
        self._producer.flush(5)

    def stop(self) -> None:
        self._stopped.set()


def send_tick(settings: Settings, descriptor: Any, when: dt.datetime) -> None:
    """One clock tick for ``descriptor``'s processor (tests; an operator closing windows by hand)."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    producer.produce(keyed_topic_name(descriptor), key=CLOCK_KEY.encode(), value=_tick_value(when))
    producer.flush(10)


def _tick_value(when: dt.datetime) -> bytes:
    origin = Origin(
        "digispine/streams/clock",
        f"tick-{when.timestamp():.3f}",
        utc_text(when),
        "",
        0,
        0,
        int(when.timestamp() * 1000),
    )
    return orjson.dumps({"o": origin.to_json(), "b": {"kind": "tick", "time": utc_text(when)}})


def run_stream(
    descriptor: Any,
    settings: Settings,
    *,
    instance: str = "0",
    stop_after_idle: float | None = None,
    clock_seconds: float | None = None,
) -> Counters:
    """Run one instance of ``descriptor``'s processor until SIGTERM/SIGINT (or ``stop_after_idle``
    seconds without input). Instances of one stream share its consumer group and split its partitions."""
    processor = load_processor(descriptor, settings)
    app, counters, events = build_application(descriptor, settings, processor, instance=instance)
    interval = settings.stream_clock_seconds if clock_seconds is None else clock_seconds
    clock = None
    if interval > 0:
        clock = Clock(settings, keyed_topic_name(descriptor), interval, lambda: dt.datetime.now(dt.UTC))
    log.info(
        "stream %s v%s instance %s: consumer group %s, transactional.id %s, state in %s",
        descriptor.name,
        descriptor.major,
        instance,
        descriptor.consumer_group,
        transactional_id(descriptor, instance),
        state_dir(settings, descriptor, instance),
    )
    if clock is not None:
        clock.start()
    try:
        app.run(timeout=stop_after_idle or 0.0)
    finally:
        if clock is not None:
            clock.stop()
    counters.last_log = 0.0
    _progress(descriptor, counters, events)
    return counters
