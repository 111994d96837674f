"""Each adapter's samples load through the real pipeline into the real Neo4j with their mapping
pack; Debezium's come from a real Kafka topic (keys and tombstones included), and reading the topic
again loads nothing twice."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Producer

from graph_service.kafka import create_topic
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders import adapters
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.kafka_source import KafkaSource
from loaders.pipeline import LoadStats
from loaders.sources import read_files
from tests.support.paths import REPO

pytestmark = pytest.mark.integration

DATA = REPO / "tests" / "data" / "adapters"


def parts_for(pack: str, neo4j: Settings, data_dir: Path, store: Neo4jStore) -> LoaderParts:
    settings = load_settings(
        neo4j_uri=neo4j.bolt_uri,
        neo4j_password=neo4j.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=data_dir,
        **adapters.pack_dirs(pack),
    )
    parts = load_parts(settings)
    apply_schema(store, parts.model)
    return parts


def one(store: Neo4jStore, cypher: str, **params: Any) -> dict[str, Any]:
    rows = store.read(cypher, params)
    assert len(rows) == 1, (cypher, rows)
    return dict(rows[0])


def consume(parts: LoaderParts, store: Neo4jStore, bootstrap: str, topic: str, group: str) -> LoadStats:
    source = KafkaSource(bootstrap, topic, group, idle_timeout=1.0, poll_timeout=0.2)
    try:
        pipeline = build_pipeline(parts, store, adapter=adapters.get("debezium"))
        return pipeline.run(source.records(), on_commit=source.commit)
    finally:
        source.close()


def test_debezium_changes_from_a_kafka_topic_build_the_orders_and_a_replay_loads_nothing_twice(
    store: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    messages = orjson.loads((DATA / "debezium" / "erp-changes.json").read_bytes())
    bootstrap, topic = kafka_settings.kafka_bootstrap_servers, f"erpdb-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap})
    for m in messages:
        key = None if m["key"] is None else orjson.dumps(m["key"])
        producer.produce(topic, key=key, value=None if m["value"] is None else orjson.dumps(m["value"]))
    assert producer.flush(30) == 0
    parts = parts_for("debezium-erp", neo4j_settings, tmp_path, store)

    stats = consume(parts, store, bootstrap, topic, "a1-debezium")
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

    again = consume(
        parts, store, bootstrap, topic, "a1-debezium-replay"
    )  # another group: the whole topic again
    assert (again.loaded, again.duplicates, again.rejected_total) == (0, stats.loaded, 0)


def load_file(parts: LoaderParts, store: Neo4jStore, adapter: str, path: Path) -> LoadStats:
    return build_pipeline(parts, store, adapter=adapters.get(adapter)).run(read_files([path]))


def test_sap_business_events_load_by_type_as_subclasses_of_the_core_events(
    store: Neo4jStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    parts = parts_for("sap-s4", neo4j_settings, tmp_path, store)
    stats = load_file(parts, store, "sap-events", DATA / "sap-s4" / "business-events.jsonl")
    assert stats.rejected_total == 0 and stats.loaded == stats.read
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
    store: Neo4jStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    parts = parts_for("salesforce-cdc", neo4j_settings, tmp_path, store)
    stats = load_file(parts, store, "salesforce-cdc", DATA / "salesforce-cdc" / "change-events.jsonl")
    assert dict(stats.rejected) == {"adapter": 1}
    assert stats.loaded == stats.read  # the mass update is two events, the gap none
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
    [letter] = parts.deadletters.all()
    assert letter.reason == "adapter" and "GAP_UPDATE" in letter.message and letter.origin.endswith(":8")
