"""OCEL 2.0 logs (JSON or SQLite form) as CloudEvents: the ``ocel`` adapter.

A log is read whole (:meth:`OcelAdapter.read_file`, the form told by the file's first bytes) and
handed on as one wire record per event and one per object and point in time:

- an OCEL event becomes a CloudEvent of ``type`` = its activity, ``id`` = its id, ``time`` = its
  time, ``data`` = ``{"attributes": {name: value}, "objects": {<object type>: [{"id", "qualifier"}]}}``
  (its objects grouped by type, so a mapping picks each type with ``each: objects.<type>`` and keeps
  the qualifier as the link's ``role``);
- an object's attribute values become one CloudEvent per distinct time
  (``type`` = ``ocel.object.<object type>``, ``id`` = ``object/<id>/<time>``, ``subject`` = its id,
  ``data`` = ``{"id", "attributes": {name: value at that time}}``); the first of them (the epoch
  when the object has no values) also holds its object-to-object links in ``related``
  (``{<target type>: [{"id", "qualifier"}]}``). Every object so exists in the graph, linked or not,
  and a mapping keeps each value with ``history: true``.

``source`` is ``ocel/<file name without suffix>``. A link to an object the log does not hold is
an ``adapter`` dead letter naming the event and the object. The export (``digispine export ocel``)
leaves the object records' events out of the log it writes (:data:`OBJECT_TYPE_PREFIX`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from graph_service.ocel.errors import OcelError
from graph_service.ocel.log import (
    EPOCH,
    OBJECT_RECORD_TYPE_PREFIX,
    AttributeValue,
    Event,
    Object,
    OcelLog,
    Relationship,
    time_text,
)
from graph_service.ocel.ocel_json import read_json
from graph_service.ocel.ocel_sqlite import is_sqlite, read_sqlite
from loaders.adapters import AdapterError, WireRecord, cloudevent
from loaders.errors import LoaderError

NAME = "ocel"
#: The CloudEvents type of an object's values at a time: this prefix and the object type.
OBJECT_TYPE_PREFIX = OBJECT_RECORD_TYPE_PREFIX
SOURCE_PREFIX = "ocel/"


def read_log(path: Path) -> OcelLog:
    """The OCEL 2.0 log in ``path``, JSON or SQLite (told by its first bytes, not its name)."""
    if not path.is_file():
        raise LoaderError(f"{path}: no such file")
    try:
        return read_sqlite(path) if is_sqlite(path) else read_json(path)
    except OcelError as exc:
        raise LoaderError(str(exc)) from None


class OcelAdapter:
    """Reads OCEL 2.0 files itself (a :class:`~loaders.adapters.FileAdapter`)."""

    name = NAME

    def read_file(self, path: Path) -> Iterator[WireRecord]:
        log = read_log(path)
        yield from wire_records(log, SOURCE_PREFIX + path.name.split(".")[0], str(path))

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        doc = record.json(NAME)
        if not isinstance(doc, Mapping) or doc.get("kind") not in ("event", "object"):
            raise AdapterError(NAME, "value", "an ocel wire record is an event or an object of a log")
        _check_links(doc)
        if doc["kind"] == "event":
            return [_event_cloudevent(doc)]
        return [_object_cloudevent(doc)]


def create() -> OcelAdapter:
    return OcelAdapter()


# -- the log as wire records ------------------------------------------------------------------
def wire_records(log: OcelLog, source: str, where: str) -> Iterator[WireRecord]:
    """One record per object and time (objects first, as the log lists them), then one per event
    (in the log's order); each names its place in the log as origin."""
    types = log.object_types_by_id()
    for i, obj in enumerate(log.objects):
        for doc in object_documents(obj, types, source):
            yield WireRecord(orjson.dumps(doc), f"{where}#/objects/{i}@{doc['time']}")
    for i, event in enumerate(log.events):
        yield WireRecord(orjson.dumps(event_document(event, types, source)), f"{where}#/events/{i}")


def event_document(event: Event, types: Mapping[str, str], source: str) -> dict[str, Any]:
    return {
        "kind": "event",
        "source": source,
        "id": event.id,
        "type": event.type,
        "time": time_text(event.time),
        "attributes": {a.name: _json_value(a.value) for a in event.attributes},
        "relationships": _typed(event.relationships, types),
    }


def object_documents(obj: Object, types: Mapping[str, str], source: str) -> list[dict[str, Any]]:
    """The object's values grouped by time, oldest first; its links go with the first."""
    by_time: dict[dt.datetime, list[AttributeValue]] = defaultdict(list)
    for value in obj.attributes:
        by_time[value.time].append(value)
    times = sorted(by_time) or [EPOCH]
    return [
        {
            "kind": "object",
            "source": source,
            "id": obj.id,
            "type": obj.type,
            "time": time_text(at),
            "attributes": {a.name: _json_value(a.value) for a in by_time.get(at, ())},
            "relationships": _typed(obj.relationships, types) if n == 0 else [],
        }
        for n, at in enumerate(times)
    ]


def _typed(relationships: tuple[Relationship, ...], types: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"objectId": r.object_id, "qualifier": r.qualifier, "type": types.get(r.object_id)}
        for r in relationships
    ]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return time_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# -- wire records as CloudEvents --------------------------------------------------------------
def _check_links(doc: Mapping[str, Any]) -> None:
    for i, rel in enumerate(doc.get("relationships") or ()):
        if not isinstance(rel, Mapping) or not rel.get("type"):
            target = rel.get("objectId") if isinstance(rel, Mapping) else rel
            raise AdapterError(
                NAME,
                f"{doc.get('kind')} {doc.get('id')!r} relationships[{i}]",
                f"object {target!r} is not among the log's objects; a link needs an object the log lists",
            )


def _grouped(relationships: list[Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for rel in relationships:
        grouped[str(rel["type"])].append({"id": str(rel["objectId"]), "qualifier": str(rel["qualifier"])})
    return dict(grouped)


def _event_cloudevent(doc: Mapping[str, Any]) -> dict[str, Any]:
    return cloudevent(
        id=str(doc["id"]),
        source=str(doc["source"]),
        type=str(doc["type"]),
        time=str(doc["time"]),
        data={"attributes": dict(doc.get("attributes") or {}), "objects": _grouped(doc["relationships"])},
    )


def _object_cloudevent(doc: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(doc["id"]), "attributes": dict(doc.get("attributes") or {})}
    if doc.get("relationships"):
        data["related"] = _grouped(doc["relationships"])
    return cloudevent(
        id=f"object/{doc['id']}/{doc['time']}",
        source=str(doc["source"]),
        type=OBJECT_TYPE_PREFIX + str(doc["type"]),
        time=str(doc["time"]),
        data=data,
        subject=str(doc["id"]),
    )
