"""Each adapter's samples load through the real pipeline into the real Neo4j with their mapping
pack; Debezium's come from a real Kafka topic (keys and tombstones included), and the same
messages again load nothing twice. SAP's and Salesforce's load with `digispine load` as a user runs
it (the adapter chosen by the setting, and by --adapter)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Producer
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.kafka import create_topic
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders import adapters
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.deadletters import DeadLetterStore
from loaders.kafka_source import KafkaSource
from loaders.pipeline import Record
from tests.integration.test_load_cli import cli_env
from tests.support.paths import REPO

pytestmark = pytest.mark.integration

DATA = REPO / "tests" / "data" / "adapters"


def parts_for(pack: str, neo4j: Settings, data_dir: Path) -> LoaderParts:
    settings = load_settings(
        neo4j_uri=neo4j.bolt_uri,
        neo4j_password=neo4j.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=data_dir,
        **adapters.pack_dirs(pack),
    )
    return load_parts(settings)


def one(store: Neo4jStore, cypher: str, **params: Any) -> dict[str, Any]:
    rows = store.read(cypher, params)
    assert len(rows) == 1, (cypher, rows)
    return dict(rows[0])


@pytest.fixture()
def schema(store: Neo4jStore, model: DomainModel) -> Neo4jStore:
    """The store, empty, with the core's constraints (the packs add event classes, no keyed entities)."""
    apply_schema(store, model)
    return store


