"""sh:minInclusive, sh:maxInclusive, sh:minExclusive, sh:maxExclusive (each value is one bound)."""

from __future__ import annotations

from rdflib import SH, Literal

from loaders.shacl.context import ShapeContext

PARAMETERS = (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive)

_RULES = (
    (SH.minExclusive, "MinExclusiveConstraintComponent", lambda c: c > 0, ">"),
    (SH.minInclusive, "MinInclusiveConstraintComponent", lambda c: c >= 0, ">="),
    (SH.maxExclusive, "MaxExclusiveConstraintComponent", lambda c: c < 0, "<"),
    (SH.maxInclusive, "MaxInclusiveConstraintComponent", lambda c: c <= 0, "<="),
)


def compile(ctx: ShapeContext) -> None:
    for param, component, accept, op in _RULES:
        for bound in ctx.take(param):
            if not isinstance(bound, Literal):
                ctx.refuse(param, f"needs a literal bound, got {bound.n3()}")
            ctx.each(component, ctx.ops.compare_test(bound, accept), f"value is not {op} {bound}")
