"""Declarative event mappings (``*.yaml`` in the mappings directories), checked against the
DomainModel.

A mapping file belongs to a source system (declared as data, :mod:`loaders.systems`) and says, per
CloudEvents type, which ontology event class it is, which entities to upsert (class, key and
properties from paths into the payload or the envelope) and which relations to connect.
``load_mappings`` checks every name and type against the ontology at start-up and reports every
problem with file and line (:mod:`loaders.mapping_compile`); ``Mapper.map`` turns an
:class:`~loaders.envelope.Envelope` into writes. A new system or event type is YAML, no Python
(docs/sources.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from graph_service.ontology.model import DomainModel
from loaders.envelope import TYPE_RX, Envelope
from loaders.errors import EventRejected, MappingError
from loaders.mapping_compile import Ctx, compile_events
from loaders.mapping_model import (
    EntityRef,
    EntitySpec,
    EntityWrite,
    EventMapping,
    MappedEvent,
    RelationSpec,
    RelationWrite,
    ValueSpec,
)
from loaders.mapping_paths import ChainLink
from loaders.mapping_values import CONVERSIONS
from loaders.systems import SourceSystem, SystemRegistry, system_of
from loaders.yamlsource import Located, load_yaml

__all__ = [
    "CONVERSIONS",
    "EntityRef",
    "EntitySpec",
    "EntityWrite",
    "EventMapping",
    "MappedEvent",
    "Mapper",
    "RelationSpec",
    "RelationWrite",
    "ValueSpec",
    "load_mappings",
]


class _Row(NamedTuple):
    """One entity an event names, with the list elements it was read from."""

    write: EntityWrite
    links: tuple[ChainLink, ...]
    chain: tuple[Any, ...]


class Mapper:
    """All event mappings, by CloudEvents type, and the systems they belong to."""

    def __init__(
        self, mappings: Mapping[str, EventMapping], systems: Mapping[str, SourceSystem] | None = None
    ) -> None:
        self.by_type = dict(mappings)
        self.systems = dict(systems or {m.source_kind: m.system for m in self.by_type.values() if m.system})

    def mapping_for(self, envelope: Envelope) -> EventMapping:
        mapping = self.by_type.get(envelope.type)
        if mapping is None:
            hint = "" if TYPE_RX.match(envelope.type) else "; a mapping file maps each type a system sends"
            raise EventRejected(
                "unknown-type", f"unknown event type {envelope.type!r} (no mapping maps it{hint})"
            )
        if not mapping.accepts(envelope.source):
            system = mapping.system
            patterns = ", ".join(system.sources) if system else ""
            raise EventRejected(
                "envelope",
                f"event type {envelope.type} comes from {mapping.source_kind} systems (sources {patterns}), "
                f"but source is {envelope.source!r}",
            )
        return mapping

    def map(self, envelope: Envelope, mapping: EventMapping | None = None) -> MappedEvent:
        mapping = mapping or self.mapping_for(envelope)
        payload = envelope.data
        rows: dict[str, list[_Row]] = {}
        entities: list[EntityWrite] = []
        for spec in mapping.entities:
            written: list[_Row] = []
            for links, chain in _scopes(spec, payload):
                entity = _entity(spec, payload, chain, envelope)
                if entity is not None:
                    written.append(_Row(entity, links, chain))
                    entities.append(entity)
            rows[spec.alias] = written
        relations = [
            RelationWrite(rel.rel_type, rel.to_many, a.ref, b.ref)
            for rel in mapping.relations
            for a, b in _related(rel, rows[rel.source], rows[rel.target], payload, envelope)
        ]
        return MappedEvent(envelope, mapping.event_class, mapping.event_labels, entities, relations)


_SINGLE: list[tuple[tuple[ChainLink, ...], tuple[Any, ...]]] = [((), ())]


def _scopes(spec: EntitySpec, payload: Mapping[str, Any]) -> Any:
    if spec.each_path is None:
        return _SINGLE
    return spec.each_path.elements(payload)


def _entity(
    spec: EntitySpec, payload: Mapping[str, Any], chain: tuple[Any, ...], envelope: Envelope
) -> EntityWrite | None:
    if spec.when and any(cond.read_in(payload, chain, envelope) != expected for cond, expected in spec.when):
        return None
    key_values = []
    for prop, value_spec in spec.key:
        raw = value_spec.read_in(payload, chain, envelope)
        if raw is None or raw == "":
            raw = value_spec.default
        if raw is None or raw == "":
            if spec.each is None and not spec.when and not spec.optional:
                raise EventRejected(
                    "mapping",
                    f"event {envelope.id}: key {prop} of {spec.class_name} ({spec.alias}) is missing in "
                    "the payload",
                )
            return None
        key_values.append(value_spec.finish(raw, f"{spec.alias}.{prop}", envelope))
    entity = EntityWrite(
        spec.class_name,
        EntityRef(spec.merge_label, tuple(p for p, _ in spec.key), tuple(key_values)),
        spec.labels,
        affected=spec.affected,
        lineage=spec.linked,
    )
    for prop, value_spec in spec.properties:
        value = value_spec.value_in(payload, chain, envelope, f"{spec.alias}.{prop}")
        if value is not None:
            entity.properties[prop] = value
            if value_spec.history:
                entity.history[prop] = value
    if spec.role is not None:
        entity.role = spec.role.value_in(payload, chain, envelope, f"{spec.alias}.role")
    return entity


def _related(
    rel: RelationSpec, left: list[_Row], right: list[_Row], payload: Mapping[str, Any], envelope: Envelope
) -> list[tuple[EntityWrite, EntityWrite]]:
    if rel.join:
        return _joined(rel, left, right, payload, envelope)
    return [(a.write, b.write) for a, b in _pairs(left, right)]


def _pairs(left: list[_Row], right: list[_Row]) -> list[tuple[_Row, _Row]]:
    """Rows that belong together: read from the same list element, or one from an element inside
    the other's (an entity outside any list pairs with every row)."""
    if len(left) == 1 and not left[0].links:  # the common case: one entity outside any list
        return [(left[0], b) for b in right]
    if len(right) == 1 and not right[0].links:
        return [(a, right[0]) for a in left]
    by_links: dict[tuple[ChainLink, ...], list[_Row]] = defaultdict(list)
    for row in right:
        by_links[row.links].append(row)
    outer: dict[tuple[ChainLink, ...], list[_Row]] = defaultdict(list)
    for row in left:
        outer[row.links].append(row)
    # a inside b or the same element, then b strictly inside a: no pair twice
    pairs = [(a, b) for a in left for n in range(len(a.links) + 1) for b in by_links.get(a.links[:n], ())]
    pairs += [(a, b) for b in right for n in range(len(b.links)) for a in outer.get(b.links[:n], ())]
    return pairs


