"""Helpers of the stream runtime tests on the real broker: topics, a stream copy with its own
topic, producing events, reading a topic to its end (read_committed), processor processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from graph_service.kafka.publish import event_key
from graph_service.settings import Settings, load_settings
from graph_service.streams.run import read_minimal
from tests.support.paths import REPO


def create_topic(settings: Settings, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(30)


def stream_env(kafka_settings: Settings, tmp_path: Path, name: str, partitions: int) -> tuple[Settings, Any]:
    """Settings with a fresh events topic of ``partitions`` partitions and violations topic, and
    a copy of the shipped stream ``name`` writing to its own topic (tests share one broker)."""
    suffix = uuid.uuid4().hex[:10]
    streams_dir = tmp_path / "streams"
    source = REPO / "streams" / name / "v1" / "stream.yaml"
    target = streams_dir / name / "v1" / "stream.yaml"
    target.parent.mkdir(parents=True)
    text = source.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("topic:")]
    lines.append(f"topic: test.stream.{name}.{suffix}")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(
        kafka_bootstrap=kafka_settings.kafka_bootstrap_servers,
        events_topic=f"test.events.{suffix}",
        stream_violations_topic=f"test.violations.{suffix}",
        streams_dir=streams_dir,
        shapes_dir=REPO / "shapes",
        ontology_dir=REPO / "ontology",
        data_dir=tmp_path / "data",
    )
    create_topic(settings, settings.events_topic, partitions)
    return settings, read_minimal(target, REPO / "shapes" / "streams")


def produce(settings: Settings, events: Iterable[Mapping[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers, "linger.ms": 5})
    for event in events:
        producer.produce(settings.events_topic, key=event_key(event), value=orjson.dumps(event))
    assert producer.flush(30) == 0


def read_all(settings: Settings, topic: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every committed message of ``topic`` (read_committed), as JSON with its Kafka key and timestamp."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": f"test-reader-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        partitions = [TopicPartition(topic, p, 0) for p in metadata.partitions]
        consumer.assign(partitions)
        ends = {p.partition: _high_watermark(consumer, p) for p in partitions}
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            positions = {tp.partition: tp.offset for tp in consumer.position(partitions)}
            if all(positions[p] >= end or end == 0 for p, end in ends.items()):
                break
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            found.append(
                {"key": message.key().decode(), "ts": message.timestamp()[1], **orjson.loads(message.value())}
            )
        return found
    finally:
        consumer.close()


def _high_watermark(consumer: Consumer, tp: TopicPartition) -> int:
    """The partition's high watermark; a topic just created may not have its leader yet."""
    from confluent_kafka import KafkaError, KafkaException

    moving = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE}
    deadline = time.monotonic() + 30
    while True:
        try:
            return int(consumer.get_watermark_offsets(tp, timeout=10)[1])
        except KafkaException as exc:
            if exc.args[0].code() not in moving or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def lag(settings: Settings, group: str, topics: Iterable[str]) -> int:
    """Messages of ``topics`` that consumer group ``group`` has not committed yet. A partition written
    in transactions ends with a commit marker the consumer never processes: one trailing offset
    more than the group's committed one counts as caught up."""
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": group})
    try:
        total = 0
        for topic in topics:
            metadata = consumer.list_topics(topic, timeout=10).topics[topic]
            if metadata.error is not None:
                raise KeyError(topic)
            partitions = [TopicPartition(topic, p) for p in metadata.partitions]
            for tp in consumer.committed(partitions, timeout=10):
                low, high = consumer.get_watermark_offsets(tp, timeout=10)
                if high == low:
                    continue
                behind = high - max(tp.offset, low)
                total += 0 if behind <= 1 and tp.offset >= 0 and _marker_at(settings, tp, high) else behind
        return total
    finally:
        consumer.close()


def _marker_at(settings: Settings, tp: TopicPartition, high: int) -> bool:
    """Whether the partition's last offset holds no message a read_committed reader would get."""
    probe = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "group.id": f"probe-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    try:
        probe.assign([TopicPartition(tp.topic, tp.partition, high - 1)])
        # A read_committed fetch moves past a marker without delivering anything: the position
        # reaching ``high`` says so at once, where one poll(1.0) always waited its whole second
        # (twice per partition in every caught_up check at the end of a run).
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            message = probe.poll(0.05)
            if message is not None:
                return message.error() is not None or message.offset() != high - 1
            if probe.position([TopicPartition(tp.topic, tp.partition)])[0].offset >= high:
                return True
        return True
    finally:
        probe.close()


def start_processor(settings: Settings, name: str, instance: str, log: Path) -> subprocess.Popen[bytes]:
    """``python -m graph_service.streams.run NAME --instance ID`` as its own process."""
    env = dict(os.environ)
    env.update(
        {
            "DIGISPINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap_servers,
            "DIGISPINE_EVENTS_TOPIC": settings.events_topic,
            "DIGISPINE_STREAM_VIOLATIONS_TOPIC": settings.stream_violations_topic,
            "DIGISPINE_STREAMS_DIR": str(settings.streams_dir),
            "DIGISPINE_SHAPES_DIR": str(settings.shapes_dir),
            "DIGISPINE_ONTOLOGY_DIR": str(settings.ontology_dir),
            "DIGISPINE_DATA_DIR": str(settings.data_dir),
        }
    )
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "graph_service.streams.run", name, "--instance", instance],
        env=env,
        cwd=REPO,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def finals(events: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """``(equipmentId, windowName, windowStart)`` → the final derived event; fails on a second final."""
    found: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for event in events:
        data = event["data"]
        if data["final"]:
            key = (data["equipmentId"], data["windowName"], data["windowStart"])
            assert key not in found, f"two finals for {key}"
            found[key] = event
    return found


def caught_up(settings: Settings, descriptor: Any) -> bool:
    """The stream's group has committed all of the events topic and of its keyed topic, twice in a
    row a second apart (the partitions are read one by one: a transaction committed in between
    could add to one already read)."""
    if not _caught_up_once(settings, descriptor):
        return False
    time.sleep(1.0)
    return _caught_up_once(settings, descriptor)


def _caught_up_once(settings: Settings, descriptor: Any) -> bool:
    from confluent_kafka import KafkaException

    from graph_service.streams.runtime import keyed_topic_name

    topics = [settings.events_topic, keyed_topic_name(descriptor)]
    try:
        return lag(settings, descriptor.consumer_group, topics) == 0
    except (KafkaException, KeyError):  # the keyed topic not created yet, a coordinator moving
        return False


def run_to_end(settings: Settings, descriptor: Any, instances: Iterable[str], log: Path) -> None:
    """Processor processes (one per instance) until the group has caught up, then SIGTERM."""
    processes = [start_processor(settings, descriptor.name, instance, log) for instance in instances]
    try:
        wait_for(lambda: caught_up(settings, descriptor), 120, "the processors to catch up")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
