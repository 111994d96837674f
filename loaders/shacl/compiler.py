"""Shapes graph → :class:`~loaders.shacl.model.Program`, enforcing every triple of every shape or refusing.

Shapes are found as pyshacl finds them (typed, targeted, or named by a shape-expecting parameter).
Every predicate on a shape is either taken by a constraint component, a target or the path, or is
non-validating metadata; an ``sh:`` predicate nobody took is refused, so nothing in the SHACL
namespace is ever ignored. Predicates outside it (``rdfs:label``, ``dash:…``) have no meaning to
pyshacl's core validation and are metadata — unless the graph declares constraint components of
its own, which we refuse as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from rdflib import OWL, RDF, RDFS, SH, Graph, Literal, URIRef
from rdflib.term import Identifier

from loaders.errors import ShapeError
from loaders.payload_rdf import DS, DSP
from loaders.shacl.components import FAMILIES
from loaders.shacl.context import ShapeContext
from loaders.shacl.model import Program, Shape, Targets
from loaders.shacl.paths import compile_path
from loaders.shacl.terms import predicate, term, terms
from loaders.shacl.views import Ops

#: Parameters with no effect on validation results (sh:message, sh:severity and sh:deactivated do
#: have one and are applied by the shape itself).
METADATA = (SH.name, SH.description, SH.order, SH.group, SH.defaultValue)
TARGETS = (SH.targetNode, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)
SHAPE_VALUED = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
LIST_OF_SHAPES = (SH["and"], SH["or"], SH.xone)
CONSTRAINT_PARAMETERS = frozenset(p for family in FAMILIES for p in family.PARAMETERS)

Origin = Callable[[Identifier], str | None]


def compile_shapes(graph: Graph, ops: type[Ops], origin: Origin | None = None) -> Program:
    return Compiler(graph, ops, origin or (lambda _: None)).run()


class Compiler:
    def __init__(self, graph: Graph, ops: type[Ops], origin: Origin) -> None:
        self.graph = graph
        self.ops = ops
        self.origin = origin
        self.compiled: dict[Identifier, Shape] = {}
        self._active: list[Identifier] = []
        self._class_types = {RDFS.Class, OWL.Class, *graph.subjects(RDFS.subClassOf, RDFS.Class)}

    def run(self) -> Program:
        self._refuse_custom_components()
        shapes = self._find_shapes()
        for node in sorted(shapes, key=str):
            self.shape(node)
        self._refuse_parameters_outside_shapes(shapes)
        targeted = [s for n, s in sorted(self.compiled.items(), key=lambda kv: str(kv[0])) if s.targets]
        return Program(self.compiled, targeted)

    # -- finding shapes as pyshacl does ---------------------------------------------------------
    def _find_shapes(self) -> set[Identifier]:
        g = self.graph
        found: set[Identifier] = set(terms(g.subjects(RDF.type, SH.NodeShape))) | set(
            terms(g.subjects(RDF.type, SH.PropertyShape))
        )
        for pred in (*TARGETS, SH.property, SH.node):
            found.update(terms(g.subjects(pred, None)))
        for pred in SHAPE_VALUED:
            found.update(o for o in terms(g.objects(None, pred)) if not isinstance(o, Literal))
        for pred in LIST_OF_SHAPES:
            for lst in terms(g.objects(None, pred)):
                found.update(m for m in self._items(lst) if not isinstance(m, Literal))
        return found

    def _items(self, lst: Identifier) -> list[Identifier]:
        try:
            return list(terms(self.graph.items(lst)))
        except Exception:  # a broken list is refused where it is used
            return []

    def _refuse_custom_components(self) -> None:
        for node in terms(self.graph.subjects(RDF.type, SH.ConstraintComponent)):
            self.refuse(node, None, "declares a constraint component; only SHACL core is enforced")
        for node in terms(self.graph.subjects(SH.parameter, None)):
            self.refuse(node, SH.parameter, "declares a constraint parameter; only SHACL core is enforced")

    def _refuse_parameters_outside_shapes(self, shapes: set[Identifier]) -> None:
        for subject, pred in sorted(set(self.graph.subject_predicates(None)), key=str):
            if (pred in CONSTRAINT_PARAMETERS or pred in TARGETS) and subject not in shapes:
                self.refuse(
                    term(subject),
                    predicate(pred),
                    "is a constraint on a node that is no shape: pyshacl never applies it",
                )

    # -- one shape --------------------------------------------------------------------------------
    def shape(self, node: Identifier, via: tuple[Identifier, URIRef] | None = None) -> Shape:
        if node in self.compiled:
            return self.compiled[node]
        if node in self._active:
            owner, param = via or (node, None)
            self.refuse(owner, param, f"refers back to {self.name(node)}: recursive shapes are not enforced")
        self._active.append(node)
        try:
            shape = self._compile(node)
        finally:
            self._active.pop()
        self.compiled[node] = shape
        return shape

    def _compile(self, node: Identifier) -> Shape:
        g = self.graph
        params: dict[URIRef, list[Identifier]] = {}
        for pred, obj in g.predicate_objects(node):
            params.setdefault(predicate(pred), []).append(term(obj))
        ctx = ShapeContext(self, node, Shape(node, self.name(node)), params)
        self._header(ctx)
        for family in FAMILIES:
            family.compile(ctx)
        for pred in sorted(set(params) - ctx.consumed, key=str):
            if str(pred).startswith(str(SH)):
                self.refuse(node, pred, "is not enforced by the fast validator")
        return ctx.shape

    def _header(self, ctx: ShapeContext) -> None:
        shape = ctx.shape
        types = ctx.take(RDF.type)
        for param in METADATA:
            ctx.take(param)
        messages = ctx.take(SH.message)
        shape.message = str(messages[0]) if messages else None
        if (severity := ctx.one(SH.severity)) is not None:
            if not isinstance(severity, URIRef):
                ctx.refuse(SH.severity, f"needs an IRI, got {severity.n3()}")
            shape.severity = severity
        if (deactivated := ctx.one(SH.deactivated)) is not None:
            if not isinstance(deactivated, Literal) or not isinstance(deactivated.value, bool):
                ctx.refuse(SH.deactivated, f"needs a boolean, got {deactivated.n3()}")
            shape.deactivated = deactivated.value
        paths = ctx.take(SH.path)
        if SH.NodeShape in types and paths:
            ctx.refuse(SH.path, "a sh:NodeShape cannot have a path")
        if SH.PropertyShape in types and not paths:
            ctx.refuse(SH.path, "a sh:PropertyShape needs a path")
        if len(paths) > 1:
            ctx.refuse(SH.path, "a property shape has exactly one path")
        if paths:
            shape.path = compile_path(self.graph, paths[0], lambda reason: ctx.refuse(SH.path, reason))
        implicit = (ctx.node,) if any(t in self._class_types for t in types) else ()
        for param in (SH.targetSubjectsOf, SH.targetObjectsOf):
            for value in ctx.params.get(param, []):
                if not isinstance(value, URIRef):
                    ctx.refuse(param, f"needs a property IRI, got {value.n3()}")
        shape.targets = Targets(
            nodes=tuple(ctx.take(SH.targetNode)),
            classes=(*ctx.take(SH.targetClass), *implicit),
            subjects_of=tuple(ctx.take(SH.targetSubjectsOf)),  # type: ignore[arg-type]
            objects_of=tuple(ctx.take(SH.targetObjectsOf)),  # type: ignore[arg-type]
        )

    # -- naming -----------------------------------------------------------------------------------
    def name(self, node: Identifier) -> str:
        if isinstance(node, URIRef):
            return short(node, self.graph)
        for owner in terms(self.graph.subjects(SH.property, node)):
            path = self.graph.value(node, SH.path)
            where = f"[sh:path {short(path, self.graph)}]" if isinstance(path, URIRef) else f"[{node.n3()}]"
            return f"{self.name(owner)} / property {where}"
        return f"blank shape {node.n3()}"

    def refuse(self, node: Identifier, param: URIRef | None, reason: str) -> NoReturn:
        file = self.origin(node) or self._owner_origin(node)
        where = f"{file}: " if file else ""
        what = f" {short(param, self.graph)}" if param is not None else ""
        raise ShapeError(f"{where}shape {self.name(node)}:{what} {reason}")

    def _owner_origin(self, node: Identifier) -> str | None:
        for owner in terms(self.graph.subjects(None, node)):
            if (found := self.origin(owner)) is not None:
                return found
        return None


def short(term: Identifier, graph: Graph | None = None) -> str:
    text = str(term)
    for prefix, ns in (("sh:", str(SH)), ("rdf:", str(RDF)), ("ds:", str(DS)), ("dsp:", str(DSP))):
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    if graph is not None and isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # no prefix fits: the full IRI
            return f"<{text}>"
    return text
