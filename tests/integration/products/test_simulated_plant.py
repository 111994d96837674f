"""Smoke test: every product runs on a simulated plant, and its output conforms to its shape."""

from __future__ import annotations

import orjson
import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import build_data_products
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.integration.products.conftest import REPO, SHIPPED


@pytest.fixture()
def simulated_plant(store: Neo4jStore, neo4j_settings: Settings, tmp_path) -> Neo4jStore:
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=tmp_path,
    )
    parts = load_parts(settings)
    apply_schema(store, parts.model)
    events = simulate(seed=3, days=3)
    stats = build_pipeline(parts, store).run(
        [Record(orjson.dumps(e), f"sim:{i}") for i, e in enumerate(events)]
    )
    assert stats.rejected_total == 0
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
