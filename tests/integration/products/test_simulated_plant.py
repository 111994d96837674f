"""Smoke test: every product runs on a simulated plant, and its output conforms to its shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import build_data_products
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.integration.products.conftest import SHIPPED
from tests.support.loading import load_simulated_plant


@pytest.fixture()
def simulated_plant(store: Neo4jStore, neo4j_settings: Settings, tmp_path: Path) -> Neo4jStore:
    load_simulated_plant(neo4j_settings, store, tmp_path, seed=3, days=3, origin="sim")
    return store


def test_every_product_conforms_to_its_shape_on_a_simulated_plant(
    simulated_plant: Neo4jStore, model: DomainModel
) -> None:
    products = build_data_products(SHIPPED, model, simulated_plant)
    results = {f"{r.product}/{r.version}": r for r in products.validate_all()}
    assert set(results) == {f"{p.name}/{p.version}" for p in products.registry}  # every product
    for key, result in results.items():
        assert result.error is None, (key, result.error)
        assert result.conforms, (key, [v.message for v in result.sample_violations])
        assert result.row_count > 0, key  # each product has something to say about the plant
