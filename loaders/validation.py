"""Fast SHACL validation of event payloads: the shapes we use, compiled once into checks.

pyshacl re-reads shapes and builds a data graph for every call (about 2,400 small events/s on
one core). Here each node shape of ``shapes/events/`` is compiled once into plain Python checks
over the payload JSON, following the RDF reading of :mod:`loaders.payload_rdf`. The verdicts
(focus node, path, constraint component) are the same as pyshacl's — the differential tests in
``tests/unit/loaders`` prove it. A shape using a component we do not compile is refused at
start-up, naming the shape and the component, rather than validated differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import RDF, SH, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from loaders.errors import ShapeError
from loaders.payload_rdf import DS, DSP, child_iri, focus_iri, json_values, literal_for

#: Constraint parameters we compile; anything else in a shape is refused.
SUPPORTED = {
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH.pattern,
    SH.flags,
    SH["in"],
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.minLength,
    SH.maxLength,
    SH.nodeKind,
    SH.node,
    SH.name,
    SH.description,
    SH.message,
    SH.order,
    SH.severity,
    RDF.type,
}
NODE_PARAMS = {
    SH.targetClass,
    SH.property,
    RDF.type,
    SH.name,
    SH.description,
    SH.message,
    SH.closed,
    SH.ignoredProperties,
    SH.severity,
}


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result."""

    focus: str
    path: str | None
    component: str  # local name, e.g. "MinCountConstraintComponent"
    message: str
    value: str | None = None

    def verdict(self) -> tuple[str, str | None, str]:
        return (self.focus, self.path, self.component)

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.component} on {self.focus}{where}: {self.message}"


Check = Callable[[str, list[Any]], Iterable[Violation]]


@dataclass
class PropertyShape:
    key: str  # the payload key (local name of the dsp: path)
    checks: list[Check] = field(default_factory=list)


@dataclass
class NodeShape:
    name: str
    properties: list[PropertyShape] = field(default_factory=list)
    closed_keys: frozenset[str] | None = None


