"""Measured freshness of a stream, read from Kafka on request: lag, last event, latency, conformance.

- **consumer lag**: what the stream's processors (consumer group ``digispine-stream-<name>-v<major>``)
  still have to read of the input topic: per partition the high watermark minus the group's
  committed offset (the whole partition when the group committed nothing there), summed;
- **last event**: the ``time`` (event time) and Kafka timestamp of the newest derived event;
- **latency p50/p99**: over the recent derived events (the last ``sample`` messages of the stream's
  topic, read committed), the message's Kafka timestamp minus the envelope's ``inputts`` (the Kafka
  timestamp of the input that triggered it): event produced → derived event written;
- **conformance rate**: of the derived events written since the oldest one sampled, the share that
  conformed to the output shape: derived / (derived + violations of this stream and major version
  on the violations topic in the same time span; violations found among its last ``sample``
  messages).

Everything is bounded by ``timeout_s``; an unreachable broker gives null figures and a status that
says why (never an exception).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import orjson
from confluent_kafka import (
    OFFSET_INVALID,
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

if TYPE_CHECKING:
    from graph_service.streams.descriptor import StreamDescriptor

log = logging.getLogger(__name__)

#: At most this many recent messages are read per topic for one measurement.
MAX_SAMPLE = 1000


class FreshnessStatus(Enum):
    MEASURED = "MEASURED"  # every figure that has data was measured
    NO_EVENTS = "NO_EVENTS"  # the stream topic holds no derived event yet
    KAFKA_UNREACHABLE = "KAFKA_UNREACHABLE"
    TIMED_OUT = "TIMED_OUT"  # Kafka answered too slowly; figures measured so far are kept
    FAILED = "FAILED"


@dataclass(frozen=True)
class FreshnessConfig:
    """Where and how long to measure."""

    bootstrap_servers: str
    input_topic: str
    violations_topic: str
    sample: int = MAX_SAMPLE
    timeout_s: float = 3.0


@dataclass(frozen=True)
class Freshness:
    """One measurement of one stream version; figures are None when they could not be measured."""

    status: FreshnessStatus
    measured_at: dt.datetime
    detail: str | None = None
    consumer_lag: int | None = None
    last_event_time: dt.datetime | None = None
    last_written_at: dt.datetime | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    sampled_events: int = 0
    sampled_violations: int | None = None
    conformance_rate: float | None = None
    latency_samples: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "measuredAt": self.measured_at.isoformat(),
            "detail": self.detail,
            "consumerLag": self.consumer_lag,
            "lastEventTime": self.last_event_time.isoformat() if self.last_event_time else None,
            "lastWrittenAt": self.last_written_at.isoformat() if self.last_written_at else None,
            "latencyP50Ms": self.latency_p50_ms,
            "latencyP99Ms": self.latency_p99_ms,
            "sampledEvents": self.sampled_events,
            "sampledViolations": self.sampled_violations,
            "conformanceRate": self.conformance_rate,
        }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def measure(descriptor: StreamDescriptor, config: FreshnessConfig) -> Freshness:
    """Measure ``descriptor``'s freshness now (blocking, at most about ``config.timeout_s``)."""
    started = now_utc()
    deadline = time.monotonic() + config.timeout_s
    try:
        return _Measurement(descriptor, config, deadline).run(started)
    except _Unreachable as exc:
        return Freshness(FreshnessStatus.KAFKA_UNREACHABLE, started, detail=str(exc))
    except KafkaException as exc:
        log.warning("stream freshness could not be measured", extra={"stream": descriptor.qualified_name})
        return Freshness(FreshnessStatus.FAILED, started, detail=f"Kafka: {exc.args[0] if exc.args else exc}")


class _Unreachable(Exception):
    pass


@dataclass
class _Derived:
    written_ms: int
    latency_ms: float | None
    time: dt.datetime | None


