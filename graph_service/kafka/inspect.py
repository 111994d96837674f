"""Reading Kafka's bookkeeping without joining a group: a group's lag per partition, a topic's tail.

`digispine streams list` and `streams inspect` use these; neither subscribes, so asking never
makes a processor's group rebalance.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaException, TopicPartition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    """One partition of a topic as seen by a consumer group."""

    topic: str
    partition: int
    committed: int | None  # None: the group never committed here
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed) if self.committed is not None else self.end


@dataclass(frozen=True)
class TailMessage:
    """A message read back from a topic's end."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes


def _consumer(bootstrap: str, group: str | None = None, timeout: float = 10.0) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            # Never subscribed, so the group is only the name whose offsets are asked for.
            "group.id": group or f"digispine-inspect-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "socket.connection.setup.timeout.ms": int(timeout * 1000),
            "logger": log,
        }
    )


def topic_partitions(consumer: Consumer, topic: str, timeout: float) -> list[int]:
    """The partitions of ``topic``; [] when it does not exist (yet)."""
    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return []
    return sorted(metadata.partitions)


def group_lag(bootstrap: str, group: str, topics: list[str], timeout: float = 10.0) -> list[PartitionLag]:
    """Committed offset, end and lag of ``group`` on every partition of ``topics`` that exist."""
    consumer = _consumer(bootstrap, group, timeout)
    try:
        out: list[PartitionLag] = []
        for topic in topics:
            partitions = [TopicPartition(topic, p) for p in topic_partitions(consumer, topic, timeout)]
            if not partitions:
                continue
            for tp in consumer.committed(partitions, timeout=timeout):
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=timeout)
                committed = None if tp.offset == OFFSET_INVALID or tp.offset < 0 else tp.offset
                out.append(PartitionLag(topic, tp.partition, committed, high))
        return out
    finally:
        consumer.close()


def tail(bootstrap: str, topic: str, per_partition: int, timeout: float = 10.0) -> list[TailMessage]:
    """Up to ``per_partition`` last committed messages of each partition, oldest first by timestamp."""
    consumer = _consumer(bootstrap, None, timeout)
    try:
        assignments: list[TopicPartition] = []
        ends: dict[int, int] = {}
        for partition in topic_partitions(consumer, topic, timeout):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
            if high > low:
                assignments.append(TopicPartition(topic, partition, max(low, high - per_partition)))
                ends[partition] = high
        if not assignments:
            return []
        consumer.assign(assignments)
        out: list[TailMessage] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                # Transaction markers take offsets but are never delivered: ask where we are.
                positions = consumer.position([TopicPartition(topic, p) for p in ends])
                if all(tp.offset >= ends[tp.partition] for tp in positions):
                    break
                continue
            if message.error() is not None:
                raise KafkaException(message.error())
            out.append(
                TailMessage(
                    topic,
                    message.partition(),
                    message.offset(),
                    message.timestamp()[1],
                    message.key(),
                    message.value() or b"",
                )
            )
        return sorted(out, key=lambda m: (m.timestamp_ms, m.partition, m.offset))
    finally:
        consumer.close()
