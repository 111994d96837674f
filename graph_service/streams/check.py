"""A stream descriptor checked against the ontology, the event mappings and its shape file.

What is checked (each problem at the descriptor's line, all collected):

- ``domain`` is a bounded context of the ontology (as for data products);
- every input type is mapped by some ``loaders/mappings/*.yaml`` (so the loader, too, knows it),
  except an input declared ``optional: true`` (a mapping pack's type), which is left out of the
  checked descriptor, with an info line, when no configured mapping maps it;
- ``key`` is an ``owl:hasKey`` property of some class;
- the key can be found for every input: ``keyFrom`` names the payload field, a join
  (``{joinOn: <field>, via: <another input keyed by a field, whose mapping reads the same-named
  field>}``) or a broadcast (``{broadcast: <what>}``: the event concerns every key); or else the
  input's mapping reads the key property from one payload field for an entity that every event of
  the type writes (not ``optional``, not one per list element unless read from the payload root) —
  when two such entities read it from different fields the descriptor must say which (``keyFrom``);
- calendar windows name an entity class;
- the shape file ``<shapes dir>/<name>-v<major>.ttl`` exists and defines ``outputShape`` as a row
  shape in the conventions of the products' output shapes;
- the stream's GraphQL subscription field (its name) does not clash with the generated ones.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from graph_service.ontology.model import DomainModel
from graph_service.products.shape import OutputShape, ShapeLibrary
from graph_service.streams.descriptor import KeySource, StreamDescriptor
from graph_service.streams.errors import Problem
from loaders.mapping import EventMapping, Mapper

logger = logging.getLogger(__name__)

#: Subscription fields area C generates besides one per stream: ``<class>Changed`` and this one.
RESERVED_FIELDS = frozenset({"dataProductChanged"})


def keyed_properties(model: DomainModel) -> frozenset[str]:
    """Every property that is (part of) an ``owl:hasKey`` of some class."""
    return frozenset(prop for cls in model.keyed_classes() for prop in cls.key)


def check_stream(
    descriptor: StreamDescriptor,
    model: DomainModel,
    mapper: Mapper,
    shapes: ShapeLibrary,
    problems: list[Problem],
) -> tuple[StreamDescriptor, OutputShape] | None:
    """The descriptor with its resolved ``key_sources`` and its output shape, or None (problems added)."""
    before = len(problems)
    d = descriptor
    if d.domain not in model.bounded_contexts():
        problems.append(
            d.problem(
                f"domain {d.domain!r} is not a bounded context of the ontology; "
                f"use one of {', '.join(model.bounded_contexts())}",
                "domain",
            )
        )
    key_ok = _check_key(d, model, problems)
    mappings = _check_inputs(d, mapper, problems)
    key_sources = _key_sources(d, mappings, problems) if key_ok else {}
    _check_windows(d, model, problems)
    _check_field_name(d, model, problems)
    shape = _shape(d, shapes, problems)
    if shape is None or len(problems) > before:
        return None
    # Only the inputs the configured mappings map (an unmapped optional one is left out): what the
    # compiled artefact, the runtime's input set and the catalog then see.
    inputs = tuple(t for t in d.inputs if t in mappings)
    return dataclasses.replace(d, inputs=inputs, key_sources=MappingProxyType(key_sources)), shape


def _check_key(d: StreamDescriptor, model: DomainModel, problems: list[Problem]) -> bool:
    keyed = keyed_properties(model)
    if d.key in keyed:
        return True
    if d.key not in model.datatype_properties:
        close = difflib.get_close_matches(d.key, sorted(keyed), n=1)
        hint = f"; did you mean ds:{close[0]}?" if close else ""
        problems.append(d.problem(f"key ds:{d.key} is not a property of the ontology{hint}", "key"))
    else:
        problems.append(
            d.problem(
                f"key ds:{d.key} is not an owl:hasKey property of any class; a stream is keyed by a "
                f"business key: one of {', '.join(f'ds:{p}' for p in sorted(keyed))}",
                "key",
            )
        )
    return False


def _directories(mapper: Mapper) -> str:
    """The directories the mappings were read from (the settings may name others than the shipped)."""
    return ", ".join(sorted({str(Path(m.file).parent) for m in mapper.by_type.values()})) or "none"


def _check_inputs(d: StreamDescriptor, mapper: Mapper, problems: list[Problem]) -> dict[str, EventMapping]:
    found: dict[str, EventMapping] = {}
    for position, event_type in enumerate(d.inputs):
        mapping = mapper.by_type.get(event_type)
        if mapping is None and event_type in d.optional_inputs:
            # A mapping pack's type (uns.*): a deployment without the pack runs without the input.
            logger.info(
                "%s: stream %s v%s: optional input %s is not mapped (DIGISPINE_MAPPINGS_DIRS: %s); "
                "the stream runs without it",
                d.file,
                d.name,
                d.major,
                event_type,
                _directories(mapper),
            )
            continue
        if mapping is None:
            close = difflib.get_close_matches(event_type, sorted(mapper.by_type), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(
                d.problem(
                    f"input {event_type} is not an event type of any mapping "
                    f"(DIGISPINE_MAPPINGS_DIRS: {_directories(mapper)}){hint}",
                    "inputs",
                    str(position),
                )
            )
            continue
        found[event_type] = mapping
    for event_type in d.key_from:
        if event_type not in d.inputs:
            problems.append(
                d.problem(
                    f"keyFrom names {event_type}, which is not one of the inputs", "keyFrom", event_type
                )
            )
    return found


def _key_sources(
    d: StreamDescriptor, mappings: Mapping[str, EventMapping], problems: list[Problem]
) -> dict[str, KeySource]:
    sources: dict[str, KeySource] = {}
    for position, event_type in enumerate(d.inputs):
        if event_type in d.optional_inputs and event_type not in mappings:
            continue  # not mapped here: not read, so its key is not needed
        if event_type in d.key_from:
            sources[event_type] = d.key_from[event_type]
            continue
        mapping = mappings.get(event_type)
        if mapping is None:
            continue  # reported as an unknown input
        path = _key_path(d, mapping, problems, position)
        if path is not None:
            sources[event_type] = KeySource.of_field(path)
    for event_type, source in sources.items():
        if source.kind == "join":
            _check_join(d, event_type, source, sources, mappings, problems)
    return sources


def _check_join(
    d: StreamDescriptor,
    event_type: str,
    source: KeySource,
    sources: Mapping[str, KeySource],
    mappings: Mapping[str, EventMapping],
    problems: list[Problem],
) -> None:
    """A join's ``via`` is another input keyed by a field, whose events carry the joined field."""
    via = source.via or ""
    where = ("keyFrom", event_type)
    if via == event_type or via not in d.inputs:
        problems.append(d.problem(f"keyFrom {event_type}: via {via} must be another of the inputs", *where))
        return
    if via not in mappings:  # an optional input no configured mapping maps: never read
        problems.append(
            d.problem(
                f"keyFrom {event_type}: via {via}, an optional input no configured mapping maps; "
                "join via an input that is always read",
                *where,
            )
        )
        return
    if via in sources and sources[via].kind != "field":
        problems.append(
            d.problem(
                f"keyFrom {event_type}: via {via}, whose key is itself not a payload field; join via an "
                "input that carries the key",
                *where,
            )
        )
        return
    leaf = (source.field or "").rsplit(".", 1)[-1]
    mapping = mappings.get(via)
    if mapping is not None and leaf not in _payload_paths(mapping):
        problems.append(
            d.problem(
                f"keyFrom {event_type}: the events of {via} have no field {leaf} (its mapping, "
                f"{mapping.file}:{mapping.line}, reads none) to join on",
                *where,
            )
        )


