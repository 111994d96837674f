"""The loader's metrics: what a run read, loaded, found duplicate and refused, its batch writes,
and, from Kafka, each partition's lag; served on the loader's own port."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import orjson
from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

from graph_service.kafka.local_kafka import create_topic
from graph_service.observability.loader_metrics import LoaderMetrics, served_loader_metrics
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.kafka_source import KafkaSource
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


def scraped(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def loader_settings(neo4j_settings: Settings, data_dir: Path, **more: object) -> Settings:
    return load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=data_dir,
        **more,
    )


def test_a_run_is_counted_by_outcome_and_served_on_the_loader_port(
    neo4j_settings: Settings, store: Neo4jStore, tmp_path: Path
) -> None:
    settings = loader_settings(neo4j_settings, tmp_path, loader_metrics_port=free_port())
    parts = load_parts(settings)
    apply_schema(store, parts.model)
    events = simulate(seed=5, days=1)[:40]
    records = [Record(orjson.dumps(e), f"t:{i}") for i, e in enumerate(events)]
    records += [Record(orjson.dumps(events[0]), "t:again"), Record(b"{not json", "t:bad")]
    with served_loader_metrics(settings) as metrics:
        assert metrics is not None
        stats = build_pipeline(parts, store, batch_size=15, metrics=metrics).run(records)
        url = f"http://127.0.0.1:{settings.loader_metrics_port}/metrics"
        found = scraped(httpx.get(url, timeout=10).text)
    assert found[("digispine_loader_events_read_total", ())] == len(records) == stats.read
    assert found[("digispine_loader_events_loaded_total", ())] == stats.loaded == len(events)
    assert found[("digispine_loader_events_duplicate_total", ())] == stats.duplicates == 1
    rejected = (("reason", "malformed-json"),)
    assert (
        found[("digispine_loader_events_rejected_total", rejected)] == 1 == stats.rejected["malformed-json"]
    )
    assert found[("digispine_loader_batch_write_duration_seconds_count", ())] == stats.batches
    with httpx.Client() as client:  # the port is closed with the block
        try:
            client.get(url, timeout=2)
            raise AssertionError("the loader's metrics port is still open")
        except httpx.ConnectError:
            pass


def test_the_kafka_lag_of_each_partition_is_reported_after_each_commit(kafka_settings: Settings) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = f"loader-metrics-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(30):
        producer.produce(topic, key=f"k{i % 7}".encode(), value=b"{}")
    assert producer.flush(30) == 0
    metrics = LoaderMetrics()
    source = KafkaSource(bootstrap, topic, f"g-{topic}", metrics=metrics)
    positions = []
    try:
        for record in source.records():
            if record is not None:
                positions.append(record.position)
            if len(positions) == 20:
                source.commit(positions)
                assert lags(metrics, topic) == {"0": 10.0}  # ten messages still unread
            if len(positions) == 30:
                source.commit(positions)
                break
    finally:
        source.close()
    assert lags(metrics, topic) == {"0": 0.0}  # read to the end and committed


def lags(metrics: LoaderMetrics, topic: str) -> dict[str, float]:
    return {
        dict(labels)["partition"]: value
        for (name, labels), value in scraped(metrics.exposition().decode()).items()
        if name == "digispine_loader_kafka_consumer_lag" and dict(labels)["topic"] == topic
    }
