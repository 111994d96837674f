"""What a constraint component sees while one shape is compiled: its parameters, and a way out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier

from loaders.shacl.model import Check, Shape, Violation
from loaders.shacl.terms import terms
from loaders.shacl.views import Ops, View

if TYPE_CHECKING:
    from loaders.shacl.compiler import Compiler


@dataclass
class ShapeContext:
    compiler: Compiler
    node: Identifier
    shape: Shape
    params: dict[URIRef, list[Identifier]]
    consumed: set[URIRef] = field(default_factory=set)

    @property
    def graph(self) -> Graph:
        return self.compiler.graph

    @property
    def ops(self) -> type[Ops]:
        return self.compiler.ops

    @property
    def is_property(self) -> bool:
        return self.shape.path is not None

    def take(self, param: URIRef) -> list[Identifier]:
        """The values of ``param`` on this shape (all of them), marked as enforced."""
        self.consumed.add(param)
        return self.params.get(param, [])

    def one(self, param: URIRef) -> Identifier | None:
        values = self.take(param)
        if len(values) > 1:
            self.refuse(param, f"has {len(values)} values; pyshacl refuses more than one")
        return values[0] if values else None

    def integer(self, param: URIRef, *, xsd_integer_only: bool = False) -> int | None:
        from rdflib import XSD

        value = self.one(param)
        if value is None:
            return None
        if (
            not isinstance(value, Literal)
            or not isinstance(value.value, int)
            or isinstance(value.value, bool)
        ):
            self.refuse(param, f"must be an integer literal, got {value.n3()}")
        if xsd_integer_only and value.datatype != XSD.integer:
            self.refuse(param, f"must be an xsd:integer literal, got {value.n3()}")
        if value.value < 0:
            self.refuse(param, f"must not be negative, got {value.n3()}")
        return int(value.value)

    def items(self, param: URIRef, lst: Identifier) -> list[Identifier]:
        try:
            return list(terms(self.graph.items(lst)))
        except Exception as exc:  # rdflib raises several types for a broken list
            self.refuse(param, f"needs a well-formed RDF list: {exc}")

    def ref(self, param: URIRef, node: Identifier) -> Shape:
        if isinstance(node, Literal):
            self.refuse(param, f"needs a shape, got the literal {node.n3()}")
        return self.compiler.shape(node, via=(self.node, param))

    def refuse(self, param: URIRef | None, reason: str) -> NoReturn:
        self.compiler.refuse(self.node, param, reason)

    def add(self, check: Check) -> None:
        self.shape.checks.append(check)

    def each(self, component: str, test: Callable[[Any], bool], message: str) -> None:
        """A check that tests every value node on its own, with the value in each result."""

        def check(view: View, shape: Shape, focus: Any, values: list[Any]) -> Iterable[Violation]:
            return [shape.result(view, focus, component, message, v) for v in values if not test(v)]

        self.add(check)
