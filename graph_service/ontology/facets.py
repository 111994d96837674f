"""Value facets of datatype properties: allowed values, pattern, ranges and lengths.

They are annotations on the property in the ontology (``ds:allowedValue``, ``ds:pattern``,
``ds:minInclusive``, ... declared in ``core.ttl``), named after the SHACL parameters they become,
so the event contracts (``loaders/contracts.py``) are compiled from the ontology instead of being
written by hand. Each facet is checked here, and a wrong one is a problem of the term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef

from graph_service.ontology.namespaces import DS

if TYPE_CHECKING:  # reporting imports the model, which holds ValueFacets
    from graph_service.ontology.reporting import Reporter

#: Facet annotations (local names in ds:), named as the SHACL parameters they become.
NUMERIC_FACETS = ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive")
LENGTH_FACETS = ("minLength", "maxLength")


@dataclass(frozen=True)
class ValueFacets:
    """What a value of one property may be, beyond its XSD type. Empty: anything of the type."""

    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    min_inclusive: Decimal | None = None
    max_inclusive: Decimal | None = None
    min_exclusive: Decimal | None = None
    max_exclusive: Decimal | None = None
    min_length: int | None = None
    max_length: int | None = None

    def bounds(self) -> tuple[tuple[str, Decimal], ...]:
        """The numeric bounds set, as (SHACL parameter, value)."""
        values = (self.min_inclusive, self.max_inclusive, self.min_exclusive, self.max_exclusive)
        return tuple((name, v) for name, v in zip(NUMERIC_FACETS, values, strict=True) if v is not None)

    def lengths(self) -> tuple[tuple[str, int], ...]:
        values = (self.min_length, self.max_length)
        return tuple((name, v) for name, v in zip(LENGTH_FACETS, values, strict=True) if v is not None)


def read_facets(graph: Graph, iri: str, xsd: str, report: Reporter) -> ValueFacets:
    """The facets annotated on ``iri``; a facet that does not fit is reported and left out."""
    subject = URIRef(iri)
    allowed = tuple(sorted(str(o) for o in graph.objects(subject, DS.allowedValue) if isinstance(o, Literal)))
    if allowed and xsd != "string":
        report.error("invalid-facet", iri, f"ds:allowedValue on an xsd:{xsd} property; use it on xsd:string")
        allowed = ()
    numbers = {name: _number(graph, iri, name, xsd, report) for name in NUMERIC_FACETS}
    lengths = {name: _length(graph, iri, name, report) for name in LENGTH_FACETS}
    return ValueFacets(
        allowed=allowed,
        pattern=_pattern(graph, iri, report),
        min_inclusive=numbers["minInclusive"],
        max_inclusive=numbers["maxInclusive"],
        min_exclusive=numbers["minExclusive"],
        max_exclusive=numbers["maxExclusive"],
        min_length=lengths["minLength"],
        max_length=lengths["maxLength"],
    )


def _single(graph: Graph, iri: str, name: str, report: Reporter) -> str | None:
    values = sorted(str(o) for o in graph.objects(URIRef(iri), DS[name]))
    if len(values) > 1:
        report.error("invalid-facet", iri, f"has {len(values)} ds:{name} values; give one")
    return values[0] if values else None


def _pattern(graph: Graph, iri: str, report: Reporter) -> str | None:
    text = _single(graph, iri, "pattern", report)
    if text is None:
        return None
    try:
        re.compile(text)
    except re.error as exc:
        report.error("invalid-facet", iri, f"ds:pattern {text!r} is not a regular expression ({exc})")
        return None
    return text


def _number(graph: Graph, iri: str, name: str, xsd: str, report: Reporter) -> Decimal | None:
    text = _single(graph, iri, name, report)
    if text is None:
        return None
    if xsd not in {"integer", "decimal", "double"}:
        report.error("invalid-facet", iri, f"ds:{name} on an xsd:{xsd} property; only numbers have bounds")
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        report.error("invalid-facet", iri, f"ds:{name} {text!r} is not a number")
        return None


def _length(graph: Graph, iri: str, name: str, report: Reporter) -> int | None:
    text = _single(graph, iri, name, report)
    if text is None:
        return None
    if not text.isdigit():
        report.error("invalid-facet", iri, f"ds:{name} {text!r} is not a whole number >= 0")
        return None
    return int(text)