def _payload_paths(mapping: EventMapping) -> set[str]:
    """Every payload field the mapping reads, dotted from the payload root."""
    paths = set()
    for entity in mapping.entities:
        prefix = entity.each if entity.each is not None else ()
        for _, spec in (*entity.key, *entity.properties):
            if spec.path:
                full = spec.path if spec.from_root or entity.each is None else (*prefix, *spec.path)
                paths.add(".".join(full))
    return paths


def _key_path(
    d: StreamDescriptor, mapping: EventMapping, problems: list[Problem], position: int
) -> str | None:
    """The one payload field the mapping of ``mapping.type`` reads ``d.key`` from, for every event."""
    every: dict[str, list[str]] = {}
    sometimes: list[str] = []
    for entity in mapping.entities:
        for prop, spec in (*entity.key, *entity.properties):
            if prop != d.key or not spec.path or spec.template is not None:
                continue
            path = ".".join(spec.path)
            if entity.optional or (entity.each is not None and not spec.from_root):
                sometimes.append(entity.alias)
            else:
                every.setdefault(path, []).append(entity.alias)
    where = f"{mapping.file}:{mapping.line}"
    advice = f"name the payload field with keyFrom: {{{mapping.type}: <field>}}"
    if len(every) == 1:
        return next(iter(every))
    if every:
        fields = "; ".join(f"{path} ({', '.join(aliases)})" for path, aliases in sorted(every.items()))
        message = (
            f"input {mapping.type}: its mapping ({where}) reads ds:{d.key} from several fields: {fields}"
        )
    elif sometimes:
        message = (
            f"input {mapping.type}: its mapping ({where}) reads ds:{d.key} only for an optional or "
            f"per-list-element entity ({', '.join(sorted(sometimes))}), so not every event has one key"
        )
    else:
        message = (
            f"input {mapping.type}: its mapping ({where}) reads ds:{d.key} for no entity, "
            "so the key is unknown"
        )
    problems.append(d.problem(f"{message}; {advice}", "inputs", str(position)))
    return None


