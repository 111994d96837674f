"""Values a product query reads from the compiled ontology ($ontologyObjectTypes, $ontologyEventTypes),
and the computation step a descriptor may name (what it may read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products.computations import COMPUTATIONS
from graph_service.products.cypher_check import check_query
from graph_service.products.errors import ParameterError, ProductDefinitionError, ProductRefusedToStep
from graph_service.products.model_values import MODEL_VALUES, model_values_for
from graph_service.products.naming import MODEL_VALUE_NAMES, RESERVED_PARAMETER_NAMES
from graph_service.products.registry import ProductRegistry
from graph_service.products.runner import ProductRunner, StepCalls
from tests.support.paths import REPO
from tests.unit.products.conftest import write_product, write_shapes
from tests.unit.products.test_cypher_check import DESCRIPTOR


def test_every_model_value_is_named_and_reserved() -> None:
    assert set(MODEL_VALUES) == MODEL_VALUE_NAMES
    assert MODEL_VALUE_NAMES <= RESERVED_PARAMETER_NAMES


def test_object_types_are_the_affected_classes_deepest_first(model: DomainModel) -> None:
    values = model_values_for({"ontologyObjectTypes", "lotNumber"}, model)
    assert list(values) == ["ontologyObjectTypes"]  # a declared parameter is not a model value
    types = values["ontologyObjectTypes"]
    affected = {name for event in model.event_classes() for name in event.affects}
    assert set(types) == {model.classes[name].neo4j_label for name in affected}
    depth = {model.classes[name].neo4j_label: len(model.classes[name].ancestors) for name in affected}
    assert [depth[t] for t in types] == sorted((depth[t] for t in types), reverse=True)


def test_event_types_put_the_root_event_class_last(model: DomainModel) -> None:
    types = model_values_for({"ontologyEventTypes"}, model)["ontologyEventTypes"]
    assert set(types) == {c.neo4j_label for c in model.event_classes()}
    root = min(model.event_classes(), key=lambda c: len(c.ancestors))
    assert types[-1] == root.neo4j_label  # a concrete event label wins over the root's


def test_a_query_may_read_model_values_without_declaring_them(model: DomainModel) -> None:
    cypher = (
        "MATCH (l:Lot {lotNumber: $lotNumber}) "
        "RETURN [t IN $ontologyObjectTypes WHERE t IN labels(l)], $unused"
    )
    assert check_query(cypher, Path("q.cypher"), DESCRIPTOR, model) == []


def test_a_computation_must_be_a_known_step(tmp_path: Path, model: DomainModel) -> None:
    shapes = write_shapes(tmp_path)
    write_product(tmp_path, {"name": "stepped", "computation": "kpiTrnd"})
    with pytest.raises(ProductDefinitionError) as caught:
        ProductRegistry.load([tmp_path / "queries"], [shapes], model)
    assert "computation 'kpiTrnd' is not one of kpiComparison, kpiTrend" in str(caught.value)


def test_shipped_computed_products_have_their_step(model: DomainModel) -> None:
    registry = ProductRegistry.load([REPO / "queries"], [REPO / "shapes" / "products"], model)
    computed = [p for p in registry if p.descriptor.computation]
    assert computed and all(p.computation is COMPUTATIONS[p.descriptor.computation] for p in computed)


class _EmptyStore:
    def read(self, cypher: str, parameters: object = None, timeout_s: float | None = None) -> list[dict]:
        return []


def test_a_step_may_read_only_products_its_readers_may_read(tmp_path: Path, model: DomainModel) -> None:
    shapes = write_shapes(tmp_path)
    write_product(tmp_path, {"name": "wide", "accessRoles": ["analyst", "sales"]})
    write_product(tmp_path, {"name": "narrow", "accessRoles": ["analyst"]})
    write_product(tmp_path, {"name": "wider", "accessRoles": ["analyst", "planner", "sales"]})
    registry = ProductRegistry.load([tmp_path / "queries"], [shapes], model)
    runner = ProductRunner(_EmptyStore(), registry=registry)  # type: ignore[arg-type]
    calls = StepCalls(runner, registry.get("wide", "1"))
    with pytest.raises(ProductRefusedToStep, match="its access roles sales may not read narrow/1.0.0"):
        calls.run("narrow", "1", {})
    assert calls.run("wider", "1", {}) == []  # every reader of 'wide' may read 'wider'
    with pytest.raises(ParameterError, match="may not read itself"):
        calls.run("wide", "1", {})
