"""Which ds: IRIs the ontology declares, and as what (class, datatype or object property)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rdflib import Graph, URIRef

from graph_service.ontology.namespaces import OWL, RDF, curie, in_ds, local_name
from graph_service.ontology.reporting import Reporter

_KINDS = (
    (OWL.Class, "class"),
    (OWL.ObjectProperty, "object property"),
    (OWL.DatatypeProperty, "datatype property"),
)


@dataclass(frozen=True)
class Declarations:
    """IRIs of ds: terms by kind. An IRI declared as two kinds is kept under the first."""

    classes: frozenset[str]
    object_properties: frozenset[str]
    datatype_properties: frozenset[str]
    typed: frozenset[str]  # every ds: IRI with any rdf:type (annotation properties too)

    def kind_of(self, iri: str) -> str | None:
        if iri in self.classes:
            return "class"
        if iri in self.object_properties:
            return "object property"
        if iri in self.datatype_properties:
            return "datatype property"
        return None


def collect_declarations(graph: Graph, report: Reporter) -> Declarations:
    """Collect declarations; an IRI typed as two kinds is a name clash."""
    seen: dict[str, str] = {}
    by_kind: dict[str, set[str]] = {kind: set() for _, kind in _KINDS}
    for rdf_type, kind in _KINDS:
        for subject in sorted(str(s) for s in graph.subjects(RDF.type, rdf_type)):
            if not in_ds(subject):
                continue
            if subject in seen:
                report.error(
                    "name-clash",
                    subject,
                    f"declared both as {seen[subject]} and as {kind}; one IRI is one term — "
                    f"rename one of them",
                )
                continue
            seen[subject] = kind
            by_kind[kind].add(subject)
    typed = {str(s) for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and in_ds(s)}
    return Declarations(
        classes=frozenset(by_kind["class"]),
        object_properties=frozenset(by_kind["object property"]),
        datatype_properties=frozenset(by_kind["datatype property"]),
        typed=frozenset(typed),
    )


def report_dangling(target: str, user: str, via: str, decl: Declarations, report: Reporter) -> None:
    """``target`` is a ds: IRI that ``user`` refers to (through ``via``) but nobody declares."""
    names = sorted(local_name(iri) for iri in decl.typed)
    close = difflib.get_close_matches(local_name(target), names, n=1, cutoff=0.75)
    hint = f"; did you mean ds:{close[0]}?" if close else ""
    report.error("dangling-reference", target, f"used in {via} of {curie(user)} but never declared{hint}")
