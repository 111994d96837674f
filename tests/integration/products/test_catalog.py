"""The catalog over HTTP: dataProducts in GraphQL, DCAT 3 JSON-LD, validation on demand."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from graph_service.products import DataProducts
from graph_service.products.validation import ValidationStatus
from graph_service.store import Neo4jStore
from tests.integration.products.test_timeout import SlowStore

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DQV = Namespace("http://www.w3.org/ns/dqv#")
DSQ = Namespace("https://w3id.org/digispine/products#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
BASE = "http://testserver/"

CATALOG_QUERY = """{
  dataProducts {
    name version title domain owner description status deprecationReason freshnessSla
    accessRoles tags outputShape onViolation graphqlField latest
    validation { conforms checkedAt violationCount rowCount sampleViolations { row field message } }
  }
}"""


def graphql(client: TestClient, query: str) -> dict:
    response = client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body


def catalog_graph(client: TestClient) -> Graph:
    response = client.get("/catalog.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    return Graph().parse(data=response.text, format="json-ld")


def test_data_products_query_has_every_descriptor_field_and_the_validation(client: TestClient) -> None:
    before = graphql(client, CATALOG_QUERY)["data"]["dataProducts"]
    listed = [(p["name"], p["version"]) for p in before]
    # Every shipped product and version, sorted by name and version (not the inventory itself).
    assert listed == sorted(listed, key=lambda item: (item[0], tuple(int(n) for n in item[1].split("."))))
    assert {("equipmentOEE", "1.0.0"), ("orderFulfillment", "1.0.0"), ("orderFulfillment", "2.0.0")} <= set(
        listed
    )
    assert all(p["validation"] is None for p in before)  # nothing validated yet
    oee = next(p for p in before if p["name"] == "equipmentOEE")
    assert (oee["domain"], oee["owner"], oee["freshnessSla"], oee["onViolation"]) == (
        "production",
        "Manufacturing excellence",
        "PT1H",
        "report",
    )
    assert "ISO 22400" in oee["tags"] and "production" in oee["accessRoles"]
    assert oee["outputShape"] == str(DSQ.EquipmentOEEV1Shape)

    response = client.post("/products/equipmentOEE/v1/validate")
    assert response.status_code == 200
    assert response.json()["conforms"] is True and response.json()["rowCount"] == 3
    after = graphql(client, CATALOG_QUERY)["data"]["dataProducts"]
    validation = next(p for p in after if p["name"] == "equipmentOEE")["validation"]
    assert validation["conforms"] is True
    assert validation["violationCount"] == 0 and validation["sampleViolations"] == []
    assert validation["checkedAt"] == response.json()["checkedAt"]
    assert client.get("/products/equipmentOEE/1.0.0/validation").json()["conforms"] is True


def test_unknown_products_are_404(client: TestClient) -> None:
    assert client.post("/products/nope/v1/validate").status_code == 404
    assert client.post("/products/equipmentOEE/v9/validate").status_code == 404
    assert client.get("/products/lotGenealogy/v1/validation").status_code == 404  # not validated yet


def test_dcat_catalog_describes_every_version_with_its_validation_status(client: TestClient) -> None:
    assert client.post("/products/orderFulfillment/v2/validate").json()["conforms"] is True
    g = catalog_graph(client)
    catalog = URIRef(BASE + "catalog.jsonld")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    v1 = URIRef(BASE + "products/orderFulfillment/1.0.0")
    v2 = URIRef(BASE + "products/orderFulfillment/2.0.0")
    series = URIRef(BASE + "products/orderFulfillment")
    for dataset in (v1, v2, series):
        assert (catalog, DCAT.dataset, dataset) in g
        assert (dataset, RDF.type, DCAT.Dataset) in g
    assert (series, DCAT.hasVersion, v1) in g and (series, DCAT.hasVersion, v2) in g
    assert (series, DCAT.hasCurrentVersion, v2) in g
    assert (v2, DCAT.previousVersion, v1) in g
    assert (v2, DCAT.version, Literal("2.0.0")) in g
    assert (v2, DCTERMS.title, Literal("Order fulfillment", lang="en")) in g
    assert (v2, DCTERMS.conformsTo, DSQ.OrderFulfillmentV2Shape) in g
    assert (v2, DCAT.keyword, Literal("on-time delivery", lang="en")) in g
    assert (v2, DCAT.theme, URIRef("https://w3id.org/digispine/ontology/sales")) in g
    assert (v1, ADMS.status, URIRef("http://purl.org/adms/status/Deprecated")) in g
    assert (v2, ADMS.status, URIRef("http://purl.org/adms/status/Completed")) in g
    publisher = g.value(v2, DCTERMS.publisher)
    assert str(g.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Sales operations"
    # One data service per version: the GraphQL field, at the GraphQL endpoint.
    service = URIRef(BASE + "graphql#orderFulfillmentV2")
    assert (catalog, DCAT.service, service) in g
    assert (service, RDF.type, DCAT.DataService) in g
    assert (service, DCAT.servesDataset, v2) in g
    assert (service, DCAT.endpointURL, URIRef(BASE + "graphql")) in g
    # The validation status: DQV measurements of conformance and violation count.
    measurements = {
        g.value(m, DQV.isMeasurementOf): g.value(m, DQV.value).toPython()
        for m in g.objects(v2, DQV.hasQualityMeasurement)
    }
    assert measurements == {DSQ.shapeConformance: True, DSQ.shapeViolationCount: 0}
    assert not list(g.objects(v1, DQV.hasQualityMeasurement))  # v1 was not validated


def test_catalog_json_ld_is_compact_and_readable(client: TestClient) -> None:
    document = json.loads(client.get("/catalog.jsonld").text)
    assert document["@context"]["dcat"] == str(DCAT)
    types = {node.get("@type") for node in document["@graph"] if isinstance(node.get("@type"), str)}
    assert {"dcat:Catalog", "dcat:Dataset", "dcat:DataService"} <= types


def test_a_timed_out_validation_and_a_product_never_validated_are_states_of_their_own(
    products: DataProducts, store: Neo4jStore, client: TestClient
) -> None:
    products.runner.store = SlowStore(store)  # type: ignore[assignment]
    products.runner.timeout_s = 0.5
    result = products.validate("orderFulfillment", "v2")
    assert result.status is ValidationStatus.TIMED_OUT
    assert (result.conforms, result.violation_count) == (None, None)  # nothing was checked
    assert result.error is not None and "0.5 s" in result.error

    query = """{ dataProducts { name version validationStatus
                 validation { status conforms violationCount error } } }"""
    entries = {(p["name"], p["version"]): p for p in graphql(client, query)["data"]["dataProducts"]}
    v2, v1 = entries[("orderFulfillment", "2.0.0")], entries[("orderFulfillment", "1.0.0")]
    assert v2["validationStatus"] == "TIMED_OUT"
    assert v2["validation"]["status"] == "TIMED_OUT"
    assert (v2["validation"]["conforms"], v2["validation"]["violationCount"]) == (None, None)
    assert "0.5 s" in v2["validation"]["error"]
    assert (v1["validationStatus"], v1["validation"]) == ("NOT_CHECKED", None)

    latest = client.get("/products/orderFulfillment/v2/validation").json()
    assert (latest["status"], latest["conforms"], latest["violationCount"]) == ("TIMED_OUT", None, None)

    g = catalog_graph(client)
    v2_iri = URIRef(BASE + "products/orderFulfillment/2.0.0")
    v1_iri = URIRef(BASE + "products/orderFulfillment/1.0.0")
    assert (v2_iri, DSQ.validationStatus, Literal("TIMED_OUT")) in g
    assert (v1_iri, DSQ.validationStatus, Literal("NOT_CHECKED")) in g
    # No measurement claims anything about an output that was not checked (before: conforms false, 0).
    assert not list(g.objects(v2_iri, DQV.hasQualityMeasurement))
    assert "0.5 s" in str(g.value(v2_iri, DSQ.validationError))
