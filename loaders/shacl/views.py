"""The data a compiled shape runs on: an rdflib graph, or an event payload read as RDF.

Each view has its ``ops``: how its values behave as RDF terms (kind, lexical form, datatype test,
ordering). :class:`GraphOps` follows pyshacl on rdflib terms and is the reference;
:class:`PayloadOps` answers the same questions on JSON values directly (a JSON string is a plain
literal, a number an ``xsd:decimal``, a boolean an ``xsd:boolean``, an array inside an array a
plain literal of its Python text — :mod:`loaders.payload_rdf`), falling back to
:class:`GraphOps` on the term for anything rare. Checks bind an ops class when compiled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Identifier

from loaders.payload_rdf import DS, DSP, child_iri, json_values, literal_for

IRI, BLANK, LITERAL = 0, 1, 2
_DSP = str(DSP)


class Ops(Protocol):
    @staticmethod
    def term(x: Any) -> Identifier: ...
    @staticmethod
    def key(x: Any) -> Any: ...
    @staticmethod
    def kind(x: Any) -> int: ...
    @staticmethod
    def string(x: Any) -> str: ...
    @staticmethod
    def lexical(x: Any) -> str | None: ...
    @staticmethod
    def lang(x: Any) -> str | None: ...
    @staticmethod
    def text(x: Any) -> str: ...
    @staticmethod
    def display(x: Any) -> str: ...
    @staticmethod
    def datatype_test(dt: Identifier) -> Callable[[Any], bool]: ...
    @staticmethod
    def compare_test(bound: Literal, accept: Callable[[int], bool]) -> Callable[[Any], bool]: ...


class View(Protocol):
    @property
    def ops(self) -> type[Ops]: ...  # read-only: a view may hold a subclass (PayloadOps)

    def step(self, node: Any, pred: URIRef, key: str | None) -> list[Any]: ...
    def inverse_step(self, node: Any, pred: URIRef) -> list[Any]: ...
    def predicate_objects(self, node: Any) -> Iterable[tuple[URIRef, Any]]: ...
    def is_instance(self, node: Any, cls: Identifier) -> bool: ...
    def instances(self, cls: Identifier) -> Iterable[Any]: ...
    def subjects_of(self, pred: URIRef) -> Iterable[Any]: ...
    def objects_of(self, pred: URIRef) -> Iterable[Any]: ...
    def node(self, term: Identifier) -> Any: ...


# -- rdflib terms, as pyshacl sees them ----------------------------------------------------------
def _actual_datatype(value: Any, dt: Identifier) -> bool:
    """pyshacl checks the Python value of a few datatypes; any other datatype passes."""
    expected: dict[Identifier, type | tuple[type, ...]] = {
        XSD.string: (str, bytes),
        RDF.langString: (str, bytes),
        XSD.integer: int,
        XSD.float: float,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.date: date,
        XSD.time: time,
        XSD.dateTime: datetime,
    }
    kind = expected.get(dt)
    return True if kind is None else isinstance(value, kind)


def term_matches_datatype(v: Identifier, dt: Identifier) -> bool:
    if not isinstance(v, Literal):
        return False
    if v.datatype == dt:
        return getattr(v, "ill_typed", None) is not True and _actual_datatype(v.value, dt)
    if dt == RDFS.Literal:
        return True
    if dt == RDFS.Datatype and v.datatype:
        return True
    if v.datatype is None and v.language is None and dt == XSD.string:
        return _actual_datatype(v.value, dt)
    if dt == RDF.langString and v.language:
        return _actual_datatype(v.value, dt)
    return False


def term_compare(v: Identifier, bound: Literal, accept: Callable[[int], bool]) -> bool:
    """A value against a range bound, as pyshacl's value range components do."""
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(v, Literal):
        return False
    if isinstance(bound.value, str) != isinstance(v.value, str):
        return False
    try:
        return accept(compare_literal(v, bound))  # type: ignore[no-untyped-call]
    except (TypeError, NotImplementedError, ArithmeticError):
        return False


class GraphOps:
    """Values are rdflib terms."""

    @staticmethod
    def term(x: Any) -> Identifier:
        return x  # type: ignore[no-any-return]

    @staticmethod
    def key(x: Any) -> Any:
        return x

    @staticmethod
    def kind(x: Any) -> int:
        if isinstance(x, BNode):
            return BLANK
        return LITERAL if isinstance(x, Literal) else IRI

    @staticmethod
    def string(x: Any) -> str:
        if (
            isinstance(x, Literal)
            and x.value is not None
            and x.datatype in (None, RDF.langString, XSD.string)
        ):
            return str(x.value)
        return str(x)

    @staticmethod
    def lexical(x: Any) -> str | None:
        """The string pyshacl's string-based components test; None for a blank node (always fails)."""
        return None if isinstance(x, BNode) else GraphOps.string(x)

    @staticmethod
    def lang(x: Any) -> str | None:
        return x.language if isinstance(x, Literal) else None

    @staticmethod
    def text(x: Any) -> str:
        return str(x)

    @staticmethod
    def display(x: Any) -> str:
        return x.n3() if isinstance(x, Identifier) else str(x)

    @staticmethod
    def datatype_test(dt: Identifier) -> Callable[[Any], bool]:
        return lambda x: term_matches_datatype(x, dt)

    @staticmethod
    def compare_test(bound: Literal, accept: Callable[[int], bool]) -> Callable[[Any], bool]:
        return lambda x: term_compare(x, bound, accept)


