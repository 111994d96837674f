"""The committed instance-data shapes are the ontology's, and the RDF literals are well typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rdflib import Graph, Literal

from graph_service.rdf.mapping import NodeRecord, RdfMapper, typed_literal
from graph_service.rdf.shapes import entity_shapes
from tests.support.paths import REPO


def test_the_committed_entity_shapes_are_up_to_date(model) -> None:  # type: ignore[no-untyped-def]
    committed = (REPO / "shapes" / "entities" / "entities.ttl").read_text(encoding="utf-8")
    assert committed == entity_shapes(model), "run `digispine ontology shapes` and commit the result"
    assert len(Graph().parse(data=committed, format="turtle")) > 500


@pytest.mark.parametrize(
    ("value", "xsd", "expected"),
    [
        (1.5, "decimal", Literal("1.5", datatype="http://www.w3.org/2001/XMLSchema#decimal")),
        (1e-07, "decimal", Literal("0.0000001", datatype="http://www.w3.org/2001/XMLSchema#decimal")),
        (3, "decimal", Literal("3.0", datatype="http://www.w3.org/2001/XMLSchema#decimal")),
        (True, "boolean", Literal(True)),
        (7, "integer", Literal(7)),
        (dt.date(2026, 1, 5), "date", Literal(dt.date(2026, 1, 5))),
        ('say "hi"\nnow \\', "string", Literal('say "hi"\nnow \\')),
    ],
)
def test_literals_parse_back_to_the_same_value(value, xsd, expected) -> None:  # type: ignore[no-untyped-def]
    text = typed_literal(value, xsd)
    parsed = Graph().parse(data=f"<urn:s> <urn:p> {text} .", format="nt")
    [(_, _, literal)] = list(parsed)
    assert literal == expected
    assert Decimal(str(literal)) == Decimal(str(value)) if xsd == "decimal" else True


def test_a_subclass_instance_gets_the_key_class_iri_and_events_prov_terms(model) -> None:  # type: ignore[no-untyped-def]
    mapper = RdfMapper(model, "https://example.org/id/")
    center = NodeRecord(["WorkCenter", "Equipment", "Entity"], {"equipmentId": "WC 10/A", "_v_name": "x"}, [])
    triples = list(mapper.triples(center))
    subject = triples[0][0]
    assert subject == "<https://example.org/id/Equipment/WC%2010%2FA>"
    assert ("<" + model.classes["WorkCenter"].iri + ">") in {o for _, _, o in triples}
    assert not any("_v_" in p for _, p, _ in triples)
    keys = [None] * len(mapper.key_properties)
    keys[mapper.key_properties.index("equipmentId")] = "WC 10/A"
    event = NodeRecord(
        ["EquipmentStateChanged", "DomainEvent"],
        {"source": "mes/line-1", "eventId": "e-1", "eventTime": dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC)},
        [("AFFECTED", ["WorkCenter", "Equipment", "Entity"], keys)],
    )
    predicates = {p for _, p, _ in mapper.triples(event)}
    assert {
        "<http://www.w3.org/ns/prov#used>",
        "<http://www.w3.org/ns/prov#startedAtTime>",
    } <= predicates


def test_the_instance_shapes_carry_the_ontology_s_value_facets(model) -> None:  # type: ignore[no-untyped-def]
    from rdflib import Namespace
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    graph = Graph().parse(data=entity_shapes(model), format="turtle")
    ds = Namespace(model.namespace)
    [shape] = [s for s in graph.subjects(SH.path, ds.materialType)]
    allowed = model.datatype_properties["materialType"].facets.allowed
    assert allowed and tuple(str(v) for v in Collection(graph, graph.value(shape, SH["in"]))) == allowed
    [currency] = [s for s in graph.subjects(SH.path, ds.currency)]
    assert str(graph.value(currency, SH.pattern)) == model.datatype_properties["currency"].facets.pattern
