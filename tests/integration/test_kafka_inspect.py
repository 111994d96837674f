"""A group's lag as `digispine streams list` and `inspect` report it, on the real broker: messages
still to read, not offsets — a topic written in transactions has a commit marker after each one."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, Message, Producer, TopicPartition

from graph_service.kafka import create_topic
from graph_service.kafka.inspect import group_lag
from graph_service.settings import Settings


def produce(bootstrap: str, topic: str, values: list[bytes], *, transactional: bool) -> None:
    config: dict[str, str] = {"bootstrap.servers": bootstrap}
    if transactional:
        config["transactional.id"] = f"test-inspect-{uuid.uuid4().hex[:8]}"
    producer = Producer(config)
    if transactional:
        producer.init_transactions(30)
        producer.begin_transaction()
    for value in values:
        producer.produce(topic, value=value, partition=0)
    if transactional:
        producer.commit_transaction(30)
    assert producer.flush(30) == 0


def read_and_commit(bootstrap: str, topic: str, group: str, count: int) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    got: list[Message] = []
    while len(got) < count:
        message = consumer.poll(10)
        assert message is not None and message.error() is None, message
        got.append(message)
    consumer.commit(message=got[-1], asynchronous=False)
    consumer.close()


def test_a_group_that_read_everything_a_transaction_wrote_has_no_lag(kafka_settings: Settings) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic, group = f"inspect-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=1)
    produce(bootstrap, topic, [b"a", b"b", b"c"], transactional=True)
    read_and_commit(bootstrap, topic, group, 3)

    (lag,) = group_lag(bootstrap, group, [topic])
    assert (lag.committed, lag.end) == (3, 4)  # the commit marker takes offset 3
    assert lag.lag == 0

    produce(bootstrap, topic, [b"d", b"e"], transactional=True)
    (lag,) = group_lag(bootstrap, group, [topic])
    assert (lag.end, lag.lag) == (7, 2)  # two messages to read, one more marker


def test_a_plain_topic_lags_by_its_offsets(kafka_settings: Settings) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic, group = f"inspect-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=1)
    produce(bootstrap, topic, [b"a", b"b", b"c", b"d"], transactional=False)
    read_and_commit(bootstrap, topic, group, 1)
    (lag,) = group_lag(bootstrap, group, [topic])
    assert (lag.committed, lag.end, lag.lag) == (1, 4, 3)
    never = group_lag(bootstrap, f"never-{uuid.uuid4().hex[:8]}", [topic])
    assert [(x.committed, x.lag) for x in never] == [(None, 4)]