class GraphView:
    """An rdflib data graph (no inference: ``rdfs:subClassOf`` is followed as pyshacl does)."""

    ops = GraphOps

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def step(self, node: Any, pred: URIRef, key: str | None) -> list[Any]:
        return list(self.graph.objects(node, pred)) if not isinstance(node, Literal) else []

    def inverse_step(self, node: Any, pred: URIRef) -> list[Any]:
        return list(self.graph.subjects(pred, node))

    def predicate_objects(self, node: Any) -> Iterable[tuple[URIRef, Any]]:
        return self.graph.predicate_objects(node) if not isinstance(node, Literal) else ()  # type: ignore[return-value]

    def is_instance(self, node: Any, cls: Identifier) -> bool:
        if isinstance(node, Literal):
            return False
        for ctype in self.graph.objects(node, RDF.type):
            if ctype == cls or cls in set(self.graph.transitive_objects(ctype, RDFS.subClassOf)):
                return True
        return False

    def instances(self, cls: Identifier) -> Iterable[Any]:
        found = set(self.graph.subjects(RDF.type, cls))
        for sub in self.graph.transitive_subjects(RDFS.subClassOf, cls):
            if sub != cls:
                found.update(self.graph.subjects(RDF.type, sub))
        return found

    def subjects_of(self, pred: URIRef) -> Iterable[Any]:
        return {s for s, _ in self.graph.subject_objects(pred)}

    def objects_of(self, pred: URIRef) -> Iterable[Any]:
        return {o for _, o in self.graph.subject_objects(pred)}

    def node(self, term: Identifier) -> Any:
        return term


# -- a JSON payload, read as RDF (loaders/payload_rdf.py) without building the graph ----------------
class PNode:
    """An IRI node of a payload: the event (typed), a nested object, or an IRI it refers to."""

    __slots__ = ("iri", "obj", "types")

    def __init__(self, iri: str, obj: dict[str, Any] | None = None, types: tuple[str, ...] = ()) -> None:
        self.iri = iri
        self.obj = obj
        self.types = types


def _native_term(x: Any) -> Identifier:
    if type(x) is PNode:
        return URIRef(x.iri)
    if isinstance(x, Identifier):
        return x
    if isinstance(x, list):
        return Literal(str(x))
    return literal_for(x)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _plain(x: Any) -> bool:
    """JSON values that are plain literals: strings, and arrays inside arrays."""
    return type(x) is str or type(x) is list


class PayloadOps:
    """Values are JSON values and :class:`PNode` (rdflib terms only for target nodes)."""

    @staticmethod
    def term(x: Any) -> Identifier:
        return _native_term(x)

    @staticmethod
    def key(x: Any) -> Any:
        return ("iri", x.iri) if type(x) is PNode else _native_term(x)

    @staticmethod
    def kind(x: Any) -> int:
        if type(x) is PNode:
            return IRI
        return GraphOps.kind(x) if isinstance(x, Identifier) else LITERAL

    @staticmethod
    def string(x: Any) -> str:
        if type(x) is str:
            return x
        if type(x) is PNode:
            return x.iri
        if type(x) is list:
            return str(x)
        if type(x) is bool:
            return "true" if x else "false"
        if type(x) is int:
            return str(x)  # the xsd:decimal lexical form of a whole number
        return GraphOps.string(_native_term(x))

    @staticmethod
    def lexical(x: Any) -> str | None:
        if type(x) is str:
            return x
        return GraphOps.lexical(x) if isinstance(x, Identifier) else PayloadOps.string(x)

    @staticmethod
    def lang(x: Any) -> str | None:
        return GraphOps.lang(x) if isinstance(x, Identifier) else None

    @staticmethod
    def text(x: Any) -> str:
        return x.iri if type(x) is PNode else str(_native_term(x))

    @staticmethod
    def display(x: Any) -> str:
        if type(x) is PNode:
            return x.iri
        return GraphOps.display(x) if isinstance(x, Identifier) else repr(x)

    @staticmethod
    def datatype_test(dt: Identifier) -> Callable[[Any], bool]:
        # The answer for each kind of JSON value is fixed: work it out once, on a sample literal.
        plain = term_matches_datatype(Literal("x"), dt)
        boolean = term_matches_datatype(Literal(True), dt)
        number = term_matches_datatype(Literal(Decimal(1), datatype=XSD.decimal), dt)

        def test(x: Any) -> bool:
            if _plain(x):
                return plain
            if type(x) is bool:
                return boolean
            if type(x) is int or (type(x) is float and math.isfinite(x)):
                return number
            if type(x) is PNode:
                return False
            return term_matches_datatype(_native_term(x), dt)

        return test

    @staticmethod
    def compare_test(bound: Literal, accept: Callable[[int], bool]) -> Callable[[Any], bool]:
        limit = bound.value
        numeric = isinstance(limit, int | float | Decimal) and not isinstance(limit, bool)
        if numeric and not (isinstance(limit, float) and not math.isfinite(limit)):
            limit = Decimal(str(limit))
        else:
            numeric = False

        def test(x: Any) -> bool:
            if numeric and _is_number(x) and (type(x) is int or math.isfinite(x)):
                difference = Decimal(str(x)) - limit
                return accept((difference > 0) - (difference < 0))
            if type(x) is PNode:
                return False
            return term_compare(_native_term(x), bound, accept)

        return test


