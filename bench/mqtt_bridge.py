"""The MQTT → Kafka bridge against a bare forwarder (``python -m bench.mqtt_bridge [N]``).

Both read the same N JSON state messages that the broker queued for their persistent session
(published at QoS 1 while they were away) and write to a fresh Kafka topic. The bridge decodes each
into a CloudEvent and acknowledges a message only once Kafka has its event; the bare forwarder
(paho + confluent-kafka, the limit) copies the payload to Kafka and lets paho acknowledge at once.
Prints messages/s of each and the ratio. Starts its own mosquitto and Kafka on free ports.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from confluent_kafka import Producer
from paho.mqtt.enums import CallbackAPIVersion

from graph_service.kafka import create_topic
from graph_service.kafka.local_kafka import LocalKafka
from graph_service.mqtt.bridge import BridgeConfig, MqttKafkaBridge
from graph_service.mqtt.local_mosquitto import LocalMosquitto
from graph_service.mqtt.publish import publish_messages
from graph_service.settings import Settings, load_settings
from loaders.deadletters import DeadLetterStore
from tests.conftest import free_port

T0 = 1_772_442_000_000


def messages(n: int, root: str) -> list[tuple[str, bytes]]:
    states = ("RUNNING", "DOWN", "IDLE", "SETUP")
    return [
        (
            f"{root}/plant1/fab/line2/cnc-{i % 20}/state",
            orjson.dumps({"state": states[i % 4], "reason": "BENCH", "timestamp": T0 + 1000 * i}),
        )
        for i in range(n)
    ]


def subscribe_once(settings: Settings, client_id: str, root: str) -> None:
    """Create the persistent session, so the broker queues what is published next."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.connect(*settings.mqtt_address)
    client.loop_start()
    info = client.subscribe(f"{root}/#", qos=1)
    time.sleep(0.5)  # the SUBACK; this is a benchmark's setup, not a test
    assert info[0] == mqtt.MQTT_ERR_SUCCESS
    client.disconnect()
    client.loop_stop()


def bare(settings: Settings, bootstrap: str, client_id: str, root: str, n: int) -> float:
    topic = f"bare-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=3)
    producer = Producer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5}
    )
    seen = threading.Event()
    count = [0]

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        producer.produce(topic, value=message.payload, key=message.topic.encode())
        producer.poll(0)
        count[0] += 1
        if count[0] == n:
            seen.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.on_message = on_message
    started = time.perf_counter()
    client.connect(*settings.mqtt_address)
    client.loop_start()
    seen.wait(600)
    producer.flush(60)
    seconds = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return n / seconds


def bridged(settings: Settings, bootstrap: str, client_id: str, root: str, home: Path, n: int) -> float:
    topic = f"bridge-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic, partitions=3)
    host, port = settings.mqtt_address
    config = BridgeConfig(host, port, (f"{root}/#",), bootstrap, topic, client_id, home / "state.json")
    bridge = MqttKafkaBridge(config, DeadLetterStore(home / "deadletters"), threading.Event())
    started = time.perf_counter()
    stats = bridge.run(idle_timeout=1.0)
    seconds = time.perf_counter() - started - 1.0  # less the idle second that ends it
    assert stats.acknowledged == n, stats.line()
    return n / seconds


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        broker = LocalMosquitto(home / "mqtt", free_port())
        kafka = LocalKafka(
            load_settings(
                data_dir=home, kafka_port=free_port(), kafka_controller_port=free_port(), kafka_bootstrap=None
            )
        )
        broker.start()
        kafka.start()
        try:
            settings = load_settings(mqtt_port=broker.port, mqtt_broker=None)
            rates: dict[str, list[float]] = {"bridge": [], "bare": []}
            for round_ in range(2):
                for name in ("bridge", "bare"):
                    client_id, root = f"{name}-{round_}", f"bench{round_}{name}"
                    subscribe_once(settings, client_id, root)
                    publish_messages(settings, messages(n, root))
                    if name == "bridge":
                        rates[name].append(
                            bridged(settings, kafka.bootstrap_servers, client_id, root, home, n)
                        )
                    else:
                        rates[name].append(bare(settings, kafka.bootstrap_servers, client_id, root, n))
            best = {k: max(v) for k, v in rates.items()}
            print(f"{n:,} queued QoS 1 messages, best of 2 alternating rounds:")
            print(f"  bridge (decode, ack after Kafka) {best['bridge']:>10,.0f} messages/s")
            print(f"  bare forwarder (ack at once)     {best['bare']:>10,.0f} messages/s")
            print(f"  ratio bridge / bare              {best['bridge'] / best['bare']:>10.2f}")
        finally:
            kafka.stop()
            broker.stop()


if __name__ == "__main__":
    main()
