"""The schema plan derived from the model: names, Cypher text, inherited keys."""

from __future__ import annotations

from graph_service.ontology.compiler import load_model
from graph_service.store.schema import plan_schema
from tests.support.paths import REPO


def test_keyed_classes_get_a_uniqueness_constraint_with_stable_cypher() -> None:
    plan = {item.name: item for item in plan_schema(load_model(REPO / "ontology"))}
    item = plan["ds_key_SalesOrder"]
    assert item.kind == "constraint"
    assert item.cypher == (
        "CREATE CONSTRAINT `ds_key_SalesOrder` IF NOT EXISTS FOR (n:`SalesOrder`) "
        "REQUIRE n.`salesOrderNumber` IS UNIQUE"
    )


def test_subclasses_with_an_inherited_key_get_an_index_not_a_constraint() -> None:
    plan = {item.name: item for item in plan_schema(load_model(REPO / "ontology"))}
    assert "ds_key_WorkCenter" not in plan
    index = plan["ds_idx_WorkCenter_equipmentId"]
    assert index.kind == "index"
    assert (
        index.cypher == "CREATE INDEX `ds_idx_WorkCenter_equipmentId` IF NOT EXISTS "
        "FOR (n:`WorkCenter`) ON (n.`equipmentId`)"
    )


def test_event_subclasses_add_no_indexes_but_events_are_indexed_by_time() -> None:
    names = {item.name for item in plan_schema(load_model(REPO / "ontology"))}
    assert "ds_idx_DomainEvent_eventTime" in names
    assert not any(n.startswith("ds_idx_SalesOrderCreated") for n in names)


def test_the_explorer_search_index_covers_every_business_key_and_the_name() -> None:
    model = load_model(REPO / "ontology")
    item = {item.name: item for item in plan_schema(model)}["ds_search"]
    assert item.kind == "fulltext" and item.label == "Entity"
    keys = {k for c in model.classes.values() if not c.is_event for k in c.key}
    assert set(item.properties) == keys | {"name"}
    assert "eventId" not in item.properties
    assert item.cypher.startswith(
        "CREATE FULLTEXT INDEX `ds_search` IF NOT EXISTS FOR (n:`Entity`) ON EACH [n.`bomId`, "
    )
