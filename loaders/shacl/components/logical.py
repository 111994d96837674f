"""sh:not, sh:and, sh:or, sh:xone: each value node against other shapes (every value of each)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rdflib import SH

from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Check, Shape, Violation
from loaders.shacl.views import View

PARAMETERS = (SH["not"], SH["and"], SH["or"], SH.xone)


def compile(ctx: ShapeContext) -> None:
    for negated in ctx.take(SH["not"]):
        ctx.add(_combine("NotConstraintComponent", [ctx.ref(SH["not"], negated)], lambda n, total: n == 0))
    for param, component, accept in (
        (SH["and"], "AndConstraintComponent", lambda n, total: n == total),
        (SH["or"], "OrConstraintComponent", lambda n, total: n >= 1),
        (SH.xone, "XoneConstraintComponent", lambda n, total: n == 1),
    ):
        for lst in ctx.take(param):
            members = ctx.items(param, lst)
            if not members:
                ctx.refuse(param, "needs a non-empty list of shapes")
            shapes = [ctx.ref(param, m) for m in members]
            if param == SH["and"]:
                shapes = list(dict.fromkeys(shapes))  # pyshacl keeps the members of sh:and in a set
            ctx.add(_combine(component, shapes, accept))


def _combine(component: str, shapes: list[Shape], accept: Callable[[int, int], bool]) -> Check:
    names = ", ".join(s.name for s in shapes)

    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        found = []
        for v in values:
            passed = sum(1 for other in shapes if other.conforms(view, v))
            if not accept(passed, len(shapes)):
                found.append(
                    shape.result(view, focus, component, f"value fails {component[:-19]} of {names}", v)
                )
        return found

    return check
