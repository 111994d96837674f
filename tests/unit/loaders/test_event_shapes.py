"""The payload contracts of shapes/events/ fit the simulated plant's events and catch broken payloads.

The contracts are generated (loaders/contracts.py) from the ontology and the mappings, with the
hand-written additions of shapes/events/extra/; the broken payloads below are those the
hand-written shapes of before caught, so the generated ones keep their intent. Nothing here counts
what ships: every check runs over whatever event types the simulator and the mappings have.

Every verdict is checked twice: with the fast validator the loaders use and with pyshacl over the
RDF reading of the payload (the reference), which must agree on (focus, path, component).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pyshacl
import pytest
from rdflib import RDF, SH, Graph, Literal

from graph_service.ontology.compiler import load_model
from loaders.contracts import compiled_validator
from loaders.errors import ShapeError
from loaders.mapping import Mapper, load_mappings
from loaders.payload_rdf import DS, DSP, focus_iri, payload_graph
from loaders.simulation import simulate
from loaders.validation import PayloadValidator
from tests.support.paths import EVENT_SHAPES_DIR as SHAPES_DIR
from tests.support.paths import MAPPINGS_DIR, ONTOLOGY_DIR

Verdict = tuple[str, str | None, str]
Case = tuple[str, str, dict[str, Any]]  # event class, event id, payload


@cache
def validator() -> PayloadValidator:
    """The loader's validator: the committed contracts, and any compiled for classes they lack."""
    return compiled_validator(SHAPES_DIR, load_model(ONTOLOGY_DIR), mapper())


@cache
def mapper() -> Mapper:
    return load_mappings(MAPPINGS_DIR, load_model(ONTOLOGY_DIR))


@cache
def history(days: int = 5) -> tuple[dict[str, Any], ...]:
    # A JSON round trip gives exactly what the loaders see (tuples become arrays, and so on).
    return tuple(json.loads(json.dumps(event)) for event in simulate(seed=7, days=days))


def event_class(event: dict[str, Any]) -> str:
    return mapper().by_type[event["type"]].event_class


@cache
def first_of_each_type() -> tuple[dict[str, Any], ...]:
    first: dict[str, dict[str, Any]] = {}
    for event in history():
        first.setdefault(event_class(event), event)
    return tuple(first[name] for name in sorted(first))


def fast_verdicts(cases: Iterable[Case]) -> set[Verdict]:
    return {
        v.verdict() for cls, event_id, payload in cases for v in validator().validate(cls, event_id, payload)
    }


def reference_verdicts(cases: Iterable[Case]) -> set[Verdict]:
    """pyshacl's verdicts (top-level sh:result only) over one data graph holding all cases."""
    data = Graph()
    for cls, event_id, payload in cases:
        payload_graph(cls, event_id, payload, data)
    _, report, _ = pyshacl.validate(
        data, shacl_graph=validator().shapes_graph, advanced=False, inference="none"
    )
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    verdicts = set()
    for result in report.objects(report_node, SH.result):  # not the nested sh:detail results
        focus = str(report.value(result, SH.focusNode))
        path = report.value(result, SH.resultPath)
        component = str(report.value(result, SH.sourceConstraintComponent)).removeprefix(str(SH))
        verdicts.add((focus, str(path) if path is not None else None, component))
    return verdicts


def as_case(event: dict[str, Any], payload: dict[str, Any] | None = None, suffix: str = "") -> Case:
    return event_class(event), event["id"] + suffix, payload if payload is not None else event["data"]


def sample(name: str) -> dict[str, Any]:
    return next(e for e in first_of_each_type() if event_class(e) == name)


# -- the simulated history conforms ------------------------------------------------------------
def test_every_event_type_the_simulation_sends_is_mapped() -> None:
    sent = {event["type"] for event in history()}
    assert sent and sent <= set(mapper().by_type)


def test_every_simulated_event_conforms_for_the_fast_validator() -> None:
    failures = {event["id"]: [str(v) for v in validator().validate(*as_case(event))] for event in history()}
    assert {k: v for k, v in failures.items() if v} == {}


def test_the_first_event_of_each_type_conforms_for_pyshacl() -> None:
    cases = [as_case(event) for event in first_of_each_type()]
    assert reference_verdicts(cases) == set()
    assert fast_verdicts(cases) == set()


