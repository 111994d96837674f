"""Derived events: the CloudEvent a stream emits, its deterministic id, its lineage, its validation.

A derived event is built from what the processor computed (``data``), the descriptor and the input
that triggered it. Its id is a digest of the stream, the key and the processor's ``id_parts`` (a
window and its revision, or an alert rule and the triggering input), so the same inputs in the same
order give the same ids: a replay or an at-least-once duplicate is the same event, not a new one.

Its ``data`` is validated against the stream's output shape with the fast validator of
:mod:`loaders.shacl` (compiled once per process). The shapes are written like the products' ones
(``dss:`` paths, ``xsd:dateTime`` for times); the data is a JSON object, so the shape's paths are
read as the payload convention's members (:mod:`loaders.payload_rdf`) and each value is typed by
the datatype its field declares, when its JSON form is that type's natural encoding (an ISO 8601
text for a date-time, a whole number for an integer). Anything else keeps its JSON reading and
fails the datatype check, as a product row of the wrong type does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson
from rdflib import RDF, SH, XSD, Graph, Literal, URIRef
from rdflib.term import Identifier

from graph_service.errors import DigiSpineError as StreamError  # streams.errors imports products: a cycle
from loaders.payload_rdf import DSP
from loaders.shacl.compiler import compile_shapes
from loaders.shacl.model import Shape
from loaders.shacl.views import PayloadOps, PayloadView, PNode

#: How many source events a derived event names; the rest are counted in ``lineage.truncated``.
LINEAGE_CAP = 50
STREAMS_NS = "https://w3id.org/digispine/streams#"


class StreamShapeError(StreamError):
    """A stream's output shape cannot be read or compiled."""


class OriginLike(Protocol):
    """What lineage needs of the input an output came from (runtime.Origin)."""

    source: str
    id: str
    topic: str
    partition: int
    offset: int


def derived_id(parts: Sequence[Any]) -> str:
    """blake2b-16 hex of the JSON array of ``parts``: the same parts, the same id."""
    return hashlib.blake2b(orjson.dumps(list(parts)), digest_size=16).hexdigest()


def window_id_parts(window_name: str, window_start: str, revision: int) -> list[Any]:
    """``id_parts`` of a window's revision (the runtime prefixes stream, major and key)."""
    return [window_name, window_start, revision]


def alert_id_parts(rule: str, source: str, event_id: str) -> list[Any]:
    """``id_parts`` of an alert: the rule and the triggering input's source and id."""
    return [rule, source, event_id]


def utc_text(when: dt.datetime) -> str:
    """ISO 8601 UTC with ``Z``, milliseconds only when there are any."""
    when = when.astimezone(dt.UTC)
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LineageTracker:
    """The source events of one output, JSON-able so a processor keeps it in its state.

    ``events`` are the first :data:`LINEAGE_CAP` distinct ``(source, id)``; later ones are only
    counted. ``offsets`` keeps, per input topic partition, the lowest and highest offset seen."""

    events: list[list[str]] = field(default_factory=list)
    truncated: int = 0
    offsets: dict[str, list[int]] = field(default_factory=dict)
    last: str = ""

    @classmethod
    def from_state(cls, value: Mapping[str, Any] | None) -> LineageTracker:
        if not value:
            return cls()
        return cls(
            events=[list(e) for e in value.get("e", [])],
            truncated=int(value.get("t", 0)),
            offsets={k: list(v) for k, v in value.get("o", {}).items()},
            last=str(value.get("l", "")),
        )

    def to_state(self) -> dict[str, Any]:
        return {"e": self.events, "t": self.truncated, "o": self.offsets, "l": self.last}

    def add(self, origin: OriginLike) -> None:
        pair = [origin.source, origin.id]
        if pair not in self.events:
            if len(self.events) < LINEAGE_CAP:
                self.events.append(pair)
            else:
                self.truncated += 1
        where = f"{origin.topic}/{origin.partition}"
        span = self.offsets.get(where)
        if span is None:
            self.offsets[where] = [origin.offset, origin.offset]
        else:
            span[0], span[1] = min(span[0], origin.offset), max(span[1], origin.offset)
        self.last = where

    def merge(self, other: LineageTracker) -> None:
        """Add ``other``'s events and offsets (an output built from several trackers)."""
        for pair in other.events:
            if pair not in self.events:
                if len(self.events) < LINEAGE_CAP:
                    self.events.append(pair)
                else:
                    self.truncated += 1
        self.truncated += other.truncated
        for where, (low, high) in other.offsets.items():
            span = self.offsets.setdefault(where, [low, high])
            span[0], span[1] = min(span[0], low), max(span[1], high)
        self.last = self.last or other.last

    def lineage(self) -> dict[str, Any]:
        """The ``lineage`` member: events, truncated count, the newest input partition's offset range."""
        offsets: dict[str, Any] = {}
        if self.last and self.last in self.offsets:
            topic, _, partition = self.last.rpartition("/")
            low, high = self.offsets[self.last]
            offsets = {"topic": topic, "partition": int(partition), "from": low, "to": high}
        return {
            "events": [{"source": s, "id": i} for s, i in self.events],
            "truncated": self.truncated,
            "offsets": offsets,
        }


@dataclass(frozen=True)
class StreamIdentity:
    """What of the descriptor goes into every derived event."""

    name: str
    major: int
    version: str
    output_type: str
    source: str
    shape_iri: str

    @classmethod
    def of(cls, descriptor: Any) -> StreamIdentity:
        return cls(
            name=descriptor.name,
            major=descriptor.major,
            version=descriptor.version,
            output_type=descriptor.output_type,
            source=descriptor.source,
            shape_iri=descriptor.shape_iri,
        )


