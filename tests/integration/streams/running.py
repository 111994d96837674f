"""Running one stream processor on the real broker for a test: its own topics, a process, its output.

``StreamRun`` copies a stream's descriptor into a temporary streams directory with topics of its
own (the events topic, the stream topic and the violations topic get a uuid suffix, so tests never
read each other's events), produces the test's events keyed by subject as the plant does, runs
``python -m graph_service.streams.run NAME --stop-after-idle S`` until it stops by itself, and reads
what it produced read_committed from the beginning to the end of each topic.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
import yaml
from confluent_kafka import Consumer, Producer, TopicPartition

from graph_service.kafka import create_topic
from graph_service.settings import Settings

REPO = Path(__file__).resolve().parents[3]


def cloud_event(source: str, type_: str, time: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """An operational event with a deterministic id (tests assert derived ids built from it)."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{type_}/{subject}/{time}")),
        "source": source,
        "type": type_,
        "time": time,
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }


class StreamRun:
    """One stream on topics of its own (see the module docstring)."""

    def __init__(
        self, kafka: Settings, tmp: Path, name: str, *, parameters: dict[str, Any] | None = None
    ) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.kafka = kafka
        self.name = name
        self.tmp = tmp
        self.events_topic = f"test.events.{name}.{suffix}"
        self.topic = f"test.stream.{name}.{suffix}"
        self.violations_topic = f"test.violations.{name}.{suffix}"
        source = REPO / "streams" / name / "v1" / "stream.yaml"
        doc = yaml.safe_load(source.read_text(encoding="utf-8"))
        doc["topic"] = self.topic
        doc["parameters"] = {**(doc.get("parameters") or {}), **(parameters or {})}
        target = tmp / "streams" / name / "v1" / "stream.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        self.log = ""

    @property
    def bootstrap(self) -> str:
        return self.kafka.kafka_bootstrap_servers

    def produce(self, events: list[dict[str, Any]], partitions: int = 1) -> None:
        create_topic(self.bootstrap, self.events_topic, partitions=partitions)
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5})
        for event in events:
            producer.produce(self.events_topic, key=event["subject"].encode(), value=orjson.dumps(event))
        assert producer.flush(30) == 0

    def run(self, idle_seconds: float = 6.0, timeout: float = 120.0) -> None:
        """The processor, until it has been idle for ``idle_seconds`` (it exits by itself)."""
        env = {
            **os.environ,
            "DIGISPINE_KAFKA_BOOTSTRAP": self.bootstrap,
            "DIGISPINE_EVENTS_TOPIC": self.events_topic,
            "DIGISPINE_STREAM_VIOLATIONS_TOPIC": self.violations_topic,
            "DIGISPINE_STREAMS_DIR": str(self.tmp / "streams"),
            "DIGISPINE_DATA_DIR": str(self.tmp / "data"),
            "DIGISPINE_STREAM_CLOCK_SECONDS": "0",
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "graph_service.streams.run",
                self.name,
                "--stop-after-idle",
                str(idle_seconds),
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        self.log = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
        assert done.returncode == 0, self.log[-4000:]

    def read(self, topic: str | None = None) -> list[dict[str, Any]]:
        """Every committed message of ``topic`` (default: the stream's), in partition order."""
        topic = topic or self.topic
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"test-reader-{uuid.uuid4().hex}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        try:
            metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if metadata is None or metadata.error is not None:
                return []
            out: list[dict[str, Any]] = []
            for partition in sorted(metadata.partitions):
                out += _read_partition(consumer, topic, partition)
            return out
        finally:
            consumer.close()

    def violations(self) -> list[dict[str, Any]]:
        return self.read(self.violations_topic)


def _read_partition(consumer: Consumer, topic: str, partition: int) -> list[dict[str, Any]]:
    """From the start to the last stable offset (the processor has stopped: nothing is open)."""
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    if high <= low:
        return []
    consumer.assign([TopicPartition(topic, partition, low)])
    out: list[dict[str, Any]] = []
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    while dt.datetime.now(dt.UTC) < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            out.append(orjson.loads(message.value()))
        position = consumer.position([TopicPartition(topic, partition)])[0].offset
        if position >= high:  # control records of transactions count in the offsets too
            break
    consumer.unassign()
    return out
