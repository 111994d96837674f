"""Module headers: one owl:Ontology per Turtle file, with label, version IRI and version."""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.ontology.model import ModuleInfo
from graph_service.ontology.namespaces import DCTERMS, OWL, RDF, RDFS, SKOS
from graph_service.ontology.problems import WARNING, Problem
from graph_service.ontology.rdfread import by_language, first_text, iris
from graph_service.ontology.sources import ParsedFile

UNVERSIONED = "unversioned"


def read_modules(files: Sequence[ParsedFile]) -> tuple[tuple[ModuleInfo, ...], list[Problem]]:
    """One ModuleInfo per file that declares an ontology; warnings for incomplete headers."""
    modules: list[ModuleInfo] = []
    problems: list[Problem] = []
    for parsed in files:
        heads = sorted(str(s) for s in parsed.graph.subjects(RDF.type, OWL.Ontology))
        if len(heads) != 1:
            problems.append(_header_problem(parsed, heads))
        if heads:
            modules.append(_module(parsed, heads[0]))
    return tuple(modules), problems


def model_version(modules: Sequence[ModuleInfo]) -> str:
    """The core module's owl:versionInfo (all modules are released together), else the first."""
    ordered = sorted(modules, key=lambda m: (m.name != "core", m.file))
    for module in ordered:
        if module.version_info:
            return module.version_info
    return UNVERSIONED


def _module(parsed: ParsedFile, iri: str) -> ModuleInfo:
    graph = parsed.graph
    version_iris = iris(graph, iri, OWL.versionIRI)
    return ModuleInfo(
        iri=iri,
        version_iri=version_iris[0] if version_iris else None,
        version_info=first_text(graph, iri, OWL.versionInfo),
        file=parsed.source.display,
        label=first_text(graph, iri, RDFS.label) or parsed.source.path.stem,
        description=first_text(graph, iri, DCTERMS.description) or "",
        labels=by_language(graph, iri, RDFS.label)[0],
        short_labels=by_language(graph, iri, SKOS.altLabel)[0],
        turtle=parsed.source.data.decode("utf-8"),
    )


def _header_problem(parsed: ParsedFile, heads: Sequence[str]) -> Problem:
    what = "no owl:Ontology header" if not heads else f"{len(heads)} owl:Ontology headers"
    lines = sorted(parsed.lines.subjects[h] for h in heads if h in parsed.lines.subjects)
    return Problem(
        severity=WARNING,
        code="module-header",
        message=f"has {what}; declare exactly one owl:Ontology per file (see docs/ontology-conventions.md)",
        file=parsed.source.display,
        line=lines[1] if len(lines) > 1 else None,
    )
