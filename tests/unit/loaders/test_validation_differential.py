"""The fast payload validator reaches the same verdicts as pyshacl (focus, path, component)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyshacl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, SH, XSD, Graph, Literal

from loaders.errors import ShapeError
from loaders.payload_rdf import literal_for, payload_graph
from loaders.shacl.views import GraphOps, PayloadOps
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


# -- every shape and every parameter value is enforced, or refused (issue 13) -----------------------
PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ds: <https://w3id.org/digispine/ontology#> .
@prefix dsp: <https://w3id.org/digispine/payload#> .
@prefix dss: <https://w3id.org/digispine/shapes#> .
"""


def pair(shapes: str) -> tuple[PayloadValidator, Graph]:
    graph = Graph().parse(data=PREFIXES + shapes, format="turtle")
    return PayloadValidator(graph), graph


def both(
    shapes: tuple[PayloadValidator, Graph],
    payload: dict[str, Any],
    cls: str = "OrderPlaced",
    event_id: str = "x",
) -> tuple[set[tuple[str, str | None, str]], set[tuple[str, str | None, str]]]:
    validator, graph = shapes
    data = payload_graph(cls, event_id, payload)
    _, report, _ = pyshacl.validate(data, shacl_graph=graph, advanced=False, inference="none")
    node = next(report.subjects(RDF.type, SH.ValidationReport))
    reference = set()
    for result in report.objects(node, SH.result):
        path = report.value(result, SH.resultPath)
        reference.add(
            (
                str(report.value(result, SH.focusNode)),
                str(path) if path is not None else None,
                str(report.value(result, SH.sourceConstraintComponent)).removeprefix(str(SH)),
            )
        )
    return {v.verdict() for v in validator.validate(cls, event_id, payload)}, reference


TARGETS = pair("""
dss:ByNode a sh:NodeShape ; sh:targetNode <urn:digispine:event:x> ;
  sh:property [ sh:path dsp:code ; sh:minCount 1 ] .
dss:BySubjects a sh:NodeShape ; sh:targetSubjectsOf dsp:qty ;
  sh:property [ sh:path dsp:qty ; sh:datatype xsd:decimal ; sh:minInclusive 1 ] .
dss:ByObjects a sh:NodeShape ; sh:targetObjectsOf dsp:code ; sh:pattern "^C-" .
ds:OrderPlaced a rdfs:Class, sh:NodeShape ; sh:property [ sh:path dsp:status ; sh:in ( "OPEN" ) ] .
""")


@pytest.mark.parametrize(
    "payload",
    [
        {"code": "C-1", "qty": 2, "status": "OPEN"},
        {"qty": 0, "status": "LOST", "items": [{"qty": "2"}, {"qty": -1, "code": "X"}]},
        {"code": ["C-1", "D-2"], "items": [{"code": "C-3"}]},
    ],
)
def test_target_node_subjects_objects_and_implicit_class_targets_are_enforced(
    payload: dict[str, Any],
) -> None:
    ours, reference = both(TARGETS, payload)
    assert ours == reference
    if payload.get("status") == "LOST":
        assert {c for _, _, c in reference} >= {"MinCountConstraintComponent", "InConstraintComponent"}


def test_every_value_of_sh_node_and_sh_pattern_is_checked() -> None:
    shapes = pair("""
    dss:S a sh:NodeShape ; sh:targetClass ds:OrderPlaced ;
      sh:property [ sh:path dsp:code ; sh:pattern "^A" ; sh:pattern "Z$" ] ;
      sh:property [ sh:path dsp:items ; sh:node dss:HasQty ; sh:node dss:HasMaterial ] .
    dss:HasQty a sh:NodeShape ; sh:property [ sh:path dsp:qty ; sh:minCount 1 ] .
    dss:HasMaterial a sh:NodeShape ; sh:property [ sh:path dsp:material ; sh:minCount 1 ] .
    """)
    payload = {"code": "A-1", "items": [{"qty": 1}]}  # fails only the second pattern and second node
    ours, reference = both(shapes, payload)
    assert {c for _, _, c in reference} == {"PatternConstraintComponent", "NodeConstraintComponent"}
    assert ours == reference


def test_sh_flags_m_is_applied_and_flags_pyshacl_ignores_are_refused() -> None:
    shapes = pair("""
    dss:S a sh:NodeShape ; sh:targetClass ds:OrderPlaced ;
      sh:property [ sh:path dsp:note ; sh:pattern "^b$" ; sh:flags "mi" ] .
    """)
    for note in ("a\nB", "a b", "b"):
        ours, reference = both(shapes, {"note": note})
        assert ours == reference, note
    with pytest.raises(ShapeError, match=r"sh:flags.*'s'"):
        pair(
            "dss:S a sh:NodeShape ; sh:targetClass ds:OrderPlaced ; "
            'sh:property [ sh:path dsp:n ; sh:pattern "a" ; sh:flags "s" ] .'
        )


