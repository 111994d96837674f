"""The graph change log against a real broker and a real Neo4j: what is published, crash safety
(SIGKILL between the Neo4j commit and the publication, and after publication before the outbox is
deleted), and nothing at all when it is off."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from loaders.assembly import build_pipeline, load_parts
from loaders.changelog import OUTBOX_LABEL
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.support.paths import REPO

ERP, CRM = "erp/s4-plant-1000", "crm/main"


def settings_for(neo4j: Settings, kafka: Settings, data_dir: Path, topic: str) -> Settings:
    return load_settings(
        neo4j_uri=neo4j.bolt_uri,
        neo4j_password=neo4j.neo4j_password,
        data_dir=data_dir,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        kafka_bootstrap=kafka.kafka_bootstrap_servers,
        change_log_topic=topic,
    )


def read_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every message of ``topic`` up to its current end, per partition in offset order (the
    publisher flushed before returning, so the end is final)."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        got: list[dict[str, Any]] = []
        done = {p: end == 0 for p, end in ends.items()}
        while not all(done.values()):
            message = consumer.poll(10)
            assert message is not None, f"topic {topic} ended before its watermarks {ends}"
            assert message.error() is None, message.error()
            event = orjson.loads(message.value())
            assert message.key().decode() == event["subject"]
            got.append(event)
            done[message.partition()] = message.offset() + 1 >= ends[message.partition()]
        return got
    finally:
        consumer.close()


def event(source: str, kind: str, time: str, data: dict[str, Any]) -> Record:
    doc = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": source,
        "type": kind,
        "time": time,
        "subject": next(iter(data.values())),
        "data": data,
    }
    return Record(orjson.dumps(doc), doc["id"])


def customer(number: str, name: str, time: str = "2026-01-05T05:00:00Z") -> Record:
    data = {"customerNumber": number, "name": name, "countryCode": "DE", "segment": "INDUSTRY"}
    return event(CRM, "digispine.crm.CustomerRegistered.v1", time, data)


def sales_order(time: str, customer_number: str, amount: float) -> Record:
    data = {
        "salesOrderNumber": "SO-1",
        "customerNumber": customer_number,
        "orderDate": "2026-01-05",
        "requestedDeliveryDate": "2026-01-12",
        "currency": "EUR",
        "totalNetAmount": amount,
        "items": [
            {"itemNumber": 10, "materialNumber": "FG-X", "quantity": 4.0, "unit": "PCE", "netPrice": 1.0}
        ],
    }
    return event(ERP, "digispine.erp.SalesOrderCreated.v1", time, data)


def order_status(time: str, status: str) -> Record:
    data = {"salesOrderNumber": "SO-1", "status": status}
    return event(ERP, "digispine.erp.SalesOrderChanged.v1", time, data)


def of(events: list[dict[str, Any]], record: Record) -> list[dict[str, Any]]:
    cause = orjson.loads(record.raw)["id"]
    return [e["data"] for e in events if e["causeid"] == cause]


def test_the_changes_of_each_commit_are_published_as_they_happened(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    topic = f"changes-{uuid.uuid4().hex[:8]}"
    settings = settings_for(neo4j_settings, kafka_settings, tmp_path, topic)
    pipeline = build_pipeline(load_parts(settings), store)
    first = [
        customer("C-1", "Alpha"),
        customer("C-2", "Beta", "2026-01-05T05:30:00Z"),
        sales_order("2026-01-05T08:00:00Z", "C-1", 10.0),
    ]
    newer = order_status("2026-01-06T10:00:00Z", "COMPLETED")
    older = order_status("2026-01-06T09:00:00Z", "CANCELLED")
    corrected = sales_order("2026-01-07T08:00:00Z", "C-2", 12.5)
    for batch in (first, [newer], [older], [corrected], [newer]):  # the last: a replayed duplicate
        pipeline.run(batch)
    events = read_topic(kafka_settings.kafka_bootstrap_servers, topic)

    created = of(events, first[0])
    assert [c["change"] for c in created] == ["created", "created"]  # the customer and the CRM system
    by_class = {c["entity"]["class"]: c for c in created}
    assert by_class["Customer"]["entity"]["key"] == {"customerNumber": "C-1"}
    assert by_class["Customer"]["properties"]["name"] == "Alpha"
    assert by_class["SourceSystem"]["entity"]["key"] == {"sourceSystemId": CRM}
    assert by_class["Customer"]["cause"]["type"] == "digispine.crm.CustomerRegistered.v1"

    order = of(events, first[2])
    entities = {(c["entity"]["class"], c["change"]) for c in order if "entity" in c}
    assert {("SalesOrder", "created"), ("SalesOrderItem", "created"), ("Material", "created")} <= entities
    assert ("Customer", "created") not in entities  # C-1 came with the first event of the batch
    added = {(c["change"], c["relationship"], c["to"]["class"]) for c in order if "relationship" in c}
    assert added == {("added", "ORDERED_BY", "Customer"), ("added", "ITEM_OF", "SalesOrder")} | {
        ("added", "ORDERED_MATERIAL", "Material")
    }
    so = next(c for c in order if c.get("entity", {}).get("class") == "SalesOrder")
    assert so["properties"]["status"] == "OPEN" and so["properties"]["totalNetAmount"] == 10.0

    assert of(events, newer) == [
        {
            "change": "updated",
            "entity": {"class": "SalesOrder", "key": {"salesOrderNumber": "SO-1"}},
            "properties": {"status": "COMPLETED"},
            "cause": {
                "source": ERP,
                "id": orjson.loads(newer.raw)["id"],
                "type": "digispine.erp.SalesOrderChanged.v1",
                "time": "2026-01-06T10:00:00.000000Z",
            },
        }
    ]
    assert of(events, older) == []  # older than what the graph holds: nothing changed

    fix = of(events, corrected)
    updated = [c for c in fix if "entity" in c]
    assert [(c["entity"]["class"], c["properties"]) for c in updated] == [
        ("SalesOrder", {"status": "OPEN", "totalNetAmount": 12.5})  # the item's same values: no change
    ]
    (moved,) = [c for c in fix if "relationship" in c]
    assert moved["change"] == "repointed"
    assert moved["to"] == {"class": "Customer", "key": {"customerNumber": "C-2"}}
    assert moved["previous"] == [{"class": "Customer", "key": {"customerNumber": "C-1"}}]

    assert len({e["id"] for e in events}) == len(events)
    for e in events:
        assert e["source"] == "digispine/loader" and e["specversion"] == "1.0"
        assert e["causesource"] == e["data"]["cause"]["source"]
    assert store.read(f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o) AS n")[0]["n"] == 0


def test_the_change_log_is_off_by_default(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = settings_for(neo4j_settings, kafka_settings, tmp_path, "")
    assert load_settings().change_log_topic == ""
    parts = load_parts(settings)
    assert parts.change_log is None
    pipeline = build_pipeline(parts, store)
    assert pipeline.changes is None and pipeline.writer.change_log is None
    outbox_seen = []

    def progress(_stats: Any) -> None:  # after each commit, before the next batch
        outbox_seen.append(store.read(f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o) AS n")[0]["n"])

    stats = pipeline.run(
        [customer("C-1", "Alpha"), sales_order("2026-01-05T08:00:00Z", "C-1", 1.0)], on_progress=progress
    )
    assert stats.loaded == 2
    assert outbox_seen == [0]


def test_a_loader_leaves_another_loaders_outbox_alone_and_a_starting_loader_sends_every_one(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    topic = f"changes-{uuid.uuid4().hex[:8]}"
    settings = settings_for(neo4j_settings, kafka_settings, tmp_path, topic)
    parts = load_parts(settings)
    one, other = build_pipeline(parts, store), build_pipeline(parts, store)
    assert one.writer.change_log != other.writer.change_log
    left = customer("C-1", "Alpha")  # committed by `one`, which "dies" before it publishes
    one.writer.write([one.prepare(left)])
    other.changes.drain()  # after one of its own batches: its own outbox only
    assert store.read(f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o) AS n")[0]["n"] == 1
    build_pipeline(parts, store).run([customer("C-2", "Beta")])  # a loader starting sends it first
    events = read_topic(kafka_settings.kafka_bootstrap_servers, topic)
    assert [e["subject"] for e in events if e["subject"].startswith("Customer/")] == [
        "Customer/C-1",
        "Customer/C-2",
    ]
    assert store.read(f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o) AS n")[0]["n"] == 0


# -- a loader process killed between the commit and the publication ---------------------------------

LOADER = """
import os, signal, sys
from pathlib import Path
from graph_service.settings import load_settings
from graph_service.store import Neo4jStore
from loaders.assembly import build_pipeline, load_parts
from loaders.changelog_publisher import ChangePublisher
from loaders.sources import read_files

