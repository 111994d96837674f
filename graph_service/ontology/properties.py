"""Datatype properties and relations (object properties) of the model, with their checks."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from graph_service.ontology.datatypes import DataType, datatype_for, supported_xsd_curies
from graph_service.ontology.declarations import Declarations, report_dangling
from graph_service.ontology.facets import read_facets
from graph_service.ontology.model import DatatypeProperty, Relation
from graph_service.ontology.namespaces import DS, OWL, RDF, RDFS, curie, in_ds, local_name
from graph_service.ontology.naming import upper_snake
from graph_service.ontology.rdfread import iris, is_true
from graph_service.ontology.reporting import Locate, Reporter
from graph_service.ontology.term_fields import term_fields


def build_datatype_properties(
    graph: Graph, decl: Declarations, report: Reporter, locate: Locate
) -> dict[str, DatatypeProperty]:
    """Every ds: datatype property with a class domain and a supported XSD range."""
    built: dict[str, DatatypeProperty] = {}
    for iri in sorted(decl.datatype_properties):
        domain = _domain_class(graph, iri, decl, report)
        datatype = _xsd_range(graph, iri, report)
        if domain is None or datatype is None:
            continue
        prop = DatatypeProperty(
            **term_fields(graph, iri, report, locate),
            domain=domain,
            xsd=datatype.xsd,
            neo4j_type=datatype.neo4j_type,
            python_type=datatype.python_type,
            graphql_type=datatype.graphql_type,
            functional=_functional(graph, iri),
            personal_data=is_true(graph, iri, DS.personalData),
            facets=read_facets(graph, iri, datatype.xsd, report),
        )
        built[prop.name] = prop
    return built


@dataclass(frozen=True)
class _Ends:
    domain: str | None
    range: str | None


def build_relations(
    graph: Graph, decl: Declarations, report: Reporter, locate: Locate
) -> dict[str, Relation]:
    """Every ds: object property. A property with ``owl:inverseOf`` is a reverse (not stored)."""
    reverse_of = _reverse_targets(graph, decl, report)
    ends = {
        iri: _relation_ends(graph, iri, decl, report, iri in reverse_of)
        for iri in sorted(decl.object_properties)
    }
    inverse: dict[str, str] = {}
    for reverse, stored in sorted(reverse_of.items()):
        inverse.setdefault(stored, local_name(reverse))
        ends[reverse] = _check_swapped(reverse, stored, ends, report)
    built: dict[str, Relation] = {}
    for iri, end in ends.items():
        if end.domain is None or end.range is None:
            continue
        inverted = reverse_of.get(iri)
        relation = Relation(
            **term_fields(graph, iri, report, locate),
            rel_type=upper_snake(local_name(inverted or iri)),
            domain=end.domain,
            range=end.range,
            to_many=not _functional(graph, iri),
            inverse_of=local_name(inverted) if inverted else None,
            inverse=inverse.get(iri),
        )
        built[relation.name] = relation
    return built


def _reverse_targets(graph: Graph, decl: Declarations, report: Reporter) -> dict[str, str]:
    """Reverse property IRI → the stored property it inverts (only valid pairs)."""
    declared = {iri: iris(graph, iri, OWL.inverseOf) for iri in sorted(decl.object_properties)}
    pairs: dict[str, str] = {}
    for iri, targets in declared.items():
        for target in targets[:1]:
            if target not in decl.object_properties:
                _unknown(target, iri, "owl:inverseOf", decl, report, code="inverse-target")
            elif declared.get(target):
                report.error(
                    "inverse-target",
                    iri,
                    f"owl:inverseOf {curie(target)}, which is itself a reverse property; only one "
                    "direction is stored, so point owl:inverseOf at the stored property and "
                    f"remove owl:inverseOf from one of {curie(iri)} / {curie(target)}",
                )
            else:
                pairs[iri] = target
    return pairs


def _relation_ends(graph: Graph, iri: str, decl: Declarations, report: Reporter, is_reverse: bool) -> _Ends:
    # A reverse property may leave out domain and range; they are the stored one's, swapped.
    if is_reverse and not iris(graph, iri, RDFS.domain) and not iris(graph, iri, RDFS.range):
        return _Ends(None, None)
    return _Ends(
        _domain_class(graph, iri, decl, report),
        _one_class(graph, iri, RDFS.range, "range", decl, report),
    )


def _check_swapped(reverse: str, stored: str, ends: dict[str, _Ends], report: Reporter) -> _Ends:
    own, theirs = ends[reverse], ends[stored]
    expected = _Ends(theirs.range, theirs.domain)
    if own.domain is None and own.range is None:
        return expected
    if own != expected and None not in (theirs.domain, theirs.range):
        report.error(
            "inverse-mismatch",
            reverse,
            f"is owl:inverseOf {curie(stored)} ({theirs.domain} → {theirs.range}) so it must go "
            f"{expected.domain} → {expected.range}, but declares {own.domain} → {own.range}",
        )
    return expected


def _domain_class(graph: Graph, iri: str, decl: Declarations, report: Reporter) -> str | None:
    return _one_class(graph, iri, RDFS.domain, "domain", decl, report)


def _one_class(
    graph: Graph, iri: str, predicate: URIRef, what: str, decl: Declarations, report: Reporter
) -> str | None:
    target = _one_value(graph, iri, predicate, what, report, f"{what}-not-class")
    if target is None:
        return None
    if target in decl.classes:
        return local_name(target)
    if in_ds(target) and target not in decl.typed:
        report_dangling(target, iri, f"rdfs:{what}", decl, report)
    else:
        report.error(
            f"{what}-not-class",
            iri,
            f"rdfs:{what} {curie(target)} is not a class of the ontology; use a ds: class "
            "(relate external terms with skos:closeMatch on the class instead)",
        )
    return None


def _one_value(
    graph: Graph, iri: str, predicate: URIRef, what: str, report: Reporter, anonymous_code: str
) -> str | None:
    """The single IRI value of ``rdfs:domain``/``rdfs:range``; problems when not exactly one."""
    values = sorted(graph.objects(URIRef(iri), predicate), key=str)
    if not values:
        report.error(f"missing-{what}", iri, f"has no rdfs:{what}; declare exactly one")
        return None
    if len(values) > 1:
        shown = ", ".join(curie(str(v)) for v in values)
        report.error(
            f"multiple-{what}s",
            iri,
            f"has {len(values)} rdfs:{what} values ({shown}); declare exactly one — a property "
            "used by several classes belongs on their common superclass",
        )
    if not isinstance(values[0], URIRef):
        report.error(anonymous_code, iri, f"rdfs:{what} is an anonymous expression; name a single term")
        return None
    return str(values[0])


def _xsd_range(graph: Graph, iri: str, report: Reporter) -> DataType | None:
    target = _one_value(graph, iri, RDFS.range, "range", report, "unknown-datatype")
    if target is None:
        return None
    datatype = datatype_for(target)
    if datatype is None:
        report.error(
            "unknown-datatype",
            iri,
            f"rdfs:range {curie(target)} is not a supported datatype; use one of {supported_xsd_curies()}",
        )
    return datatype


def _functional(graph: Graph, iri: str) -> bool:
    return (URIRef(iri), RDF.type, OWL.FunctionalProperty) in graph


def _unknown(target: str, user: str, via: str, decl: Declarations, report: Reporter, *, code: str) -> None:
    if in_ds(target) and target not in decl.typed:
        report_dangling(target, user, via, decl, report)
    else:
        report.error(code, user, f"{via} {curie(target)} is not a stored ds: object property")
