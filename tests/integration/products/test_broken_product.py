"""A deliberately broken product: validation finds it; GraphQL reports or refuses it per descriptor."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from rdflib import Graph, Namespace, URIRef

from graph_service.products import DataProducts
from tests.integration.products.conftest import make_app, schema_of

DQV = Namespace("http://www.w3.org/ns/dqv#")
DSQ = Namespace("https://w3id.org/digispine/products#")


def test_validation_of_a_broken_product_counts_and_samples_its_violations(
    broken_products: DataProducts,
) -> None:
    result = broken_products.validate("brokenReport")
    assert result.conforms is False
    assert result.row_count == 3
    # L-2: ratio 1.25 > 1; L-3: ratio −0.1 < 0 and status MAYBE not allowed.
    assert result.violation_count == 3
    found = [(v.row, v.row_key, v.field, v.constraint) for v in result.sample_violations]
    assert found == [
        (1, "lotNumber=L-2", "ratio", "MaxInclusive"),
        (2, "lotNumber=L-3", "ratio", "MinInclusive"),
        (2, "lotNumber=L-3", "status", "In"),
    ]
    assert result.sample_violations[0].message == "ratio must be ≤ 1, got '1.25'"
    assert result.sample_violations[2].message == "status must be one of OK, NOT_OK, got 'MAYBE'"

    refused = broken_products.validate("brokenRefuse")
    # Row 1: lotNumber missing (minCount); quantity 'five' is text, not a decimal, and text is not
    # comparable with the minimum 0 either.
    assert (refused.conforms, refused.violation_count) == (False, 3)
    assert [(v.row, v.field, v.constraint) for v in refused.sample_violations] == [
        (1, "lotNumber", "MinCount"),
        (1, "quantity", "Datatype"),
        (1, "quantity", "MinInclusive"),
    ]


def test_a_reported_product_is_served_with_its_violations_in_the_extensions(
    broken_products: DataProducts,
) -> None:
    broken_products.validate_all()
    with TestClient(make_app(broken_products)) as client:
        body = client.post("/graphql", json={"query": "{ brokenReport { lotNumber ratio status } }"}).json()
        clean = client.post(
            "/graphql", json={"query": '{ dataProducts(name: "lotGenealogy") { name } }'}
        ).json()
    assert "errors" not in body
    assert [row["lotNumber"] for row in body["data"]["brokenReport"]] == ["L-1", "L-2", "L-3"]
    (notice,) = body["extensions"]["dataProductViolations"]
    assert (notice["product"], notice["version"], notice["field"]) == (
        "brokenReport",
        "1.0.0",
        "brokenReport",
    )
    assert (notice["conforms"], notice["violationCount"]) == (False, 3)
    assert notice["sampleViolations"][0]["field"] == "ratio"
    assert "extensions" not in clean or "dataProductViolations" not in clean["extensions"]


def test_a_refusing_product_answers_an_error_naming_it_and_the_count(broken_products: DataProducts) -> None:
    broken_products.validate_all()
    result = asyncio.run(
        schema_of(broken_products).execute("{ brokenRefuse { lotNumber } ok: brokenReport { lotNumber } }")
    )
    (error,) = result.errors
    assert "brokenRefuse 1.0.0 is withheld" in error.message and "3 violations" in error.message
    assert error.extensions["code"] == "DATA_PRODUCT_NONCONFORMING"
    assert error.extensions["violationCount"] == 3
    assert result.data is None or result.data.get("brokenRefuse") is None


def test_the_catalog_shows_the_broken_products_as_non_conforming(broken_products: DataProducts) -> None:
    broken_products.validate_all()
    with TestClient(make_app(broken_products)) as client:
        data = client.post(
            "/graphql",
            json={
                "query": '{ dataProducts(domain: "quality") { name validation { conforms violationCount } } }'
            },
        ).json()["data"]["dataProducts"]
        g = Graph().parse(data=client.get("/catalog.jsonld").text, format="json-ld")
    assert {p["name"]: p["validation"]["violationCount"] for p in data} == {
        "brokenRefuse": 3,
        "brokenReport": 3,
        "customerQuality": 0,
    }
    dataset = URIRef("http://testserver/products/brokenReport/1.0.0")
    measurements = {
        g.value(m, DQV.isMeasurementOf): g.value(m, DQV.value).toPython()
        for m in g.objects(dataset, DQV.hasQualityMeasurement)
    }
    assert measurements == {DSQ.shapeConformance: False, DSQ.shapeViolationCount: 3}
    assert len(list(g.objects(dataset, DSQ.sampleViolation))) == 3


def test_the_scheduler_revalidates_in_the_background(broken_products: DataProducts) -> None:
    async def run() -> None:
        broken_products.start_scheduler(0.05)
        for _ in range(200):
            report = broken_products.results.get(broken_products.registry.get("brokenReport", "v1"))
            if report is not None:
                break
            await asyncio.sleep(0.05)
        first = report.checked_at if report else None
        await broken_products.stop_scheduler()
        assert report is not None and first is not None and report.conforms is False

    asyncio.run(run())
