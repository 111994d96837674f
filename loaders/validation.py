"""Fast SHACL validation of event payloads: the shapes we use, compiled once into checks.

pyshacl re-reads shapes and builds a data graph for every call (about 2,400 small events/s on
one core). Here every shape of ``shapes/events/`` is compiled once (:mod:`loaders.shacl`) into
plain Python checks that run on the payload JSON directly, following the RDF reading of
:mod:`loaders.payload_rdf`. The results (focus node, path, constraint component) are pyshacl's —
the differential tests in ``tests/unit/loaders`` and the SHACL core test suite
(``tests/unit/loaders/test_shacl_core_suite.py``) hold it to that. Every triple of every shape is
enforced or the shapes are refused at start-up, naming file, shape and parameter; nothing is
ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdflib import Graph
from rdflib.term import Identifier

from loaders.errors import ShapeError
from loaders.payload_rdf import DS, focus_iri
from loaders.shacl.compiler import Origin, compile_shapes
from loaders.shacl.model import Shape, Violation
from loaders.shacl.terms import term
from loaders.shacl.views import GraphOps, GraphView, PayloadOps, PayloadView, event_root

__all__ = ["GraphValidator", "PayloadValidator", "Violation", "read_shapes"]


def read_shapes(directory: Path) -> tuple[Graph, Origin]:
    """All ``*.ttl`` of ``directory`` in one graph, and which file each subject came from."""
    files = sorted(directory.glob("*.ttl"))
    if not files:
        raise ShapeError(f"no payload shapes (*.ttl) found in {directory}")
    graph = Graph()
    origin: dict[Identifier, str] = {}
    for path in files:
        part = Graph()
        try:
            part.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            raise ShapeError(f"{path}: cannot parse shapes: {exc}") from exc
        for subject in part.subjects(unique=True):
            origin.setdefault(term(subject), str(path))
        for prefix, ns in part.namespaces():
            graph.bind(prefix, ns, override=False)
        graph += part  # blank nodes keep their identity, so each stays tied to its file
    return graph, origin.get


class PayloadValidator:
    """All payload shapes, compiled. ``validate(event_class, event_id, payload)`` → violations."""

    def __init__(self, shapes: Graph, origin: Origin | None = None) -> None:
        self._shapes = shapes
        program = compile_shapes(shapes, PayloadOps, origin)
        self.by_class: dict[str, list[Shape]] = {}
        # Shapes targeting only event classes run on the event node alone (the hot path); any
        # other target is looked up in the payload's graph for every event.
        self._by_class_only: dict[str, list[Shape]] = {}
        self._general: list[Shape] = []
        for shape in program.targeted:
            names = [
                str(c).removeprefix(str(DS)) for c in shape.targets.classes if str(c).startswith(str(DS))
            ]
            for name in names:
                self.by_class.setdefault(name, []).append(shape)
            targets = shape.targets
            if targets.nodes or targets.subjects_of or targets.objects_of:
                self._general.append(shape)
            else:
                # A class outside ds: never types a payload (its graph has no rdfs:subClassOf).
                for name in names:
                    self._by_class_only.setdefault(name, []).append(shape)

    @classmethod
    def from_directory(cls, directory: Path) -> PayloadValidator:
        graph, origin = read_shapes(directory)
        return cls(graph, origin)

    @property
    def shapes_graph(self) -> Graph:
        return self._shapes

    def has_shape(self, event_class: str) -> bool:
        return event_class in self.by_class

    def validate(self, event_class: str, event_id: str, payload: Mapping[str, Any]) -> list[Violation]:
        root = event_root(
            event_class, focus_iri(event_id), dict(payload) if type(payload) is not dict else payload
        )
        view = PayloadView(root)
        found: list[Violation] = []
        for shape in self._by_class_only.get(event_class, ()):
            found.extend(shape.validate(view, root))
        for shape in self._general:
            if shape.deactivated:
                continue
            for focus in shape.targets.focus_nodes(view):
                found.extend(shape.validate(view, focus))
        return found


class GraphValidator:
    """The same compiled checks over any rdflib data graph (the SHACL core test suite uses it)."""

    def __init__(self, shapes: Graph, origin: Origin | None = None) -> None:
        self._program = compile_shapes(shapes, GraphOps, origin)

    def validate(self, data: Graph) -> list[Violation]:
        return self._program.validate(GraphView(data))
