"""The DCAT 3 catalog as a graph: datasets, services, versions and validation measurements."""

from __future__ import annotations

import datetime as dt
import json

from rdflib import RDF, Graph, Literal, Namespace, URIRef

from graph_service.ontology.model import DomainModel
from graph_service.products.catalog import catalog_graph, catalog_jsonld
from graph_service.products.registry import ProductRegistry
from graph_service.products.validation import ValidationResult, Violation
from tests.support.paths import REPO

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DQV = Namespace("http://www.w3.org/ns/dqv#")
DSQ = Namespace("https://w3id.org/digispine/products#")
BASE = "https://digispine.example/"


def shipped(model: DomainModel) -> ProductRegistry:
    return ProductRegistry.load([REPO / "queries"], [REPO / "shapes" / "products"], model)


def build(model: DomainModel) -> Graph:
    registry = shipped(model)
    checked = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    violation = Violation(
        3, "lotNumber=L-3", "quantity", "MinInclusive", "quantity must be ≥ 0, got '-1'", "-1"
    )
    results = {
        "lotGenealogy/1.0.0": ValidationResult("lotGenealogy", "1.0.0", False, checked, 2, (violation,)),
    }
    themes = {m.name: m.iri for m in model.modules}
    return catalog_graph(registry, lambda p: results.get(p.key), base_url=BASE, themes=themes)


def test_every_version_is_a_dataset_served_by_its_own_graphql_service(model: DomainModel) -> None:
    g = build(model)
    catalog = URIRef(BASE + "catalog.jsonld")
    datasets = set(g.objects(catalog, DCAT.dataset))
    versions = {d for d in datasets if (d, DCAT.version, None) in g}
    registry = shipped(model)
    # a dataset per version, and one per product over its versions
    assert len(versions) == len(registry) and len(datasets) == len(registry) + len(registry.names())
    services = set(g.objects(catalog, DCAT.service))
    assert len(services) == len(registry)
    for service in services:
        assert (service, RDF.type, DCAT.DataService) in g
        assert (service, DCAT.endpointURL, URIRef(BASE + "graphql")) in g
        assert g.value(service, DCAT.servesDataset) in versions
    oee = URIRef(BASE + "products/equipmentOEE/1.0.0")
    assert (oee, DCT.identifier, Literal("equipmentOEE/1.0.0")) in g
    assert (oee, DCT.conformsTo, DSQ.EquipmentOEEV1Shape) in g
    assert (oee, DCAT.theme, URIRef("https://w3id.org/digispine/ontology/production")) in g
    assert (
        oee,
        DSQ.freshnessSla,
        Literal("PT1H", datatype=URIRef("http://www.w3.org/2001/XMLSchema#dayTimeDuration")),
    ) in g
    assert {str(r) for r in g.objects(oee, DSQ.accessRole)} == {"analyst", "planner", "production"}
    distribution = g.value(oee, DCAT.distribution)
    assert g.value(distribution, DCAT.accessService) == URIRef(BASE + "graphql#equipmentOEEV1")


def test_validation_results_are_dqv_measurements(model: DomainModel) -> None:
    g = build(model)
    lot = URIRef(BASE + "products/lotGenealogy/1.0.0")
    values = {
        g.value(m, DQV.isMeasurementOf): g.value(m, DQV.value).toPython()
        for m in g.objects(lot, DQV.hasQualityMeasurement)
    }
    assert values == {DSQ.shapeConformance: False, DSQ.shapeViolationCount: 2}
    measurement = next(iter(g.objects(lot, DQV.hasQualityMeasurement)))
    assert (
        str(g.value(measurement, URIRef("http://www.w3.org/ns/prov#generatedAtTime")))
        == "2026-03-02T12:00:00+00:00"
    )
    assert [str(s) for s in g.objects(lot, DSQ.sampleViolation)] == [
        "row 3 (lotNumber=L-3): quantity must be ≥ 0, got '-1'"
    ]
    assert (DSQ.shapeConformance, RDF.type, DQV.Metric) in g


def test_json_ld_round_trips_to_the_same_graph(model: DomainModel) -> None:
    g = build(model)
    document = catalog_jsonld(g)
    assert set(document["@context"]) >= {"dcat", "dct", "dqv", "dsq"}
    again = Graph().parse(data=json.dumps(document), format="json-ld")
    assert len(again) == len(g)
    assert (
        URIRef(BASE + "products/orderFulfillment"),
        DCAT.hasCurrentVersion,
        URIRef(BASE + "products/orderFulfillment/2.0.0"),
    ) in again
