"""Streams in the catalog, on the real Kafka: freshness measured from known derived events and
violations on temp topics, the GraphQL ``dataProducts`` entry and the DCAT JSON-LD, start-up checks."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, build_data_products
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.streams import StreamDefinitionError, StreamDescriptor, StreamPaths, load_streams
from graph_service.streams.catalog import StreamCatalog
from graph_service.streams.freshness import FreshnessConfig, FreshnessStatus, measure
from tests.conftest import keyed
from tests.integration.products.conftest import SHIPPED, make_app
from tests.integration.streams.streams_kafka import create_topic, wait_for
from tests.support.paths import REPO
from tests.unit.streams.conftest import MAPPINGS, SHAPE, write_stream

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DQV = Namespace("http://www.w3.org/ns/dqv#")
DSQ = Namespace("https://w3id.org/digispine/products#")
#: Kafka timestamps (ms) of the four derived events, and how long after its input each was written.
WRITTEN = [1_764_000_000_000 + 1000 * i for i in range(4)]
LATENCIES = [100, 400, 200, 300]


@dataclass(frozen=True)
class Topics:
    events: str
    violations: str


@pytest.fixture()
def topics(kafka_settings: Settings) -> Iterator[Topics]:  # noqa: F811
    suffix = uuid.uuid4().hex[:10]
    made = Topics(f"test.events.{suffix}", f"test.violations.{suffix}")
    yield made
    admin = AdminClient({"bootstrap.servers": kafka_settings.kafka_bootstrap_servers})
    for future in admin.delete_topics([made.events, made.violations, f"test.stream.{suffix}"]).values():
        with contextlib.suppress(KafkaException):  # a topic the test never created
            future.result(timeout=10)


def stream(tmp_path: Path, model: DomainModel, topic: str) -> StreamDescriptor:
    name = f"fresh{uuid.uuid4().hex[:8]}"
    shape = SHAPE.replace("SampleV1", "FreshV1")
    write_stream(
        tmp_path,
        {
            "name": name,
            "topic": topic,
            "outputType": "digispine.stream.Fresh.v1",
            "outputShape": "dss:FreshV1Shape",
        },
        shape=shape,
    )
    mappings = tmp_path / "mappings"
    mappings.mkdir(exist_ok=True)
    (mappings / "mes.yaml").write_text(MAPPINGS, encoding="utf-8")
    registry = load_streams(StreamPaths((tmp_path / "streams",), (tmp_path / "shapes",)), model, mappings)
    return registry.get(name)


def fill(settings: Settings, d: StreamDescriptor, topics: Topics) -> None:
    """Input events the group half read, four derived events with known latencies, violations."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    for i in range(10):  # 5 per partition
        producer.produce(topics.events, value=b"{}", key=f"k{i}".encode(), partition=i % 2)
    for i, (written, latency) in enumerate(zip(WRITTEN, LATENCIES, strict=True)):
        event = {
            "specversion": "1.0",
            "id": f"e{i}",
            "type": d.output_type,
            "source": d.source,
            "time": f"2026-12-01T10:00:0{i}Z",
            "inputts": written - latency,
            "data": {"equipmentId": f"E-{i}"},
        }
        producer.produce(d.topic, value=orjson.dumps(event), key=b"E", partition=i % 2, timestamp=written)
    report = {"stream": d.name, "version": d.version, "event": {}, "report": []}
    for key, version, at in (
        (d.name, "1.0.0", WRITTEN[2]),  # counted: this stream and major, in the sampled span
        (d.name, "1.0.0", WRITTEN[0] - 60_000),  # before the oldest sampled derived event
        (d.name, "2.0.0", WRITTEN[3]),  # another major version
        ("otherStream", "1.0.0", WRITTEN[3]),  # another stream
    ):
        value = orjson.dumps({**report, "version": version})
        producer.produce(topics.violations, value=value, key=key.encode(), timestamp=at)
    assert producer.flush(15) == 0
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": d.consumer_group})
    # The processors' group has read 3 of 5 on partition 0, none committed on partition 1: lag 2 + 5.
    try:
        wait_for(lambda: commit(consumer, TopicPartition(topics.events, 0, 3)), 30, "the group coordinator")
    finally:
        consumer.close()


def commit(consumer: Consumer, offset: TopicPartition) -> bool:
    """Commit ``offset``; False while a new broker's group coordinator is not ready yet."""
    try:
        consumer.commit(offsets=[offset], asynchronous=False)
    except KafkaException as exc:
        if exc.args[0].retriable() or exc.args[0].code() in (
            KafkaError.NOT_COORDINATOR,
            KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        ):
            return False
        raise
    return True


