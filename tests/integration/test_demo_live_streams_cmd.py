"""`digispine streams list` and `streams inspect` against real topics: a processor group's committed
offsets, a stream topic's last derived event and the violations topic, read back as a user sees them."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.kafka import create_topic
from graph_service.settings import Settings
from tests.support.sample_stream import write_sample_stream

#: What a fresh broker answers while its group coordinator is still being elected or loaded.
COORDINATOR_NOT_READY = {
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
}


def derived(revision: int, inputts: int) -> dict:
    return {
        "specversion": "1.0",
        "id": f"d{revision}",
        "source": "digispine/streams/sample/v1",
        "type": "digispine.stream.Sample.v1",
        "subject": "WU-CNC-01",
        "time": "2026-12-01T10:20:00Z",
        "inputts": inputts,
        "data": {
            "equipmentId": "WU-CNC-01",
            "windowName": "hour",
            "windowStart": "2026-12-01T10:00:00Z",
            "windowEnd": "2026-12-01T11:00:00Z",
            "final": False,
            "revision": revision,
        },
    }


def violation(stream: str, message: str) -> dict:
    event = derived(9, 0)
    report = [
        {
            "focus": "_:row",
            "path": "dss:equipmentId",
            "constraint": "sh:MinCountConstraintComponent",
            "message": message,
        }
    ]
    return {"stream": stream, "version": "1.0.0", "event": event, "report": report}


def produce(bootstrap: str, topic: str, values: list[dict], key: bytes = b"k") -> None:
    create_topic(bootstrap, topic)
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, key=key, value=orjson.dumps(value))
    assert producer.flush(30) == 0


def commit(bootstrap: str, group: str, topic: str, offset: int) -> None:
    """What a processor that has read ``offset`` messages of partition 0 leaves in Kafka."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                consumer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
                return
            except KafkaException as exc:  # a fresh broker's group coordinator may still be loading
                retry = exc.args[0].retriable() or exc.args[0].code() in COORDINATOR_NOT_READY
                if not retry or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


def test_list_and_inspect_show_lag_the_last_derived_event_and_this_streams_violations(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    suffix = uuid.uuid4().hex[:8]
    events_topic, stream_topic, violations_topic = (f"ev-{suffix}", f"st-{suffix}", f"vi-{suffix}")
    env = {
        **write_sample_stream(tmp_path, name="sample", topic=stream_topic),
        "DIGISPINE_KAFKA_BOOTSTRAP": bootstrap,
        "DIGISPINE_EVENTS_TOPIC": events_topic,
        "DIGISPINE_STREAM_VIOLATIONS_TOPIC": violations_topic,
        "COLUMNS": "250",
    }
    produce(bootstrap, events_topic, [{"n": i} for i in range(5)])
    commit(bootstrap, "digispine-stream-sample-v1", events_topic, 3)
    produce(bootstrap, stream_topic, [derived(1, 1_000), derived(2, 2_000)], key=b"WU-CNC-01")
    produce(
        bootstrap,
        violations_topic,
        [violation("sample", "needs an equipmentId"), violation("other", "not ours")],
    )
    runner = CliRunner()

    listed = runner.invoke(app, ["streams", "list", "--json"], env=env)
    inspected = runner.invoke(app, ["streams", "inspect", "sample"], env=env)
    as_json = runner.invoke(app, ["streams", "inspect", "sample", "--json"], env=env)

    assert listed.exit_code == 0, listed.output
    (row,) = [r for r in json.loads(listed.output) if r["name"] == "sample" and r["topic"] == stream_topic]
    assert str(row["lag"]) == "2"  # 5 on the events topic, 3 committed
    assert inspected.exit_code == 0, inspected.output
    lag_row = next(line for line in inspected.output.splitlines() if events_topic in line)
    assert [cell.strip() for cell in lag_row.split("│")[1:-1]] == [events_topic, "0", "3", "5", "2"]
    assert "subject WU-CNC-01" in inspected.output
    assert "window hour 2026-12-01T10:00:00Z → 2026-12-01T11:00:00Z (revision 2)" in inspected.output
    assert "violations: 1 among the last" in inspected.output
    assert "dss:equipmentId: needs an equipmentId" in inspected.output
    assert "not ours" not in inspected.output

    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)  # the same figures, nothing else on stdout
    lag = next(p for p in report["lag"] if p["topic"] == events_topic)
    assert (lag["partition"], lag["committed"], lag["end"], lag["lag"]) == (0, 3, 5, 2)
    assert report["output"]["topic"] == stream_topic
    assert report["lastDerivedEvent"]["event"]["subject"] == "WU-CNC-01"
    assert report["lastDerivedEvent"]["event"]["data"]["revision"] == 2
    assert report["violations"]["count"] == 1
    (refused,) = report["violations"]["recent"]
    assert "needs an equipmentId" in json.dumps(refused["record"])


def test_run_says_when_no_processor_computes_a_declared_stream(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    env = {
        **write_sample_stream(tmp_path),
        "DIGISPINE_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap_servers,
    }

    result = CliRunner().invoke(app, ["streams", "run", "sample", "--stop-after-idle", "1"], env=env)

    assert result.exit_code == 1
    assert "no processor computes the stream 'sample'" in " ".join(result.output.split())