def test_debezium_changes_from_a_kafka_topic_build_the_orders_and_a_replay_loads_nothing_twice(
    schema: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    store = schema
    messages = orjson.loads((DATA / "debezium" / "erp-changes.json").read_bytes())
    bootstrap, topic = kafka_settings.kafka_bootstrap_servers, f"erpdb-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap})
    for m in messages:
        key = None if m["key"] is None else orjson.dumps(m["key"])
        producer.produce(topic, key=key, value=None if m["value"] is None else orjson.dumps(m["value"]))
    assert producer.flush(30) == 0
    parts = parts_for("debezium-erp", neo4j_settings, tmp_path)
    pipeline = build_pipeline(parts, store, adapter=adapters.get("debezium"))
    source = KafkaSource(bootstrap, topic, "a1-debezium", idle_timeout=1.0, poll_timeout=0.2)
    try:
        stats = pipeline.run(source.records(), on_commit=source.commit)
    finally:
        source.close()
    tombstones = sum(m["value"] is None for m in messages)
    assert (stats.read, stats.skipped, stats.rejected_total) == (len(messages), tombstones, 0)
    assert stats.loaded == len(messages) - tombstones
    order = one(
        store,
        "MATCH (o:SalesOrder {salesOrderNumber: 'SO-1001'})-[:ORDERED_BY]->(c:Customer) "
        "RETURN o.status AS status, o.totalNetAmount AS amount, toString(o.orderDate) AS date, "
        "c.customerNumber AS c",
    )
    assert order == {"status": "IN_PROCESS", "amount": 1234.5, "date": "2026-03-02", "c": "C-10"}
    items = store.read(
        "MATCH (i:SalesOrderItem)-[:ITEM_OF]->(:SalesOrder {salesOrderNumber: 'SO-1001'}), "
        "(i)-[:ORDERED_MATERIAL]->(m:Material) "
        "RETURN i.salesOrderItemId AS id, m.materialNumber AS m ORDER BY id"
    )
    assert [dict(r) for r in items] == [
        {"id": "SO-1001/10", "m": "M-100"},
        {"id": "SO-1001/20", "m": "M-200"},
    ]
    assert one(store, "MATCH (o:SalesOrder {salesOrderNumber: 'SO-1002'}) RETURN o.status AS s") == {
        "s": "DELETED"
    }
    material = one(
        store, "MATCH (m:Material {materialNumber: 'M-200'}) RETURN m.name AS name, m.materialType AS t"
    )
    assert material == {"name": "Grey cast iron EN-GJL-250", "t": "RAW"}

    # The same messages again (a topic replayed, a connector resending): nothing loads twice.
    replay = [
        Record(
            raw=b"" if m["value"] is None else orjson.dumps(m["value"]),
            origin=f"replay:{i}",
            key=None if m["key"] is None else orjson.dumps(m["key"]),
        )
        for i, m in enumerate(messages)
    ]
    again = pipeline.run(replay)
    assert (again.loaded, again.duplicates, again.rejected_total) == (0, stats.loaded, 0)


def environment(neo4j: Settings, tmp_path: Path, pack: str) -> dict[str, str]:
    """The CLI's environment: the test Neo4j, dead letters under ``tmp_path/data``, ``pack`` selected."""
    dirs = adapters.pack_dirs(pack)
    return {
        **cli_env(neo4j, tmp_path / "data"),
        "DIGISPINE_MAPPINGS_DIRS": ":".join(str(d) for d in dirs["mappings_dirs"]),
        "DIGISPINE_ONTOLOGY_DIRS": ":".join(str(d) for d in dirs["ontology_dirs"]),
    }


def load_cli(neo4j: Settings, tmp_path: Path, pack: str, args: list[str], **env: str) -> dict[str, int]:
    """`digispine load ARGS` with ``pack`` selected by the environment, as a user runs it: the
    figures of its summary (read, loaded, …, ``rejected: <reason>``)."""
    result = CliRunner().invoke(app, ["load", *args], env={**environment(neo4j, tmp_path, pack), **env})
    assert result.exit_code == 0, result.output
    return {name: int(n) for name, n in re.findall(r"^  (\w[\w: ]*?)\s+(\d+)$", result.output, re.M)}


def test_sap_business_events_load_by_type_as_subclasses_of_the_core_events(
    schema: Neo4jStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    store = schema
    lines = (DATA / "sap-s4" / "business-events.jsonl").read_text().splitlines()
    # the adapter chosen by the setting (a loader configured by its environment)
    output = load_cli(
        neo4j_settings,
        tmp_path,
        "sap-s4",
        [str(DATA / "sap-s4" / "business-events.jsonl")],
        DIGISPINE_LOAD_ADAPTER="sap-events",
    )
    assert output == {"read": len(lines), "loaded": len(lines), "duplicates": 0}
    created = one(
        store,
        "MATCH (e:SalesOrderCreated)-[:AFFECTED]->(o:SalesOrder {salesOrderNumber: '0000012345'})"
        "-[:ORDERED_BY]->(c:Customer) "
        "RETURN e:SalesOrderCreatedNotification AS sap, o.status AS s, c.customerNumber AS c",
    )
    assert created == {"sap": True, "s": "OPEN", "c": "0010100001"}
    assert one(store, "MATCH (o:SalesOrder {salesOrderNumber: '0000012346'}) RETURN o.status AS s") == {
        "s": "DELETED"
    }
    changes = one(
        store,
        "MATCH (e:SalesOrderChanged)-[:AFFECTED]->(:SalesOrder {salesOrderNumber: '0000012345'}) "
        "RETURN count(e) AS n",
    )
    assert changes == {"n": 1}
    assert one(store, "MATCH (m:Material {materialNumber: 'TG11'}) RETURN m.materialType AS t") == {
        "t": "FINISHED"
    }


def test_salesforce_change_events_load_one_change_per_record_and_the_gap_is_a_dead_letter(
    schema: Neo4jStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    store = schema
    path = DATA / "salesforce-cdc" / "change-events.jsonl"
    output = load_cli(neo4j_settings, tmp_path, "salesforce-cdc", ["--adapter", "salesforce-cdc", str(path)])
    lines = path.read_text().splitlines()
    # read: every line; loaded: one more than lines less the gap (the mass update is two events)
    assert output == {"read": len(lines), "loaded": len(lines), "duplicates": 0, "rejected: adapter": 1}
    opportunities = store.read(
        "MATCH (o:Opportunity)-[:OPPORTUNITY_FOR]->(c:Customer {customerNumber: '001R0000003x1D0IAI'}) "
        "RETURN o.stage AS stage, o.winProbability AS p, o.expectedValue AS v ORDER BY v"
    )
    assert [dict(r) for r in opportunities] == [
        {"stage": "NEGOTIATION", "p": 90.0, "v": 18000.0},
        {"stage": "NEGOTIATION", "p": 90.0, "v": 250000.0},
    ]
    contact = one(
        store,
        "MATCH (p:Contact {contactId: '003R000000A1b2cIAB'})-[:CONTACT_OF]->(c:Customer) "
        "RETURN p.phone AS phone, p.contactRole AS role, c.name AS customer",
    )
    assert contact == {
        "phone": "+49 711 5550199",
        "role": "Head of Purchasing",
        "customer": "Acme Pumps GmbH",
    }
    deleted = one(
        store, "MATCH (:CrmRecordDeleted)-[:AFFECTED]->(o:Opportunity) RETURN o.opportunityId AS id"
    )
    assert deleted == {"id": "006R000000B4xZ0IAJ"}
    letters = DeadLetterStore(tmp_path / "data" / "deadletters")
    [letter] = letters.all()
    assert letter.reason == "adapter" and "GAP_UPDATE" in letter.message and letter.origin.endswith(":8")
    # A retry sends the wire record through the adapter that refused it (not as a CloudEvent):
    # refused again for the same reason, not as an envelope.
    retried = CliRunner().invoke(
        app,
        ["deadletters", "retry", "--reason", "adapter"],
        env=environment(neo4j_settings, tmp_path, "salesforce-cdc"),
    )
    assert retried.exit_code == 0 and "rejected again 1" in retried.output, retried.output
    [again] = letters.all()
    assert again.reason == "adapter" and again.message == letter.message and again.id != letter.id
