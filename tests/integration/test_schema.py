"""`schema apply` on the real Neo4j: one uniqueness constraint per keyed class, idempotent."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema, plan_schema
from tests.support.paths import REPO


def _constraints(store: Neo4jStore) -> dict[str, tuple[str, list[str]]]:
    rows = store.read(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "RETURN name, type, labelsOrTypes, properties"
    )
    return {r["name"]: (r["labelsOrTypes"][0], r["properties"]) for r in rows if r["type"] == "UNIQUENESS"}


def test_schema_apply_creates_one_uniqueness_constraint_per_keyed_class(
    store: Neo4jStore, model: DomainModel
) -> None:
    changes = apply_schema(store, model)
    keyed = [c for c in model.keyed_classes() if not c.abstract]
    constraints = _constraints(store)
    assert len(constraints) == len(keyed)
    for cls in keyed:
        assert (cls.neo4j_label, list(cls.key)) in constraints.values(), cls.name
    assert len([c for c in changes.created if c.kind == "constraint"]) == len(keyed)


def test_a_second_apply_changes_nothing(store: Neo4jStore, model: DomainModel) -> None:
    apply_schema(store, model)
    before = store.read("SHOW INDEXES YIELD name RETURN name ORDER BY name")
    again = apply_schema(store, model)
    assert not again.changed
    assert again.created == [] and again.replaced == []
    assert store.read("SHOW INDEXES YIELD name RETURN name ORDER BY name") == before


def test_the_constraints_refuse_a_duplicate_business_key(store: Neo4jStore, model: DomainModel) -> None:
    from neo4j.exceptions import ConstraintError

    apply_schema(store, model)
    store.write("CREATE (:Lot {lotNumber: 'L-1'})")
    with pytest.raises(ConstraintError):
        store.write("CREATE (:Lot {lotNumber: 'L-1'})")


def test_dry_run_prints_cypher_and_creates_nothing(store: Neo4jStore, neo4j_settings: Settings) -> None:
    env = {
        "NEO4J_URI": neo4j_settings.bolt_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password.get_secret_value(),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
    }
    result = CliRunner().invoke(app, ["schema", "apply", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "CREATE CONSTRAINT `ds_key_SalesOrder` IF NOT EXISTS" in result.output
    assert _constraints(store) == {}
    applied = CliRunner().invoke(app, ["schema", "apply"], env=env)
    assert "created: constraint ds_key_SalesOrder" in applied.output
    second = CliRunner().invoke(app, ["schema", "apply"], env=env)
    assert "0 created, 0 replaced" in second.output


def test_dry_run_prints_the_whole_plan_when_nothing_would_change(
    store: Neo4jStore, neo4j_settings: Settings, model: DomainModel
) -> None:
    env = {
        "NEO4J_URI": neo4j_settings.bolt_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password.get_secret_value(),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
    }
    assert CliRunner().invoke(app, ["schema", "apply"], env=env).exit_code == 0
    dry = CliRunner().invoke(app, ["schema", "apply", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "unchanged: constraint ds_key_SalesOrder on :SalesOrder(salesOrderNumber)" in dry.output
    assert "CREATE CONSTRAINT `ds_key_SalesOrder` IF NOT EXISTS" in dry.output
    assert "0 created, 0 replaced" in dry.output
    plan = json.loads(CliRunner().invoke(app, ["schema", "apply", "--dry-run", "--json"], env=env).stdout)
    wanted = [row for row in plan if row["kind"] != "obsolete"]
    assert wanted and {row["action"] for row in wanted} == {"unchanged"}
    assert {row["name"] for row in wanted} == {item.name for item in plan_schema(model)}


def test_apply_says_how_many_old_source_relationships_it_removes(
    store: Neo4jStore, neo4j_settings: Settings, model: DomainModel
) -> None:
    from graph_service.store.lineage import reported_by_type

    rel_type = reported_by_type(model)
    assert rel_type is not None
    store.write(
        f"UNWIND range(1, 3) AS i CREATE (:DomainEvent {{eventId: 'e' + i}})-[:`{rel_type}`]->(:SourceSystem)"
    )
    env = {
        "NEO4J_URI": neo4j_settings.bolt_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password.get_secret_value(),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
    }
    dry = CliRunner().invoke(app, ["schema", "apply", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "would remove 3 old per-event REPORTED_BY relationship(s)" in dry.output
    applied = CliRunner().invoke(app, ["schema", "apply"], env=env)
    assert applied.exit_code == 0, applied.output
    assert "removed 3 old per-event REPORTED_BY relationship(s)" in applied.output
    again = CliRunner().invoke(app, ["schema", "apply"], env=env)
    assert "REPORTED_BY" not in again.output
