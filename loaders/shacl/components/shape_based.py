"""sh:node, sh:property (every value), sh:qualifiedValueShape with its counts (property shapes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import SH, Literal

from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Check, Shape, Violation
from loaders.shacl.terms import terms
from loaders.shacl.views import View

PARAMETERS = (
    SH.node,
    SH.property,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
)


def compile(ctx: ShapeContext) -> None:
    for target in ctx.take(SH.node):
        child = ctx.ref(SH.node, target)
        if child.path is not None:
            ctx.refuse(SH.node, f"{child.name} is a property shape, sh:node needs a node shape")
        ctx.add(_node(child))
    properties = [ctx.ref(SH.property, p) for p in ctx.take(SH.property)]
    for prop in properties:
        if prop.path is None:
            ctx.refuse(SH.property, f"{prop.name} has no sh:path")
    if properties:
        ctx.add(_properties(properties))
    _qualified(ctx)


def _node(child: Shape) -> Check:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        # A literal is a focus node like any other: the node shape's constraints apply to it.
        return [
            shape.result(view, focus, "NodeConstraintComponent", f"value does not conform to {child.name}", v)
            for v in values
            if not child.conforms(view, v)
        ]

    return check


def _properties(properties: list[Shape]) -> Check:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        found: list[Violation] = []
        for v in values:
            for prop in properties:
                found.extend(prop.validate(view, v))
        return found

    return check


def _qualified(ctx: ShapeContext) -> None:
    shapes = ctx.take(SH.qualifiedValueShape)
    low = ctx.integer(SH.qualifiedMinCount)
    high = ctx.integer(SH.qualifiedMaxCount)
    disjoint_values = ctx.take(SH.qualifiedValueShapesDisjoint)
    if not shapes:
        if low is not None or high is not None or disjoint_values:
            ctx.refuse(SH.qualifiedMinCount, "qualified counts need sh:qualifiedValueShape")
        return
    if not ctx.is_property:
        ctx.refuse(
            SH.qualifiedValueShape, "is allowed on property shapes only (pyshacl ignores it on a node shape)"
        )
    if len(shapes) > 1:
        ctx.refuse(SH.qualifiedValueShape, "more than one value shape per property shape is not enforced")
    if low is None and high is None:
        ctx.refuse(SH.qualifiedValueShape, "needs sh:qualifiedMinCount or sh:qualifiedMaxCount")
    disjoint = any(isinstance(d, Literal) and d.value is True for d in disjoint_values)
    value_shape = ctx.ref(SH.qualifiedValueShape, shapes[0])
    siblings: list[Shape] = []
    if disjoint:
        g = ctx.graph
        for parent in g.subjects(SH.property, ctx.node):
            for sibling_prop in g.objects(parent, SH.property):
                for sibling in terms(g.objects(sibling_prop, SH.qualifiedValueShape)):
                    if sibling != shapes[0]:
                        siblings.append(ctx.ref(SH.qualifiedValueShape, sibling))

    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        count = sum(
            1
            for v in values
            if value_shape.conforms(view, v) and not any(s.conforms(view, v) for s in siblings)
        )
        found = []
        if high is not None and count > high:
            found.append(
                shape.result(view, focus, "QualifiedMaxCountConstraintComponent", f"more than {high} conform")
            )
        if low is not None and count < low:
            found.append(
                shape.result(view, focus, "QualifiedMinCountConstraintComponent", f"fewer than {low} conform")
            )
        return found

    ctx.add(check)
