"""sh:equals, sh:disjoint (node or property shapes), sh:lessThan, sh:lessThanOrEquals (property shapes)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from rdflib import SH, Literal, URIRef

from loaders.payload_rdf import DSP
from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Check, Shape, Violation
from loaders.shacl.views import View

PARAMETERS = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)


def compile(ctx: ShapeContext) -> None:
    for param in PARAMETERS:
        for other in ctx.take(param):
            if not isinstance(other, URIRef):
                ctx.refuse(param, f"needs a property IRI, got {other.n3()}")
            if param in (SH.lessThan, SH.lessThanOrEquals) and not ctx.is_property:
                ctx.refuse(param, "is allowed on property shapes only (pyshacl refuses it on a node shape)")
            ctx.add(_BUILDERS[param](other))


def _others(view: View, focus: Any, other: URIRef) -> dict[Any, Any]:
    key = str(other)[len(str(DSP)) :] if str(other).startswith(str(DSP)) else None
    return {view.ops.term(v): v for v in view.step(focus, other, key)}


def _equals(other: URIRef) -> Check:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        mine = {view.ops.term(v): v for v in values}
        theirs = _others(view, focus, other)
        differ = [mine[t] for t in mine.keys() - theirs.keys()] + [
            theirs[t] for t in theirs.keys() - mine.keys()
        ]
        return [
            shape.result(view, focus, "EqualsConstraintComponent", f"values differ from {other}", v)
            for v in differ
        ]

    return check


def _disjoint(other: URIRef) -> Check:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        theirs = _others(view, focus, other)
        common = [v for v in values if view.ops.term(v) in theirs]
        return [
            shape.result(view, focus, "DisjointConstraintComponent", f"value also in {other}", v)
            for v in common
        ]

    return check


def _ordered(component: str, before: Callable[[Any, Any], bool], word: str) -> Callable[[URIRef], Check]:
    def build(other: URIRef) -> Check:
        def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
            theirs = list(_others(view, focus, other))
            found = []
            for v in values:
                mine = view.ops.term(v)
                for t in theirs:
                    if not _in_order(mine, t, before):
                        found.append(shape.result(view, focus, component, f"value not {word} {other}", v))
            return found

        return check

    return build


def _comparable(term: Any) -> tuple[bool, Any]:
    if isinstance(term, URIRef):
        return True, str(term)
    if isinstance(term, Literal) and isinstance(term.value, str):
        return True, term.value
    return False, term


def _in_order(a: Any, b: Any, before: Callable[[Any, Any], bool]) -> bool:
    """pyshacl's comparison: strings (and IRIs) with strings, other literals with each other."""
    a_text, a = _comparable(a)
    b_text, b = _comparable(b)
    if a_text != b_text:
        return False
    try:
        return bool(before(a, b))
    except TypeError:
        return False


_BUILDERS = {
    SH.equals: _equals,
    SH.disjoint: _disjoint,
    SH.lessThan: _ordered("LessThanConstraintComponent", operator.lt, "<"),
    SH.lessThanOrEquals: _ordered("LessThanOrEqualsConstraintComponent", operator.le, "<="),
}
