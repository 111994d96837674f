"""The JSON form of OCEL 2.0 (``objectTypes``, ``eventTypes``, ``objects``, ``events``), read and
written without third-party libraries. Reading checks the structure and says where it is wrong."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from graph_service.ocel.errors import OcelError
from graph_service.ocel.log import (
    ATTRIBUTE_TYPES,
    EPOCH,
    AttributeDef,
    AttributeValue,
    Event,
    Object,
    OcelLog,
    Relationship,
    TypeDef,
    parse_time,
    time_text,
    with_all_types,
)


def read_json(path: Path) -> OcelLog:
    """The log in ``path``; an :class:`OcelError` naming the file and the element that is wrong."""
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise OcelError(str(path), f"not JSON ({exc})") from None
    try:
        return parse_json(doc)
    except ValueError as exc:
        raise OcelError(str(path), str(exc)) from None


def parse_json(doc: Any) -> OcelLog:
    """The log of a parsed OCEL 2.0 JSON document; ValueError with a JSON pointer to the problem."""
    if not isinstance(doc, Mapping) or not {"events", "objects"} <= doc.keys():
        raise ValueError("an OCEL 2.0 JSON log is an object with `events` and `objects` (and their types)")
    event_types = tuple(_type(t, f"/eventTypes/{i}") for i, t in enumerate(_list(doc, "eventTypes", "")))
    object_types = tuple(_type(t, f"/objectTypes/{i}") for i, t in enumerate(_list(doc, "objectTypes", "")))
    log = OcelLog(
        event_types=event_types,
        object_types=object_types,
        events=tuple(_event(e, f"/events/{i}") for i, e in enumerate(_list(doc, "events", ""))),
        objects=tuple(_object(o, f"/objects/{i}") for i, o in enumerate(_list(doc, "objects", ""))),
    )
    return typed_values(log)


def typed_values(log: OcelLog) -> OcelLog:
    """Values written as text read as their declared type (``"10.5"`` of a float attribute is
    10.5, as pm4py reads them); a value that does not read as its type stays as written."""
    kinds = {
        (t.name, a.name): a.type
        for types in (log.event_types, log.object_types)
        for t in types
        for a in t.attributes
    }

    def typed(owner: str, values: tuple[AttributeValue, ...]) -> tuple[AttributeValue, ...]:
        return tuple(
            dataclasses.replace(v, value=_typed(v.value, kinds.get((owner, v.name), ""))) for v in values
        )

    return dataclasses.replace(
        log,
        events=tuple(dataclasses.replace(e, attributes=typed(e.type, e.attributes)) for e in log.events),
        objects=tuple(dataclasses.replace(o, attributes=typed(o.type, o.attributes)) for o in log.objects),
    )


def _typed(value: Any, kind: str) -> Any:
    if not isinstance(value, str) or kind in ("", "string"):
        return value
    try:
        if kind == "float":
            return float(value)
        if kind == "integer":
            return int(value)
        if kind == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind == "time":
            return parse_time(value, "value")
    except ValueError:
        return value
    return value


def _list(doc: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = doc.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}/{name}: a list is expected, got {type(value).__name__}")
    return value


def _text(doc: Any, name: str, where: str) -> str:
    if not isinstance(doc, Mapping):
        raise ValueError(f"{where}: an object is expected")
    value = doc.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # ids written as numbers by some tools
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}/{name}: a non-empty text is required")
    return value


def _type(doc: Any, where: str) -> TypeDef:
    attrs = []
    for i, a in enumerate(_list(doc, "attributes", where)):
        kind = _text(a, "type", f"{where}/attributes/{i}").lower()
        if kind not in ATTRIBUTE_TYPES:
            raise ValueError(
                f"{where}/attributes/{i}/type: {kind!r} is not an OCEL 2.0 type "
                f"({', '.join(ATTRIBUTE_TYPES)})"
            )
        attrs.append(AttributeDef(_text(a, "name", f"{where}/attributes/{i}"), kind))
    return TypeDef(_text(doc, "name", where), tuple(attrs))


def _relationships(doc: Any, where: str) -> tuple[Relationship, ...]:
    return tuple(
        Relationship(
            _text(r, "objectId", f"{where}/relationships/{i}"),
            str(r.get("qualifier") or ""),
        )
        for i, r in enumerate(_list(doc, "relationships", where))
    )


def _event(doc: Any, where: str) -> Event:
    attrs = tuple(
        AttributeValue(_text(a, "name", f"{where}/attributes/{i}"), a.get("value"))
        for i, a in enumerate(_list(doc, "attributes", where))
    )
    return Event(
        _text(doc, "id", where),
        _text(doc, "type", where),
        parse_time(doc.get("time"), f"{where}/time"),
        attrs,
        _relationships(doc, where),
    )


def _object(doc: Any, where: str) -> Object:
    attrs = []
    for i, a in enumerate(_list(doc, "attributes", where)):
        at = f"{where}/attributes/{i}"
        time = EPOCH if a.get("time") in (None, "") else parse_time(a.get("time"), f"{at}/time")
        attrs.append(AttributeValue(_text(a, "name", at), a.get("value"), time))
    return Object(
        _text(doc, "id", where), _text(doc, "type", where), tuple(attrs), _relationships(doc, where)
    )


# -- writing -----------------------------------------------------------------------------------
def write_json(log: OcelLog, path: Path) -> None:
    """``log`` as OCEL 2.0 JSON (times as RFC 3339 UTC text, values as the standard writes them)."""
    path.write_bytes(orjson.dumps(to_json(log), option=orjson.OPT_INDENT_2))


def to_json(log: OcelLog) -> dict[str, Any]:
    log = with_all_types(log)
    return {
        "objectTypes": [_type_doc(t) for t in log.object_types],
        "eventTypes": [_type_doc(t) for t in log.event_types],
        "objects": [
            {
                "id": o.id,
                "type": o.type,
                "attributes": [
                    {"name": a.name, "time": time_text(a.time), "value": _value(a.value)}
                    for a in o.attributes
                ],
                "relationships": [_rel_doc(r) for r in o.relationships],
            }
            for o in log.objects
        ],
        "events": [
            {
                "id": e.id,
                "type": e.type,
                "time": time_text(e.time),
                "attributes": [{"name": a.name, "value": _value(a.value)} for a in e.attributes],
                "relationships": [_rel_doc(r) for r in e.relationships],
            }
            for e in log.events
        ],
    }


def _type_doc(t: TypeDef) -> dict[str, Any]:
    return {"name": t.name, "attributes": [{"name": a.name, "type": a.type} for a in t.attributes]}


def _rel_doc(r: Relationship) -> dict[str, str]:
    return {"objectId": r.object_id, "qualifier": r.qualifier}


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return time_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
