"""Machine states and counts published over MQTT (the project's mosquitto) — JSON on ISA-95 topics
and Sparkplug B — bridged to Kafka across a restart of the bridge, loaded from Kafka into Neo4j,
and read back by the equipmentOEE data product."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.kafka import create_topic
from graph_service.kafka.publish import EventProducer, event_key
from graph_service.mqtt.bridge import BridgeConfig, MqttKafkaBridge
from graph_service.mqtt.publish import publish_messages
from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, ProductPaths, build_data_products
from graph_service.settings import SHIPPED_MAPPINGS, Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.adapters import mqtt_protobuf as pb
from loaders.assembly import build_pipeline, load_parts
from loaders.deadletters import DeadLetterStore
from loaders.kafka_source import KafkaSource
from tests.support.paths import REPO

PACK = REPO / "loaders" / "mappings" / "packs" / "uns"
DAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return DAY.replace(hour=hour, minute=minute)


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def mes(kind: str, data: dict[str, Any], subject: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"mes-{kind}-{subject}",
        "source": "mes/line-1",
        "type": f"digispine.mes.{kind}.v1",
        "time": "2026-03-02T05:00:00Z",
        "subject": subject,
        "data": data,
    }


MASTER_DATA = [
    *(
        mes(
            "EquipmentMasterChanged",
            {"equipmentId": unit, "name": unit, "equipmentLevel": "WORK_UNIT", "siteCode": "PLANT-1"},
            unit,
        )
        for unit in ("WU-M1", "WU-M2")
    ),
    mes(
        "ShiftStarted",
        {
            "shiftId": "S-1",
            "siteCode": "PLANT-1",
            "shiftName": "A",
            "shiftStart": "2026-03-02T06:00:00Z",
            "shiftEnd": "2026-03-02T14:00:00Z",
            "plannedBreakMinutes": 30,
        },
        "S-1",
    ),
]


def json_messages(root: str) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """WU-M1's day as JSON UNS messages, in two halves (before and after the bridge's restart)."""
    cell = f"{root}/plant1/fab/machining/WU-M1"

    def state(value: str, when: dt.datetime, reason: str | None = None) -> tuple[str, bytes]:
        body: dict[str, Any] = {"state": value, "timestamp": when.isoformat()}
        if reason:
            body["reason"] = reason
        return f"{cell}/state", orjson.dumps(body)

    first = [
        state("SETUP", at(6), "CHANGEOVER"),
        (
            f"{cell}/operation/started",
            orjson.dumps(
                {"operationId": "PO-7/0010", "productionOrderNumber": "PO-7", "timestamp": ms(at(6))}
            ),
        ),
        state("RUNNING", at(6, 10), "PRODUCING"),
        (f"{cell}/spindle/temperature", b'{"value": 61.5, "timestamp": 0}'),  # no state or count
        state("HELD", at(9), "JAM"),  # PackML: DOWN
    ]
    second = [
        state("Execute", at(9, 30)),  # PackML: RUNNING
        state("WARP", at(11)),  # not a state: a dead letter naming the topic
        (
            f"{cell}/operation/completed",
            orjson.dumps(
                {
                    "operationId": "PO-7/0010",
                    "productionOrderNumber": "PO-7",
                    "good": 588,
                    "scrap": 12,
                    "rework": 6,
                    "timestamp": ms(at(13)),
                }
            ),
        ),
        state("IDLE", at(13), "ORDER_DONE"),
    ]
    return first, second


def sparkplug_messages(group: str) -> list[tuple[str, bytes]]:
    """WU-M2 as a Sparkplug B device of edge node line2: born RUNNING, IDLE by alias, then dead."""
    node = f"spBv1.0/{group}/{{}}/line2"
    device = node + "/WU-M2"
    return [
        (
            node.format("NBIRTH"),
            pb.encode([{"name": "bdSeq", "datatype": "UInt64", "value": 1}], timestamp=ms(at(6)), seq=0),
        ),
        (
            device.format("DBIRTH"),
            pb.encode(
                [{"name": "state", "alias": 1, "datatype": "String", "value": "RUNNING"}],
                timestamp=ms(at(6)),
                seq=1,
            ),
        ),
        (
            device.format("DDATA"),
            pb.encode([{"alias": 1, "datatype": "String", "value": "IDLE"}], timestamp=ms(at(8)), seq=2),
        ),
        (device.format("DDEATH"), pb.encode([], timestamp=ms(at(10)), seq=3)),
    ]


def only_product(name: str, model: DomainModel, store: Neo4jStore, tmp_path: Path) -> DataProducts:
    """The shipped data product ``name`` alone (building every product costs seconds)."""
    queries, shapes = tmp_path / "queries", tmp_path / "shapes"
    queries.mkdir()
    shapes.mkdir()
    (queries / name).symlink_to(REPO / "queries" / name)
    for shape in (REPO / "shapes" / "products").glob(f"{name}-*.ttl"):
        (shapes / shape.name).symlink_to(shape)
    return build_data_products(ProductPaths((queries,), (shapes,)), model, store)


def wait_until(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture()
def bridge_settings(kafka_settings: Settings, mqtt_settings: Settings, tmp_path: Path) -> Settings:
    """The session's Kafka and mosquitto, a data dir and a bridge client id of the test's own."""
    return load_settings(
        data_dir=tmp_path / "data",
        kafka_bootstrap=kafka_settings.kafka_bootstrap_servers,
        mqtt_port=mqtt_settings.mqtt_port,
        mqtt_broker=mqtt_settings.mqtt_broker,
        mqtt_client_id=f"bridge-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture()
def loader_settings(neo4j_settings: Settings, bridge_settings: Settings) -> Settings:
    """:func:`bridge_settings` with the session's Neo4j and the uns mapping pack."""
    return bridge_settings.model_copy(
        update={
            "neo4j_uri": neo4j_settings.bolt_uri,
            "neo4j_password": neo4j_settings.neo4j_password,
            "ontology_dir": REPO / "ontology",
            "shapes_dir": REPO / "shapes",
            "mappings_dirs": (SHIPPED_MAPPINGS, PACK),
        }
    )


