"""The GraphQL face, with a fake in place of Neo4j: fields per version, deprecation, trust."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import strawberry

from graph_service.ontology.model import DomainModel
from graph_service.products.extension import ProductViolationsExtension
from graph_service.products.graphql import build_query_type
from graph_service.products.registry import DataProduct, ProductRegistry
from graph_service.products.validation import ValidationResult, Violation
from tests.support.paths import REPO

CHECKED = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


class FakeAccess:
    """Canned rows per product key; remembers the parameters it was called with."""

    def __init__(self, registry: ProductRegistry, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.registry = registry
        self.rows = rows
        self.results: dict[str, ValidationResult] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    timeout_s = None

    async def run_async(self, product: DataProduct, values: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls.append((product.key, values))
        return self.rows.get(product.key, [])

    def latest_result(self, product: DataProduct) -> ValidationResult | None:
        return self.results.get(product.key)


@pytest.fixture()
def access(model: DomainModel) -> FakeAccess:
    registry = ProductRegistry.load([REPO / "queries"], [REPO / "shapes" / "products"], model)
    return FakeAccess(
        registry,
        {
            "orderFulfillment/1.0.0": [
                {"salesOrderNumber": "SO-1", "orderDate": dt.date(2026, 3, 2), "onTime": True}
            ],
            "lotGenealogy/1.0.0": [
                {
                    "lotNumber": "L-1",
                    "rootLotNumber": "L-1",
                    "direction": "SELF",
                    "depth": 0,
                    "nonconformanceCount": 0,
                    "shipments": [{"shipmentNumber": "D-1", "quantity": 5.0}],
                }
            ],
        },
    )


def execute(access: FakeAccess, query: str) -> Any:
    schema = strawberry.Schema(query=build_query_type(access), extensions=[ProductViolationsExtension])
    return asyncio.run(schema.execute(query))


def test_every_version_is_a_field_and_the_unversioned_one_is_the_latest(access: FakeAccess) -> None:
    schema = strawberry.Schema(query=build_query_type(access))
    query = schema.get_type_by_name("DataProductsQuery")
    names = [f.graphql_name or f.python_name for f in query.fields]
    # Every product is an unversioned field followed by one field per major version; the catalog
    # field comes last (the invariant, not the shipped inventory).
    expected: list[str] = []
    for product in access.registry:
        if product.name not in expected:
            expected.append(product.name)
        expected.append(f"{product.name}V{product.descriptor.major}")
    assert names == [*expected, "dataProducts"]
    assert {"orderFulfillmentV1", "orderFulfillmentV2"} <= set(names)
    sdl = schema.as_str()
    assert (
        "orderFulfillmentV1(\n" in sdl
        and '): [OrderFulfillmentV1Row!] @deprecated(reason: "Use orderFulfillmentV2' in sdl
    )
    assert 'lotNumber: String!\n\n    """How many production steps' in sdl
    assert "maxDepth: Int = 10" in sdl
    assert "from: Date = null" in sdl  # a Python keyword as argument name


def test_arguments_reach_the_runner_under_their_own_names(access: FakeAccess) -> None:
    result = execute(
        access,
        '{ lotGenealogy(lotNumber: "L-1") { lotNumber shipments { shipmentNumber quantity } }'
        ' orderFulfillmentV2(from: "2026-03-01") { salesOrderNumber } }',
    )
    assert result.errors is None
    assert result.data["lotGenealogy"] == [
        {"lotNumber": "L-1", "shipments": [{"shipmentNumber": "D-1", "quantity": 5.0}]}
    ]
    assert ("lotGenealogy/1.0.0", {"lotNumber": "L-1", "maxDepth": 10}) in access.calls
    assert (
        "orderFulfillment/2.0.0",
        {"asOf": None, "customerNumber": None, "from": dt.date(2026, 3, 1), "to": None},
    ) in access.calls


def test_violations_are_reported_in_the_extensions(access: FakeAccess) -> None:
    violation = Violation(
        0, "salesOrderNumber=SO-1", "orderDate", "MinCount", "orderDate is required but missing"
    )
    access.results["orderFulfillment/1.0.0"] = ValidationResult(
        "orderFulfillment", "1.0.0", False, CHECKED, 1, (violation,), row_count=1
    )
    result = execute(access, "{ a: orderFulfillmentV1 { onTime } b: orderFulfillmentV1 { onTime } }")
    assert result.errors is None
    assert result.data == {"a": [{"onTime": True}], "b": [{"onTime": True}]}
    (notice,) = result.extensions["dataProductViolations"]  # once, though asked twice
    assert (notice["field"], notice["violationCount"], notice["checkedAt"]) == (
        "orderFulfillmentV1",
        1,
        "2026-03-02T12:00:00+00:00",
    )
    assert notice["sampleViolations"][0]["message"] == "orderDate is required but missing"
    assert (
        "dataProductViolations"
        not in execute(access, '{ lotGenealogy(lotNumber: "L-1") { lotNumber } }').extensions
    )


def test_a_refusing_product_is_not_run(access: FakeAccess) -> None:
    access.results["lotGenealogy/1.0.0"] = ValidationResult("lotGenealogy", "1.0.0", False, CHECKED, 4)
    result = execute(access, '{ lotGenealogy(lotNumber: "L-1") { lotNumber } }')
    (error,) = result.errors
    assert error.message.startswith("data product lotGenealogy 1.0.0 is withheld")
    assert error.extensions == {
        "code": "DATA_PRODUCT_NONCONFORMING",
        "product": "lotGenealogy",
        "version": "1.0.0",
        "violationCount": 4,
    }
    assert access.calls == []


def test_a_validation_that_could_not_run_does_not_refuse(access: FakeAccess) -> None:
    access.results["lotGenealogy/1.0.0"] = ValidationResult(
        "lotGenealogy", "1.0.0", False, CHECKED, 0, error="StoreUnavailable: down"
    )
    result = execute(access, '{ lotGenealogy(lotNumber: "L-1") { lotNumber } }')
    assert result.errors is None
    assert result.extensions["dataProductViolations"][0]["error"] == "StoreUnavailable: down"


def test_the_catalog_field_filters_and_shows_validation(access: FakeAccess) -> None:
    access.results["equipmentOEE/1.0.0"] = ValidationResult(
        "equipmentOEE", "1.0.0", True, CHECKED, 0, row_count=9
    )
    result = execute(
        access,
        '{ dataProducts(domain: "production", includeDeprecated: false) {'
        "  name latest validation { conforms rowCount } } }",
    )
    listed = {row["name"]: row for row in result.data["dataProducts"]}
    production = sorted(
        {
            p.name
            for p in access.registry
            if p.descriptor.domain == "production" and not p.descriptor.deprecated
        }
    )
    assert sorted(listed) == production and "customerQuality" not in listed
    assert listed["equipmentOEE"] == {
        "name": "equipmentOEE",
        "latest": True,
        "validation": {"conforms": True, "rowCount": 9},
    }
    assert all(row["validation"] is None for name, row in listed.items() if name != "equipmentOEE")
