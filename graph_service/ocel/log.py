"""The OCEL 2.0 log model (the standard's meta-model, https://www.ocel-standard.org): event and
object types with typed attributes, events with their objects (qualified), objects with attribute
values over time and qualified links to other objects. Immutable; both file forms read and write it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: The attribute types of OCEL 2.0 (JSON ``type``; SQLite column types in :mod:`.ocel_sqlite`).
ATTRIBUTE_TYPES = ("string", "integer", "float", "boolean", "time")
#: OCEL 2.0 dates a value known from the start at the Unix epoch (pm4py reads it as the initial value).
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The CloudEvents type of an object's values at a point in time (the ``ocel`` adapter's object
#: records): this prefix and the object type. Such events are not activities: the export leaves
#: them out of the log's events and writes their kept values as attribute values.
OBJECT_RECORD_TYPE_PREFIX = "ocel.object."


@dataclass(frozen=True)
class AttributeDef:
    name: str
    type: str = "string"


@dataclass(frozen=True)
class TypeDef:
    """An event type or an object type with the attributes it declares."""

    name: str
    attributes: tuple[AttributeDef, ...] = ()


@dataclass(frozen=True)
class Relationship:
    """A qualified link from an event or an object to an object."""

    object_id: str
    qualifier: str


@dataclass(frozen=True)
class AttributeValue:
    """An object's attribute value from ``time`` on (an event attribute has no time of its own)."""

    name: str
    value: Any
    time: dt.datetime = EPOCH


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    time: dt.datetime
    attributes: tuple[AttributeValue, ...] = ()
    relationships: tuple[Relationship, ...] = ()


@dataclass(frozen=True)
class Object:
    id: str
    type: str
    attributes: tuple[AttributeValue, ...] = ()
    relationships: tuple[Relationship, ...] = ()


@dataclass(frozen=True)
class LogCounts:
    """What a round trip must keep: events, objects, event-object links, object-object links and
    attribute values (``changes``: the values after an attribute's first, as pm4py counts them)."""

    events: int
    objects: int
    e2o: int
    o2o: int
    attribute_values: int
    changes: int


@dataclass(frozen=True)
class OcelLog:
    event_types: tuple[TypeDef, ...] = ()
    object_types: tuple[TypeDef, ...] = ()
    events: tuple[Event, ...] = ()
    objects: tuple[Object, ...] = field(default_factory=tuple)

    def counts(self) -> LogCounts:
        values = [(o.id, a.name) for o in self.objects for a in o.attributes]
        return LogCounts(
            events=len(self.events),
            objects=len(self.objects),
            e2o=sum(len(e.relationships) for e in self.events),
            o2o=sum(len(o.relationships) for o in self.objects),
            attribute_values=len(values),
            changes=len(values) - len(Counter(values)),
        )

    def object_types_by_id(self) -> dict[str, str]:
        return {o.id: o.type for o in self.objects}


def declared_types(items: Iterable[Event | Object], declared: Iterable[TypeDef] = ()) -> tuple[TypeDef, ...]:
    """The types ``items`` use, each with the attributes declared for it or, when it has no
    declaration, those its items carry (typed from their values); sorted by name."""
    given = {t.name: t for t in declared}
    seen: dict[str, dict[str, str]] = {}
    for item in items:
        attrs = seen.setdefault(item.type, {})
        for value in item.attributes:
            attrs.setdefault(value.name, value_type(value.value))
    return tuple(
        given.get(name) or TypeDef(name, tuple(AttributeDef(a, t) for a, t in sorted(attrs.items())))
        for name, attrs in sorted(seen.items())
    ) + tuple(t for name, t in sorted(given.items()) if name not in seen)


def with_all_types(log: OcelLog) -> OcelLog:
    """``log`` with a type declaration for every type its events and objects use (what the
    writers need): the declared ones kept, the others typed from their values."""
    return dataclasses.replace(
        log,
        event_types=declared_types(log.events, log.event_types),
        object_types=declared_types(log.objects, log.object_types),
    )


def value_type(value: Any) -> str:
    """The OCEL 2.0 type of a Python value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "time"
    return "string"


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a time without a zone is read as UTC (as pm4py writes them)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def time_text(value: dt.datetime) -> str:
    """RFC 3339 text in UTC with ``Z``, as the standard's examples write times."""
    text = utc(value).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_time(text: Any, where: str) -> dt.datetime:
    """An OCEL time (ISO 8601 text, ``Z`` or an offset; none: UTC); ValueError naming ``where``."""
    if isinstance(text, dt.datetime):
        return utc(text)
    if not isinstance(text, str) or not text:
        raise ValueError(f"{where}: a time is ISO 8601 text, got {text!r}")
    try:
        return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1)))
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not an ISO 8601 time") from None
