"""A stream's output shape compiled into a plain-Python check of the derived event's ``data``.

The output shapes are flat (docs/streams.md "Declaring a stream"): one node shape, one property
shape per field of ``data`` with ``sh:datatype`` and optional ``sh:minCount``, ``sh:maxCount``,
``sh:in`` and numeric bounds, and ``sh:closed``. For such a shape the SHACL semantics of the data's
natural RDF reading (each field a ``dss:`` property; a JSON string of a date or date-time field its
lexical form, a JSON number a literal of the field's numeric datatype, any other JSON string a plain
string) come down to a few Python tests per field. :func:`compile_flat` reads the shape once (with
rdflib, at compile time only) into a :class:`FlatShape`, which is JSON-able, so a processor can load
it from a cached artefact without importing rdflib, and checks one event in microseconds where the
general validator of :mod:`loaders.shacl` took ~0.7 ms. A shape that uses anything else compiles to
None and the runtime keeps the general validator (:class:`graph_service.streams.envelope.OutputValidator`).

Reports keep the general validator's format, one ``{"focus", "path", "constraint", "message"}`` per
violation with the SHACL constraint component's name; ``tests/unit/streams/test_output_check.py``
checks that the compiled check and pySHACL agree on valid and invalid samples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdflib import Graph

XSD_NS = "http://www.w3.org/2001/XMLSchema#"
SH_NS = "http://www.w3.org/ns/shacl#"
STREAMS_NS = "https://w3id.org/digispine/streams#"
#: What the general validator reads a ``dss:`` path as (loaders.payload_rdf.DSP): reports name it.
PAYLOAD_NS = "https://w3id.org/digispine/payload#"

_TZ = r"(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)?"
_DATE = r"-?([1-9]\d{3,}|0\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?|24:00:00(\.0+)?)"
_LEXICAL = {
    "date": re.compile(f"^{_DATE}{_TZ}$"),
    "dateTime": re.compile(f"^{_DATE}T{_TIME}{_TZ}$"),
}
_NUMERIC = frozenset({"integer", "decimal", "double", "float"})
#: The datatypes a flat shape may declare; any other keeps the general validator.
DATATYPES = frozenset({"string", "boolean", "date", "dateTime", *_NUMERIC})
#: The shape parameters a flat shape may use (annotations are not constraints).
_FIELD_PARAMETERS = frozenset(
    f"{SH_NS}{p}"
    for p in [
        "path",
        "datatype",
        "minCount",
        "maxCount",
        "in",
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "order",
        "name",
        "description",
        "group",
        "defaultValue",
    ]
)
_NODE_PARAMETERS = frozenset(
    f"{SH_NS}{p}" for p in ["targetClass", "closed", "ignoredProperties", "property", "name", "description"]
)
_BOUNDS = (
    ("minExclusive", "MinExclusiveConstraintComponent", ">"),
    ("minInclusive", "MinInclusiveConstraintComponent", ">="),
    ("maxExclusive", "MaxExclusiveConstraintComponent", "<"),
    ("maxInclusive", "MaxInclusiveConstraintComponent", "<="),
)
_PASSES = {
    ">": lambda v, b: v > b,
    ">=": lambda v, b: v >= b,
    "<": lambda v, b: v < b,
    "<=": lambda v, b: v <= b,
}


@dataclass(frozen=True)
class Bound:
    op: str  # one of > >= < <=
    value: float | int
    text: str  # the bound's lexical form, as reports print it
    component: str


@dataclass(frozen=True)
class FieldRule:
    """One property shape: the ``data`` member ``name`` and its constraints."""

    name: str
    datatype: str  # local name in xsd:
    min_count: int = 0
    max_count: int | None = None
    allowed: tuple[str | int | float | bool, ...] | None = None
    bounds: tuple[Bound, ...] = ()

    def check(self, value: Any, focus: str, found: list[dict[str, Any]]) -> None:
        values = [] if value is None else list(value) if isinstance(value, list) else [value]
        values = [v for v in values if v is not None]
        if len(values) < self.min_count:
            self._report(
                found, focus, "MinCount", f"needs at least {self.min_count} value(s), has {len(values)}"
            )
        if self.max_count is not None and len(values) > self.max_count:
            self._report(
                found, focus, "MaxCount", f"needs at most {self.max_count} value(s), has {len(values)}"
            )
        for v in values:
            if not self._typed(v):
                self._report(found, focus, "Datatype", f"value is not a literal of {XSD_NS}{self.datatype}")
            if self.allowed is not None and not _member(v, self.allowed):
                self._report(found, focus, "In", "value is not among the allowed values")
            for bound in self.bounds:
                if not (_is_number(v) and _PASSES[bound.op](v, bound.value)):
                    self._report(
                        found,
                        focus,
                        bound.component.removesuffix("ConstraintComponent"),
                        f"value is not {bound.op} {bound.text}",
                    )

    def _typed(self, v: Any) -> bool:
        kind = self.datatype
        if kind == "string":
            return isinstance(v, str)
        if kind == "boolean":
            return isinstance(v, bool)
        if kind == "integer":
            return isinstance(v, int) and not isinstance(v, bool)
        if kind in _NUMERIC:
            return _is_number(v)
        return isinstance(v, str) and _LEXICAL[kind].match(v) is not None

    def _report(self, found: list[dict[str, Any]], focus: str, component: str, message: str) -> None:
        found.append(
            {
                "focus": focus,
                "path": self.name,
                "constraint": f"{component}ConstraintComponent",
                "message": message,
            }
        )


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _member(v: Any, allowed: tuple[Any, ...]) -> bool:
    """sh:in compares RDF terms: a string is not the number of the same text, True is not 1."""
    return any(type(v) is type(a) and v == a for a in allowed)


@dataclass(frozen=True)
class FlatShape:
    """A flat output shape, checked in plain Python; ``validate(data)`` → the report (empty: conforms)."""

    shape_iri: str
    fields: tuple[FieldRule, ...]
    closed: bool

    def validate(
        self, data: Mapping[str, Any], focus: str = "urn:digispine:stream-event"
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for rule in self.fields:
            rule.check(data.get(rule.name), focus, found)
        if self.closed:
            known = {rule.name for rule in self.fields}
            for name, value in data.items():
                if name in known or value is None:
                    continue
                for _ in value if isinstance(value, list) else [value]:
                    found.append(
                        {
                            "focus": focus,
                            "path": name,
                            "constraint": "ClosedConstraintComponent",
                            "message": f"property {PAYLOAD_NS}{name} is not allowed here",
                        }
                    )
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape_iri,
            "closed": self.closed,
            "fields": [
                {
                    "name": f.name,
                    "datatype": f.datatype,
                    "minCount": f.min_count,
                    "maxCount": f.max_count,
                    "in": list(f.allowed) if f.allowed is not None else None,
                    "bounds": [[b.op, b.value, b.text, b.component] for b in f.bounds],
                }
                for f in self.fields
            ],
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> FlatShape:
        return cls(
            shape_iri=str(value["shape"]),
            closed=bool(value["closed"]),
            fields=tuple(
                FieldRule(
                    name=f["name"],
                    datatype=f["datatype"],
                    min_count=int(f["minCount"]),
                    max_count=f["maxCount"],
                    allowed=tuple(f["in"]) if f["in"] is not None else None,
                    bounds=tuple(Bound(*b) for b in f["bounds"]),
                )
                for f in value["fields"]
            ),
        )


def compile_flat(shapes: Graph, shape_iri: str) -> FlatShape | None:
    """``shape_iri`` of ``shapes`` as a :class:`FlatShape`, or None when it is not flat (another
    constraint, a path that is not a ``dss:`` field, a datatype or value the check does not know)."""
    from rdflib import RDF, Literal, URIRef
    from rdflib.collection import Collection

    node = URIRef(shape_iri)
    sh = {name: URIRef(SH_NS + name) for name in ("property", "path", "closed", "ignoredProperties", "order")}
    for p, _ in shapes.predicate_objects(node):
        if (
            p != RDF.type
            and str(p) not in _NODE_PARAMETERS
            and not str(p).startswith("http://www.w3.org/2000/01/rdf-schema#")
        ):
            return None
    if (node, RDF.type, URIRef(SH_NS + "NodeShape")) not in shapes:
        return None
    closed_value = shapes.value(node, sh["closed"])
    closed = bool(
        closed_value is not None and isinstance(closed_value, Literal) and closed_value.value is True
    )
    for lst in shapes.objects(node, sh["ignoredProperties"]):
        if any(item != RDF.type for item in Collection(shapes, lst)):
            return None
    rules: list[tuple[float, str, FieldRule]] = []
    for prop in shapes.objects(node, sh["property"]):
        rule = _field(shapes, prop)
        if rule is None:
            return None
        order = shapes.value(prop, sh["order"])
        rules.append((float(order.value) if isinstance(order, Literal) else math.inf, rule.name, rule))
    rules.sort(key=lambda r: (r[0], r[1]))
    return FlatShape(shape_iri, tuple(r[2] for r in rules), closed)


def _field(shapes: Graph, prop: Any) -> FieldRule | None:
    from rdflib import Literal, URIRef
    from rdflib.collection import Collection

    def one(name: str) -> Any:
        found = list(shapes.objects(prop, URIRef(SH_NS + name)))
        return found[0] if len(found) == 1 else (None if not found else ...)

    for p, _ in shapes.predicate_objects(prop):
        if str(p) not in _FIELD_PARAMETERS and not str(p).startswith("http://www.w3.org/2000/01/rdf-schema#"):
            return None
    path, datatype = one("path"), one("datatype")
    if not (isinstance(path, URIRef) and str(path).startswith(STREAMS_NS)) or not isinstance(
        datatype, URIRef
    ):
        return None
    kind = str(datatype).removeprefix(XSD_NS)
    if kind not in DATATYPES:
        return None
    counts: dict[str, int | None] = {}
    for name in ("minCount", "maxCount"):
        value = one(name)
        if value is ...:
            return None
        if value is not None and not (isinstance(value, Literal) and type(value.value) is int):
            return None
        counts[name] = None if value is None else int(value.value)
    allowed: tuple[Any, ...] | None = None
    if (members := one("in")) is not None:
        if members is ...:
            return None
        items = list(Collection(shapes, members))
        literals = [i for i in items if isinstance(i, Literal)]
        if len(literals) < len(items) or not all(type(i.value) in (str, int, float, bool) for i in literals):
            return None
        allowed = tuple(i.value for i in literals)
    bounds = []
    for name, component, op in _BOUNDS:
        for bound in shapes.objects(prop, URIRef(SH_NS + name)):
            # a decimal bound is a Literal too (only literals have a value)
            if not isinstance(bound, Literal) or not (_is_number(bound.value) or _is_decimal(bound)):
                return None
            bounds.append(Bound(op, _number(bound.value), str(bound), component))
    return FieldRule(
        name=str(path).removeprefix(STREAMS_NS),
        datatype=kind,
        min_count=counts["minCount"] or 0,
        max_count=counts["maxCount"],
        allowed=allowed,
        bounds=tuple(bounds),
    )


def _is_decimal(bound: Any) -> bool:
    from decimal import Decimal

    return isinstance(getattr(bound, "value", None), Decimal) and bound.value.is_finite()


def _number(value: Any) -> float | int:
    if isinstance(value, int):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number
