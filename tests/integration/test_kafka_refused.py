"""Kafka messages that are not valid UTF-8 or too large are dead letters; the messages around them load
and the group's offsets move past them (the consumer is not stuck on a bad message)."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from pathlib import Path

import orjson
from confluent_kafka import Producer

from graph_service.kafka import create_topic
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from loaders.assembly import build_pipeline, load_parts
from loaders.kafka_source import KafkaSource
from loaders.limits import PREVIEW_BYTES, Limits
from tests.support.paths import REPO


def changed(event_id: str, status: str, padding: str = "") -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "erp/s4",
        "type": "digispine.erp.SalesOrderChanged.v1",
        "time": "2026-02-01T10:00:00Z",
        "subject": "SO-5",
        "datacontenttype": "application/json",
        "data": {"salesOrderNumber": "SO-5", "status": status, **({"note": padding} if padding else {})},
    }


def test_bad_kafka_messages_are_dead_lettered_and_the_stream_goes_on(
    store: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        data_dir=tmp_path,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
    )
    parts = dataclasses.replace(load_parts(settings), limits=Limits(max_event_bytes=4096))
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic, group = f"refused-{uuid.uuid4().hex[:8]}", "refused-test"
    create_topic(bootstrap, topic, partitions=1)
    latin1 = orjson.dumps(changed("e-2", "OPEN")).replace(b"SO-5", b"SO-\xfc5", 1)
    huge = orjson.dumps(changed("e-3", "OPEN", padding="x" * 10_000))
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in (
        orjson.dumps(changed("e-1", "OPEN")),
        latin1,
        huge,
        orjson.dumps(changed("e-4", "COMPLETED")),
    ):
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0

    def consume():  # type: ignore[no-untyped-def]
        source = KafkaSource(bootstrap, topic, group, idle_timeout=3)
        try:
            return build_pipeline(parts, store, batch_size=10).run(source.records(), on_commit=source.commit)
        finally:
            source.close()

    stats = consume()
    assert stats.loaded == 2 and stats.rejected == {"malformed-utf8": 1, "too-large": 1}
    letters = {d.reason: d for d in parts.deadletters.all()}
    assert base64.b64decode(letters["malformed-utf8"].original_base64 or "") == latin1
    assert letters["too-large"].original_size == len(huge)
    assert len(letters["too-large"].original) <= PREVIEW_BYTES
    status = store.read("MATCH (o:SalesOrder {salesOrderNumber: 'SO-5'}) RETURN o.status AS s")
    assert status == [{"s": "COMPLETED"}]
    assert not store.read("MATCH (o:SalesOrder) WHERE o.salesOrderNumber CONTAINS '\ufffd' RETURN o")
    assert consume().read == 0  # the offsets were committed past the bad messages