def test_events_with_their_optional_members_conform_for_both() -> None:
    """Optional members the simulator sends only sometimes (found in a longer history)."""
    optional = {
        "GoodsMovementPosted": ("purchaseOrderNumber", "productionOrderNumber"),
        "NonconformanceRaised": ("inspectionId", "complaintNumber"),
        "InspectionRecorded": ("operationId",),
        "EquipmentMasterChanged": ("parentEquipmentId",),
        "MaterialMasterChanged": ("standardCycleTimeSeconds",),
    }
    cases = []
    for name, keys in optional.items():
        for key in keys:
            event = next((e for e in history(days=30) if event_class(e) == name and key in e["data"]), None)
            assert event is not None, f"the simulation sent no {name} with {key}"
            cases.append(as_case(event))
    assert reference_verdicts(cases) == set()
    assert fast_verdicts(cases) == set()


# -- a contract per mapped event class --------------------------------------------------------------
def test_every_mapped_event_class_has_a_contract_and_every_contract_an_event_class() -> None:
    model = load_model(ONTOLOGY_DIR)
    mapped = {m.event_class for m in mapper().by_type.values()}
    assert [name for name in sorted(mapped) if not validator().has_shape(name)] == []
    targeted = set(validator().by_class)
    assert [
        name for name in sorted(targeted) if name not in model.classes or not model.classes[name].is_event
    ] == []
    assert targeted <= mapped  # no contract for a class nothing maps


def test_every_enumerated_member_refuses_a_value_outside_its_values() -> None:
    """Each sh:in of a contract (from ds:allowedValue, or an addition) holds for every event type."""
    graph = validator().shapes_graph
    cases, expected = [], set()
    for event in first_of_each_type():
        shapes = list(graph.subjects(SH.targetClass, DS[event_class(event)]))
        for shape in shapes:
            for prop in graph.objects(shape, SH.property):
                member = str(graph.value(prop, SH.path)).removeprefix(str(DSP))
                if graph.value(prop, SH["in"]) is None or member not in event["data"]:
                    continue
                case = as_case(event, {**event["data"], member: "NOT-ONE-OF-THEM"}, f"-in-{member}")
                cases.append(case)
                expected.add((focus_iri(case[1]), str(DSP[member]), "InConstraintComponent"))
    assert cases, "no contract has an enumeration"
    assert expected <= fast_verdicts(cases)


def test_every_event_shape_is_documented() -> None:
    graph = validator().shapes_graph
    for shape in set(graph.subjects(RDF.type, SH.NodeShape)):
        assert isinstance(graph.value(shape, SH.name), Literal), shape
        assert isinstance(graph.value(shape, SH.description), Literal), shape
        for prop in graph.objects(shape, SH.property):
            assert graph.value(prop, SH.description) is not None, (shape, graph.value(prop, SH.path))


# -- the business key (first member) is required and single ----------------------------------------
@cache
def key_deletion_cases() -> tuple[tuple[Case, str], ...]:
    cases = []
    for event in first_of_each_type():
        payload = copy.deepcopy(event["data"])
        first_key = next(iter(payload))
        del payload[first_key]
        cases.append((as_case(event, payload, "-nokey"), first_key))
    return tuple(cases)


def test_deleting_the_first_key_gives_min_count_for_the_fast_validator() -> None:
    for (cls, event_id, payload), key in key_deletion_cases():
        verdicts = fast_verdicts([(cls, event_id, payload)])
        assert verdicts == {(focus_iri(event_id), str(DSP[key]), "MinCountConstraintComponent")}, cls


def test_deleting_the_first_key_gives_min_count_for_pyshacl_too() -> None:
    cases = [case for case, _ in key_deletion_cases()]
    expected = {
        (focus_iri(event_id), str(DSP[key]), "MinCountConstraintComponent")
        for (_, event_id, _), key in key_deletion_cases()
    }
    assert reference_verdicts(cases) == expected
    assert fast_verdicts(cases) == expected


