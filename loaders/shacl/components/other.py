"""sh:closed with sh:ignoredProperties (the whole list), sh:hasValue (every value), sh:in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import RDF, RDFS, SH, Literal

from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Shape, Violation
from loaders.shacl.views import View

PARAMETERS = (SH.closed, SH.ignoredProperties, SH.hasValue, SH["in"])


def compile(ctx: ShapeContext) -> None:
    _closed(ctx)
    for wanted in ctx.take(SH.hasValue):
        ctx.add(_has_value(wanted))
    if (lst := ctx.one(SH["in"])) is not None:
        allowed = frozenset(ctx.items(SH["in"], lst))
        term = ctx.ops.term
        ctx.each(
            "InConstraintComponent", lambda x: term(x) in allowed, "value is not among the allowed values"
        )


def _closed(ctx: ShapeContext) -> None:
    closed = ctx.one(SH.closed)
    ignored_lists = ctx.take(SH.ignoredProperties)
    if closed is None:
        if ignored_lists:
            ctx.refuse(SH.ignoredProperties, "needs sh:closed")
        return
    if not isinstance(closed, Literal) or not isinstance(closed.value, bool):
        ctx.refuse(SH.closed, f"needs a boolean, got {closed.n3()}")
    if not closed.value:
        return
    ignored = {p for lst in ignored_lists for p in ctx.items(SH.ignoredProperties, lst)}
    g = ctx.graph
    # The paths of this shape's own property shapes are allowed (pyshacl compares path nodes).
    allowed = ignored | {
        path for prop in g.objects(ctx.node, SH.property) for path in g.objects(prop, SH.path)
    }

    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        found = []
        for v in values:
            for pred, obj in view.predicate_objects(v):
                if pred in allowed or (pred == RDF.type and view.ops.term(obj) == RDFS.Resource):
                    continue
                found.append(
                    shape.result(
                        view,
                        focus,
                        "ClosedConstraintComponent",
                        f"property {pred} is not allowed here",
                        obj,
                        path=pred,
                    )
                )
        return found

    ctx.add(check)


def _has_value(wanted: Any) -> Any:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        term = view.ops.term
        if any(term(v) == wanted for v in values):
            return ()
        return [
            shape.result(view, focus, "HasValueConstraintComponent", f"no value {wanted}", has_value=False)
        ]

    return check
