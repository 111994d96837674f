"""Kafka topics as an event source: at-least-once, offsets committed after the Neo4j commit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from loaders.errors import LoaderError
from loaders.pipeline import Record

if TYPE_CHECKING:
    from graph_service.observability.loader_metrics import LoaderMetrics

log = logging.getLogger(__name__)

#: Messages taken from the consumer's local queue per call once a poll returned one: one call
#: per message cost the feeder thread (which also prepares every event) a lock and a round
#: through the client each.
CHUNK = 500
#: How often, once idle past ``idle_timeout``, the group's committed offsets are compared with
#: the topic's end (three broker requests each).
CAUGHT_UP_CHECK_S = 0.5


class KafkaSource:
    """Consumes ``topic`` in consumer group ``group``; resumes from the group's committed offsets.

    ``records`` ends when ``stop`` is set (graceful stop: what was read is still written and
    committed) or, with ``idle_timeout``, after that many seconds without a message.
    ``poll_timeout`` is the longest a poll waits for a message before it says "nothing" (and
    lets a partial batch go to a waiting writer): short, so an event on a live topic does not
    wait for a batch to fill.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str,
        *,
        stop: threading.Event | None = None,
        idle_timeout: float | None = None,
        poll_timeout: float = 0.05,
        metrics: LoaderMetrics | None = None,
    ) -> None:
        self.topic = topic
        #: Told each partition's lag after every commit (None: no metrics).
        self.metrics = metrics
        self.stop = stop or threading.Event()
        self.idle_timeout = idle_timeout
        self.poll_timeout = poll_timeout
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 10000,
                "max.poll.interval.ms": 600000,
                "client.id": f"digispine-loader-{group}",
            }
        )
        self._lock = threading.Lock()

    def records(self) -> Iterator[Record | None]:
        """Records as they arrive, and ``None`` whenever nothing more is at hand: after each chunk
        of what the consumer had fetched, and whenever a poll finds nothing (lets batches flush)."""
        assigned: list[float] = []  # when partitions were last assigned; idle time counts from then

        def on_assign(consumer: Consumer, partitions: list[TopicPartition]) -> None:
            assigned.append(time.monotonic())
            log.info("kafka: assigned %s", [f"{p.topic}/{p.partition}" for p in partitions])

        self._consumer.subscribe([self.topic], on_assign=on_assign)
        last_message = last_check = 0.0
        while not self.stop.is_set():
            with self._lock:
                first = self._consumer.poll(self.poll_timeout)
                # poll returns at the first message; consume(timeout=0) takes what else is fetched
                messages = [first, *self._consumer.consume(CHUNK - 1, timeout=0)] if first is not None else []
            if not messages:
                now = time.monotonic()
                idle_since = max(last_message, assigned[-1]) if assigned else None
                if (
                    self.idle_timeout is not None
                    and idle_since is not None
                    and now - idle_since > self.idle_timeout
                    and now - last_check >= CAUGHT_UP_CHECK_S
                ):
                    last_check = now
                    if self._caught_up():
                        return
                yield None
                continue
            for message in messages:
                record = self._record(message)
                if record is not None:
                    last_message = time.monotonic()
                    yield record
            yield None  # nothing more at hand until the next poll

    def _record(self, message: Message) -> Record | None:
        """The message as a record; None for a consumer event that is no message (logged)."""
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return None
            if error.retriable() or not error.fatal():
                log.warning("kafka: %s", error)
                return None
            raise LoaderError(f"Kafka consumer failed on topic {self.topic}: {error}")
        return Record(
            raw=message.value() or b"",
            origin=f"kafka:{message.topic()}/{message.partition()}@{message.offset()}",
            position=(message.topic(), message.partition(), message.offset()),
            key=message.key(),
            headers=tuple(message.headers() or ()),
        )

    def _caught_up(self) -> bool:
        """True when the group has committed every partition of the topic up to its end.

        Idle alone is not enough: after a crash, a dead member may still hold partitions until its
        session times out, and they come to us only then.
        """
        with self._lock:
            metadata = self._consumer.list_topics(self.topic, timeout=10)
            partitions = [TopicPartition(self.topic, p) for p in metadata.topics[self.topic].partitions]
            committed = self._consumer.committed(partitions, timeout=10)
            for tp in committed:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(self.topic, tp.partition), timeout=10
                )
                if high > 0 and tp.offset < high:
                    return False
        return True

    def commit(self, positions: list[Any]) -> None:
        """Commit, per partition, the offset after the highest one written."""
        highest: dict[tuple[str, int], int] = {}
        for topic, partition, offset in positions:
            highest[(topic, partition)] = max(offset, highest.get((topic, partition), -1))
        offsets = [TopicPartition(t, p, o + 1) for (t, p), o in sorted(highest.items())]
        if not offsets:
            return
        try:
            with self._lock:
                self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            raise LoaderError(f"could not commit Kafka offsets for {self.topic}: {exc}") from exc
        if self.metrics is not None:
            self._report_lag(offsets)

    def _report_lag(self, committed: list[TopicPartition]) -> None:
        """Lag = the partition's end as the last fetch saw it (no broker round trip) minus the
        offset just committed."""
        for tp in committed:
            with self._lock:
                _, high = self._consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0 and self.metrics is not None:
                self.metrics.lag(tp.topic, tp.partition, high - tp.offset)

    def close(self) -> None:
        with self._lock:
            self._consumer.close()
