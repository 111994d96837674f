"""The MQTT / Unified Namespace adapter (``uns``): one MQTT message (topic and payload) → the
CloudEvents of the machine states and operation counts it reports.

JSON payloads on ISA-95 topics (:mod:`.mqtt_topics`, :mod:`.mqtt_signals`) and Sparkplug B
payloads on ``spBv1.0/…`` topics (:mod:`.mqtt_sparkplug`) are told apart by the topic. A topic
whose leaf is no machine state or count, and Sparkplug's host STATE and commands, stand for no
event ([]); a message that cannot be read raises :class:`~loaders.adapters.AdapterError` naming
its topic and what is wrong, and becomes a dead letter.

The bridge (:mod:`graph_service.mqtt.bridge`) decodes with it and puts the events on Kafka. As a
load adapter (``digispine load --kafka T --adapter uns``) it reads MQTT messages that another
MQTT → Kafka connector put on a topic: the MQTT topic in the record's key, or in a header
``mqtt_topic``. Sparkplug B needs the messages of an edge node in the order they were sent (one
partition per node), as the bridge keeps them.
"""

from __future__ import annotations

from typing import Any

from loaders.adapters import AdapterError, WireRecord
from loaders.adapters.mqtt_signals import event_of, json_signal, now_ms
from loaders.adapters.mqtt_sparkplug import SparkplugHost
from loaders.adapters.mqtt_topics import ADAPTER, is_sparkplug, parse_sparkplug, parse_uns

#: The Kafka header that may carry the MQTT topic of a record (else its key).
TOPIC_HEADER = "mqtt_topic"


class UnsAdapter:
    """Decodes MQTT messages of a Unified Namespace; keeps the Sparkplug B host state."""

    name = ADAPTER

    def __init__(self) -> None:
        self.sparkplug = SparkplugHost()
        #: Messages that stood for no event, by why (a leaf we do not map, Sparkplug STATE, …).
        self.ignored: dict[str, int] = {}

    def decode_message(
        self, topic: str, payload: bytes, received_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """The CloudEvents of one MQTT message; ``received_ms`` dates a Sparkplug NDEATH that has
        no time of its own (default: now)."""
        if is_sparkplug(topic):
            parsed = parse_sparkplug(topic)
            signals = self.sparkplug.signals(parsed, topic, payload, received_ms or now_ms())
            if not signals:
                self._ignore(f"sparkplug {parsed.message_type}")
            return [event_of(signal) for signal in signals]
        uns = parse_uns(topic)
        if uns is None:
            self._ignore("no state or count leaf")
            return []
        return [event_of(json_signal(uns.path, uns.leaf, topic, payload))]

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        """:meth:`decode_message` of a Kafka record holding an MQTT message."""
        raw_topic = record.headers.get(TOPIC_HEADER) or record.key
        if not raw_topic:
            raise AdapterError(
                ADAPTER,
                record.origin,
                f"the record names no MQTT topic (its key, or a header {TOPIC_HEADER})",
            )
        if record.value is None:
            raise AdapterError(ADAPTER, record.origin, "the record has no payload")
        topic = raw_topic.decode("utf-8", errors="replace")
        return self.decode_message(topic, record.value, received_ms=None)

    def _ignore(self, why: str) -> None:
        self.ignored[why] = self.ignored.get(why, 0) + 1


def create() -> UnsAdapter:
    return UnsAdapter()
