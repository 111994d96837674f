"""What a Sparkplug B host application keeps of each edge node, and its messages read as signals.

Per edge node (``group/node``): the metric names of its aliases (from NBIRTH and each DBIRTH; a
DATA message may send the alias only), its birth-death sequence number ``bdSeq`` (an NDEATH with
another one is a stale will of an earlier connection, and is ignored as the specification says),
the devices it has given birth to, and the next message sequence number ``seq`` (0–255; a gap
means messages were lost upstream: the node is asked to rebirth). DEATH means the equipment's
state is no longer known: each equipment that dies becomes DOWN with reason ``NODE_DEATH`` or
``DEVICE_DEATH`` until a new BIRTH or DATA says otherwise.

Metric names are the UNS leaves of :mod:`loaders.adapters.mqtt_topics`: ``state`` (its value the
state) and ``state/reason``; ``operation/completed`` (the operation id) with
``operation/completed/good`` …; a metric of another name is no machine state or count. A BIRTH
gives the current ``state`` (an operation is an event: only DATA reports one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from loaders.adapters import AdapterError
from loaders.adapters import mqtt_protobuf as pb
from loaders.adapters.mqtt_signals import MAIN_MEMBER, Signal
from loaders.adapters.mqtt_topics import ADAPTER, LEAVES, SparkplugTopic

log = logging.getLogger(__name__)

DEATH_REASONS = {"NDEATH": "NODE_DEATH", "DDEATH": "DEVICE_DEATH"}


@dataclass
class NodeSession:
    """One edge node as the host knows it."""

    aliases: dict[int, str] = field(default_factory=dict)
    bd_seq: int | None = None
    devices: set[str] = field(default_factory=set)
    has_state: bool = False  # the node itself reports a state (an NBIRTH metric `state`)
    next_seq: int | None = None
    last_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "aliases": {str(k): v for k, v in sorted(self.aliases.items())},
            "bdSeq": self.bd_seq,
            "devices": sorted(self.devices),
            "hasState": self.has_state,
            "lastMs": self.last_ms,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> NodeSession:
        return cls(
            aliases={int(k): str(v) for k, v in doc.get("aliases", {}).items()},
            bd_seq=doc.get("bdSeq"),
            devices=set(doc.get("devices", [])),
            has_state=bool(doc.get("hasState")),
            last_ms=doc.get("lastMs"),
        )


class SparkplugHost:
    """Reads Sparkplug B messages in the order the broker delivers them."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeSession] = {}
        #: Nodes to ask for a rebirth (an unknown alias, a sequence gap); the bridge sends NCMDs.
        self.rebirth: set[str] = set()
        self.sequence_gaps = 0

    # -- persistence of what outlives a restart of the host (not seq: the next message sets it) ----
    def to_json(self) -> dict[str, Any]:
        return {key: node.to_json() for key, node in sorted(self.nodes.items())}

    def restore(self, doc: dict[str, Any]) -> None:
        self.nodes = {key: NodeSession.from_json(value) for key, value in doc.items()}

    # -- messages -----------------------------------------------------------------------------------
    def signals(self, topic: SparkplugTopic, name: str, raw: bytes, received_ms: int) -> list[Signal]:
        """The signals of one message (``name``: its MQTT topic), or :class:`AdapterError`."""
        if topic.message_type in ("STATE", "NCMD", "DCMD"):
            return []  # host state and commands: not the edge's data
        where = f"topic {name}"
        try:
            payload = pb.decode(raw)
        except pb.SparkplugDecodeError as exc:
            raise AdapterError(ADAPTER, where, str(exc)) from None
        node = self.nodes.setdefault(topic.node_key, NodeSession())
        kind = topic.message_type
        if kind == "NDEATH":
            return self._node_death(topic, name, payload, node, received_ms)
        self._check_seq(topic, payload, node)
        when = payload.timestamp if payload.timestamp is not None else received_ms
        node.last_ms = max(node.last_ms or 0, when)
        if kind == "NBIRTH":
            node.aliases.clear()
            node.devices.clear()
            node.bd_seq = _bd_seq(payload)
            self.rebirth.discard(topic.node_key)
        if kind.endswith("BIRTH"):
            self._learn_aliases(node, payload.metrics)
            if kind == "DBIRTH" and topic.device:
                node.devices.add(topic.device)
        if kind == "DDEATH":
            node.devices.discard(topic.device or "")
            return [self._death(topic, name, when, "DDEATH")]
        named = self._named(topic, name, node, payload.metrics)
        if kind == "NBIRTH":
            node.has_state = any(metric_name == "state" for metric_name, _ in named)
        leaves = ("state",) if kind.endswith("BIRTH") else tuple(LEAVES)
        extra = {"sparkplug": kind, "seq": payload.seq}
        return list(_group(topic, name, named, when, leaves, extra))

    def _check_seq(self, topic: SparkplugTopic, payload: pb.SparkplugPayload, node: NodeSession) -> None:
        if payload.seq is None:
            return
        if topic.message_type == "NBIRTH":
            node.next_seq = (payload.seq + 1) % 256
            return
        if node.next_seq is not None and payload.seq != node.next_seq:
            self.sequence_gaps += 1
            self.rebirth.add(topic.node_key)
            log.warning(
                "sparkplug %s: seq %d where %d was due (messages lost upstream); asking for a rebirth",
                topic.node_key,
                payload.seq,
                node.next_seq,
            )
        node.next_seq = (payload.seq + 1) % 256

    def _learn_aliases(self, node: NodeSession, metrics: Iterable[pb.Metric]) -> None:
        for metric in metrics:
            if metric.alias is not None and metric.name:
                node.aliases[metric.alias] = metric.name

    def _named(
        self, topic: SparkplugTopic, name: str, node: NodeSession, metrics: Iterable[pb.Metric]
    ) -> list[tuple[str, pb.Metric]]:
        named = []
        for metric in metrics:
            metric_name = metric.name
            if metric_name is None and metric.alias is not None:
                metric_name = node.aliases.get(metric.alias)
                if metric_name is None:
                    self.rebirth.add(topic.node_key)
                    raise AdapterError(
                        ADAPTER,
                        f"topic {name}",
                        f"metric alias {metric.alias} is in no NBIRTH/DBIRTH of {topic.node_key} seen "
                        "so far; the node is asked to rebirth",
                    )
            if metric_name is None:
                raise AdapterError(ADAPTER, f"topic {name}", "a metric has neither name nor alias")
            named.append((metric_name, metric))
        return named

    def _node_death(
        self,
        topic: SparkplugTopic,
        name: str,
        payload: pb.SparkplugPayload,
        node: NodeSession,
        received_ms: int,
    ) -> list[Signal]:
        bd_seq = _bd_seq(payload)
        if node.bd_seq is not None and bd_seq is not None and bd_seq != node.bd_seq:
            log.info(
                "sparkplug %s: NDEATH of bdSeq %s is stale (born as %s): ignored",
                topic.node_key,
                bd_seq,
                node.bd_seq,
            )
            return []
        # The will has no time of its own worth trusting (it was written at connect): the death is
        # dated by the payload when it says, else by the node's last message, else by arrival.
        when = payload.timestamp or node.last_ms or received_ms
        dead = [topic] if node.has_state else []
        dead += [SparkplugTopic(topic.group, "DDEATH", topic.node, d) for d in sorted(node.devices)]
        node.devices.clear()
        node.next_seq = None
        return [self._death(t, name, when, "NDEATH") for t in dead]

    def _death(self, topic: SparkplugTopic, name: str, when: int, kind: str) -> Signal:
        members = {"state": "DOWN", "reason": DEATH_REASONS[kind]}
        return Signal(topic.path, "state", members, when, name, "sparkplug", {"sparkplug": kind})


def _bd_seq(payload: pb.SparkplugPayload) -> int | None:
    for metric in payload.metrics:
        if metric.name == "bdSeq" and isinstance(metric.value, int):
            return metric.value
    return None


def _group(
    topic: SparkplugTopic,
    name: str,
    named: list[tuple[str, pb.Metric]],
    when: int,
    leaves: tuple[str, ...],
    extra: dict[str, Any],
) -> Iterable[Signal]:
    """One signal per leaf the metrics report: ``<leaf>`` is its main member, ``<leaf>/<m>`` member m."""
    for leaf in sorted(leaves, key=lambda n: -n.count("/")):
        members: dict[str, Any] = {}
        stamp: int | None = None
        for metric_name, metric in named:
            if metric_name == leaf:
                members[MAIN_MEMBER[leaf]] = metric.value
                stamp = metric.timestamp
            elif metric_name.startswith(leaf + "/") and "/" not in metric_name[len(leaf) + 1 :]:
                members[metric_name[len(leaf) + 1 :]] = metric.value
        if MAIN_MEMBER[leaf] in members:
            yield Signal(topic.path, leaf, members, stamp or when, name, "sparkplug", dict(extra))
