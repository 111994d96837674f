"""The fields every term shares (labels, definitions, bounded context, alignments, source)."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef

from graph_service.ontology.namespaces import DS, OWL, RDFS, SKOS, curie, in_ds, local_name
from graph_service.ontology.rdfread import by_language, first_text, iris
from graph_service.ontology.reporting import Locate, Reporter

#: Predicates whose external objects are alignments with public standards.
ALIGNMENT_PREDICATES: tuple[URIRef, ...] = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.seeAlso,
)


def term_fields(graph: Graph, iri: str, report: Reporter, locate: Locate) -> dict[str, Any]:
    """Keyword arguments for :class:`~graph_service.ontology.model.Term` fields."""
    labels, duplicated = by_language(graph, iri, RDFS.label)
    for lang in duplicated:
        report.error(
            "duplicate-label",
            iri,
            f"has more than one rdfs:label in language {lang or '(none)'!r}; keep one per "
            "language and move the others to skos:altLabel",
        )
    definitions, _ = by_language(graph, iri, SKOS.definition)
    return {
        "iri": iri,
        "name": local_name(iri),
        "labels": labels,
        "definitions": definitions,
        "bounded_context": first_text(graph, iri, DS.boundedContext) or "",
        "alignments": alignments(graph, iri),
        "source": locate(iri),
    }


def alignments(graph: Graph, iri: str) -> tuple[tuple[str, str], ...]:
    """(predicate CURIE, external IRI) pairs, sorted. Links inside ds: are not alignments."""
    found = {
        (curie(str(predicate)), target)
        for predicate in ALIGNMENT_PREDICATES
        for target in iris(graph, iri, predicate)
        if not in_ds(target)
    }
    return tuple(sorted(found))
