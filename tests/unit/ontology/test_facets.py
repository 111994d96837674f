"""Value facets on datatype properties (ds:allowedValue, ds:pattern, bounds, lengths) compile into
the model, and a facet that cannot hold for its property is a problem of that term."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from graph_service.ontology import compile_ontology
from graph_service.ontology.model import ModuleInfo

from .conftest import SHIPPED_ONTOLOGY, append, prop

FACETS = ("allowedValue", "pattern", "minInclusive", "maxInclusive", "minExclusive", "maxExclusive")
DECLARED = "".join(
    f'ds:{name} a owl:AnnotationProperty ; rdfs:label "{name}"@en , "{name} (de)"@de ; '
    f'ds:boundedContext "core" .\n'
    for name in (*FACETS, "minLength", "maxLength")
)


def compiled(onto: Path, turtle: str):  # type: ignore[no-untyped-def]
    append(onto, "core", DECLARED)
    append(onto, "production", turtle)
    return compile_ontology(onto)


def test_each_facet_is_read_onto_its_property(onto: Path) -> None:
    result = compiled(
        onto,
        prop("grade", extra='ds:allowedValue "B" , "A" ; ds:pattern "^[A-Z]$" ; ds:maxLength 1')
        + prop("weight", range_="xsd:decimal", extra="ds:minExclusive 0 ; ds:maxInclusive 1000.5"),
    )
    assert result.errors == (), result.errors
    assert result.model is not None
    grade = result.model.datatype_properties["grade"].facets
    assert (grade.allowed, grade.pattern, grade.max_length) == (("A", "B"), "^[A-Z]$", 1)
    weight = result.model.datatype_properties["weight"].facets
    assert weight.bounds() == (("maxInclusive", Decimal("1000.5")), ("minExclusive", Decimal("0")))


@pytest.mark.parametrize(
    ("turtle", "says"),
    [
        (
            prop("weight", range_="xsd:decimal", extra='ds:allowedValue "1"'),
            "ds:allowedValue on an xsd:decimal",
        ),
        (prop("grade", extra="ds:minInclusive 0"), "only numbers have bounds"),
        (prop("grade", extra='ds:pattern "^[A-Z"'), "is not a regular expression"),
        (prop("grade", extra='ds:pattern "^a$" , "^b$"'), "has 2 ds:pattern values"),
        (prop("grade", extra='ds:minLength "one"'), "is not a whole number"),
    ],
)
def test_a_facet_that_cannot_hold_is_an_invalid_facet_error(onto: Path, turtle: str, says: str) -> None:
    result = compiled(onto, turtle)
    assert [(p.code, p.term) for p in result.errors] in (
        [("invalid-facet", "ds:weight")],
        [("invalid-facet", "ds:grade")],
    )
    assert says in result.errors[0].message


def test_every_module_of_the_shipped_ontology_names_its_context_in_english_and_german() -> None:
    result = compile_ontology(SHIPPED_ONTOLOGY)
    assert result.model is not None
    for module in result.model.modules:
        assert {"en", "de"} <= set(module.short_labels), module.name
        assert module.turtle, module.name  # what the SPARQL view loads instead of reading files


def test_a_context_label_falls_back_to_the_label_then_to_english() -> None:
    module = ModuleInfo(
        iri="https://w3id.org/digispine/ontology/x",
        version_iri=None,
        version_info=None,
        file="x.ttl",
        label="X ontology",
        labels={"en": "X ontology", "de": "X-Ontologie"},
        short_labels={"en": "x"},
    )
    assert (module.context_label("en"), module.context_label("de"), module.context_label("fr")) == (
        "x",
        "X-Ontologie",
        "x",
    )