def _check_windows(d: StreamDescriptor, model: DomainModel, problems: list[Problem]) -> None:
    for position, window in enumerate(d.windows):
        if window.calendar is None:
            continue
        cls = model.classes.get(window.calendar)
        if cls is None or cls.is_event or cls.abstract:
            problems.append(
                d.problem(
                    f"window {window.name}: calendar ds:{window.calendar} is not an entity class "
                    "of the ontology",
                    "windows",
                    str(position),
                    "calendar",
                )
            )


def _check_field_name(d: StreamDescriptor, model: DomainModel, problems: list[Problem]) -> None:
    changed = {f"{name[0].lower()}{name[1:]}Changed" for name in model.classes}
    if d.name in RESERVED_FIELDS or d.name in changed:
        problems.append(
            d.problem(
                f"name {d.name!r} is also a generated subscription field (<class>Changed, "
                "dataProductChanged); choose another",
                "name",
            )
        )


def _shape(d: StreamDescriptor, shapes: ShapeLibrary, problems: list[Problem]) -> OutputShape | None:
    if not d.shape_path.is_file():
        problems.append(
            d.problem(
                f"missing shape file {d.shape_path}: it must define {d.shape_iri}, the shape of the derived "
                "events' data",
                "outputShape",
            )
        )
        return None
    found: list[Problem] = []
    shape = shapes.output_shape(d.shape_iri, found, d.file)
    if shape is None and not any(p.file == d.shape_path for p in found):
        problems.append(
            d.problem(f"outputShape {d.shape_iri} is not a sh:NodeShape in {d.shape_path}", "outputShape")
        )
        return None
    problems += found
    if shape is not None and shape.file != d.shape_path:
        problems.append(
            d.problem(
                f"outputShape {d.shape_iri} is defined in {shape.file}, not in its stream's {d.shape_path}",
                "outputShape",
            )
        )
        return None
    return shape


def check_unique(descriptors: Sequence[StreamDescriptor], problems: list[Problem]) -> list[StreamDescriptor]:
    """One descriptor per name and major version, one stream per topic and output type."""
    kept: list[StreamDescriptor] = []
    seen: dict[object, StreamDescriptor] = {}
    for d in descriptors:
        clash = None
        for what, value in (
            ("version", (d.name, d.major)),
            ("topic", d.topic),
            ("outputType", d.output_type),
        ):
            other = seen.get((what, value))
            if other is not None:
                clash = (what, other)
                break
        if clash is not None:
            what, other = clash
            subject = f"{d.name} v{d.major}" if what == "version" else f"{what} {getattr(d, _ATTR[what])}"
            problems.append(d.problem(f"{subject} is also used by {other.file}", _FIELD[what]))
            continue
        seen[("version", (d.name, d.major))] = d
        seen[("topic", d.topic)] = d
        seen[("outputType", d.output_type)] = d
        kept.append(d)
    return kept


_ATTR = {"topic": "topic", "outputType": "output_type"}
_FIELD = {"version": "version", "topic": "topic", "outputType": "outputType"}
