"""`required: true` in a mapping: the member goes into the payload contract as one a sender must send.

Required-ness of non-key members used to live only in hand-written shapes (shapes/events/extra/);
now the mapping says it, the contract compiler turns it into ``sh:minCount 1``, and a misuse is a
mapping error naming file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rdflib import SH, Graph, Literal, Namespace, URIRef

from graph_service.ontology.model import DomainModel
from loaders.contracts import EXTRA_DIR, payload_contracts
from loaders.errors import MappingError
from loaders.mapping import Mapper, load_mappings
from loaders.payload_rdf import DSP
from loaders.validation import PayloadValidator
from tests.support.paths import EVENT_SHAPES_DIR, MAPPINGS_DIR

DSS = Namespace("https://w3id.org/digispine/shapes/events#")
HEAD = """\
system:
  name: s4hana
  kind: erp
  sources: ["/default/sap.s4.beh/*"]
events:
  - type: sap.s4.beh.salesorder.v1.SalesOrder.Created.v1
    event: SalesOrderCreated
    entities:
      order:
        class: SalesOrder
        key: {salesOrderNumber: num}
"""
ORDER_SET = "        set: {currency: {path: cur, required: true}, orderDate: date}\n"
ITEMS = """\
      item:
        class: SalesOrderItem
        each: lines
        required: true
        key: {salesOrderItemId: {template: "{/num}/{pos}"}}
        set: {orderedQuantity: {path: qty, required: true}, orderUnit: unit}
"""


def _mapper(tmp_path: Path, model: DomainModel, text: str) -> Mapper:
    (tmp_path / "m.yaml").write_text(text)
    return load_mappings(tmp_path, model)


def _contract(model: DomainModel, mapper: Mapper) -> Graph:
    graph = Graph()
    for text in payload_contracts(model, mapper).values():
        graph.parse(data=text, format="turtle")
    return graph


def _min_count(graph: Graph, shape: URIRef, member: str) -> Any:
    [prop] = [p for p in graph.objects(shape, SH.property) if graph.value(p, SH.path) == DSP[member]]
    return graph.value(prop, SH.minCount)


def _error(tmp_path: Path, model: DomainModel, text: str) -> str:
    with pytest.raises(MappingError) as caught:
        _mapper(tmp_path, model, text)
    return str(caught.value)


def test_a_required_value_and_list_are_required_by_the_contract_and_the_others_are_not(
    tmp_path: Path, model: DomainModel
) -> None:
    graph = _contract(model, _mapper(tmp_path, model, HEAD + ORDER_SET + ITEMS))
    root, line = DSS.SalesOrderCreatedShape, DSS.SalesOrderCreatedLinesShape
    assert _min_count(graph, root, "cur") == Literal(1)
    assert _min_count(graph, root, "date") is None
    assert _min_count(graph, root, "lines") == Literal(1)  # `required: true` on the entity iterating it
    assert _min_count(graph, line, "qty") == Literal(1)
    assert _min_count(graph, line, "unit") is None


def test_the_loader_s_validator_refuses_a_payload_without_a_required_member(
    tmp_path: Path, model: DomainModel
) -> None:
    validator = PayloadValidator(_contract(model, _mapper(tmp_path, model, HEAD + ORDER_SET + ITEMS)))
    good = {"num": "SO-1", "cur": "EUR", "lines": [{"pos": "10", "qty": 2}]}
    assert validator.validate("SalesOrderCreated", "e-1", good) == []  # date, unit: not required
    for broken, path, component in (
        ({"num": "SO-1", "lines": good["lines"]}, "cur", "MinCount"),
        ({"num": "SO-1", "cur": "EUR", "lines": []}, "lines", "MinCount"),
        # an element missing its required member fails the element's node shape, as pyshacl says
        ({**good, "lines": [{"pos": "10"}]}, "lines", "Node"),
    ):
        violations = validator.validate("SalesOrderCreated", "e-1", broken)
        assert [(str(v.path).rpartition("#")[2], v.component.startswith(component)) for v in violations] == [
            (path, True)
        ], violations


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        (
            "        key: {salesOrderNumber: {path: num, required: true}}\n",
            "m.yaml:11: order.salesOrderNumber: `required:` marks a value under `set:`",
        ),
        (
            "        optional: true\n        set: {currency: {path: cur, required: true}}\n",
            "m.yaml:13: order.currency: the entity is `optional`, so none of its values can be `required`",
        ),
        (
            "        when: {kind: X}\n        set: {currency: {path: cur, required: true}}\n",
            "m.yaml:13: order.currency: the entity is chosen by `when`",
        ),
        (
            "        set: {currency: {path: cur, default: EUR, required: true}}\n",
            "m.yaml:12: order.currency: a value with a `default:` is never missing",
        ),
        (
            "        set: {currency: {const: EUR, required: true}}\n",
            "m.yaml:12: order.currency: `required:` needs a payload path the contract can check",
        ),
        (
            "        set: {orderDate: {path: $time, required: true}}\n",
            "m.yaml:12: order.orderDate: `required:` needs a payload path",
        ),
        (
            "        set: {currency: {path: 'prices[0].cur', required: true}}\n",
            "m.yaml:12: order.currency: `required:` needs a payload path",
        ),
        (
            "        set: {currency: {path: cur, required: yes please}}\n",
            "m.yaml:12: order.currency: `required:` is true or false",
        ),
        (
            "        required: true\n",
            "m.yaml:12: entity order: `required:` on an entity requires its `each` list",
        ),
        (
            "        each: lines\n        optional: true\n        required: true\n",
            "m.yaml:14: entity order: the entity is `optional`, so its list cannot be required",
        ),
    ],
)
def test_a_misplaced_required_names_file_and_line(
    tmp_path: Path, model: DomainModel, entities: str, expected: str
) -> None:
    text = HEAD.replace("        key: {salesOrderNumber: num}\n", "") if "key:" in entities else HEAD
    assert expected in _error(tmp_path, model, text + entities)


def test_no_hand_written_addition_repeats_a_requirement_the_mapping_states(model: DomainModel) -> None:
    compiled = _contract(model, load_mappings(MAPPINGS_DIR, model))
    required = {
        (shape, compiled.value(p, SH.path))
        for shape, p in compiled.subject_objects(SH.property)
        if compiled.value(p, SH.minCount) == Literal(1)
    }
    extras = sorted((EVENT_SHAPES_DIR / EXTRA_DIR).glob("*.ttl"))
    assert extras
    for path in extras:
        extra = Graph().parse(path)
        for shape, p in extra.subject_objects(SH.property):
            if extra.value(p, SH.minCount) == Literal(1):
                assert (shape, extra.value(p, SH.path)) not in required, (path.name, shape, p)