def build_event(
    stream: StreamIdentity,
    *,
    subject: str,
    data: Mapping[str, Any],
    time: dt.datetime,
    id_parts: Sequence[Any],
    lineage: Mapping[str, Any],
    inputts: int,
) -> dict[str, Any]:
    """The derived CloudEvent (structured mode) of one output."""
    return {
        "specversion": "1.0",
        "id": derived_id([stream.name, stream.major, subject, *id_parts]),
        "source": stream.source,
        "type": stream.output_type,
        "subject": subject,
        "time": utc_text(time),
        "datacontenttype": "application/json",
        "dataschema": stream.shape_iri,
        "inputts": inputts,
        "lineage": dict(lineage),
        "data": dict(data),
    }


def violation_record(stream: StreamIdentity, event: Mapping[str, Any], report: list[dict[str, Any]]) -> dict:
    """What goes to the violations topic instead of an event that fails its shape."""
    return {"stream": stream.name, "version": stream.version, "event": dict(event), "report": report}


# -- the output shape, compiled once ------------------------------------------------------------------
_INTEGERS = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.nonNegativeInteger, XSD.positiveInteger}
_FLOATS = {XSD.double, XSD.float}


class OutputValidator:
    """One stream's output shape, compiled with the fast validator; ``validate(data)`` → report."""

    def __init__(self, shapes: Graph, shape_iri: str) -> None:
        payload_graph, self._fields, self._types = _as_payload_shapes(shapes)
        program = compile_shapes(payload_graph, PayloadOps)
        shape = program.shapes.get(URIRef(shape_iri))
        if shape is None:
            raise StreamShapeError(f"the output shape {shape_iri} is not defined in the stream's shape file")
        self._shape: Shape = shape
        kinds = {XSD.dateTime, XSD.date, *_INTEGERS, *_FLOATS}
        self._converted = frozenset(k for k, t in self._types.items() if t in kinds)
        targets = list(shapes.objects(URIRef(shape_iri), SH.targetClass))
        self._classes = tuple(str(t) for t in targets)

    @classmethod
    def from_file(cls, path: Path, shape_iri: str) -> OutputValidator:
        return cls(read_shape_file(path), shape_iri)

    def validate(self, data: Mapping[str, Any], focus: str = "urn:digispine:stream-event") -> list[dict]:
        """Each violation of ``data`` as ``{"focus", "path", "constraint", "message"}``; none: conforms."""
        typed = dict(data)
        for key in self._converted.intersection(typed):  # JSON reads strings and decimals as they are
            typed[key] = self._typed(key, typed[key])
        root = PNode(focus, typed, self._classes)
        found = self._shape.validate(PayloadView(root), root)
        return [
            {
                "focus": v.focus,
                "path": self._fields.get(v.path or "", (v.path or "").removeprefix(str(DSP)) or None),
                "constraint": v.component,
                "message": v.message,
            }
            for v in found
        ]

    def _typed(self, key: str, value: Any) -> Any:
        datatype = self._types.get(key)
        if datatype is None or value is None or isinstance(value, bool):
            return value
        if datatype in (XSD.dateTime, XSD.date) and isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            return Literal(parsed if datatype == XSD.dateTime else parsed.date())
        if datatype in _INTEGERS and isinstance(value, int):
            return Literal(value, datatype=datatype)
        if datatype in _FLOATS and isinstance(value, int | float):
            return Literal(float(value), datatype=datatype)
        return value


class ShapeCheck(Protocol):
    """What checks a derived event's ``data``: a compiled flat shape or the general validator."""

    def validate(self, data: Mapping[str, Any], focus: str = ...) -> list[dict]: ...


def read_shape_file(path: Path) -> Graph:
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise StreamShapeError(f"{path}: cannot parse the output shape: {exc}") from exc
    return graph


def shape_check(path: Path, shape_iri: str) -> ShapeCheck:
    """The output check of a stream: its shape compiled to plain Python when it is flat (as the
    shipped ones are), else the general validator."""
    from graph_service.streams.output_check import compile_flat

    graph = read_shape_file(path)
    return compile_flat(graph, shape_iri) or OutputValidator(graph, shape_iri)


def _as_payload_shapes(shapes: Graph) -> tuple[Graph, dict[str, str], dict[str, Identifier]]:
    """The shapes with every ``dss:<field>`` path read as the payload member ``<field>``; also the
    field of each rewritten path (for reports) and the datatype each field declares."""
    fields: dict[str, str] = {}
    types: dict[str, Identifier] = {}
    renamed: dict[Identifier, URIRef] = {}
    for prop, path in shapes.subject_objects(SH.path):
        if isinstance(path, URIRef) and str(path).startswith(STREAMS_NS):
            name = str(path)[len(STREAMS_NS) :]
            renamed[path] = URIRef(str(DSP) + name)
            fields[str(DSP) + name] = name
            datatype = shapes.value(prop, SH.datatype)
            if datatype is not None:
                types[name] = datatype
    out = Graph()
    for s, p, o in shapes:
        if p == SH.path and o in renamed:
            o = renamed[o]
        elif p in (RDF.first,) and o in renamed:
            o = renamed[o]  # a path inside sh:ignoredProperties or a sequence
        out.add((s, p, o))
    return out, fields, types
