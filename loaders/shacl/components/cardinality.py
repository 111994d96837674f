"""sh:minCount, sh:maxCount (property shapes only, one xsd:integer each — as pyshacl requires)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import SH

from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Shape, Violation
from loaders.shacl.views import View

PARAMETERS = (SH.minCount, SH.maxCount)


def compile(ctx: ShapeContext) -> None:
    for param, component, fails, word in (
        (SH.minCount, "MinCountConstraintComponent", lambda n, k: n < k, "at least"),
        (SH.maxCount, "MaxCountConstraintComponent", lambda n, k: n > k, "at most"),
    ):
        if param not in ctx.params:
            continue
        if not ctx.is_property:
            ctx.refuse(param, "is allowed on property shapes only (pyshacl refuses it on a node shape)")
        limit = ctx.integer(param, xsd_integer_only=True)
        assert limit is not None
        if param == SH.minCount and limit == 0:
            continue  # always satisfied

        ctx.add(_count(component, fails, limit, f"needs {word} {limit} value(s)"))


def _count(component: str, fails: Any, limit: int, message: str) -> Any:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
        if fails(len(values), limit):
            return [shape.result(view, focus, component, f"{message}, has {len(values)}")]
        return ()

    return check