class PayloadValidator:
    """All payload shapes, compiled. ``validate(event_class, event_id, payload)`` → violations."""

    def __init__(self, shapes: Graph) -> None:
        self._shapes = shapes
        self._compiled: dict[URIRef | BNode, NodeShape] = {}
        self.by_class: dict[str, list[NodeShape]] = {}
        for shape in sorted(set(shapes.subjects(SH.targetClass, None)), key=str):
            for target in shapes.objects(shape, SH.targetClass):
                name = str(target).removeprefix(str(DS))
                self.by_class.setdefault(name, []).append(self._node(shape))

    @classmethod
    def from_directory(cls, directory: Path) -> PayloadValidator:
        graph = Graph()
        files = sorted(directory.glob("*.ttl"))
        if not files:
            raise ShapeError(f"no payload shapes (*.ttl) found in {directory}")
        for path in files:
            try:
                graph.parse(path, format="turtle")
            except Exception as exc:  # rdflib raises several unrelated types for bad syntax
                raise ShapeError(f"{path}: cannot parse shapes: {exc}") from exc
        return cls(graph)

    @property
    def shapes_graph(self) -> Graph:
        return self._shapes

    def has_shape(self, event_class: str) -> bool:
        return event_class in self.by_class

    def validate(self, event_class: str, event_id: str, payload: Mapping[str, Any]) -> list[Violation]:
        root = focus_iri(event_id)
        found: list[Violation] = []
        for shape in self.by_class.get(event_class, ()):
            found.extend(_run(shape, root, payload))
        return found

    # -- compilation ---------------------------------------------------------------------------
    def _node(self, shape: URIRef | BNode) -> NodeShape:
        if shape in self._compiled:
            return self._compiled[shape]
        g = self._shapes
        node = NodeShape(name=_short(shape))
        self._compiled[shape] = node  # before recursing: shapes may refer to each other
        for param in set(g.predicates(shape, None)):
            if param not in NODE_PARAMS:
                raise ShapeError(
                    f"shape {node.name}: node constraint {_short(param)} is not "
                    "supported by the fast validator"
                )
        for prop in sorted(g.objects(shape, SH.property), key=str):
            node.properties.append(self._property(node.name, prop))
        if g.value(shape, SH.closed) == Literal(True):
            ignored = g.value(shape, SH.ignoredProperties)
            extra = {str(p) for p in Collection(g, ignored)} if ignored else set()
            if str(RDF.type) not in extra:
                raise ShapeError(f"shape {node.name}: sh:closed needs rdf:type in sh:ignoredProperties")
            node.closed_keys = frozenset(p.key for p in node.properties)
        return node

    def _property(self, owner: str, prop: URIRef | BNode) -> PropertyShape:
        g = self._shapes
        for param in set(g.predicates(prop, None)):
            if param not in SUPPORTED:
                raise ShapeError(
                    f"shape {owner}: constraint {_short(param)} is not supported by the fast validator"
                )
        path = g.value(prop, SH.path)
        if not isinstance(path, URIRef) or not str(path).startswith(str(DSP)):
            raise ShapeError(f"shape {owner}: sh:path must be a dsp: property, got {path}")
        key = str(path).removeprefix(str(DSP))
        shape = PropertyShape(key=key)
        path_iri = str(path)
        v = g.value
        if (n := v(prop, SH.minCount)) is not None:
            shape.checks.append(_min_count(path_iri, int(n)))
        if (n := v(prop, SH.maxCount)) is not None:
            shape.checks.append(_max_count(path_iri, int(n)))
        if (dt := v(prop, SH.datatype)) is not None:
            shape.checks.append(
                _each(
                    path_iri,
                    "DatatypeConstraintComponent",
                    _datatype_test(dt),
                    f"value is not of datatype {_short(dt)}",
                )
            )
        if (kind := v(prop, SH.nodeKind)) is not None:
            shape.checks.append(
                _each(
                    path_iri,
                    "NodeKindConstraintComponent",
                    _node_kind_test(owner, kind),
                    f"value is not a {_short(kind)}",
                )
            )
        if (pattern := v(prop, SH.pattern)) is not None:
            flags = str(v(prop, SH.flags) or "")
            rx = re.compile(str(pattern), re.IGNORECASE if "i" in flags else 0)
            shape.checks.append(
                _each(
                    path_iri,
                    "PatternConstraintComponent",
                    lambda x, rx=rx: not _is_blank(x) and rx.search(_lexical(x)) is not None,
                    f"value does not match {pattern}",
                )
            )
        if (n := v(prop, SH.minLength)) is not None:
            shape.checks.append(
                _each(
                    path_iri,
                    "MinLengthConstraintComponent",
                    lambda x, n=int(n): not _is_blank(x) and len(_lexical(x)) >= n,
                    f"shorter than {n}",
                )
            )
        if (n := v(prop, SH.maxLength)) is not None:
            shape.checks.append(
                _each(
                    path_iri,
                    "MaxLengthConstraintComponent",
                    lambda x, n=int(n): not _is_blank(x) and len(_lexical(x)) <= n,
                    f"longer than {n}",
                )
            )
        if (members := v(prop, SH["in"])) is not None:
            allowed = frozenset(Collection(g, members))
            shape.checks.append(
                _each(
                    path_iri,
                    "InConstraintComponent",
                    lambda x, a=allowed: _term(x) in a,
                    "value is not among the allowed values",
                )
            )
        for param, component, op in (
            (SH.minInclusive, "MinInclusiveConstraintComponent", lambda a, b: a >= b),
            (SH.maxInclusive, "MaxInclusiveConstraintComponent", lambda a, b: a <= b),
            (SH.minExclusive, "MinExclusiveConstraintComponent", lambda a, b: a > b),
            (SH.maxExclusive, "MaxExclusiveConstraintComponent", lambda a, b: a < b),
        ):
            if (bound := v(prop, param)) is not None:
                shape.checks.append(
                    _each(
                        path_iri, component, _range_test(bound, op), f"value violates {_short(param)} {bound}"
                    )
                )
        if (nested := v(prop, SH.node)) is not None:
            child = self._node(nested)
            shape.checks.append(_node_check(path_iri, key, child))
        return shape