def test_a_repeated_business_key_gives_max_count() -> None:
    cases, expected = [], set()
    for event in first_of_each_type():
        payload = copy.deepcopy(event["data"])
        key = next(iter(payload))
        payload[key] = [payload[key], payload[key] + "-2"]
        case = as_case(event, payload, "-twokeys")
        cases.append(case)
        expected.add((focus_iri(case[1]), str(DSP[key]), "MaxCountConstraintComponent"))
    assert fast_verdicts(cases) == expected
    assert reference_verdicts(cases) == expected


# -- targeted broken payloads ------------------------------------------------------------------------
_DELETE = object()


def broken(name: str, change: dict[str, Any], *, item: str | None = None) -> dict[str, Any]:
    """The sample payload of ``name`` with ``change`` applied to it (or to its first ``item``)."""
    payload = copy.deepcopy(sample(name)["data"])
    target = payload[item][0] if item else payload
    for key, value in change.items():
        if value is _DELETE:
            del target[key]
        else:
            target[key] = value
    return payload


NEGATIVE = [
    # label, event class, change, item array changed (or None), the path and component expected
    (
        "negative-quantity",
        "GoodsMovementPosted",
        {"quantity": -5},
        None,
        "quantity",
        "MinExclusiveConstraintComponent",
    ),
    ("zero-consumption", "LotConsumed", {"quantity": 0}, None, "quantity", "MinExclusiveConstraintComponent"),
    (
        "negative-scrap",
        "OperationCompleted",
        {"scrapQuantity": -1.0},
        None,
        "scrapQuantity",
        "MinInclusiveConstraintComponent",
    ),
    (
        "timestamp-without-zone",
        "OperationStarted",
        {"startedAt": "2026-01-05T12:46:15"},
        None,
        "startedAt",
        "PatternConstraintComponent",
    ),
    (
        "timestamp-with-space",
        "EquipmentStateChanged",
        {"since": "2026-01-05 05:00:00Z"},
        None,
        "since",
        "PatternConstraintComponent",
    ),
    (
        "date-as-timestamp",
        "SalesOrderCreated",
        {"orderDate": "2026-01-05T00:00:00Z"},
        None,
        "orderDate",
        "PatternConstraintComponent",
    ),
    ("unknown-state", "EquipmentStateChanged", {"state": "BROKEN"}, None, "state", "InConstraintComponent"),
    ("lower-case-enum", "InspectionRecorded", {"result": "pass"}, None, "result", "InConstraintComponent"),
    (
        "unknown-level",
        "EquipmentMasterChanged",
        {"equipmentLevel": "SITE"},
        None,
        "equipmentLevel",
        "InConstraintComponent",
    ),
    ("empty-items", "SalesOrderCreated", {"items": []}, None, "items", "MinCountConstraintComponent"),
    (
        "no-operations",
        "ProductionOrderReleased",
        {"operations": _DELETE},
        None,
        "operations",
        "MinCountConstraintComponent",
    ),
    (
        "null-shipment-items",
        "ShipmentDispatched",
        {"items": None},
        None,
        "items",
        "MinCountConstraintComponent",
    ),
    (
        "items-not-objects",
        "PurchaseOrderCreated",
        {"items": ["PO-ITEM-10"]},
        None,
        "items",
        "NodeKindConstraintComponent",
    ),
    ("zero-ordered-item", "SalesOrderCreated", {"quantity": 0}, "items", "items", "NodeConstraintComponent"),
    (
        "fractional-item-number",
        "BillOfMaterialsChanged",
        {"itemNumber": 10.5},
        "items",
        "items",
        "NodeConstraintComponent",
    ),
    (
        "result-without-conforming",
        "InspectionRecorded",
        {"conforming": _DELETE},
        "results",
        "results",
        "NodeConstraintComponent",
    ),
    (
        "quantity-as-string",
        "LotProduced",
        {"quantity": "46"},
        None,
        "quantity",
        "DatatypeConstraintComponent",
    ),
    (
        "boolean-as-string",
        "MaterialMasterChanged",
        {"batchManaged": "yes"},
        None,
        "batchManaged",
        "DatatypeConstraintComponent",
    ),
    (
        "movement-type-as-number",
        "GoodsMovementPosted",
        {"movementType": 101},
        None,
        "movementType",
        "DatatypeConstraintComponent",
    ),
    (
        "lower-case-currency",
        "PurchaseOrderCreated",
        {"currency": "eur"},
        None,
        "currency",
        "PatternConstraintComponent",
    ),
    ("bad-email", "ContactUpdated", {"email": "lea.moretti"}, None, "email", "PatternConstraintComponent"),
    (
        "empty-key",
        "ComplaintClosed",
        {"complaintNumber": ""},
        None,
        "complaintNumber",
        "MinLengthConstraintComponent",
    ),
    (
        "two-lots",
        "NonconformanceRaised",
        {"lotNumber": ["L-1", "L-2"]},
        None,
        "lotNumber",
        "MaxCountConstraintComponent",
    ),
]


