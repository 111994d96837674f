"""The bridge and `mqtt publish` against a broker that wants TLS and a login, as a plant's does: the
project's mosquitto with a password file and a TLS listener (certificates made for the test).
What works carries messages to Kafka; what is wrong is refused with the setting to check."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer

from graph_service.kafka import create_topic
from graph_service.mqtt.access import MqttAccess
from graph_service.mqtt.bridge import BridgeConfig, BridgeError, BridgeStats, MqttKafkaBridge
from graph_service.mqtt.local_mosquitto import LocalMosquitto, TlsListener
from graph_service.mqtt.publish import MqttPublishError, publish_messages
from graph_service.settings import Settings, load_settings
from loaders.deadletters import DeadLetterStore
from tests.integration.kafka_fixtures import free_port_pair
from tests.support.tls import TlsFiles, make_tls_files

USER, PASSWORD = "bridge", "s3cret-for-the-test"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalMosquitto, TlsFiles]]:
    home = tmp_path_factory.mktemp("mqtt-secured")
    files = make_tls_files(home / "tls")
    plain, tls = free_port_pair()
    broker = LocalMosquitto(
        home / "broker",
        plain,
        users={USER: PASSWORD},
        tls=TlsListener(tls, files.server_cert, files.server_key),
    )
    broker.start()
    try:
        yield broker, files
    finally:
        broker.stop(timeout=15.0)


def client_settings(port: int, **extra: object) -> Settings:
    return load_settings(mqtt_broker=f"127.0.0.1:{port}", **extra)


def bridge(settings: Settings, kafka: Settings, tmp_path: Path, topic: str, root: str) -> MqttKafkaBridge:
    host, port = settings.mqtt_address
    config = BridgeConfig(
        mqtt_host=host,
        mqtt_port=port,
        filters=(f"{root}/#",),
        kafka_bootstrap=kafka.kafka_bootstrap_servers,
        kafka_topic=topic,
        client_id=f"test-{uuid.uuid4().hex[:6]}",
        state_file=tmp_path / "state.json",
        access=MqttAccess.from_settings(settings),
    )
    return MqttKafkaBridge(config, DeadLetterStore(tmp_path / "deadletters"), threading.Event())


def state_message(root: str, state: str, minute: int) -> tuple[str, bytes]:
    when = dt.datetime(2026, 11, 30, 8, minute, tzinfo=dt.UTC)
    body = {"state": state, "timestamp": when.isoformat()}
    return f"{root}/plant1/fab/machining/WU-M1/state", orjson.dumps(body)


def kafka_values(kafka: Settings, topic: str, count: int) -> list[dict[str, object]]:
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.kafka_bootstrap_servers,
            "group.id": f"t-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    got: list[dict[str, object]] = []
    try:
        for _ in range(100):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                got.append(orjson.loads(message.value() or b"{}"))
            if len(got) >= count:
                break
    finally:
        consumer.close()
    return got


def test_over_tls_with_a_login_messages_reach_kafka(
    secured: tuple[LocalMosquitto, TlsFiles], kafka_settings: Settings, tmp_path: Path
) -> None:
    broker, files = secured
    assert broker.tls is not None
    settings = client_settings(
        broker.tls.port, mqtt_tls_ca_file=files.ca, mqtt_username=USER, mqtt_password=PASSWORD
    )
    root, topic = f"acme-{uuid.uuid4().hex[:6]}", f"uns-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_settings.kafka_bootstrap_servers, topic, partitions=1)
    worker = bridge(settings, kafka_settings, tmp_path, topic, root)
    assert worker.config.access.describe() == f"TLS, as {USER}"
    done: list[object] = []
    running = threading.Thread(target=lambda: done.append(worker.run(idle_timeout=3.0)))
    running.start()
    assert worker._inbox.connected.wait(30), "the bridge did not connect and subscribe"
    messages = [state_message(root, "RUNNING", 0), state_message(root, "IDLE", 5)]
    assert publish_messages(settings, messages) == 2
    running.join(60)
    assert done, "the bridge did not stop after being idle"
    stats = done[0]
    assert isinstance(stats, BridgeStats)
    assert (stats.received, stats.acknowledged, stats.events) == (2, 2, 2)
    events = kafka_values(kafka_settings, topic, 2)
    assert [e["data"]["state"] for e in events] == ["RUNNING", "IDLE"]  # type: ignore[index]


def test_a_wrong_password_is_refused_naming_the_settings(
    secured: tuple[LocalMosquitto, TlsFiles], kafka_settings: Settings, tmp_path: Path
) -> None:
    broker, files = secured
    assert broker.tls is not None
    settings = client_settings(
        broker.tls.port, mqtt_tls_ca_file=files.ca, mqtt_username=USER, mqtt_password="wrong-password"
    )
    with pytest.raises(BridgeError) as refused:
        bridge(settings, kafka_settings, tmp_path, "unused", "acme").connect()
    message = str(refused.value)
    assert f"refused user '{USER}'" in message and "DIGISPINE_MQTT_PASSWORD" in message, message
    assert "wrong-password" not in message
    with pytest.raises(MqttPublishError, match="DIGISPINE_MQTT_USERNAME and DIGISPINE_MQTT_PASSWORD"):
        publish_messages(settings, [state_message("acme", "RUNNING", 0)], timeout=10)


def test_an_anonymous_client_is_refused_on_the_plain_listener_too(
    secured: tuple[LocalMosquitto, TlsFiles], kafka_settings: Settings, tmp_path: Path
) -> None:
    broker, _ = secured
    settings = client_settings(broker.port)
    with pytest.raises(BridgeError, match="refused an anonymous client.*DIGISPINE_MQTT_USERNAME"):
        bridge(settings, kafka_settings, tmp_path, "unused", "acme").connect()


def test_a_broker_certificate_from_another_ca_is_not_trusted(
    secured: tuple[LocalMosquitto, TlsFiles], kafka_settings: Settings, tmp_path: Path
) -> None:
    broker, _ = secured
    assert broker.tls is not None
    stranger = make_tls_files(tmp_path / "other", ca_name="Some other CA")
    settings = client_settings(
        broker.tls.port, mqtt_tls_ca_file=stranger.ca, mqtt_username=USER, mqtt_password=PASSWORD
    )
    with pytest.raises(BridgeError) as refused:
        bridge(settings, kafka_settings, tmp_path, "unused", "acme").connect()
    message = str(refused.value)
    assert "does not verify against the CA file" in message, message
    assert "DIGISPINE_MQTT_TLS_CA_FILE" in message and str(stranger.ca) in message, message


def test_tls_to_the_plain_listener_says_the_handshake_failed(
    secured: tuple[LocalMosquitto, TlsFiles], kafka_settings: Settings, tmp_path: Path
) -> None:
    broker, files = secured
    settings = client_settings(
        broker.port, mqtt_tls_ca_file=files.ca, mqtt_username=USER, mqtt_password=PASSWORD
    )
    with pytest.raises(BridgeError) as refused:
        bridge(settings, kafka_settings, tmp_path, "unused", "acme").connect()
    message = str(refused.value)
    assert "TLS" in message and f"127.0.0.1:{broker.port}" in message, message
