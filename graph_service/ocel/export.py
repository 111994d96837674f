"""The graph as an OCEL 2.0 log: its events (activities), its entities (objects), the events'
lineage links (event-object links, the link's ``role`` as qualifier), the relations between
entities (object-object links, the relation's English label as qualifier) and every attribute
value with its time (a property's kept history, else its current value at the time of the event
that set it).

The events of the ``ocel`` adapter's object records (type :data:`OBJECT_RECORD_TYPE_PREFIX`…)
are not activities: they are left out of the events, and the values they kept become the objects'
attribute values, so a log loaded through the adapter comes back with the same counts. Event and
object types are the ontology's class names. Properties the ontology marks personal data are left
out unless asked for (and counted). Read with one statement per concern in a read transaction;
the log is built in memory (a log of the order of 10⁵ events and objects is tens of MB).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import neo4j
import neo4j.time
import orjson
from neo4j.exceptions import DriverError, Neo4jError

from graph_service.ocel.errors import OcelError
from graph_service.ocel.log import (
    EPOCH,
    OBJECT_RECORD_TYPE_PREFIX,
    AttributeDef,
    AttributeValue,
    Event,
    Object,
    OcelLog,
    Relationship,
    TypeDef,
    utc,
)
from graph_service.ontology.model import ENTITY_ROOT, EVENT_ROOT, ClassDef, DatatypeProperty, DomainModel

if TYPE_CHECKING:
    from graph_service.store import Neo4jStore

#: Bookkeeping the writer keeps on every entity: not attributes of the object.
BOOKKEEPING = frozenset({"firstEventTime", "lastEventTime", "sourceSystems"})
SOURCE_CLASS = "SourceSystem"
_OCEL_TYPES = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "int": "integer",
    "long": "integer",
    "short": "integer",
    "nonNegativeInteger": "integer",
    "positiveInteger": "integer",
    "decimal": "float",
    "double": "float",
    "float": "float",
    "dateTime": "time",
    "dateTimeStamp": "time",
}

_ENTITIES = (
    "MATCH (n:{entity}) WHERE NOT n:{source} "
    "RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS p"
)
_EVENTS = (
    "MATCH (e:{event}) RETURN elementId(e) AS id, labels(e) AS labels, e.eventId AS eventId, "
    "e.source AS source, e.eventType AS type, e.eventTime AS time"
)
_LINKS = (
    "MATCH (e:{event})-[a:{affected}]->(n:{entity}) "
    "RETURN elementId(e) AS e, elementId(n) AS n, properties(a) AS p"
)
_RELATIONS = (
    "MATCH (a:{entity})-[r]->(b:{entity}) WHERE NOT a:{source} AND NOT b:{source} "
    "RETURN elementId(a) AS a, type(r) AS t, elementId(b) AS b"
)


@dataclass
class ExportedLog:
    log: OcelLog
    #: Personal-data values left out, per ``Class.property``.
    left_out: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        c = self.log.counts()
        return (
            f"{c.events:,} events, {c.objects:,} objects, {c.e2o:,} event-object and {c.o2o:,} "
            f"object-object links, {c.attribute_values:,} attribute values ({c.changes:,} changes)"
        )

    def left_out_summary(self) -> str | None:
        if not self.left_out:
            return None
        parts = ", ".join(f"{name} {count:,}" for name, count in sorted(self.left_out.items()))
        return f"left out {sum(self.left_out.values()):,} personal-data values ({parts})"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def export_log(store: Neo4jStore, model: DomainModel, *, include_personal_data: bool = False) -> ExportedLog:
    """The graph in ``store`` as an OCEL 2.0 log (see the module docstring)."""
    names = {
        "entity": _q(ENTITY_ROOT),
        "event": _q(EVENT_ROOT),
        "source": _q(model.cls(SOURCE_CLASS).neo4j_label),
        "affected": _q(model.relations["affected"].rel_type),
    }
    try:
        with store.driver.session(database=store.database, default_access_mode=neo4j.READ_ACCESS) as session:

            def read(cypher: str) -> list[dict[str, Any]]:
                return [r.data() for r in session.run(cypher.format(**names))]

            entities, events, links, relations = (
                read(_ENTITIES),
                read(_EVENTS),
                read(_LINKS),
                read(_RELATIONS),
            )
    except (DriverError, Neo4jError) as exc:
        raise OcelError(
            f"Neo4j at {store.uri}", f"reading the graph failed: {type(exc).__name__}: {exc}"
        ) from None
    return build_log(model, entities, events, links, relations, include_personal_data=include_personal_data)


def build_log(
    model: DomainModel,
    entities: list[dict[str, Any]],
    events: list[dict[str, Any]],
    links: list[dict[str, Any]],
    relations: list[dict[str, Any]],
    *,
    include_personal_data: bool = False,
) -> ExportedLog:
    """The log of the rows the export reads (pure: unit-testable without Neo4j)."""
    classes = _ClassOf(model)
    result = ExportedLog(OcelLog())
    object_ids = _unique(
        {
            e["id"]: (classes.of(e["labels"]).name, _key_text(classes.of(e["labels"]), e["p"]))
            for e in entities
        }
    )
    activities = {
        e["id"]: e for e in events if not str(e["type"] or "").startswith(OBJECT_RECORD_TYPE_PREFIX)
    }
    event_ids = _unique({i: (str(e["source"]), str(e["eventId"])) for i, e in activities.items()}, sep="/")
    event_times = {e["id"]: _time(e["time"]) for e in events}

    affected_label = model.relations["affected"].label("en")
    e2o: dict[str, list[Relationship]] = defaultdict(list)
    kept: dict[str, list[tuple[dt.datetime, str, Any]]] = defaultdict(list)
    for link in links:
        node, props = link["n"], dict(link["p"] or {})
        if node not in object_ids:
            continue
        role = props.pop("role", None)
        for name, value in props.items():
            kept[node].append((event_times[link["e"]], name, value))
        if link["e"] in activities:
            qualifier = affected_label if role is None else str(role)
            e2o[link["e"]].append(Relationship(object_ids[node], qualifier))

    labels = {r.rel_type: r.label("en") for r in model.relations.values() if r.stored}
    o2o: dict[str, list[Relationship]] = defaultdict(list)
    for rel in relations:
        if rel["a"] in object_ids and rel["b"] in object_ids:
            o2o[rel["a"]].append(Relationship(object_ids[rel["b"]], labels.get(rel["t"], rel["t"])))

    objects: list[Object] = []
    typed: dict[str, dict[str, str]] = defaultdict(dict)
    for entity in entities:
        cls = classes.of(entity["labels"])
        values = _values(model, cls, entity["p"], kept.get(entity["id"], []), include_personal_data, result)
        for value in values:
            typed[cls.name].setdefault(value.name, _ocel_type(model, value.name))
        rels = tuple(sorted(o2o.get(entity["id"], []), key=lambda r: (r.object_id, r.qualifier)))
        objects.append(Object(object_ids[entity["id"]], cls.name, tuple(values), rels))
        typed.setdefault(cls.name, {})

    log_events = [
        Event(
            event_ids[i],
            classes.of(e["labels"]).name,
            event_times[i],
            (),
            tuple(sorted(e2o.get(i, []), key=lambda r: (r.object_id, r.qualifier))),
        )
        for i, e in activities.items()
    ]
    result.log = OcelLog(
        event_types=tuple(TypeDef(name) for name in sorted({e.type for e in log_events})),
        object_types=tuple(
            TypeDef(name, tuple(AttributeDef(a, t) for a, t in sorted(attrs.items())))
            for name, attrs in sorted(typed.items())
        ),
        events=tuple(sorted(log_events, key=lambda e: (e.time, e.id))),
        objects=tuple(sorted(objects, key=lambda o: (o.type, o.id))),
    )
    return result


class _ClassOf:
    """The most specific model class among a node's labels."""

    def __init__(self, model: DomainModel) -> None:
        self._by_label = {c.neo4j_label: c for c in model.classes.values()}
        self._cache: dict[tuple[str, ...], ClassDef] = {}

    def of(self, labels: Iterable[str]) -> ClassDef:
        key = tuple(sorted(labels))
        found = self._cache.get(key)
        if found is None:
            known = [self._by_label[x] for x in key if x in self._by_label]
            if not known:
                raise ValueError(f"a node labelled {', '.join(key)} has no class of the ontology")
            found = self._cache[key] = max(known, key=lambda c: (len(c.ancestors), c.name))
        return found