class PayloadView:
    """One event: its root node typed with the event class, nested objects below it."""

    ops = PayloadOps

    def __init__(self, root: PNode) -> None:
        self.root = root
        self._triples: list[tuple[Any, URIRef, Any]] | None = None

    def step(self, node: Any, pred: URIRef, key: str | None) -> list[Any]:
        if type(node) is not PNode or node.obj is None:
            return []
        if key is not None:
            raw = node.obj.get(key)
            if raw is None:
                return []
            return _distinct(
                [
                    PNode(child_iri(node.iri, key, i), v) if type(v) is dict else v
                    for i, v in enumerate(json_values(raw))
                ]
            )
        if pred == RDF.type:
            return [PNode(t) for t in node.types]
        return []

    def inverse_step(self, node: Any, pred: URIRef) -> list[Any]:
        wanted = PayloadOps.key(node)
        found: dict[Any, Any] = {}
        for s, p, o in self._all():
            if p == pred and PayloadOps.key(o) == wanted:
                found.setdefault(s.iri, s)
        return list(found.values())

    def predicate_objects(self, node: Any) -> Iterable[tuple[URIRef, Any]]:
        if type(node) is not PNode or node.obj is None:
            return []
        pairs: list[tuple[URIRef, Any]] = [(RDF.type, PNode(t)) for t in node.types]
        for key in node.obj:
            pred = URIRef(_DSP + key)
            pairs.extend((pred, v) for v in self.step(node, pred, key))
        return pairs

    def is_instance(self, node: Any, cls: Identifier) -> bool:
        # The payload graph holds no rdfs:subClassOf, so only the event's own class counts.
        return type(node) is PNode and str(cls) in node.types

    def instances(self, cls: Identifier) -> Iterable[Any]:
        return [self.root] if str(cls) in self.root.types else []

    def subjects_of(self, pred: URIRef) -> Iterable[Any]:
        found: dict[str, Any] = {}
        for s, p, _ in self._all():
            if p == pred:
                found.setdefault(s.iri, s)
        return list(found.values())

    def objects_of(self, pred: URIRef) -> Iterable[Any]:
        found: dict[Any, Any] = {}
        for _, p, o in self._all():
            if p == pred:
                found.setdefault(PayloadOps.key(o), o)
        return list(found.values())

    def node(self, term: Identifier) -> Any:
        if isinstance(term, URIRef):
            for s, _, o in self._all():
                for candidate in (s, o):
                    if type(candidate) is PNode and candidate.iri == str(term):
                        return candidate
            return PNode(str(term))
        return term

    def _all(self) -> list[tuple[Any, URIRef, Any]]:
        """Every triple of the payload graph, walked once per event, only for the rare targets and
        paths that need more than the members of one node."""
        if self._triples is None:
            triples: list[tuple[Any, URIRef, Any]] = []
            pending = [self.root]
            while pending:
                node = pending.pop()
                for pred, value in self.predicate_objects(node):
                    triples.append((node, pred, value))
                    if type(value) is PNode and value.obj is not None:
                        pending.append(value)
            self._triples = triples
        return self._triples


def _distinct(values: list[Any]) -> list[Any]:
    """Equal values in one JSON array are one RDF triple: keep them once, as a graph does."""
    if len(values) < 2:
        return values
    seen: set[Any] = set()
    out = []
    for value in values:
        if type(value) is PNode:
            out.append(value)  # nested objects get distinct IRIs by their index
            continue
        term = _native_term(value)
        if term not in seen:
            seen.add(term)
            out.append(value)
    return out


def event_root(event_class: str, event_id_iri: str, payload: dict[str, Any]) -> PNode:
    return PNode(event_id_iri, payload, (str(DS[event_class]),))