def _joined(
    rel: RelationSpec, left: list[_Row], right: list[_Row], payload: Mapping[str, Any], envelope: Envelope
) -> list[tuple[EntityWrite, EntityWrite]]:
    """Each source row with the target rows whose key its ``join:`` paths give."""
    by_key: dict[tuple[Any, ...], list[EntityWrite]] = defaultdict(list)
    for row in right:
        by_key[row.write.ref.key].append(row.write)
    pairs = []
    for a in left:
        wanted = tuple(
            spec.value_in(payload, a.chain, envelope, f"{rel.source} {rel.relation} join {prop}")
            for prop, spec in rel.join
        )
        pairs += [(a.write, b) for b in by_key.get(wanted, ())]
    return pairs


# -- loading -----------------------------------------------------------------------------------
def load_mappings(directory: Path | Sequence[Path], model: DomainModel) -> Mapper:
    """Load and check every ``*.yaml`` of ``directory`` (or of several directories, in order);
    raise one error listing all problems."""
    directories = [directory] if isinstance(directory, Path | str) else list(directory)
    where = ", ".join(str(d) for d in directories)
    problems: list[MappingError] = []
    files = [path for d in directories for path in sorted(Path(d).glob("*.yaml"))]
    if not files:
        raise MappingError(where, None, "no mapping files (*.yaml) found")
    documents = _read(files, problems)
    systems = SystemRegistry()
    declared = [(path, doc, systems.add(system, problems)) for path, doc, system in documents]
    mappings: dict[str, EventMapping] = {}
    for path, doc, system in declared:
        if "events" not in doc:
            continue
        ctx = Ctx(str(path), problems)
        for mapping in compile_events(ctx, doc, systems.resolve(system), model):
            other = mappings.get(mapping.type)
            if other is not None:
                ctx.error(
                    mapping.line, f"event type {mapping.type} is already mapped in {other.file}:{other.line}"
                )
            mappings[mapping.type] = mapping
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise MappingError(
            where,
            None,
            f"{len(problems)} problems in the mappings:\n" + "\n".join(f"  {p}" for p in problems),
        )
    return Mapper(mappings, systems.by_name)


def _read(files: list[Path], problems: list[MappingError]) -> list[tuple[Path, Located, SourceSystem]]:
    documents = []
    for path in files:
        try:
            doc = load_yaml(path)
        except MappingError as exc:
            problems.append(exc)
            continue
        declares = isinstance(doc, Located) and isinstance(doc.get("system"), Located)
        if not isinstance(doc, Located) or ("events" not in doc and not declares):
            line = doc.line if isinstance(doc, Located) else None
            problems.append(
                MappingError(
                    str(path),
                    line,
                    "a mapping file needs `system:` (a system's name, or a block declaring it) and "
                    "`events:`; a file declaring a system may leave `events:` out",
                )
            )
            continue
        system = system_of(doc, str(path), problems)
        if system is not None:
            documents.append((path, doc, system))
    return documents