def test_mqtt_states_and_counts_reach_the_oee_product_through_kafka_across_a_bridge_restart(
    store: Neo4jStore, model: DomainModel, loader_settings: Settings, tmp_path: Path
) -> None:
    settings = loader_settings
    root, group = f"acme-{uuid.uuid4().hex[:6]}", f"plant1-{uuid.uuid4().hex[:6]}"
    kafka_topic = f"uns-{uuid.uuid4().hex[:8]}"
    bootstrap = settings.kafka_bootstrap_servers
    create_topic(bootstrap, kafka_topic, partitions=3)
    with EventProducer(bootstrap, kafka_topic) as producer:  # the MES's master data and shift, beside
        for event in MASTER_DATA:
            producer.send(orjson.dumps(event), event_key(event))
    first, second = json_messages(root)
    host, port = settings.mqtt_address
    deadletters = DeadLetterStore(settings.data_dir / "deadletters")
    config = BridgeConfig(
        mqtt_host=host,
        mqtt_port=port,
        filters=(f"{root}/#", f"spBv1.0/{group}/#"),
        kafka_bootstrap=bootstrap,
        kafka_topic=kafka_topic,
        client_id=settings.mqtt_client_id,
        state_file=settings.data_dir / "mqtt" / "bridge" / f"{settings.mqtt_client_id}.sparkplug.json",
    )

    # The bridge's first run: its persistent session subscribes, takes the first half, stops.
    stop = threading.Event()
    bridge = MqttKafkaBridge(config, deadletters, stop)
    running = threading.Thread(target=bridge.run, daemon=True)
    running.start()
    wait_until(bridge._inbox.connected.is_set)
    publish_messages(settings, first + sparkplug_messages(group)[:2])
    wait_until(lambda: bridge.stats.acknowledged == len(first) + 2)
    stop.set()
    running.join(30)
    assert not running.is_alive()

    # Published while no bridge runs: the broker queues them for the bridge's session.
    publish_messages(settings, second + sparkplug_messages(group)[2:])
    result = CliRunner().invoke(
        app,
        [
            "mqtt",
            "bridge",
            "--topic",
            f"{root}/#",
            "--topic",
            f"spBv1.0/{group}/#",
            "--kafka-topic",
            kafka_topic,
            "--until-idle",
            "2",
        ],
        env={
            "DIGISPINE_DATA_DIR": str(settings.data_dir),
            "DIGISPINE_KAFKA_BOOTSTRAP": bootstrap,
            "DIGISPINE_MQTT_PORT": str(port),
            "DIGISPINE_MQTT_CLIENT_ID": settings.mqtt_client_id,
            "COLUMNS": "300",
        },
    )
    assert result.exit_code == 0, result.output
    # 2 Sparkplug messages, 4 JSON; the DDATA is read by the alias its DBIRTH gave before the restart.
    assert "received 6 (redelivered 0), events 5, no event 0, dead letters 1, acknowledged 6" in result.output

    [letter] = deadletters.all()
    assert (letter.reason, letter.origin) == ("adapter", f"mqtt:{root}/plant1/fab/machining/WU-M1/state")
    assert "'WARP' is not an equipment state" in letter.message

    parts = load_parts(settings)
    apply_schema(store, parts.model)
    source = KafkaSource(bootstrap, kafka_topic, f"load-{kafka_topic}", idle_timeout=1.0)
    try:
        stats = build_pipeline(parts, store).run(source.records(), on_commit=source.commit)
    finally:
        source.close()
    sparkplug_events = 3  # birth state, DDATA, DDEATH (NBIRTH has no state)
    json_events = len(first) - 1 + len(second) - 1  # less the temperature and the dead letter
    loaded = json_events + sparkplug_events + len(MASTER_DATA)
    assert (stats.loaded, stats.duplicates, stats.rejected_total) == (loaded, 0, 0)

    products = only_product("equipmentOEE", model, store, tmp_path)
    rows = {r["equipmentId"]: r for r in products.query("equipmentOEE", asOf=at(14), equipmentId=None)}
    m1, m2 = rows["WU-M1"], rows["WU-M2"]
    # WU-M1: SETUP 06:00–06:10, RUNNING 06:10–09:00 and 09:30–13:00, DOWN (HELD) 09:00–09:30.
    assert m1["actualProductionTimeMinutes"] == pytest.approx(170 + 210)
    assert (m1["setupTimeMinutes"], m1["downTimeMinutes"]) == pytest.approx((10, 30))
    assert (m1["producedQuantity"], m1["goodQuantity"], m1["scrapQuantity"], m1["reworkQuantity"]) == (
        600,
        588,
        12,
        6,
    )
    assert m1["availability"] == pytest.approx(380 / 450)
    assert m1["qualityRatio"] == pytest.approx(0.98)
    # WU-M2: RUNNING from its birth 06:00 to 08:00, IDLE to its death at 10:00, DOWN since.
    assert m2["actualProductionTimeMinutes"] == pytest.approx(120)
    assert m2["downTimeMinutes"] == pytest.approx(240)


