"""Reading Kafka's bookkeeping without joining a group: a group's lag per partition, a topic's tail.

`digispine streams list` and `streams inspect` use these; neither subscribes, so asking never
makes a processor's group rebalance.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaException, TopicPartition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    """One partition of a topic as seen by a consumer group."""

    topic: str
    partition: int
    committed: int | None  # None: the group never committed here
    end: int
    #: Offsets between ``committed`` and ``end`` that hold nothing a read_committed reader gets:
    #: transaction markers (and aborted records), counted when the lag was small enough to read.
    unreadable: int = 0

    @property
    def lag(self) -> int:
        """Messages the group has still to read (offsets, when the lag was too large to count)."""
        if self.committed is None:
            return self.end
        return max(0, self.end - self.committed - self.unreadable)


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


#: A lag of up to this many offsets is counted message by message. A topic written in transactions
#: (a stream's keyed topic, an exactly-once processor's output) has a commit marker after each
#: transaction, which takes an offset and is never delivered: the group of an idle exactly-once
#: processor stays one offset short of the end for ever, and `streams inspect` said "lag 1".
#: Larger lags are given in offsets, where a marker or two do not matter.
COUNT_UP_TO = 1000


def group_lag(bootstrap: str, group: str, topics: list[str], timeout: float = 10.0) -> list[PartitionLag]:
    """Committed offset, end and lag of ``group`` on every partition of ``topics`` that exist."""
    consumer = _consumer(bootstrap, group, timeout)
    try:
        out: list[PartitionLag] = []
        readable: set[tuple[str, int]] = set()  # the committed offset is still in the log
        for topic in topics:
            partitions = [TopicPartition(topic, p) for p in topic_partitions(consumer, topic, timeout)]
            if not partitions:
                continue
            for tp in consumer.committed(partitions, timeout=timeout):
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, tp.partition), timeout=timeout
                )
                committed = None if tp.offset == OFFSET_INVALID or tp.offset < 0 else tp.offset
                out.append(PartitionLag(topic, tp.partition, committed, high))
                if committed is not None and committed >= low:
                    readable.add((topic, tp.partition))
        return _counted(consumer, out, readable, timeout)
    finally:
        consumer.close()


def _counted(
    consumer: Consumer, lags: list[PartitionLag], readable: set[tuple[str, int]], timeout: float
) -> list[PartitionLag]:
    """``lags`` with what lies between the committed offset and the end counted, read committed,
    where that span is small and still in the log (``readable``: retention has not deleted the
    committed offset); as they were if the reading does not finish within ``timeout`` (assigned,
    never subscribed: no group is joined and nothing is committed)."""
    todo = {
        (lag.topic, lag.partition): lag
        for lag in lags
        if lag.committed is not None
        and (lag.topic, lag.partition) in readable
        and 0 < lag.end - lag.committed <= COUNT_UP_TO
    }
    if not todo:
        return lags
    consumer.assign([TopicPartition(t, p, lag.committed) for (t, p), lag in todo.items()])
    read = dict.fromkeys(todo, 0)
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            return lags
        message = consumer.poll(0.2)
        if message is None:
            positions = consumer.position([TopicPartition(t, p) for t, p in todo])
            if all(tp.offset >= todo[(tp.topic, tp.partition)].end for tp in positions):
                break
            continue
        if message.error() is not None:
            raise KafkaException(message.error())
        key = (message.topic(), message.partition())
        if message.offset() < todo[key].end:  # what arrived since the end was asked for is not counted
            read[key] += 1
    return [
        replace(lag, unreadable=lag.end - lag.committed - read[key])
        if (key := (lag.topic, lag.partition)) in todo and lag.committed is not None
        else lag
        for lag in lags
    ]


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
