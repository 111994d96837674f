"""Kafka topics as an event source: at-least-once, offsets committed after the Neo4j commit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from loaders.errors import LoaderError
from loaders.pipeline import Record

if TYPE_CHECKING:
    from graph_service.observability.loader_metrics import LoaderMetrics

log = logging.getLogger(__name__)


class KafkaSource:
    """Consumes ``topic`` in consumer group ``group``; resumes from the group's committed offsets.

    ``records`` ends when ``stop`` is set (graceful stop: what was read is still written and
    committed) or, with ``idle_timeout``, after that many seconds without a message.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str,
        *,
        stop: threading.Event | None = None,
        idle_timeout: float | None = None,
        poll_timeout: float = 0.5,
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
        """Records as they arrive, and ``None`` whenever a poll finds nothing (lets batches flush)."""
        assigned: list[float] = []  # when partitions were last assigned; idle time counts from then

        def on_assign(consumer: Consumer, partitions: list[TopicPartition]) -> None:
            assigned.append(time.monotonic())
            log.info("kafka: assigned %s", [f"{p.topic}/{p.partition}" for p in partitions])

        self._consumer.subscribe([self.topic], on_assign=on_assign)
        last_message = 0.0
        while not self.stop.is_set():
            with self._lock:
                message = self._consumer.poll(self.poll_timeout)
            if message is None:
                idle_since = max(last_message, assigned[-1]) if assigned else None
                if (
                    self.idle_timeout is not None
                    and idle_since is not None
                    and time.monotonic() - idle_since > self.idle_timeout
                    and self._caught_up()
                ):
                    return
                yield None
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                if error.retriable() or not error.fatal():
                    log.warning("kafka: %s", error)
                    continue
                raise LoaderError(f"Kafka consumer failed on topic {self.topic}: {error}")
            last_message = time.monotonic()
            yield Record(
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
