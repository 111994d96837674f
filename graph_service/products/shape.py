"""Output shapes: the SHACL node shape of a product's row, read into fields that types are made of.

A shape file in ``shapes/products/`` holds one row shape (``sh:targetClass`` a row class) and the
node shapes of its nested objects (``sh:node``). Each property shape names one field: its
``sh:path`` local name is the field name, ``sh:datatype`` or ``sh:node`` its type,
``sh:minCount 1`` makes it required and anything but ``sh:maxCount 1`` makes it a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, SH, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from graph_service.ontology.naming import is_identifier
from graph_service.products import naming
from graph_service.products.errors import Problem

#: Datatypes a row field may have. Others (durations, language strings) have no GraphQL scalar.
SUPPORTED_DATATYPES = frozenset(
    {XSD.string, XSD.integer, XSD.int, XSD.long, XSD.decimal, XSD.double, XSD.float, XSD.boolean}
    | {XSD.date, XSD.dateTime}
)
INTEGER_TYPES = frozenset({XSD.integer, XSD.int, XSD.long})
DECIMAL_TYPES = frozenset({XSD.decimal, XSD.double, XSD.float})


@dataclass(frozen=True)
class ShapeField:
    """One property shape of a row or nested object."""

    name: str
    path: str
    datatype: str | None = None
    node: NodeShape | None = None
    required: bool = False
    many: bool = False
    description: str = ""
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeShape:
    """A row shape (with a target class) or a nested object's shape."""

    iri: str
    fields: tuple[ShapeField, ...]
    target_class: str | None = None
    label: str = ""
    description: str = ""

    @property
    def local_name(self) -> str:
        return naming.local_name(self.iri)

    def field(self, name: str) -> ShapeField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class OutputShape:
    """A product's row shape together with the graph it is validated with (its whole file)."""

    row: NodeShape
    graph: Graph
    file: Path

    @property
    def iri(self) -> str:
        return self.row.iri


class ShapeLibrary:
    """The node shapes of every ``*.ttl`` file in some directories, by IRI."""

    def __init__(self, files: dict[str, tuple[Path, Graph]], problems: list[Problem]) -> None:
        self._files = files
        self.problems = problems

    @classmethod
    def load(cls, directories: Iterable[Path]) -> ShapeLibrary:
        files: dict[str, tuple[Path, Graph]] = {}
        problems: list[Problem] = []
        for directory in directories:
            for path in sorted(directory.glob("*.ttl")):
                graph = Graph()
                try:
                    graph.parse(path, format="turtle")
                except (SyntaxError, ValueError) as exc:  # rdflib's BadSyntax is a SyntaxError
                    problems.append(Problem(path, None, f"Turtle syntax: {exc}"))
                    continue
                for shape in graph.subjects(RDF.type, SH.NodeShape):
                    if isinstance(shape, URIRef):
                        files[str(shape)] = (path, graph)
        return cls(files, problems)

    def iris(self) -> tuple[str, ...]:
        return tuple(sorted(self._files))

    def output_shape(self, iri: str, problems: list[Problem], used_by: Path) -> OutputShape | None:
        """The row shape ``iri``; problems are appended (naming ``used_by`` when it is missing)."""
        found = self._files.get(iri)
        if found is None:
            problems.append(
                Problem(used_by, None, f"outputShape {iri} is not a sh:NodeShape in any shape file")
            )
            return None
        path, graph = found
        before = len(problems)
        row = _ShapeReader(graph, path, problems).node_shape(URIRef(iri), depth=0)
        if row is not None and row.target_class is None:
            problems.append(Problem(path, None, f"{iri}: a row shape needs sh:targetClass (its row class)"))
        if row is None or len(problems) > before:
            return None
        return OutputShape(row, graph, path)


class _ShapeReader:
    def __init__(self, graph: Graph, path: Path, problems: list[Problem]) -> None:
        self.graph = graph
        self.path = path
        self.problems = problems

    def problem(self, where: Node, message: str) -> None:
        self.problems.append(Problem(self.path, None, f"{where}: {message}"))

    def node_shape(self, shape: URIRef, depth: int) -> NodeShape | None:
        if depth > 5:
            self.problem(shape, "nested shapes deeper than 5 levels (or a cycle of sh:node)")
            return None
        fields = [
            f for prop in self.graph.objects(shape, SH.property) if (f := self.field(shape, prop, depth))
        ]
        if not fields:
            self.problem(shape, "a row shape needs at least one sh:property")
        names = [f.name for f in fields]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            self.problem(shape, f"two property shapes for the field {duplicate!r}")
        target = self.graph.value(shape, SH.targetClass)
        ordered = sorted(fields, key=lambda f: (self._order(shape, f.path), f.name))
        return NodeShape(
            iri=str(shape),
            fields=tuple(ordered),
            target_class=str(target) if target is not None else None,
            label=self._text(shape, SH.name) or self._text(shape, RDFS.label) or "",
            description=self._text(shape, SH.description) or self._text(shape, RDFS.comment) or "",
        )

    def field(self, shape: URIRef, prop: Node, depth: int) -> ShapeField | None:
        path = self.graph.value(prop, SH.path)
        if not isinstance(path, URIRef):
            self.problem(shape, "every property shape needs a plain IRI as sh:path (no path expressions)")
            return None
        name = naming.local_name(str(path))
        if not is_identifier(name) or name.startswith("_"):
            self.problem(shape, f"field {name!r} (from {path}) is not a valid GraphQL field name")
            return None
        datatype = self.graph.value(prop, SH.datatype)
        node = self.graph.value(prop, SH.node)
        if (datatype is None) == (node is None):
            self.problem(shape, f"field {name!r} needs exactly one of sh:datatype or sh:node")
            return None
        if datatype is not None and datatype not in SUPPORTED_DATATYPES:
            supported = ", ".join(sorted(d.n3(self.graph.namespace_manager) for d in SUPPORTED_DATATYPES))
            self.problem(
                shape, f"field {name!r}: datatype {datatype} is not supported; use one of {supported}"
            )
            return None
        nested = None
        if isinstance(node, URIRef):
            nested = self.node_shape(node, depth + 1)
            if nested is None:
                return None
        elif node is not None:
            self.problem(shape, f"field {name!r}: sh:node must name a node shape by IRI")
            return None
        return ShapeField(
            name=name,
            path=str(path),
            datatype=str(datatype) if datatype is not None else None,
            node=nested,
            required=self._int(prop, SH.minCount) >= 1,
            many=self._int(prop, SH.maxCount, default=-1) != 1,
            description=self._text(prop, SH.description) or "",
            allowed=self._allowed(prop),
        )

    def _order(self, shape: URIRef, path: str) -> float:
        for prop in self.graph.objects(shape, SH.property):
            if str(self.graph.value(prop, SH.path)) == path:
                order = self.graph.value(prop, SH.order)
                return float(order.toPython()) if isinstance(order, Literal) else float("inf")
        return float("inf")

    def _int(self, subject: Node, predicate: URIRef, default: int = 0) -> int:
        value = self.graph.value(subject, predicate)
        return int(value.toPython()) if isinstance(value, Literal) else default

    def _text(self, subject: Node, predicate: URIRef) -> str | None:
        value = self.graph.value(subject, predicate)
        return " ".join(str(value).split()) if value is not None else None

    def _allowed(self, prop: Node) -> tuple[str, ...]:
        head = self.graph.value(prop, SH["in"])
        if not isinstance(head, BNode | URIRef):
            return ()
        return tuple(str(v) for v in Collection(self.graph, head))
