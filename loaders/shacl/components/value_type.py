"""sh:class (every value given), sh:datatype and sh:nodeKind (one value each, as pyshacl requires)."""

from __future__ import annotations

from typing import Any

from rdflib import SH, Literal, URIRef

from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Shape
from loaders.shacl.views import BLANK, IRI, LITERAL, View

PARAMETERS = (SH["class"], SH.datatype, SH.nodeKind)

_KINDS = {
    SH.IRI: {IRI},
    SH.BlankNode: {BLANK},
    SH.Literal: {LITERAL},
    SH.BlankNodeOrIRI: {BLANK, IRI},
    SH.BlankNodeOrLiteral: {BLANK, LITERAL},
    SH.IRIOrLiteral: {IRI, LITERAL},
}


def compile(ctx: ShapeContext) -> None:
    for cls in ctx.take(SH["class"]):
        if isinstance(cls, Literal):
            ctx.refuse(SH["class"], f"needs a class IRI, got {cls.n3()}")
        ctx.add(_class_check(cls))
    if (dt := ctx.one(SH.datatype)) is not None:
        if not isinstance(dt, URIRef):
            ctx.refuse(SH.datatype, f"needs a datatype IRI, got {dt.n3()}")
        ctx.each("DatatypeConstraintComponent", ctx.ops.datatype_test(dt), f"value is not a literal of {dt}")
    if (kind := ctx.one(SH.nodeKind)) is not None:
        allowed = _KINDS.get(kind)  # type: ignore[call-overload]
        if allowed is None:
            ctx.refuse(SH.nodeKind, f"{kind.n3()} is not a SHACL node kind")
        kind_of = ctx.ops.kind
        ctx.each("NodeKindConstraintComponent", lambda x: kind_of(x) in allowed, f"value is not a {kind}")


def _class_check(cls: Any) -> Any:
    def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> list[Any]:
        return [
            shape.result(view, focus, "ClassConstraintComponent", f"value is not an instance of {cls}", v)
            for v in values
            if view.ops.kind(v) == LITERAL or not view.is_instance(v, cls)
        ]

    return check
