"""An event's source system is its ``source`` key, not a relationship to one supernode; graphs in
the old shape (one ``REPORTED_BY`` per event) are migrated by ``schema apply``, RDF unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from rdflib import Graph, URIRef

from graph_service.ontology.compiler import load_model
from graph_service.rdf.export import export
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.lineage import migrate_reported_by
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.support.loading import REPO, load_fresh

PROV_ASSOCIATED = URIRef("http://www.w3.org/ns/prov#wasAssociatedWith")
OLD_SHAPE = (
    "MATCH (e:DomainEvent) MATCH (s:SourceSystem {sourceSystemId: e.source}) CREATE (e)-[:REPORTED_BY]->(s)"
)
SOURCES = "MATCH (s:SourceSystem) RETURN s.sourceSystemId AS id, properties(s) AS p ORDER BY id"


def _rdf(store: Neo4jStore) -> Graph:
    out = io.StringIO()
    export(store, load_model(REPO / "ontology"), out, fmt="nt")
    return Graph().parse(data=out.getvalue(), format="nt")


def test_a_graph_in_the_old_shape_is_migrated_in_batches_and_its_rdf_is_unchanged(
    neo4j_settings: Settings, store: Neo4jStore, tmp_path: Path
) -> None:
    stats = load_fresh(neo4j_settings, store, tmp_path, simulate(seed=3, days=1), "lineage")
    assert stats.loaded > 0 and stats.rejected_total == 0
    events = store.read("MATCH (e:DomainEvent) RETURN count(e) AS n")[0]["n"]
    assert store.read("MATCH ()-[r:REPORTED_BY]->() RETURN count(r) AS n") == [{"n": 0}]
    loaded = _rdf(store)
    # every event says its source system in RDF, read from its key
    assert len(set(loaded.subject_objects(PROV_ASSOCIATED))) == events

    store.write(OLD_SHAPE)  # as the loader wrote it before
    assert _rdf(store).isomorphic(loaded)  # readers do not depend on the relationships
    model = load_model(REPO / "ontology")
    assert migrate_reported_by(store, model, dry_run=True) == events
    assert migrate_reported_by(store, model, batch=max(1, events // 3)) == events  # several batches
    assert store.read("MATCH ()-[r:REPORTED_BY]->() RETURN count(r) AS n") == [{"n": 0}]
    assert _rdf(store).isomorphic(loaded)

    store.write(OLD_SHAPE)
    assert apply_schema(store, model).migrated_reported_by == events
    assert apply_schema(store, model).migrated_reported_by == 0  # a second run finds none


def test_loading_never_locks_the_source_system_node_once_it_exists(
    neo4j_settings: Settings, store: Neo4jStore, tmp_path: Path
) -> None:
    events = simulate(seed=4, days=1)
    load_fresh(neo4j_settings, store, tmp_path, events[:50], "first")
    before = store.read(SOURCES)
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=tmp_path,
    )
    later = [Record(orjson.dumps(e), f"later:{i}") for i, e in enumerate(events[50:])]
    build_pipeline(load_parts(settings), store).run(later)
    after = store.read(SOURCES)
    # a source system the graph holds is not written again (no lineage bookkeeping on it)
    kept = {row["id"]: row["p"] for row in before}
    assert kept and all(row["p"] == kept[row["id"]] for row in after if row["id"] in kept)
