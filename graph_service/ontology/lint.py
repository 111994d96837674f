"""Lint of the ontology driven by SHACL shapes (``shapes/ontology/*.ttl``), run with pySHACL.

Each rule in the shapes carries ``lint:code``; each validation result becomes one Problem:
``sh:Violation`` → error, anything else → warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from graph_service.ontology.errors import OntologyError
from graph_service.ontology.namespaces import LINT, RDF, curie
from graph_service.ontology.problems import ERROR, WARNING, Problem, sorted_problems
from graph_service.ontology.reporting import Locate


def load_lint_shapes(shapes_dir: Path) -> Graph:
    """The union of the lint shape files; an error saying where they were looked for."""
    files = sorted(shapes_dir.glob("*.ttl")) if shapes_dir.is_dir() else []
    if not files:
        raise OntologyError(
            f"no lint shapes (*.ttl) in {shapes_dir}; they ship in shapes/ontology/ of the "
            "repository — run from the repository root or set DIGISPINE_SHAPES_DIR"
        )
    shapes = Graph()
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except BadSyntax as exc:
            raise OntologyError(
                f"lint shapes {path} do not parse (line {int(exc.lines) + 1}): {exc}"
            ) from exc
    return shapes


def lint(ontology: Graph, shapes: Graph, locate: Locate) -> tuple[Problem, ...]:
    """Validate the ontology graph against the lint shapes; one Problem per result."""
    _conforms, report, _text = validate(
        ontology,
        shacl_graph=shapes,
        inference="none",
        advanced=True,  # SPARQL-based targets select ds: terms only
        allow_warnings=True,
    )
    if not isinstance(report, Graph):  # only when asked to serialize the report
        raise TypeError(f"pySHACL returned a {type(report).__name__}, not a report graph")
    return sorted_problems(_problems(report, shapes, locate))


def _problems(report: Graph, shapes: Graph, locate: Locate) -> Iterator[Problem]:
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        severity = report.value(result, SH.resultSeverity)
        where = locate(str(focus)) if isinstance(focus, URIRef) else None
        yield Problem(
            severity=ERROR if severity == SH.Violation else WARNING,
            code=_code(result, report, shapes),
            term=curie(str(focus)) if isinstance(focus, URIRef) else None,
            message=_message(result, report),
            file=where.file if where else None,
            line=where.line if where else None,
        )


def _code(result: Node, report: Graph, shapes: Graph) -> str:
    """``lint:code`` of the SPARQL constraint or shape that produced the result."""
    for source in (SH.sourceConstraint, SH.sourceShape):
        node = report.value(result, source)
        if node is None:
            continue
        for graph in (shapes, report):
            code = graph.value(node, LINT.code)
            if isinstance(code, Literal):
                return str(code)
    return "lint"


def _message(result: Node, report: Graph) -> str:
    messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
    return messages[0] if messages else "violates a lint rule"