KILL_AT, MODE = int(os.environ.get("KILL_AT", "0")), os.environ.get("KILL_MODE", "")


class Killing(ChangePublisher):
    sends = 0

    def send(self, batches):
        Killing.sends += 1
        if Killing.sends == KILL_AT and MODE == "before":  # committed, nothing published
            os.kill(os.getpid(), signal.SIGKILL)
        count = super().send(batches)
        if Killing.sends == KILL_AT and MODE == "after":  # published, outbox not deleted
            os.kill(os.getpid(), signal.SIGKILL)
        return count


settings = load_settings()
with Neo4jStore(settings) as store:
    stats = build_pipeline(load_parts(settings), store, batch_size=40, publisher=Killing).run(
        read_files([Path(sys.argv[1])])
    )
print("loaded", stats.loaded)
"""


def run_loader(settings: Settings, path: Path, **kill: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "DIGISPINE_DATA_DIR": str(settings.data_dir),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
        "DIGISPINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap_servers,
        "DIGISPINE_CHANGE_LOG_TOPIC": settings.change_log_topic,
        **kill,
    }
    return subprocess.run(
        [sys.executable, "-c", LOADER, str(path)], env=env, cwd=REPO, capture_output=True, timeout=300
    )


def per_key(events: list[dict[str, Any]]) -> dict[str, list[tuple[str, bytes]]]:
    """Each key's changes in order, as (id, data) with the first of each id only."""
    keys: dict[str, list[tuple[str, bytes]]] = {}
    seen: dict[str, bytes] = {}
    for e in events:
        data = orjson.dumps(e["data"], option=orjson.OPT_SORT_KEYS)
        if e["id"] in seen:
            assert seen[e["id"]] == data, "a duplicate id carries another change"
            continue
        seen[e["id"]] = data
        keys.setdefault(e["subject"], []).append((e["id"], data))
    return keys


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("changes") / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in simulate(seed=21, days=2)))
    return path


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_loader_killed_around_the_publication_publishes_every_change_after_a_restart(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,  # noqa: F811
    stream: Path,
    tmp_path: Path,
    mode: str,
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    reference = settings_for(neo4j_settings, kafka_settings, tmp_path / "ref", f"ref-{uuid.uuid4().hex[:8]}")
    done = run_loader(reference, stream)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = read_topic(bootstrap, reference.change_log_topic)
    store.write("MATCH (n) DETACH DELETE n")

    killed = settings_for(neo4j_settings, kafka_settings, tmp_path / "run", f"kill-{uuid.uuid4().hex[:8]}")
    crashed = run_loader(killed, stream, KILL_AT="3", KILL_MODE=mode)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    left = store.read(f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o) AS n")[0]["n"]
    # batch 3 is committed, its changes wait in the outbox (and batch 4's, when its write, which
    # overlaps batch 3's publication, committed before the kill)
    assert left in (1, 2)
    published = read_topic(bootstrap, killed.change_log_topic)
    assert len(per_key(published)) < len(per_key(expected)) or mode == "after"

    restarted = run_loader(killed, stream)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    actual = read_topic(bootstrap, killed.change_log_topic)
    assert per_key(actual) == per_key(expected)
    duplicates = len(actual) - len({e["id"] for e in actual})
    assert (duplicates > 0) == (mode == "after")  # sent again only what Kafka had already
    assert store.read(f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o) AS n")[0]["n"] == 0


def test_the_change_log_producer_is_made_before_the_first_write_so_its_start_up_overlaps_it(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    # An idempotent producer spends its first ~0.5 s (1 s on a fresh broker) getting its producer
    # id: made at the first publication, that wait came after the first batch's commit.
    topic = f"changes-{uuid.uuid4().hex[:8]}"
    settings = settings_for(neo4j_settings, kafka_settings, tmp_path, topic)
    pipeline = build_pipeline(load_parts(settings), store)
    publisher = pipeline.changes
    assert publisher is not None
    had_producer_at_write: list[bool] = []
    write = pipeline.writer.write

    def watched(*args: Any, **kwargs: Any) -> Any:
        had_producer_at_write.append(publisher._producer is not None)
        return write(*args, **kwargs)

    pipeline.writer.write = watched  # type: ignore[method-assign]
    stats = pipeline.run([customer("C-1", "Alpha")])
    assert stats.loaded == 1
    assert had_producer_at_write == [True]
    published = read_topic(kafka_settings.kafka_bootstrap_servers, topic)
    assert any("C-1" in e["subject"] for e in published), published