@pytest.fixture(scope="module")
def negative_verdicts() -> dict[str, tuple[set[Verdict], set[Verdict]]]:
    """Per case label: (fast verdicts, pyshacl verdicts), with one pyshacl run for all cases."""
    cases = {
        label: (name, f"neg-{label}", broken(name, change, item=item))
        for label, name, change, item, _, _ in NEGATIVE
    }
    reference = reference_verdicts(cases.values())
    return {
        label: (fast_verdicts([case]), {v for v in reference if v[0] == focus_iri(case[1])})
        for label, case in cases.items()
    }


@pytest.mark.parametrize(
    ("label", "path", "component"), [(label, path, component) for label, _, _, _, path, component in NEGATIVE]
)
def test_broken_payloads_are_caught_by_both_with_the_same_verdicts(
    negative_verdicts: dict[str, tuple[set[Verdict], set[Verdict]]], label: str, path: str, component: str
) -> None:
    fast, reference = negative_verdicts[label]
    assert (focus_iri(f"neg-{label}"), str(DSP[path]), component) in fast
    assert fast == reference


# -- a copy of shapes/ with a shape targeted otherwise than by class (issue 13) -----------------------
EXTRA_PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dsp: <https://w3id.org/digispine/payload#> .
@prefix dsx: <https://w3id.org/digispine/shapes/extra#> .
"""


def shapes_copy(tmp_path: Path, extra: str) -> Path:
    for source in SHAPES_DIR.glob("*.ttl"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "extra.ttl").write_text(EXTRA_PREFIXES + extra, encoding="utf-8")
    return tmp_path


def test_a_target_node_shape_added_to_shapes_is_enforced_like_pyshacl(tmp_path: Path) -> None:
    event = sample("SalesOrderCreated")
    extra = f"""
    dsx:OnlyEuro a sh:NodeShape ; sh:targetNode <{focus_iri(event["id"])}> ;
      sh:property [ sh:path dsp:currency ; sh:in ( "USD" ) ] .
    dsx:UnitsUpper a sh:NodeShape ; sh:targetSubjectsOf dsp:unit ;
      sh:property [ sh:path dsp:unit ; sh:pattern "^[a-z]+$" ] .
    """
    copy = PayloadValidator.from_directory(shapes_copy(tmp_path, extra))
    case = as_case(event)
    data = payload_graph(*case)
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=copy.shapes_graph, advanced=False, inference="none"
    )
    assert not conforms  # the event of the shipped shapes breaks the added ones
    node = next(report.subjects(RDF.type, SH.ValidationReport))
    reference = {
        (
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.resultPath)),
            str(report.value(r, SH.sourceConstraintComponent)).removeprefix(str(SH)),
        )
        for r in report.objects(node, SH.result)
    }
    ours = {v.verdict() for v in copy.validate(*case)}
    assert ours == reference
    assert {c for _, _, c in ours} == {"InConstraintComponent", "PatternConstraintComponent"}


def test_a_target_node_shape_using_what_we_do_not_enforce_is_refused_at_start_up(tmp_path: Path) -> None:
    extra = """
    dsx:Sparql a sh:NodeShape ; sh:targetNode <urn:digispine:event:1> ;
      sh:sparql [ sh:select "SELECT $this WHERE { }" ] .
    """
    with pytest.raises(ShapeError) as caught:
        PayloadValidator.from_directory(shapes_copy(tmp_path, extra))
    message = str(caught.value)
    assert "extra.ttl" in message and "dsx:Sparql" in message and "sh:sparql" in message
