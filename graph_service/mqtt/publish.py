"""Publishing to the MQTT broker: `digispine mqtt publish`, the UNS simulation and the tests."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from graph_service.errors import DigiSpineError
from graph_service.mqtt.access import MqttAccess
from graph_service.settings import Settings


class MqttPublishError(DigiSpineError):
    """The broker could not be reached, or did not confirm a message."""


def read_lines(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(topic, payload)`` of each non-empty line ``<topic> <payload>`` (``mosquitto_sub -v``)."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            topic, sep, payload = line.partition(b" ")
            if not sep:
                raise MqttPublishError(f"{path}:{number}: expected `<topic> <payload>`")
            yield topic.decode("utf-8"), payload


def publish_messages(
    settings: Settings,
    messages: Iterable[tuple[str, bytes]],
    *,
    qos: int = 1,
    client_id: str = "",
    timeout: float = 30.0,
) -> int:
    """Publish ``messages`` in order and return once the broker confirmed each (QoS ≥ 1)."""
    host, port = settings.mqtt_address
    where = f"{host}:{port}"
    access = MqttAccess.from_settings(settings)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(100)
    access.configure(client)
    answered = threading.Event()
    refused: list[str] = []

    def on_connect(_c: mqtt.Client, _u: Any, _flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise MqttPublishError(access.connect_failure(where, exc)) from None
    client.loop_start()
    count = 0
    try:
        # A refused CONNECT must not look like a broker that never confirms (paho would keep
        # reconnecting with the same credentials while every publish waits for its timeout).
        if not answered.wait(timeout):
            raise MqttPublishError(f"the MQTT broker at {where} sent no CONNACK within {timeout:.0f} s")
        if refused:
            raise MqttPublishError(access.refusal(where, refused[0]))
        infos = []
        for topic, payload in messages:
            infos.append(client.publish(topic, payload, qos=qos))
            count += 1
        for info in infos:
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise MqttPublishError(f"the broker at {where} did not confirm message {info.mid}")
    finally:
        client.disconnect()
        client.loop_stop()
    return count
