"""The API's topic reader survives a topic whose partitions have no leader yet.

A topic created a moment before the reader looks at it answers the offset query with
NOT_LEADER_FOR_PARTITION; the reader used to stop for good on it (every subscription on the topic
then waited in vain). The consumer here is a stand-in for the broker's answers only: the real
broker case is covered by the subscription integration tests.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from graph_service.streams.hub import TopicReader


class _Broker:
    """Answers like a broker whose topic's one partition gets a leader after ``failures`` asks."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.assigned: list[Any] = []

    def list_topics(self, topic: str, timeout: float) -> Any:
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions={0: None})})

    def get_watermark_offsets(self, partition: Any, timeout: float) -> tuple[int, int]:
        if self.failures:
            self.failures -= 1
            raise KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION))
        return 0, 7

    def incremental_assign(self, partitions: list[Any]) -> None:
        self.assigned.extend(partitions)


def test_a_partition_without_a_leader_is_assigned_once_it_has_one() -> None:
    loop = asyncio.new_event_loop()
    try:
        reader = TopicReader("127.0.0.1:1", "t", loop, lambda messages: None)
        reader._consumer.close()
        broker = _Broker(failures=2)
        reader._consumer = broker  # type: ignore[assignment]
        assert reader._assign_new_partitions() is False  # not ready: looked at again later
        assert reader._assign_new_partitions() is False
        assert broker.assigned == [] and reader.failure is None
        assert reader._assign_new_partitions() is True
        assert [(p.partition, p.offset) for p in broker.assigned] == [(0, 7)]  # from the end, at start-up
    finally:
        loop.close()