def _key_text(cls: ClassDef, props: Mapping[str, Any]) -> str:
    return "/".join(str(props.get(k)) for k in cls.key) if cls.key else ""


def _unique(wanted: Mapping[str, tuple[str, str]], sep: str = ":") -> dict[str, str]:
    """An id per node: the key text (the event id) alone when no other node has it, else
    prefixed with its class (its source)."""
    taken = Counter(text for _, text in wanted.values())
    return {
        node: text if taken[text] == 1 else f"{scope}{sep}{text}" for node, (scope, text) in wanted.items()
    }


def _values(
    model: DomainModel,
    cls: ClassDef,
    props: Mapping[str, Any],
    kept: list[tuple[dt.datetime, str, Any]],
    include_personal_data: bool,
    result: ExportedLog,
) -> list[AttributeValue]:
    """The object's attribute values over time: the kept history of a property, else its current
    value dated by its version token (the event that set it)."""
    exported: dict[str, DatatypeProperty] = {}
    for prop in model.properties_of(cls.name):
        if prop.name in cls.key or prop.name in BOOKKEEPING:
            continue
        if prop.personal_data and not include_personal_data:
            if props.get(prop.name) is not None:
                where = f"{cls.name}.{prop.name}"
                result.left_out[where] = result.left_out.get(where, 0) + 1
            continue
        exported[prop.name] = prop
    history: dict[str, list[tuple[dt.datetime, Any]]] = defaultdict(list)
    for time, name, value in kept:
        if name in exported:
            history[name].append((time, value))
    values: list[AttributeValue] = []
    for name in sorted(exported):
        current = props.get(name)
        series = sorted(history.get(name, []), key=lambda tv: tv[0])
        if current is not None and (not series or _plain(series[-1][1]) != _plain(current)):
            series.append((_version_time(props.get("_v_" + name)), current))
        values += [AttributeValue(name, _plain(v), t) for t, v in sorted(series, key=lambda tv: tv[0])]
    return values


def _version_time(token: Any) -> dt.datetime:
    """The time part of a version token (``<UTC time>|<event id>``); the epoch when there is none."""
    if not isinstance(token, str) or "|" not in token:
        return EPOCH
    try:
        return utc(dt.datetime.fromisoformat(token.split("|", 1)[0].replace("Z", "+00:00")))
    except ValueError:
        return EPOCH


def _ocel_type(model: DomainModel, name: str) -> str:
    prop = model.datatype_properties.get(name)
    return _OCEL_TYPES.get(prop.xsd.rsplit("#", 1)[-1], "string") if prop else "string"


def _time(value: Any) -> dt.datetime:
    if isinstance(value, neo4j.time.DateTime):
        return utc(value.to_native())
    if isinstance(value, dt.datetime):
        return utc(value)
    return EPOCH


def _plain(value: Any) -> Any:
    """A graph value as a log value: times as Python times, dates as ISO text, lists as JSON text."""
    if isinstance(value, neo4j.time.DateTime):
        return utc(value.to_native())
    if isinstance(value, neo4j.time.Date):
        return value.iso_format()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return orjson.dumps([_plain(v) for v in value], default=str).decode()
    if isinstance(value, neo4j.time.Duration | neo4j.time.Time):
        return str(value)
    return value
