"""The general check of a stream's output shape: the fast validator of :mod:`loaders.shacl`.

Used for a shape the plain-Python check (:mod:`graph_service.streams.output_check`) cannot
compile, and to compile that check from the Turtle. The shapes are written like the products' ones
(``dss:`` paths, ``xsd:dateTime`` for times); the data is a JSON object, so the shape's paths are
read as the payload convention's members (:mod:`loaders.payload_rdf`) and each value is typed by
the datatype its field declares, when its JSON form is that type's natural encoding (an ISO 8601
text for a date-time, a whole number for an integer). Anything else keeps its JSON reading and
fails the datatype check, as a product row of the wrong type does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdflib import RDF, SH, XSD, Graph, Literal, URIRef
from rdflib.term import Identifier

from graph_service.streams.envelope import STREAMS_NS, ShapeCheck, StreamShapeError
from loaders.payload_rdf import DSP
from loaders.shacl.compiler import compile_shapes
from loaders.shacl.model import Shape
from loaders.shacl.views import PayloadOps, PayloadView, PNode

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

    def validate(
        self, data: Mapping[str, Any], focus: str = "urn:digispine:stream-event"
    ) -> list[dict[str, Any]]:
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
    renamed: dict[Any, URIRef] = {}
    for prop, path in shapes.subject_objects(SH.path):
        if isinstance(path, URIRef) and str(path).startswith(STREAMS_NS):
            name = str(path)[len(STREAMS_NS) :]
            renamed[path] = URIRef(str(DSP) + name)
            fields[str(DSP) + name] = name
            datatype = shapes.value(prop, SH.datatype)
            if isinstance(datatype, URIRef):
                types[name] = datatype
    out = Graph()
    for s, p, o in shapes:
        if p == SH.path and o in renamed:
            o = renamed[o]
        elif p in (RDF.first,) and o in renamed:
            o = renamed[o]  # a path inside sh:ignoredProperties or a sequence
        out.add((s, p, o))
    return out, fields, types
