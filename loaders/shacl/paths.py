"""SHACL property paths, compiled: predicate, sequence, alternative, inverse, *, +, ?.

Values are collected as pyshacl does (a set per focus node); ``key`` is a structural form of the
path, equal for equal paths whichever graph (or blank nodes) they were written in, and ``text`` a
SPARQL-like rendering for messages (a predicate path renders as its IRI, as pyshacl reports it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rdflib import RDF, SH, Graph, Literal, URIRef
from rdflib.term import Identifier

from loaders.payload_rdf import DSP
from loaders.shacl.terms import predicate, terms
from loaders.shacl.views import View

_DSP = str(DSP)


@dataclass(frozen=True)
class Path:
    key: Any
    text: str
    walk: Callable[[View, Any], list[Any]]
    predicate: URIRef | None = None  # set for a predicate path: one step, taken directly
    member: str | None = None  # the payload key of a dsp: predicate

    def values(self, view: View, focus: Any) -> list[Any]:
        return self.walk(view, focus)


def _unique(view: View, nodes: list[Any]) -> list[Any]:
    if len(nodes) < 2:
        return nodes
    key = view.ops.key
    seen: dict[Any, Any] = {}
    for node in nodes:
        seen.setdefault(key(node), node)
    return list(seen.values())


def _predicate(iri: URIRef) -> Path:
    key = str(iri)[len(_DSP) :] if str(iri).startswith(_DSP) else None
    return Path(str(iri), str(iri), lambda view, node: view.step(node, iri, key), iri, key)


def _inverse(iri: URIRef) -> Path:
    return Path(
        ("inverse", str(iri)), f"^<{iri}>", lambda view, node: _unique(view, view.inverse_step(node, iri))
    )


def _sequence(parts: list[Path]) -> Path:
    def walk(view: View, node: Any) -> list[Any]:
        current = [node]
        for part in parts:
            current = _unique(view, [v for n in current for v in part.walk(view, n)])
        return current

    return Path(("sequence", *(p.key for p in parts)), "/".join(p.text for p in parts), walk)


def _alternative(parts: list[Path]) -> Path:
    def walk(view: View, node: Any) -> list[Any]:
        return _unique(view, [v for part in parts for v in part.walk(view, node)])

    return Path(("alternative", *(p.key for p in parts)), "|".join(p.text for p in parts), walk)


def _closure(inner: Path, *, include_focus: bool, repeat: bool, name: str, mark: str) -> Path:
    def walk(view: View, node: Any) -> list[Any]:
        key = view.ops.key
        found: dict[Any, Any] = {key(node): node} if include_focus else {}
        pending = list(inner.walk(view, node))
        while pending:
            current = pending.pop()
            k = key(current)
            if k in found:
                continue
            found[k] = current
            if repeat:
                pending.extend(inner.walk(view, current))
        return list(found.values())

    return Path((name, inner.key), f"({inner.text}){mark}", walk)


def compile_path(graph: Graph, node: Identifier, refuse: Callable[[str], None]) -> Path:
    """The path ``node`` of the shapes graph; ``refuse`` raises for what we do not enforce."""
    if isinstance(node, URIRef):
        return _predicate(node)
    if isinstance(node, Literal):
        refuse(f"a path cannot be a literal ({node.n3()})")
    if (node, RDF.first, None) in graph:
        members = list(terms(graph.items(node)))
        if len(members) < 2:
            refuse("a sequence path needs at least two members")
        return _sequence([compile_path(graph, m, refuse) for m in members])
    predicates = {predicate(p) for p in graph.predicates(node, None)}
    if len(predicates) != 1:
        refuse(f"a path node needs exactly one path predicate (sh:inversePath, ...), has {len(predicates)}")
    (pred,) = predicates
    values = list(terms(graph.objects(node, pred)))
    if len(values) != 1:
        refuse(f"{pred.n3()} needs exactly one value")
    (value,) = values
    if pred == SH.inversePath:
        if not isinstance(value, URIRef):
            # pyshacl inverts each step of a complex path without reversing sequences: refuse
            # rather than answer differently from it, or from SHACL.
            refuse("sh:inversePath is enforced on a predicate IRI only")
        return _inverse(value)  # type: ignore[arg-type]
    if pred == SH.alternativePath:
        members = list(terms(graph.items(value)))
        if len(members) < 2:
            refuse("sh:alternativePath needs a list of at least two paths")
        return _alternative([compile_path(graph, m, refuse) for m in members])
    inner_of = {
        SH.zeroOrMorePath: (True, True, "zeroOrMore", "*"),
        SH.oneOrMorePath: (False, True, "oneOrMore", "+"),
        SH.zeroOrOnePath: (True, False, "zeroOrOne", "?"),
    }
    if pred not in inner_of:
        refuse(f"{pred.n3()} is not a SHACL path")
    include_focus, repeat, name, mark = inner_of[pred]
    return _closure(
        compile_path(graph, value, refuse), include_focus=include_focus, repeat=repeat, name=name, mark=mark
    )
