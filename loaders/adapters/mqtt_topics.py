"""MQTT topic names of a Unified Namespace: ISA-95 paths with a signal leaf, and Sparkplug B topics.

A Unified Namespace topic is the equipment's ISA-95 path, then the signal::

    acme/plant1/machining/line2/cnc-7/state
    └─enterprise/site/area/line/cell─┘ └leaf┘

The path has at least two levels (enterprise and the equipment); the first five are named
enterprise, site, area, line and cell, deeper ones are kept in order; the last level is the
equipment. The leaves DigiSpine maps are :data:`LEAVES`; a topic with another leaf (a temperature,
a spindle speed) is no machine state or count and stands for no event.

A Sparkplug B topic is ``spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]``; its
equipment path is the group, the edge node and the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders.adapters import AdapterError

ADAPTER = "uns"
#: The signal leaves of a UNS topic → the CloudEvents type the adapter gives them.
LEAVES: dict[str, str] = {
    "state": "uns.equipment.state.v1",
    "operation/started": "uns.operation.started.v1",
    "operation/completed": "uns.operation.completed.v1",
}
LEVEL_NAMES = ("enterprise", "site", "area", "line", "cell")
SPARKPLUG_NAMESPACE = "spBv1.0"
SPARKPLUG_TYPES = frozenset(
    {"NBIRTH", "NDEATH", "DBIRTH", "DDEATH", "NDATA", "DDATA", "NCMD", "DCMD", "STATE"}
)
#: Characters no topic level of ours may hold: MQTT's wildcards, and what a CloudEvents source
#: or an equipment id cannot carry.
_BAD = set("+#\x00")


@dataclass(frozen=True)
class EquipmentPath:
    """An equipment's place in the namespace: its levels, enterprise first, the equipment last."""

    levels: tuple[str, ...]

    @property
    def equipment(self) -> str:
        return self.levels[-1]

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of the equipment's events: ``uns/<path>``."""
        return "uns/" + "/".join(self.levels)

    def named(self) -> dict[str, str]:
        """``{"enterprise": …, "site": …, …}`` for the first five levels."""
        return dict(zip(LEVEL_NAMES, self.levels, strict=False))


@dataclass(frozen=True)
class UnsTopic:
    """A parsed UNS topic: the equipment's path and the signal leaf."""

    path: EquipmentPath
    leaf: str


@dataclass(frozen=True)
class SparkplugTopic:
    """A parsed Sparkplug B topic. ``device`` is None for node messages (N…) and STATE."""

    group: str
    message_type: str
    node: str
    device: str | None

    @property
    def node_key(self) -> str:
        return f"{self.group}/{self.node}"

    @property
    def path(self) -> EquipmentPath:
        return EquipmentPath((self.group, self.node, *((self.device,) if self.device else ())))


def _levels(topic: str) -> list[str]:
    if not topic:
        raise AdapterError(ADAPTER, "topic", "the message has no topic")
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if not level:
            raise AdapterError(ADAPTER, f"topic {topic}", f"level {index + 1} is empty")
        if _BAD & set(level) or level.strip() != level:
            raise AdapterError(
                ADAPTER, f"topic {topic}", f"level {level!r} holds a wildcard, NUL or surrounding blank"
            )
    return levels


def parse_uns(topic: str) -> UnsTopic | None:
    """The UNS topic's path and leaf; None when the leaf is none of :data:`LEAVES` (a signal that
    is no machine state or count); :class:`AdapterError` when the topic is malformed."""
    levels = _levels(topic)
    for leaf in sorted(LEAVES, key=lambda name: -name.count("/")):
        width = leaf.count("/") + 1
        if "/".join(levels[-width:]) == leaf:
            path = levels[:-width]
            if len(path) < 2:
                raise AdapterError(
                    ADAPTER,
                    f"topic {topic}",
                    f"a {leaf} signal needs an ISA-95 path of at least enterprise and equipment "
                    "before it (enterprise/site/area/line/cell/" + leaf + ")",
                )
            return UnsTopic(EquipmentPath(tuple(path)), leaf)
    return None


def is_sparkplug(topic: str) -> bool:
    return topic.startswith(SPARKPLUG_NAMESPACE + "/")


def parse_sparkplug(topic: str) -> SparkplugTopic:
    """The parts of a Sparkplug B topic, or :class:`AdapterError`."""
    levels = _levels(topic)
    if len(levels) >= 3 and levels[1] == "STATE":
        return SparkplugTopic(group="", message_type="STATE", node=levels[2], device=None)
    if len(levels) not in (4, 5):
        raise AdapterError(
            ADAPTER,
            f"topic {topic}",
            "a Sparkplug B topic is spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]",
        )
    _, group, message_type, node, *device = levels
    if message_type not in SPARKPLUG_TYPES:
        raise AdapterError(
            ADAPTER,
            f"topic {topic}",
            f"unknown Sparkplug message type {message_type!r}; one of {', '.join(sorted(SPARKPLUG_TYPES))}",
        )
    is_device = message_type.startswith("D")
    if is_device != bool(device):
        raise AdapterError(
            ADAPTER,
            f"topic {topic}",
            f"{message_type} " + ("needs a device id" if is_device else "has no device id"),
        )
    return SparkplugTopic(group, message_type, node, device[0] if device else None)
