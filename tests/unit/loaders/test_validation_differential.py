"""The fast payload validator reaches the same verdicts as pyshacl (focus, path, component)."""

from __future__ import annotations

from typing import Any

import pyshacl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, SH, Graph

from loaders.payload_rdf import payload_graph
from loaders.validation import PayloadValidator

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ds: <https://w3id.org/digispine/ontology#> .
@prefix dsp: <https://w3id.org/digispine/payload#> .
@prefix dss: <https://w3id.org/digispine/shapes#> .

dss:OrderPlacedShape a sh:NodeShape ;
  sh:targetClass ds:OrderPlaced ;
  sh:property [ sh:path dsp:orderNumber ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ;
                sh:pattern "^SO-[0-9]+$" ; sh:maxLength 12 ] ;
  sh:property [ sh:path dsp:status ; sh:maxCount 1 ; sh:in ( "OPEN" "CLOSED" ) ] ;
  sh:property [ sh:path dsp:quantity ; sh:minCount 1 ; sh:datatype xsd:decimal ;
                sh:minExclusive 0 ; sh:maxInclusive 1000 ] ;
  sh:property [ sh:path dsp:urgent ; sh:datatype xsd:boolean ] ;
  sh:property [ sh:path dsp:note ; sh:minLength 2 ; sh:nodeKind sh:Literal ] ;
  sh:property [ sh:path dsp:items ; sh:minCount 1 ; sh:nodeKind sh:IRI ; sh:node dss:ItemShape ] .

dss:ItemShape a sh:NodeShape ;
  sh:property [ sh:path dsp:material ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ] ;
  sh:property [ sh:path dsp:qty ; sh:minCount 1 ; sh:datatype xsd:decimal ; sh:minInclusive 1 ] .
"""


def _validator_and_shapes() -> tuple[PayloadValidator, Graph]:
    graph = Graph().parse(data=SHAPES, format="turtle")
    return PayloadValidator(graph), graph


VALIDATOR, SHAPES_GRAPH = _validator_and_shapes()


def reference_verdicts(event_id: str, payload: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    data = payload_graph("OrderPlaced", event_id, payload)
    _, report, _ = pyshacl.validate(data, shacl_graph=SHAPES_GRAPH, advanced=False, inference="none")
    verdicts = set()
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    for result in report.objects(report_node, SH.result):  # top-level results, not sh:detail
        focus = str(report.value(result, SH.focusNode))
        path = report.value(result, SH.resultPath)
        component = str(report.value(result, SH.sourceConstraintComponent)).removeprefix(str(SH))
        verdicts.add((focus, str(path) if path is not None else None, component))
    return verdicts


def fast_verdicts(event_id: str, payload: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    return {v.verdict() for v in VALIDATOR.validate("OrderPlaced", event_id, payload)}


VALID = {
    "orderNumber": "SO-1",
    "status": "OPEN",
    "quantity": 5,
    "urgent": False,
    "note": "ok",
    "items": [{"material": "M-1", "qty": 2}, {"material": "M-2", "qty": 1.5}],
}


def test_a_valid_payload_conforms_for_both() -> None:
    assert reference_verdicts("e1", VALID) == set()
    assert fast_verdicts("e1", VALID) == set()


def test_each_kind_of_violation_gives_the_same_verdicts() -> None:
    bad = {
        "orderNumber": ["SO-X", "SO-2"],
        "status": "LOST",
        "quantity": -1,
        "urgent": "yes",
        "note": "x",
        "items": [{"qty": 0}, "not-an-object"],
    }
    expected = reference_verdicts("e2", bad)
    assert {c for _, _, c in expected} >= {
        "MaxCountConstraintComponent",
        "PatternConstraintComponent",
        "InConstraintComponent",
        "MinExclusiveConstraintComponent",
        "DatatypeConstraintComponent",
        "MinLengthConstraintComponent",
        "NodeConstraintComponent",
        "NodeKindConstraintComponent",
    }
    assert fast_verdicts("e2", bad) == expected


def test_missing_required_members_give_min_count_for_both() -> None:
    expected = reference_verdicts("e3", {})
    assert (
        "urn:digispine:event:e3",
        "https://w3id.org/digispine/payload#orderNumber",
        "MinCountConstraintComponent",
    ) in expected
    assert fast_verdicts("e3", {}) == expected


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.floats(-10, 2000, allow_nan=False),
    st.sampled_from(["SO-1", "SO-22", "OPEN", "CLOSED", "x", "", "SO-123456789012", "M-1"]),
)
item = st.one_of(
    json_scalar,
    st.fixed_dictionaries({}, optional={"material": json_scalar, "qty": json_scalar}),
)
payload_strategy = st.fixed_dictionaries(
    {},
    optional={
        "orderNumber": st.one_of(json_scalar, st.lists(json_scalar, max_size=3)),
        "status": st.one_of(json_scalar, st.lists(json_scalar, max_size=2)),
        "quantity": json_scalar,
        "urgent": json_scalar,
        "note": json_scalar,
        "items": st.one_of(item, st.lists(item, max_size=3)),
        "extra": json_scalar,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payload_strategy)
def test_fast_validator_agrees_with_pyshacl_on_generated_payloads(payload: dict[str, Any]) -> None:
    assert fast_verdicts("gen", payload) == reference_verdicts("gen", payload)
