"""The Unified Namespace bridge: MQTT messages → CloudEvents on a Kafka topic, the log of record
that the loader (`digispine load --kafka`) and the stream processors read.

Guarantee (QoS 1, at least once, nothing lost across a restart of the bridge): the bridge is a
persistent-session MQTT client (``clean_session`` false, client id ``DIGISPINE_MQTT_CLIENT_ID``)
subscribed at QoS 1, and it acknowledges a message (PUBACK) only after Kafka has acknowledged
every event decoded from it (idempotent producer, ``acks=all``) or after its dead letter is
written; acknowledgements go back in the order the messages came. While the bridge is stopped or
dead the broker queues the session's messages (up to ``max_queued_messages``); a message that was
received but not acknowledged when the bridge died is sent again when it reconnects. Such a
message decodes into the same events with the same ids (:mod:`loaders.adapters.mqtt_signals`),
which the loader counts as duplicates. Not covered: messages published at QoS 0 (a QoS 0 message
is never queued), what the broker drops past its queue limit or loses in its own crash between
autosaves, and a session the broker expired.

Sparkplug B's host state (aliases, bdSeq, devices) is kept in ``state_file`` after each BIRTH or
DEATH, before that message is acknowledged, so a restarted bridge still reads DATA by aliases.
"""

from __future__ import annotations

import base64
import logging
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from confluent_kafka import KafkaError, Message, Producer
from paho.mqtt.enums import CallbackAPIVersion

from graph_service.errors import DigiSpineError
from graph_service.kafka.publish import event_key
from graph_service.mqtt.access import MqttAccess
from loaders.adapters import ADAPTER_REASON, AdapterError
from loaders.adapters import mqtt_protobuf as pb
from loaders.adapters.mqtt import UnsAdapter
from loaders.adapters.mqtt_topics import SPARKPLUG_NAMESPACE
from loaders.deadletters import DeadLetterStore

log = logging.getLogger(__name__)

#: Headers of each Kafka record: the MQTT topic.
TOPIC_HEADER = "mqtt_topic"
#: Messages handled between two polls of the producer at most.
BURST = 500


class BridgeError(DigiSpineError):
    """The bridge could not connect, or Kafka refused an event (nothing was acknowledged for it)."""


@dataclass
class BridgeStats:
    """What the bridge did; printed at the end and at each progress line."""

    received: int = 0
    redelivered: int = 0
    events: int = 0
    ignored: int = 0
    dead_letters: int = 0
    acknowledged: int = 0
    rebirths_requested: int = 0
    sequence_gaps: int = 0

    def line(self) -> str:
        return (
            f"received {self.received} (redelivered {self.redelivered}), events {self.events}, "
            f"no event {self.ignored}, dead letters {self.dead_letters}, acknowledged {self.acknowledged}"
        )


@dataclass
class _Pending:
    """A received message waiting for its PUBACK: until Kafka has all of its events."""

    mid: int
    qos: int
    outstanding: int = 0
    failed: str | None = None


@dataclass(frozen=True)
class BridgeConfig:
    """Where the bridge reads and writes."""

    mqtt_host: str
    mqtt_port: int
    filters: tuple[str, ...]
    kafka_bootstrap: str
    kafka_topic: str
    client_id: str
    state_file: Path
    qos: int = 1
    keepalive: int = 30
    access: MqttAccess = field(default_factory=MqttAccess)


@dataclass
class _Inbox:
    messages: queue.Queue[mqtt.MQTTMessage] = field(default_factory=queue.Queue)
    connected: threading.Event = field(default_factory=threading.Event)
    refused: list[str] = field(default_factory=list)