def config(settings: Settings, topics: Topics) -> FreshnessConfig:
    return FreshnessConfig(settings.kafka_bootstrap_servers, topics.events, topics.violations, timeout_s=10.0)


def test_freshness_is_measured_from_the_topics(
    tmp_path: Path,
    model: DomainModel,
    kafka_settings: Settings,  # noqa: F811
    topics: Topics,
) -> None:
    d = stream(tmp_path, model, f"test.stream.{topics.events.rsplit('.', 1)[1]}")
    for topic, partitions in ((topics.events, 2), (d.topic, 2), (topics.violations, 1)):
        create_topic(kafka_settings, topic, partitions)
    fill(kafka_settings, d, topics)
    f = measure(d, config(kafka_settings, topics))
    assert f.status is FreshnessStatus.MEASURED, f.detail
    assert f.consumer_lag == 7
    assert f.last_event_time == dt.datetime(2026, 12, 1, 10, 0, 3, tzinfo=dt.UTC)
    assert f.last_written_at == dt.datetime.fromtimestamp(WRITTEN[-1] / 1000, tz=dt.UTC)
    assert sorted(f.latency_samples) == [100.0, 200.0, 300.0, 400.0]
    assert (f.latency_p50_ms, f.latency_p99_ms) == (200.0, 400.0)  # nearest rank of 4 values
    assert (f.sampled_events, f.sampled_violations, f.conformance_rate) == (4, 1, 0.8)


def test_an_unreachable_kafka_gives_null_figures_and_says_why(tmp_path: Path, model: DomainModel) -> None:
    d = stream(tmp_path, model, "test.stream.nowhere")
    unreachable = FreshnessConfig("127.0.0.1:1", "events", "violations", timeout_s=1.0)
    f = measure(d, unreachable)
    assert f.status is FreshnessStatus.KAFKA_UNREACHABLE
    assert "127.0.0.1:1" in (f.detail or "")
    assert (f.consumer_lag, f.latency_p50_ms, f.conformance_rate, f.last_event_time) == (
        None,
        None,
        None,
        None,
    )


@pytest.fixture()
def products(
    tmp_path: Path,
    model: DomainModel,
    store: Neo4jStore,
    kafka_settings: Settings,  # noqa: F811
    topics: Topics,
) -> DataProducts:
    d = stream(tmp_path, model, f"test.stream.{topics.events.rsplit('.', 1)[1]}")
    for topic, partitions in ((topics.events, 2), (d.topic, 2), (topics.violations, 1)):
        create_topic(kafka_settings, topic, partitions)
    fill(kafka_settings, d, topics)
    registry = load_streams(
        StreamPaths((tmp_path / "streams",), (tmp_path / "shapes",)), model, tmp_path / "mappings"
    )
    return build_data_products(
        SHIPPED, model, store, streams=StreamCatalog(registry, config(kafka_settings, topics))
    )


CATALOG = """query($name: String) {
  dataProducts(name: $name) {
    name version kind graphqlField latest freshnessSla accessRoles outputShape validationStatus
    stream {
      inputs key emit grace latencySla outputType consumerGroup
      windows { name kind size }
      kafka { bootstrapServers topic mediaType shape key }
      subscription { field path protocol }
      freshness {
        status consumerLag lastEventTime latencyP50Ms latencyP99Ms sampledEvents sampledViolations
        conformanceRate detail
      }
    }
  }
}"""


