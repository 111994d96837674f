"""Declarative event mappings (``loaders/mappings/*.yaml``), checked against the DomainModel.

A mapping says, per event type, which entities to upsert (class, key and properties from payload
paths) and which relations to connect. ``load_mappings`` checks every name and type against the
ontology at start-up and reports every problem with file and line; ``Mapper.map`` turns an
:class:`~loaders.envelope.Envelope` into writes. Adding an event type for an existing class needs
a few lines of YAML and no Python.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from graph_service.ontology.model import ClassDef, DomainModel
from loaders.envelope import TYPE_RX, Envelope, zone_offset_problem
from loaders.errors import EventRejected, MappingError
from loaders.yamlsource import Located, LocatedList, load_yaml

#: Conversions a mapping may name, by the XSD datatype they produce.
CONVERSIONS = ("string", "integer", "decimal", "double", "boolean", "date", "dateTime", "duration", "anyURI")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class ValueSpec:
    """Where a value comes from: a payload path, a constant or a template; and its conversion."""

    path: tuple[str, ...] | None = None
    from_root: bool = False
    const: Any = None
    template: str | None = None
    convert: str = "string"

    def read(self, root: Mapping[str, Any], element: Mapping[str, Any] | None) -> Any:
        if self.template is not None:
            parts: list[str] = []
            for placeholder in _PLACEHOLDER.findall(self.template):
                value = _lookup(_spec_of(placeholder), root, element)
                if value is None:
                    return None
                parts.append(str(value))
            it = iter(parts)
            return _PLACEHOLDER.sub(lambda _m: next(it), self.template)
        if self.path is None:
            return self.const
        return _lookup(self, root, element)


def _spec_of(text: str) -> ValueSpec:
    return ValueSpec(path=_path(text), from_root=text.startswith("/"))


def _path(text: str) -> tuple[str, ...]:
    """``a.b`` → (a, b); ``/a`` → (a,) from the payload root; ``.`` → () the list element itself."""
    text = text.lstrip("/")
    return () if text in {"", "."} else tuple(text.split("."))


def _lookup(spec: ValueSpec, root: Mapping[str, Any], element: Any) -> Any:
    current: Any = root if (spec.from_root or element is None) else element
    for part in spec.path or ():
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


@dataclass(frozen=True)
class EntitySpec:
    alias: str
    class_name: str
    merge_label: str
    labels: tuple[str, ...]
    key: tuple[tuple[str, ValueSpec], ...]
    properties: tuple[tuple[str, ValueSpec], ...]
    each: tuple[str, ...] | None
    when: tuple[tuple[ValueSpec, Any], ...] = ()
    optional: bool = False
    affected: bool = True  # the event's class declares ds:affects for it: lineage is recorded


@dataclass(frozen=True)
class RelationSpec:
    source: str
    relation: str
    rel_type: str
    target: str
    to_many: bool


@dataclass(frozen=True)
class EventMapping:
    type: str
    event_class: str
    event_labels: tuple[str, ...]
    source_kind: str
    entities: tuple[EntitySpec, ...]
    relations: tuple[RelationSpec, ...]
    file: str
    line: int


@dataclass(frozen=True)
class EntityRef:
    """Identity of a node: the label carrying its uniqueness constraint and the key values."""

    label: str
    key_props: tuple[str, ...]
    key: tuple[Any, ...]


@dataclass
class EntityWrite:
    class_name: str
    ref: EntityRef
    labels: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict)
    affected: bool = True


@dataclass(frozen=True)
class RelationWrite:
    rel_type: str
    to_many: bool
    source: EntityRef
    target: EntityRef


@dataclass
class MappedEvent:
    envelope: Envelope
    event_class: str
    event_labels: tuple[str, ...]
    entities: list[EntityWrite]
    relations: list[RelationWrite]


class Mapper:
    """All event mappings, by CloudEvents type."""

    def __init__(self, mappings: Mapping[str, EventMapping]) -> None:
        self.by_type = dict(mappings)

    def mapping_for(self, envelope: Envelope) -> EventMapping:
        mapping = self.by_type.get(envelope.type)
        if mapping is None:
            known = (
                ""
                if TYPE_RX.match(envelope.type)
                else " (types look like digispine.erp.SalesOrderCreated.v1)"
            )
            raise EventRejected("unknown-type", f"unknown event type {envelope.type!r}{known}")
        if envelope.source_system != mapping.source_kind:
            raise EventRejected(
                "envelope",
                f"event type {envelope.type} comes from {mapping.source_kind} systems, but source is "
                f"{envelope.source!r}",
            )
        return mapping

    def map(self, envelope: Envelope, mapping: EventMapping | None = None) -> MappedEvent:
        mapping = mapping or self.mapping_for(envelope)
        payload = envelope.data
        rows: dict[str, list[EntityWrite | None]] = {}
        entities: list[EntityWrite] = []
        for spec in mapping.entities:
            elements: list[Mapping[str, Any] | None] = [None]
            if spec.each is not None:
                found = _lookup(ValueSpec(path=spec.each, from_root=True), payload, None)
                elements = found if isinstance(found, list) else ([] if found is None else [found])
            written: list[EntityWrite | None] = []
            for element in elements:
                entity = _entity(spec, payload, element, envelope)
                written.append(entity)
                if entity is not None:
                    entities.append(entity)
            rows[spec.alias] = written
        relations = [
            RelationWrite(rel.rel_type, rel.to_many, a.ref, b.ref)
            for rel in mapping.relations
            for a, b in _pairs(rows[rel.source], rows[rel.target])
        ]
        return MappedEvent(envelope, mapping.event_class, mapping.event_labels, entities, relations)


def _entity(
    spec: EntitySpec, payload: Mapping[str, Any], element: Mapping[str, Any] | None, envelope: Envelope
) -> EntityWrite | None:
    if any(cond.read(payload, element) != expected for cond, expected in spec.when):
        return None
    key_values = []
    for prop, value_spec in spec.key:
        raw = value_spec.read(payload, element)
        if raw is None or raw == "":
            if spec.each is None and not spec.when and not spec.optional:
                raise EventRejected(
                    "mapping",
                    f"event {envelope.id}: key {prop} of {spec.class_name} ({spec.alias}) is missing in "
                    f"the payload",
                )
            return None
        key_values.append(_convert(raw, value_spec.convert, f"{spec.alias}.{prop}", envelope))
    entity = EntityWrite(
        spec.class_name,
        EntityRef(spec.merge_label, tuple(p for p, _ in spec.key), tuple(key_values)),
        spec.labels,
        affected=spec.affected,
    )
    for prop, value_spec in spec.properties:
        raw = value_spec.read(payload, element)
        if raw is not None:
            entity.properties[prop] = _convert(raw, value_spec.convert, f"{spec.alias}.{prop}", envelope)
    return entity


def _pairs(
    left: list[EntityWrite | None], right: list[EntityWrite | None]
) -> list[tuple[EntityWrite, EntityWrite]]:
    if len(left) == len(right):
        pairs = list(zip(left, right, strict=True))
    elif len(left) == 1:
        pairs = [(left[0], r) for r in right]
    else:
        pairs = [(entry, right[0]) for entry in left]
    return [(a, b) for a, b in pairs if a is not None and b is not None]


def _convert(raw: Any, kind: str, where: str, envelope: Envelope) -> Any:
    try:
        return _CONVERTERS[kind](raw)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise EventRejected(
            "mapping", f"event {envelope.id}: {where}: cannot convert {raw!r} to {kind} ({exc})"
        ) from None


def _to_datetime(raw: Any) -> dt.datetime:
    value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time zone is required")
    problem = zone_offset_problem(value)
    if problem:  # Neo4j would refuse it in the write
        raise ValueError(problem)
    return value


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in {"true", "1", "yes"}:
        return True
    if str(raw).lower() in {"false", "0", "no"}:
        return False
    raise ValueError("not a boolean")


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError("a boolean is not an integer")
    number = Decimal(str(raw))
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    return int(number)


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise TypeError("a boolean is not a number")
    value = float(Decimal(str(raw)))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


_CONVERTERS = {
    "string": lambda raw: raw if isinstance(raw, str) else str(raw),
    "anyURI": str,
    "duration": str,
    "integer": _to_int,
    "decimal": _to_float,  # Neo4j has no decimal: FLOAT, served as Decimal by the API
    "double": _to_float,
    "boolean": _to_bool,
    "date": lambda raw: (
        dt.date.fromisoformat(str(raw)[:10]) if len(str(raw)) >= 10 else dt.date.fromisoformat(str(raw))
    ),
    "dateTime": _to_datetime,
}


# -- loading and checking ----------------------------------------------------------------------
def load_mappings(directory: Path, model: DomainModel) -> Mapper:
    """Load and check every ``*.yaml`` in ``directory``; raise one error listing all problems."""
    problems: list[MappingError] = []
    mappings: dict[str, EventMapping] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise MappingError(str(directory), None, "no mapping files (*.yaml) found")
    for path in files:
        try:
            doc = load_yaml(path)
        except MappingError as exc:
            problems.append(exc)
            continue
        for mapping in _compile_file(path, doc, model, problems):
            if mapping.type in mappings:
                other = mappings[mapping.type]
                problems.append(
                    MappingError(
                        str(path),
                        mapping.line,
                        f"event type {mapping.type} is already mapped in {other.file}:{other.line}",
                    )
                )
            mappings[mapping.type] = mapping
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise MappingError(
            str(directory),
            None,
            f"{len(problems)} problems in the mappings:\n" + "\n".join(f"  {p}" for p in problems),
        )
    return Mapper(mappings)


class _Ctx:
    def __init__(self, path: Path, problems: list[MappingError]) -> None:
        self.file = str(path)
        self.problems = problems

    def error(self, line: int | None, message: str) -> None:
        self.problems.append(MappingError(self.file, line, message))


def _line(node: Any, key: str | None = None) -> int | None:
    if isinstance(node, Located):
        return node.key_lines.get(key, node.line) if key else node.line
    return getattr(node, "line", None)


def _compile_file(
    path: Path, doc: Any, model: DomainModel, problems: list[MappingError]
) -> list[EventMapping]:
    ctx = _Ctx(path, problems)
    if not isinstance(doc, Located) or "source" not in doc or "events" not in doc:
        ctx.error(_line(doc), "a mapping file needs `source:` (erp, mes, crm, qms) and `events:`")
        return []
    source_kind = doc["source"]
    events = doc["events"]
    if not isinstance(events, LocatedList):
        ctx.error(_line(doc, "events"), "`events:` must be a list")
        return []
    compiled = []
    for entry in events:
        mapping = _compile_event(ctx, entry, str(source_kind), model)
        if mapping is not None:
            compiled.append(mapping)
    return compiled


def _compile_event(ctx: _Ctx, entry: Any, source_kind: str, model: DomainModel) -> EventMapping | None:
    if not isinstance(entry, Located):
        ctx.error(_line(entry), "each event mapping must be a mapping with type, event, entities")
        return None
    before = len(ctx.problems)
    type_name = str(entry.get("type", ""))
    match = TYPE_RX.match(type_name)
    if not match:
        ctx.error(
            _line(entry, "type"), f"type {type_name!r} must look like digispine.{source_kind}.EventName.v1"
        )
    event_name = str(entry.get("event", ""))
    event_cls = model.classes.get(event_name)
    if event_cls is None or not event_cls.is_event:
        ctx.error(_line(entry, "event"), f"event class ds:{event_name} is not an event class of the ontology")
        event_cls = None
    elif event_cls.emitted_by and event_cls.emitted_by != source_kind:
        ctx.error(
            _line(entry, "event"),
            f"ds:{event_name} is emitted by {event_cls.emitted_by} systems, not {source_kind}",
        )
    entities_doc = entry.get("entities")
    if not isinstance(entities_doc, Located) or not entities_doc:
        ctx.error(_line(entry, "entities"), "`entities:` must map aliases to entity specs")
        return None
    entities = []
    for alias, spec_doc in entities_doc.items():
        spec = _compile_entity(ctx, alias, spec_doc, _line(entities_doc, alias), model, event_cls)
        if spec is not None:
            entities.append(spec)
    by_alias = {e.alias: e for e in entities}
    relations = []
    for rel_doc in entry.get("relations") or []:
        rel = _compile_relation(ctx, rel_doc, by_alias, model)
        if rel is not None:
            relations.append(rel)
    if len(ctx.problems) > before or event_cls is None:
        return None
    return EventMapping(
        type=type_name,
        event_class=event_name,
        event_labels=model.labels_for(event_name),
        source_kind=source_kind,
        entities=tuple(entities),
        relations=tuple(relations),
        file=ctx.file,
        line=entry.line,
    )


def _merge_label(model: DomainModel, cls: ClassDef) -> str:
    for name in model.lineage(cls.name):
        if model.classes[name].key_declared:
            return model.classes[name].neo4j_label
    return cls.neo4j_label


def _compile_entity(
    ctx: _Ctx, alias: str, doc: Any, line: int | None, model: DomainModel, event_cls: ClassDef | None
) -> EntitySpec | None:
    if not isinstance(doc, Located):
        ctx.error(line, f"entity {alias}: expected a mapping with class, key and set")
        return None
    class_name = str(doc.get("class", ""))
    cls = model.classes.get(class_name)
    if cls is None or cls.is_event:
        ctx.error(
            _line(doc, "class"), f"entity {alias}: ds:{class_name} is not an entity class of the ontology"
        )
        return None
    if cls.abstract or not cls.key:
        ctx.error(_line(doc, "class"), f"entity {alias}: ds:{class_name} is abstract or has no key")
        return None
    affected = event_cls is not None and any(a in model.lineage(class_name) for a in event_cls.affects)
    if event_cls is not None and doc.get("set") and not affected:
        ctx.error(
            _line(doc, "set"),
            f"entity {alias}: the mapping sets properties of ds:{class_name}, but ds:{event_cls.name} "
            f"does not declare ds:affects ds:{class_name} in the ontology (add it there, or only "
            "reference the entity by key)",
        )
    props = {p.name: p for p in model.properties_of(class_name)}
    key_doc = doc.get("key")
    if not isinstance(key_doc, Located) or set(key_doc) != set(cls.key):
        ctx.error(
            _line(doc, "key"),
            f"entity {alias}: key must give exactly the business key of ds:{class_name}: "
            f"{', '.join(cls.key)}",
        )
        return None
    key = tuple(
        (p, _value(ctx, key_doc[p], _line(key_doc, p), props[p].xsd, f"{alias}.{p}")) for p in cls.key
    )
    properties = []
    set_doc = doc.get("set") or {}
    unknown = sorted(set(doc) - {"class", "key", "set", "each", "when", "optional"})
    if unknown:
        ctx.error(
            _line(doc, unknown[0]),
            f"entity {alias}: unknown field(s) {', '.join(unknown)}; "
            "use class, key, set, each, when, optional",
        )
    for prop, value_doc in set_doc.items():
        target = props.get(prop)
        if target is None:
            ctx.error(
                _line(set_doc, prop), f"entity {alias}: ds:{class_name} has no datatype property {prop}"
            )
            continue
        if prop in cls.key:
            ctx.error(_line(set_doc, prop), f"entity {alias}: {prop} is part of the key; give it under key:")
            continue
        properties.append((prop, _value(ctx, value_doc, _line(set_doc, prop), target.xsd, f"{alias}.{prop}")))
    each = doc.get("each")
    when_doc = doc.get("when") or {}
    if not isinstance(when_doc, dict):
        ctx.error(
            _line(doc, "when"), f"entity {alias}: `when:` maps payload paths to the values they must have"
        )
        when_doc = {}
    when = tuple((_spec_of(str(path)), value) for path, value in when_doc.items())
    return EntitySpec(
        alias=alias,
        class_name=class_name,
        merge_label=_merge_label(model, cls),
        labels=model.labels_for(class_name),
        key=key,
        properties=tuple(properties),
        each=_path(str(each)) if each else None,
        when=when,
        optional=bool(doc.get("optional", False)),
        affected=affected,
    )


def _value(ctx: _Ctx, doc: Any, line: int | None, xsd: str, where: str) -> ValueSpec:
    if isinstance(doc, str):
        return ValueSpec(path=_path(doc), from_root=doc.startswith("/"), convert=xsd)
    if not isinstance(doc, Located):
        ctx.error(line, f"{where}: a value is a payload path, or a mapping with path, const or template")
        return ValueSpec(convert=xsd)
    convert = str(doc.get("convert", xsd))
    if convert not in CONVERSIONS:
        ctx.error(
            _line(doc, "convert"),
            f"{where}: unknown conversion {convert!r}; use one of {', '.join(CONVERSIONS)}",
        )
    elif convert != xsd and not (
        convert in {"decimal", "double", "integer"} and xsd in {"decimal", "double"}
    ):
        ctx.error(
            _line(doc, "convert"),
            f"{where}: type mismatch: the ontology says xsd:{xsd}, the mapping converts to {convert}",
        )
    if "path" in doc:
        path = str(doc["path"])
        return ValueSpec(path=_path(path), from_root=path.startswith("/"), convert=xsd)
    if "template" in doc:
        if xsd not in {"string", "anyURI"}:
            ctx.error(
                _line(doc, "template"), f"{where}: a template gives text, but the ontology says xsd:{xsd}"
            )
        return ValueSpec(template=str(doc["template"]), convert=xsd)
    if "const" in doc:
        return ValueSpec(const=doc["const"], convert=xsd)
    ctx.error(line, f"{where}: give one of path, const or template")
    return ValueSpec(convert=xsd)


def _compile_relation(
    ctx: _Ctx, doc: Any, entities: Mapping[str, EntitySpec], model: DomainModel
) -> RelationSpec | None:
    if not (isinstance(doc, LocatedList) and len(doc) == 3):
        ctx.error(_line(doc), "a relation is written [source alias, relation, target alias]")
        return None
    source, name, target = (str(x) for x in doc)
    rel = model.relations.get(name)
    if rel is None:
        ctx.error(doc.line, f"relation ds:{name} is not an object property of the ontology")
        return None
    if not rel.stored:  # a reverse property: store the relation it reads backwards
        rel = model.relations[rel.inverse_of or ""]
        source, target = target, source
    for alias in (source, target):
        if alias not in entities:
            ctx.error(doc.line, f"relation ds:{name}: unknown entity alias {alias!r}")
            return None
    a, b = entities[source], entities[target]
    if rel.domain not in model.lineage(a.class_name):
        ctx.error(doc.line, f"relation ds:{rel.name} starts at ds:{rel.domain}, not at ds:{a.class_name}")
        return None
    if rel.range not in model.lineage(b.class_name):
        ctx.error(doc.line, f"relation ds:{rel.name} ends at ds:{rel.range}, not at ds:{b.class_name}")
        return None
    if a.each and b.each and a.each != b.each:
        ctx.error(doc.line, f"relation ds:{rel.name}: {source} and {target} iterate different lists")
        return None
    return RelationSpec(source, rel.name, rel.rel_type, target, rel.to_many)
