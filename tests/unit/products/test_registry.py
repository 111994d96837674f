"""The registry: the shipped products load cleanly; broken folders are reported all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products.errors import ProductDefinitionError, UnknownProduct
from graph_service.products.registry import ProductRegistry
from tests.support.paths import REPO
from tests.unit.products.conftest import write_product, write_shapes


def test_the_shipped_products_load_and_resolve_versions(model: DomainModel) -> None:
    registry = ProductRegistry.load([REPO / "queries"], [REPO / "shapes" / "products"], model)
    keys = [p.key for p in registry]
    # Sorted by name, then version; both orderFulfillment versions are there.
    assert keys == sorted(
        keys, key=lambda key: (key.split("/")[0], registry.get(*key.split("/")).descriptor.major)
    )
    assert {"orderFulfillment/1.0.0", "orderFulfillment/2.0.0", "equipmentOEE/1.0.0"} <= set(keys)
    assert registry.latest("orderFulfillment").version == "2.0.0"
    for version in ("v1", "1", "1.0.0", "V1"):
        assert registry.get("orderFulfillment", version).version == "1.0.0"
    assert registry.get("orderFulfillment", "v1").descriptor.deprecated
    assert registry.get("lotGenealogy", "v1").validation_query is not None
    with pytest.raises(UnknownProduct, match="no data product 'orderFulfillment v3'"):
        registry.get("orderFulfillment", "v3")
    known = ", ".join(sorted({p.name for p in registry}))
    with pytest.raises(UnknownProduct, match=f"known products: {known}$"):
        registry.versions("nope")


def test_the_latest_version_is_the_highest_active_one(tmp_path: Path, model: DomainModel) -> None:
    shapes = write_shapes(tmp_path)
    write_product(tmp_path)
    write_product(
        tmp_path, {"version": "2.0.0", "status": "deprecated", "deprecationReason": "Withdrawn: use v1."}
    )
    registry = ProductRegistry.load([tmp_path / "queries"], [shapes], model)
    assert registry.latest("sample").version == "1.0.0"


def test_every_problem_of_every_folder_is_reported(tmp_path: Path, model: DomainModel) -> None:
    shapes = write_shapes(tmp_path)
    write_product(tmp_path, {"domain": "finance"})
    write_product(
        tmp_path,
        {"name": "needsSamples", "parameters": {"lot": {"type": "String", "required": True}}},
        query="MATCH (l:Lot {lotNumber: $lot}) RETURN l.lotNumber AS lotNumber",
    )
    write_product(tmp_path, {"name": "typo"}, query="MATCH (l:Lots) WHERE $lotNumber IS NULL RETURN l")
    write_product(tmp_path, {"name": "noShape", "outputShape": "dsq:Missing"})
    (tmp_path / "queries" / "stray" / "latest").mkdir(parents=True)
    with pytest.raises(ProductDefinitionError) as caught:
        ProductRegistry.load([tmp_path / "queries"], [shapes], model)
    text = str(caught.value)
    assert "domain 'finance' is not a bounded context of the ontology" in text
    assert "has required parameters, so its validation needs sample values: add validation.cypher" in text
    assert "label Lots is not in the ontology; did you mean Lot?" in text
    assert "outputShape https://w3id.org/digispine/products#Missing is not a sh:NodeShape" in text
    assert "version folders are named v1, v2" in text
    assert text.startswith("5 problems in the data product definitions")


def test_field_names_may_not_clash(tmp_path: Path, model: DomainModel) -> None:
    shapes = write_shapes(tmp_path)
    write_product(tmp_path, {"name": "dataProducts"})
    with pytest.raises(ProductDefinitionError, match="GraphQL field 'dataProducts' is a reserved field"):
        ProductRegistry.load([tmp_path / "queries"], [shapes], model)