class _Measurement:
    def __init__(self, descriptor: StreamDescriptor, config: FreshnessConfig, deadline: float) -> None:
        self.d = descriptor
        self.config = config
        self.deadline = deadline
        self.timed_out = False

    def left(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def run(self, started: dt.datetime) -> Freshness:
        consumer = Consumer(
            {
                "bootstrap.servers": self.config.bootstrap_servers,
                # A group of its own that never commits: reading the tail disturbs no processor.
                "group.id": f"digispine-catalog-{uuid.uuid4().hex[:12]}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                # The end of a partition is known from the first empty fetch: do not wait for data.
                "fetch.wait.max.ms": 10,
                "socket.timeout.ms": max(1000, int(self.config.timeout_s * 1000)),
                "topic.metadata.refresh.interval.ms": 60_000,
                "logger": log,  # librdkafka's connection errors as log records, not raw stderr
            }
        )
        try:
            topics = self._topics(consumer)
            lag = self._lag(consumer, topics.get(self.config.input_topic, ()))
            derived = [
                self._derived(m) for m in self._tail(consumer, self.d.topic, topics.get(self.d.topic, ()))
            ]
            violations = self._violations(consumer, topics, derived)
        finally:
            consumer.close()
        return self._result(started, lag, derived, violations)

    def _topics(self, consumer: Consumer) -> dict[str, tuple[int, ...]]:
        try:
            metadata = consumer.list_topics(timeout=self.left())
        except KafkaException as exc:
            raise _Unreachable(
                f"no Kafka broker answered at {self.config.bootstrap_servers} within "
                f"{self.config.timeout_s:g} s ({exc.args[0] if exc.args else exc})"
            ) from None
        return {name: tuple(sorted(t.partitions)) for name, t in metadata.topics.items() if t.error is None}

    def _lag(self, consumer: Consumer, partitions: tuple[int, ...]) -> int | None:
        if not partitions:
            return None  # no input topic yet: nothing to lag behind
        admin = AdminClient({"bootstrap.servers": self.config.bootstrap_servers, "logger": log})
        request = ConsumerGroupTopicPartitions(
            self.d.consumer_group, [TopicPartition(self.config.input_topic, p) for p in partitions]
        )
        future = admin.list_consumer_group_offsets([request], request_timeout=self.left())[
            self.d.consumer_group
        ]
        committed = {tp.partition: tp.offset for tp in future.result(timeout=self.left()).topic_partitions}
        total = 0
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(self.config.input_topic, partition), timeout=self.left()
            )
            offset = committed.get(partition, OFFSET_INVALID)
            total += high - (offset if offset >= 0 else low)
        return total

    def _tail(self, consumer: Consumer, topic: str, partitions: tuple[int, ...]) -> list[Any]:
        """The last ``sample`` messages of ``topic`` (fewer when it holds fewer), read committed."""
        if not partitions:
            return []
        ends = {}
        assignment = []
        per_partition = max(1, self.config.sample // len(partitions))
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=self.left())
            if high > low:
                ends[partition] = high
                assignment.append(TopicPartition(topic, partition, max(low, high - per_partition)))
        if not assignment:
            return []
        consumer.assign(assignment)
        messages: list[Any] = []
        pending = set(ends)
        while pending:
            if time.monotonic() >= self.deadline:
                self.timed_out = True
                break
            # consume() waits its whole timeout unless the batch fills: short waits, many rounds
            for message in consumer.consume(num_messages=500, timeout=min(0.05, self.left())):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(message.partition())
                        continue
                    raise KafkaException(error)
                messages.append(message)
                if message.offset() + 1 >= ends[message.partition()]:
                    pending.discard(message.partition())
        consumer.unassign()
        messages.sort(key=lambda m: m.timestamp()[1])
        return messages[-self.config.sample :]

    def _derived(self, message: Any) -> _Derived:
        written = int(message.timestamp()[1])
        try:
            event = orjson.loads(message.value() or b"")
        except orjson.JSONDecodeError:
            return _Derived(written, None, None)
        inputts = event.get("inputts") if isinstance(event, dict) else None
        latency = float(written - inputts) if isinstance(inputts, int | float) else None
        return _Derived(written, latency, _time(event.get("time") if isinstance(event, dict) else None))

    def _violations(
        self, consumer: Consumer, topics: dict[str, tuple[int, ...]], derived: list[_Derived]
    ) -> int | None:
        if self.timed_out:
            return None
        since = min((d.written_ms for d in derived), default=None)
        count = 0
        for message in self._tail(
            consumer, self.config.violations_topic, topics.get(self.config.violations_topic, ())
        ):
            if since is not None and message.timestamp()[1] < since:
                continue
            if self._is_mine(message):
                count += 1
        return None if self.timed_out else count

    def _is_mine(self, message: Any) -> bool:
        if (message.key() or b"").decode(errors="replace") != self.d.name:
            return False
        try:
            report = orjson.loads(message.value() or b"")
        except orjson.JSONDecodeError:
            return False
        version = str(report.get("version", "")) if isinstance(report, dict) else ""
        return version.split(".", 1)[0] == str(self.d.major)

    def _result(
        self, started: dt.datetime, lag: int | None, derived: list[_Derived], violations: int | None
    ) -> Freshness:
        latencies = tuple(d.latency_ms for d in derived if d.latency_ms is not None)
        times = [d.time for d in derived if d.time is not None]
        total = len(derived) + (violations or 0)
        if self.timed_out:
            status, detail = (
                FreshnessStatus.TIMED_OUT,
                f"Kafka did not answer within {self.config.timeout_s:g} s",
            )
        elif not derived:
            status, detail = FreshnessStatus.NO_EVENTS, f"no derived event on {self.d.topic} yet"
        else:
            status, detail = FreshnessStatus.MEASURED, None
        return Freshness(
            status=status,
            measured_at=started,
            detail=detail,
            consumer_lag=lag,
            last_event_time=max(times) if times else None,
            last_written_at=_from_ms(max(d.written_ms for d in derived)) if derived else None,
            latency_p50_ms=percentile(latencies, 0.50),
            latency_p99_ms=percentile(latencies, 0.99),
            sampled_events=len(derived),
            sampled_violations=violations,
            conformance_rate=(len(derived) / total) if total and violations is not None else None,
            latency_samples=latencies,
        )


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def now_utc() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)