def test_sh_ignored_properties_takes_the_whole_list() -> None:
    shapes = pair("""
    dss:S a sh:NodeShape ; sh:targetClass ds:OrderPlaced ; sh:closed true ;
      sh:ignoredProperties ( rdf:type dsp:comment ) ;
      sh:property [ sh:path dsp:code ] .
    """)
    for payload in ({"code": "A", "comment": "fine"}, {"code": "A", "other": 1}, {}):
        ours, reference = both(shapes, payload)
        assert ours == reference, payload


def test_sh_node_on_a_literal_applies_the_node_shape_to_the_literal() -> None:
    shapes = pair("""
    dss:S a sh:NodeShape ; sh:targetClass ds:OrderPlaced ;
      sh:property [ sh:path dsp:code ; sh:node dss:Code ] .
    dss:Code a sh:NodeShape ; sh:datatype xsd:string ; sh:pattern "^C-" .
    """)
    for code in ("C-1", "X-1", 5):
        ours, reference = both(shapes, {"code": code})
        assert ours == reference, code
    assert both(shapes, {"code": "C-1"}) == (set(), set())


def test_a_nested_json_array_is_a_plain_literal_as_pyshacl_reads_it() -> None:
    shapes = pair("""
    dss:S a sh:NodeShape ; sh:targetClass ds:OrderPlaced ;
      sh:property [ sh:path dsp:tags ; sh:datatype xsd:string ; sh:maxLength 8 ] .
    """)
    for tags in ([["a", "b"]], [["a", "b", "c", "d"]], [[1], "x"]):
        ours, reference = both(shapes, {"tags": tags})
        assert ours == reference, tags


def test_equal_values_before_a_nested_object_keep_its_index() -> None:
    # "a" twice is one triple, but the object is still element 2 of the array: <.../items/2>.
    ours, reference = both(TARGETS, {"items": ["a", "a", {"qty": 0}]})
    assert ours == reference
    assert (
        "urn:digispine:event:x/items/2",
        "https://w3id.org/digispine/payload#qty",
        "MinInclusiveConstraintComponent",
    ) in ours


@pytest.mark.parametrize(
    ("shape", "parameter"),
    [
        ('sh:targetNode <urn:x> ; sh:sparql [ sh:select "SELECT $this {}" ]', "sh:sparql"),
        (
            "sh:targetSubjectsOf dsp:a ; sh:property [ sh:path dsp:a ; sh:minCount 1 ; sh:minCount 2 ]",
            "sh:minCount",
        ),
        ("sh:targetObjectsOf dsp:a ; sh:datatype xsd:string ; sh:datatype xsd:decimal", "sh:datatype"),
        ("sh:targetClass ds:OrderPlaced ; sh:target [ a sh:SPARQLTarget ]", "sh:target"),
        ("sh:targetClass ds:OrderPlaced ; sh:minCount 1", "sh:minCount"),
    ],
)
def test_what_is_not_enforced_exactly_is_refused_naming_shape_and_parameter(
    shape: str, parameter: str
) -> None:
    with pytest.raises(ShapeError, match=rf"shape dss:Extra.*{parameter}"):
        pair(f"dss:Extra a sh:NodeShape ; {shape} .")


def test_a_constraint_on_a_node_that_is_no_shape_is_refused() -> None:
    with pytest.raises(ShapeError, match=r"dss:Loose.*sh:minLength"):
        pair("dss:Loose sh:minLength 3 .")


# -- the payload fast paths answer as the rdflib terms of payload_rdf do ------------------------------
json_leaf = st.one_of(
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),  # an array inside an array
)
DATATYPES = [XSD.string, XSD.decimal, XSD.integer, XSD.boolean, RDFS.Literal, RDFS.Datatype, RDF.langString]
BOUNDS = [Literal(0), Literal(Decimal("2.5")), Literal(-3.5), Literal("m"), Literal(True)]


@settings(max_examples=300, deadline=None)
@given(value=json_leaf)
def test_payload_value_tests_equal_the_tests_on_the_rdf_term(value: Any) -> None:
    term = Literal(str(value)) if isinstance(value, list) else literal_for(value)
    assert PayloadOps.term(value) == term
    assert PayloadOps.string(value) == GraphOps.string(term)
    assert PayloadOps.kind(value) == GraphOps.kind(term)
    for dt in DATATYPES:
        assert PayloadOps.datatype_test(dt)(value) == GraphOps.datatype_test(dt)(term), dt
    for bound in BOUNDS:
        for accept in (lambda c: c > 0, lambda c: c <= 0):
            assert PayloadOps.compare_test(bound, accept)(value) == GraphOps.compare_test(bound, accept)(term)