class MqttKafkaBridge:
    """Subscribes to ``config.filters`` and puts the decoded events on ``config.kafka_topic``."""

    def __init__(self, config: BridgeConfig, deadletters: DeadLetterStore, stop: threading.Event) -> None:
        self.config = config
        self.deadletters = deadletters
        self.stop = stop
        self.stats = BridgeStats()
        self.adapter = UnsAdapter()
        self._pending: deque[_Pending] = deque()
        self._inbox = _Inbox()
        self._requested: set[str] = set()
        if config.state_file.exists():
            self.adapter.sparkplug.restore(orjson.loads(config.state_file.read_bytes()))
        self._producer = Producer(
            {
                "bootstrap.servers": config.kafka_bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "client.id": f"digispine-mqtt-bridge-{config.client_id}",
                "logger": log,
            }
        )
        self._client = self._mqtt_client()

    # -- MQTT ------------------------------------------------------------------------------------
    def _mqtt_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        self.config.access.configure(client)
        inbox = self._inbox
        filters = [(f, self.config.qos) for f in self.config.filters]

        def on_connect(client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                inbox.refused.append(str(reason))
                return
            client.subscribe(filters)
            log.info(
                "mqtt: connected (session present: %s), subscribing to %s", flags.session_present, filters
            )

        def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
            # Ready only once the broker has granted every filter (SUBACK): a message published
            # between CONNACK and SUBACK matches no subscription of ours and the broker drops it.
            refused = [f"{f} ({r})" for (f, _q), r in zip(filters, reasons, strict=False) if r.is_failure]
            if refused:
                inbox.refused.append("subscription refused for " + ", ".join(refused))
                return
            inbox.connected.set()
            log.info("mqtt: subscribed to %s", filters)

        def on_message(_c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
            inbox.messages.put(message)

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        return client

    def connect(self, timeout: float = 15.0) -> None:
        """Connect and subscribe, or :class:`BridgeError` saying what to check."""
        where = f"{self.config.mqtt_host}:{self.config.mqtt_port}"
        try:
            self._client.connect(
                self.config.mqtt_host, self.config.mqtt_port, keepalive=self.config.keepalive
            )
        except OSError as exc:
            raise BridgeError(self.config.access.connect_failure(where, exc)) from None
        self._client.loop_start()
        deadline = time.monotonic() + timeout
        while not self._inbox.connected.wait(0.1):
            if self._inbox.refused or time.monotonic() > deadline:
                self._client.loop_stop()
                if self._inbox.refused:
                    raise BridgeError(self.config.access.refusal(where, self._inbox.refused[0]))
                raise BridgeError(
                    f"the MQTT broker at {where} did not accept the bridge: no CONNACK or SUBACK"
                )

    # -- the loop --------------------------------------------------------------------------------
    def run(self, idle_timeout: float | None = None, on_progress: Any = None) -> BridgeStats:
        """Bridge until ``stop`` is set (or ``idle_timeout`` seconds pass with nothing received
        and nothing left to acknowledge). What was received is delivered and acknowledged first."""
        self.connect()
        last = time.monotonic()
        reported = 0.0
        try:
            while not self.stop.is_set():
                try:
                    message = self._inbox.messages.get(timeout=0.1)
                except queue.Empty:
                    message = None
                if message is not None:
                    self._handle(message)
                    # What else has arrived is handled before the next poll: one poll and one
                    # round of acknowledgements per burst, not per message.
                    for _ in range(BURST):
                        try:
                            self._handle(self._inbox.messages.get_nowait())
                        except queue.Empty:
                            break
                    last = time.monotonic()
                self._producer.poll(0)
                self._ack_ready()
                if on_progress is not None and time.monotonic() - reported > 5.0:
                    reported = time.monotonic()
                    on_progress(self.stats)
                idle = self._inbox.messages.empty() and not self._pending
                if idle_timeout is not None and idle and time.monotonic() - last > idle_timeout:
                    break
            self._drain()
        finally:
            self._client.disconnect()
            self._client.loop_stop()
        return self.stats

    def _handle(self, message: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        self.stats.redelivered += bool(message.dup)
        pending = _Pending(message.mid, message.qos)
        self._pending.append(pending)
        topic = message.topic
        payload = bytes(message.payload)
        try:
            events = self.adapter.decode_message(topic, payload, received_ms=int(time.time() * 1000))
        except AdapterError as exc:
            self._dead_letter(topic, payload, str(exc))
            events = []
        else:
            if not events:
                self.stats.ignored += 1
        if topic.startswith(SPARKPLUG_NAMESPACE + "/") and ("BIRTH" in topic or "DEATH" in topic):
            self._save_state()
        self._request_rebirths()
        headers = [(TOPIC_HEADER, topic.encode())]
        for event in events:
            pending.outstanding += 1
            self._produce(orjson.dumps(event), event_key(event), headers, pending)
        self.stats.events += len(events)

    def _produce(self, value: bytes, key: bytes, headers: list[tuple[str, bytes]], pending: _Pending) -> None:
        def delivered(error: KafkaError | None, _message: Message) -> None:
            pending.outstanding -= 1
            if error is not None:
                pending.failed = str(error)

        while True:
            try:
                self._producer.produce(
                    self.config.kafka_topic, value=value, key=key, headers=headers, on_delivery=delivered
                )
                return
            except BufferError:
                self._producer.poll(0.1)

    def _ack_ready(self) -> None:
        """PUBACK, in arrival order, every message whose events Kafka has all acknowledged."""
        while self._pending and self._pending[0].outstanding == 0:
            done = self._pending.popleft()
            if done.failed is not None:
                raise BridgeError(
                    f"Kafka refused an event for {self.config.kafka_topic}: {done.failed}; the message "
                    "is not acknowledged and the broker sends it again when the bridge reconnects"
                )
            if done.qos > 0:
                self._client.ack(done.mid, done.qos)
            self.stats.acknowledged += 1

    def _drain(self, timeout: float = 30.0) -> None:
        """Deliver and acknowledge what was received before stopping."""
        deadline = time.monotonic() + timeout
        while not self._inbox.messages.empty():
            self._handle(self._inbox.messages.get_nowait())
        while self._pending and time.monotonic() < deadline:
            self._producer.poll(0.1)
            self._ack_ready()
        self._producer.flush(max(0.0, deadline - time.monotonic()))
        self._ack_ready()

    # -- dead letters, Sparkplug host duties -------------------------------------------------------
    def _dead_letter(self, topic: str, payload: bytes, message: str) -> None:
        self.stats.dead_letters += 1
        text = payload.decode("utf-8", errors="replace")
        try:
            payload.decode("utf-8")
            encoded = None
        except UnicodeDecodeError:
            encoded = base64.b64encode(payload).decode()
        self.deadletters.add(
            reason=ADAPTER_REASON,
            message=message,
            original=text,
            origin=f"mqtt:{topic}",
            original_base64=encoded,
        )
        log.warning("mqtt: dead letter for %s: %s", topic, message)

    def _save_state(self) -> None:
        path = self.config.state_file
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".tmp")
        scratch.write_bytes(orjson.dumps(self.adapter.sparkplug.to_json(), option=orjson.OPT_INDENT_2))
        os.replace(scratch, path)

    def _request_rebirths(self) -> None:
        """Ask each node that needs it (an unknown alias, a sequence gap) once to rebirth (NCMD)."""
        host = self.adapter.sparkplug
        self.stats.sequence_gaps = host.sequence_gaps
        self._requested &= host.rebirth
        for node in sorted(host.rebirth - self._requested):
            group, edge = node.split("/", 1)
            command = pb.encode(
                [{"name": "Node Control/Rebirth", "datatype": "Boolean", "value": True}],
                timestamp=int(time.time() * 1000),
            )
            self._client.publish(f"{SPARKPLUG_NAMESPACE}/{group}/NCMD/{edge}", command, qos=0)
            self._requested.add(node)
            self.stats.rebirths_requested += 1
            log.info("sparkplug %s: rebirth requested", node)