# -- running -----------------------------------------------------------------------------------
def _run(shape: NodeShape, focus: str, obj: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    for prop in shape.properties:
        values = _distinct(json_values(obj.get(prop.key)))
        values = [
            _NestedRef(child_iri(focus, prop.key, i), v) if isinstance(v, dict) else v
            for i, v in enumerate(values)
        ]
        for check in prop.checks:
            found.extend(check(focus, values))
    if shape.closed_keys is not None:
        for key in sorted(obj):
            if key not in shape.closed_keys:
                for value in json_values(obj[key]):
                    found.append(
                        Violation(
                            focus,
                            str(DSP[key]),
                            "ClosedConstraintComponent",
                            f"property {key} is not allowed here",
                            str(value),
                        )
                    )
    return found


def _distinct(values: list[Any]) -> list[Any]:
    """Equal scalar values in one JSON array are one RDF triple: count them once, as a graph does."""
    if len(values) < 2:
        return values
    seen: set[Any] = set()
    out = []
    for value in values:
        if isinstance(value, dict):
            out.append(value)
            continue
        term = literal_for(value) if not isinstance(value, list) else Literal(str(value))
        if term not in seen:
            seen.add(term)
            out.append(value)
    return out


@dataclass(frozen=True)
class _NestedRef:
    iri: str
    obj: dict[str, Any]


def _min_count(path: str, n: int) -> Check:
    def check(focus: str, values: list[Any]) -> Iterable[Violation]:
        if len(values) < n:
            yield Violation(
                focus, path, "MinCountConstraintComponent", f"needs at least {n} value(s), has {len(values)}"
            )

    return check


def _max_count(path: str, n: int) -> Check:
    def check(focus: str, values: list[Any]) -> Iterable[Violation]:
        if len(values) > n:
            yield Violation(
                focus, path, "MaxCountConstraintComponent", f"allows at most {n} value(s), has {len(values)}"
            )

    return check


def _each(path: str, component: str, test: Callable[[Any], bool], message: str) -> Check:
    def check(focus: str, values: list[Any]) -> Iterable[Violation]:
        for value in values:
            if not test(value):
                yield Violation(focus, path, component, message, _display(value))

    return check


def _node_check(path: str, key: str, child: NodeShape) -> Check:
    def check(focus: str, values: list[Any]) -> Iterable[Violation]:
        for value in values:
            obj = value.obj if isinstance(value, _NestedRef) else None
            inner = _run(child, value.iri, obj) if obj is not None else [None]
            if inner:
                yield Violation(
                    focus,
                    path,
                    "NodeConstraintComponent",
                    f"value does not conform to shape {child.name}",
                    _display(value),
                )

    return check


def _datatype_test(dt: Any) -> Callable[[Any], bool]:
    if dt == XSD.string:
        return lambda x: isinstance(x, str)
    if dt == XSD.decimal:
        return lambda x: isinstance(x, int | float) and not isinstance(x, bool)
    if dt == XSD.boolean:
        return lambda x: isinstance(x, bool)
    return lambda x: False  # the RDF reading of JSON yields no other datatype


def _node_kind_test(owner: str, kind: Any) -> Callable[[Any], bool]:
    if kind == SH.IRI or kind == SH.BlankNodeOrIRI:
        return lambda x: isinstance(x, _NestedRef)
    if kind == SH.Literal:
        return lambda x: not isinstance(x, _NestedRef)
    raise ShapeError(f"shape {owner}: sh:nodeKind {_short(kind)} is not supported")


def _range_test(bound: Any, op: Callable[[Any, Any], bool]) -> Callable[[Any], bool]:
    limit = bound.toPython() if isinstance(bound, Literal) else bound
    numeric_limit = isinstance(limit, int | float | Decimal) and not isinstance(limit, bool)
    if numeric_limit:
        limit = Decimal(str(limit))

    def test(x: Any) -> bool:
        if numeric_limit and isinstance(x, int | float) and not isinstance(x, bool):
            return bool(op(Decimal(str(x)), limit))
        return _rare_range_test(x, bound, op)

    return test


def _rare_range_test(x: Any, bound: Any, op: Callable[[Any, Any], bool]) -> bool:
    """Values that are not numbers against a bound: follow pyshacl's literal ordering exactly."""
    if isinstance(x, _NestedRef) or not isinstance(bound, Literal):
        return False
    from pyshacl.rdfutil.compare import compare_literal

    value = literal_for(x)
    if isinstance(value.value, str) != isinstance(bound.value, str):
        return False
    try:
        return bool(op(compare_literal(value, bound), 0))
    except (TypeError, NotImplementedError, InvalidOperation):
        return False


def _lexical(x: Any) -> str:
    if isinstance(x, _NestedRef):
        return x.iri
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int | float):
        return str(Literal(Decimal(str(x)), datatype=XSD.decimal))
    return str(x)


def _is_blank(x: Any) -> bool:
    return False  # our nested nodes are IRIs, never blank nodes


def _term(x: Any) -> URIRef | Literal:
    """The RDF term of a JSON value, compared with rdflib's term equality as pyshacl does."""
    return URIRef(x.iri) if isinstance(x, _NestedRef) else literal_for(x)


def _display(x: Any) -> str:
    return x.iri if isinstance(x, _NestedRef) else repr(x)


def _short(term: Any) -> str:
    text = str(term)
    for prefix, ns in (("sh:", str(SH)), ("xsd:", str(XSD)), ("ds:", str(DS)), ("dsp:", str(DSP))):
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    return text