def test_the_graphql_catalog_lists_the_stream_with_its_distributions_and_freshness(
    products: DataProducts,
    kafka_settings: Settings,  # noqa: F811
) -> None:
    (d,) = products.streams.registry.streams  # type: ignore[union-attr]
    with TestClient(make_app(products)) as client:
        body = client.post("/graphql", json={"query": CATALOG, "variables": {"name": d.name}}).json()
        batch = client.post("/graphql", json={"query": "{ dataProducts(kind: BATCH) { kind } }"}).json()
        streams_only = client.post(
            "/graphql", json={"query": "{ dataProducts(kind: STREAM) { name } }"}
        ).json()
    assert "errors" not in body, body
    (entry,) = body["data"]["dataProducts"]
    assert {e["kind"] for e in batch["data"]["dataProducts"]} == {"BATCH"}
    assert streams_only["data"]["dataProducts"] == [{"name": d.name}]
    assert (entry["kind"], entry["graphqlField"], entry["latest"], entry["freshnessSla"]) == (
        "STREAM",
        f"{d.name}V1",
        True,
        "PT5M",
    )
    assert entry["outputShape"] == "https://w3id.org/digispine/streams#FreshV1Shape"
    s = entry["stream"]
    assert (s["key"], s["emit"], s["grace"], s["latencySla"], s["consumerGroup"]) == (
        "ds:equipmentId",
        "revisions",
        "PT15M",
        "PT1S",
        d.consumer_group,
    )
    assert s["windows"] == [{"name": "hour", "kind": "tumbling", "size": "PT1H"}]
    assert s["kafka"] == {
        "bootstrapServers": kafka_settings.kafka_bootstrap_servers,
        "topic": d.topic,
        "mediaType": "application/cloudevents+json",
        "shape": d.shape_iri,
        "key": "the value of ds:equipmentId (UTF-8)",
    }
    assert s["subscription"] == {
        "field": f"{d.name}V1",
        "path": "/graphql",
        "protocol": "graphql-transport-ws",
    }
    f = s["freshness"]
    assert f["status"] == "MEASURED", f["detail"]
    assert (f["consumerLag"], f["latencyP50Ms"], f["latencyP99Ms"]) == (7, 200.0, 400.0)
    assert (f["sampledEvents"], f["sampledViolations"], f["conformanceRate"]) == (4, 1, 0.8)
    assert f["lastEventTime"].startswith("2026-12-01T10:00:03")


def test_the_dcat_catalog_has_the_stream_with_kafka_and_subscription_distributions(
    products: DataProducts,
    kafka_settings: Settings,  # noqa: F811
) -> None:
    (d,) = products.streams.registry.streams  # type: ignore[union-attr]
    with TestClient(make_app(products)) as client:
        response = client.get("/catalog.jsonld")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="json-ld")
    dataset = URIRef(f"http://testserver/streams/{d.name}/1.0.0")
    assert (URIRef("http://testserver/catalog.jsonld"), DCAT.dataset, dataset) in graph
    assert graph.value(dataset, DSQ.kind) == Literal("STREAM")
    assert graph.value(dataset, DCTERMS.conformsTo) == URIRef(d.shape_iri)
    distributions = list(graph.objects(dataset, DCAT.distribution))
    kafka = next(x for x in distributions if graph.value(x, DSQ.kafkaTopic) is not None)
    assert graph.value(kafka, DSQ.kafkaTopic) == Literal(d.topic)
    assert graph.value(kafka, DSQ.kafkaBootstrapServers) == Literal(kafka_settings.kafka_bootstrap_servers)
    assert graph.value(kafka, DCTERMS["format"]) == Literal("application/cloudevents+json")
    assert graph.value(kafka, DCTERMS.conformsTo) == URIRef(d.shape_iri)
    subscription = next(x for x in distributions if graph.value(x, DSQ.subscriptionField) is not None)
    assert graph.value(subscription, DSQ.subscriptionField) == Literal(f"{d.name}V1")
    assert graph.value(subscription, DSQ.protocol) == Literal("graphql-transport-ws")
    service = graph.value(subscription, DCAT.accessService)
    assert (service, DCAT.servesDataset, dataset) in graph
    measured = {
        str(graph.value(m, DQV.isMeasurementOf)).rsplit("#", 1)[1]: graph.value(m, DQV.value).toPython()
        for m in graph.objects(dataset, DQV.hasQualityMeasurement)
    }
    assert measured == {
        "consumerLag": 7,
        "latencyP50Ms": 200.0,
        "latencyP99Ms": 400.0,
        "conformanceRate": 0.8,
    }
    assert graph.value(dataset, DSQ.freshnessStatus) == Literal("MEASURED")


def test_the_api_refuses_to_start_with_a_wrong_stream_descriptor(
    tmp_path: Path, model: DomainModel, store: Neo4jStore, neo4j_settings: Settings
) -> None:
    path = write_stream(tmp_path, {"key": "ds:state"}, shape=None)
    shapes = tmp_path / "all-shapes"
    shutil.copytree(REPO / "shapes", shapes, ignore=shutil.ignore_patterns("streams"))
    settings = keyed(neo4j_settings, streams_dir=tmp_path / "streams", shapes_dir=shapes)
    app = create_app(settings, store, model=model)
    with pytest.raises(StreamDefinitionError) as caught, TestClient(app):
        pass
    problems = [str(p) for p in caught.value.problems]
    assert any(
        p.startswith(f"{path}:") and "key ds:state is not an owl:hasKey property" in p for p in problems
    )