def test_messages_a_bridge_received_but_never_acknowledged_come_again_after_it_dies(
    bridge_settings: Settings, tmp_path: Path
) -> None:
    settings = bridge_settings
    root = f"acme-{uuid.uuid4().hex[:6]}"
    kafka_topic = f"uns-{uuid.uuid4().hex[:8]}"
    bootstrap = settings.kafka_bootstrap_servers
    create_topic(bootstrap, kafka_topic, partitions=1)
    host, port = settings.mqtt_address
    config = BridgeConfig(
        mqtt_host=host,
        mqtt_port=port,
        filters=(f"{root}/#",),
        kafka_bootstrap=bootstrap,
        kafka_topic=kafka_topic,
        client_id=settings.mqtt_client_id,
        state_file=tmp_path / "state.json",
    )
    deadletters = DeadLetterStore(tmp_path / "deadletters")
    messages, _ = json_messages(root)
    # A bridge that dies after the broker handed it the messages and before it acknowledged any
    # (its connection cut without DISCONNECT, as a kill -9 or a crash would leave it).
    doomed = MqttKafkaBridge(config, deadletters, threading.Event())
    doomed.connect()
    publish_messages(settings, messages)
    wait_until(lambda: doomed._inbox.messages.qsize() == len(messages))
    doomed._client.loop_stop()
    doomed._client.socket().close()

    survivor = MqttKafkaBridge(config, deadletters, threading.Event())
    stats = survivor.run(idle_timeout=2.0)
    assert (stats.received, stats.redelivered, stats.acknowledged) == (
        len(messages),
        len(messages),
        len(messages),
    )
    assert stats.events == len(messages) - 1  # the temperature stands for no event
    # Acknowledged this time: a third bridge of the session finds nothing left.
    assert MqttKafkaBridge(config, deadletters, threading.Event()).run(idle_timeout=1.0).received == 0
