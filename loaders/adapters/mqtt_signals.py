"""Machine signals of a Unified Namespace → CloudEvents of the ontology's equipment state and
operation events (the ones the equipmentOEE product and the equipmentOee stream read).

A signal is one leaf's members at one moment: ``state`` (``{"state": "RUNNING", "reason": …}``),
``operation/started`` (``{"operationId", "productionOrderNumber", "operatorId"?, "shiftId"?}``) and
``operation/completed`` (``{"operationId", "productionOrderNumber", "good", "scrap"?, "rework"?,
"total"?}``). The leaf's
value alone (a plain JSON value, a Sparkplug metric named as the leaf) is its main member:
``state`` for a state, ``operationId`` for an operation. JSON and Sparkplug B both become signals,
and every signal becomes one event, its id a digest of what it says (a redelivered message is the
same event again).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from loaders.adapters import AdapterError, cloudevent, time_from_epoch_ms
from loaders.adapters.mqtt_topics import ADAPTER, LEAVES, EquipmentPath

#: The ontology's equipment states (ds:state), and the PackML (ISA-TR88.00.02) states a machine
#: may report instead, by what they mean for availability. Matched without regard to case.
STATES: dict[str, str] = {
    **{s: s for s in ("RUNNING", "IDLE", "DOWN", "PLANNED_DOWNTIME", "SETUP")},
    "EXECUTE": "RUNNING",
    "SUSPENDED": "IDLE",
    "COMPLETE": "IDLE",
    "HELD": "DOWN",
    "STOPPED": "DOWN",
    "ABORTED": "DOWN",
}
#: The reason code of a state reported without one (the payload contract needs one).
NO_REASON = "UNSPECIFIED"
#: The main member of each leaf: what the leaf's value alone stands for.
MAIN_MEMBER = {"state": "state", "operation/started": "operationId", "operation/completed": "operationId"}
_QUANTITIES = ("good", "scrap", "rework", "total")


@dataclass(frozen=True)
class Signal:
    """One leaf of one equipment at one moment (``time_ms``), with where it came from."""

    path: EquipmentPath
    leaf: str
    members: dict[str, Any]
    time_ms: int
    topic: str
    wire: str  # "json" or "sparkplug"
    extra: dict[str, Any] = field(default_factory=dict)  # Sparkplug: message type, seq, …


def epoch_ms(value: Any, where: str) -> int:
    """A timestamp member (ms since the epoch, or RFC 3339 text) in ms, or :class:`AdapterError`."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise AdapterError(ADAPTER, where, f"timestamp {value!r} is not RFC 3339 text") from None
        if moment.tzinfo is None:
            raise AdapterError(ADAPTER, where, f"timestamp {value!r} has no zone offset")
        return round(moment.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterError(
            ADAPTER, where, f"timestamp must be ms since the epoch or RFC 3339 text, got {value!r}"
        )
    time_from_epoch_ms(ADAPTER, where, value)  # in range
    return int(value)


def event_of(signal: Signal) -> dict[str, Any]:
    """The CloudEvent of ``signal``, or :class:`AdapterError` naming the topic and the member."""
    where = f"topic {signal.topic}"
    data = _DATA[signal.leaf](signal, where)
    data["uns"] = {
        "topic": signal.topic,
        "path": "/".join(signal.path.levels),
        **signal.path.named(),
        "wire": signal.wire,
        **signal.extra,
    }
    type_ = LEAVES[signal.leaf]
    source = signal.path.source
    time = time_from_epoch_ms(ADAPTER, where, signal.time_ms)
    digest = hashlib.blake2b(
        orjson.dumps([source, type_, time, data], option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()
    return cloudevent(
        id=f"uns-{digest}", source=source, type=type_, time=time, subject=signal.path.equipment, data=data
    )


def _text(signal: Signal, member: str, where: str, *, required: bool = True) -> str | None:
    value = signal.members.get(member)
    if value is None:
        if required:
            raise AdapterError(ADAPTER, where, f"{signal.leaf}: member {member!r} is missing")
        return None
    if not isinstance(value, str) or not value:
        raise AdapterError(ADAPTER, where, f"{signal.leaf}: {member} must be non-empty text, got {value!r}")
    return value


def _state(signal: Signal, where: str) -> dict[str, Any]:
    reported = _text(signal, "state", where)
    assert reported is not None
    state = STATES.get(reported.upper())
    if state is None:
        raise AdapterError(
            ADAPTER,
            where,
            f"state {reported!r} is not an equipment state; use one of {', '.join(sorted(STATES))}",
        )
    equipment = signal.path.equipment
    return {
        "stateChangeId": f"{equipment}/{signal.time_ms}",
        "equipmentId": equipment,
        "state": state,
        "since": time_from_epoch_ms(ADAPTER, where, signal.time_ms),
        "reasonCode": _text(signal, "reason", where, required=False) or NO_REASON,
        "reportedState": reported,
    }


def _started(signal: Signal, where: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "operationId": _text(signal, "operationId", where),
        "productionOrderNumber": _text(signal, "productionOrderNumber", where),
        "equipmentId": signal.path.equipment,
        "startedAt": time_from_epoch_ms(ADAPTER, where, signal.time_ms),
    }
    for member in ("operatorId", "shiftId"):
        if (value := _text(signal, member, where, required=False)) is not None:
            data[member] = value
    return data


def _completed(signal: Signal, where: str) -> dict[str, Any]:
    counts: dict[str, float] = {}
    for member in _QUANTITIES:
        value = signal.members.get(member)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise AdapterError(
                ADAPTER, where, f"{signal.leaf}: count {member} must be a number ≥ 0, got {value!r}"
            )
        counts[member] = float(value)
    if "good" not in counts:
        raise AdapterError(ADAPTER, where, f"{signal.leaf}: count 'good' is missing")
    good, scrap, rework = counts["good"], counts.get("scrap", 0.0), counts.get("rework", 0.0)
    data: dict[str, Any] = {
        "operationId": _text(signal, "operationId", where),
        "productionOrderNumber": _text(signal, "productionOrderNumber", where),
        "completedAt": time_from_epoch_ms(ADAPTER, where, signal.time_ms),
        # Good includes reworked parts (as in the MES and the equipmentOEE product): produced is
        # good + scrap unless the machine counts its total itself.
        "producedQuantity": counts.get("total", good + scrap),
        "goodQuantity": good,
        "scrapQuantity": scrap,
        "reworkQuantity": rework,
        "equipmentId": signal.path.equipment,
    }
    return data


_DATA = {"state": _state, "operation/started": _started, "operation/completed": _completed}


def json_signal(path: EquipmentPath, leaf: str, topic: str, payload: bytes) -> Signal:
    """The signal of a JSON payload: an object of members with a ``timestamp`` (ms since the
    epoch or RFC 3339), or ``{"value": …, "timestamp": …}`` for the leaf's main member."""
    where = f"topic {topic}"
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise AdapterError(ADAPTER, where, f"payload is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise AdapterError(
            ADAPTER, where, f"payload must be a JSON object with a timestamp, got {type(body).__name__}"
        )
    members = {k: v for k, v in body.items() if k not in ("timestamp", "value")}
    if "value" in body:
        members.setdefault(MAIN_MEMBER[leaf], body["value"])
    if "timestamp" not in body:
        raise AdapterError(ADAPTER, where, "payload has no timestamp (ms since the epoch or RFC 3339 text)")
    return Signal(path, leaf, members, epoch_ms(body["timestamp"], where), topic, "json")


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)
