"""How the graph holds an event's source system, and the migration from the old shape.

``ds:reportedBy`` (an event's source system, PROV-O's ``prov:wasAssociatedWith``) is not a
relationship in Neo4j: the event node's ``source`` property holds the ``SourceSystem`` node's key
(``sourceSystemId``). One ``REPORTED_BY`` relationship per event made the source system a
supernode: every batch of every loader locked it, and emptying a large graph with ``DETACH
DELETE`` ran out of transaction memory on it. Readers (the RDF mapping, GraphQL) join on the key;
:func:`migrate_reported_by` removes the relationships a graph written before still has.
"""

from __future__ import annotations

from graph_service.ontology.model import EVENT_ROOT, DomainModel
from graph_service.store.neo4j_store import Neo4jStore

#: The ontology's relation from an event to what it affected: a relationship, written by the loader.
AFFECTED = "affected"
#: The ontology's relation from an event to its source system, held as a key property.
REPORTED_BY = "reportedBy"
#: The event node's property holding the source system's key.
EVENT_SOURCE_PROPERTY = "source"
#: Relationships deleted per transaction by the migration (bounded transaction memory).
MIGRATION_BATCH = 10_000
#: The old shape's relationship type (``ds:reportedBy`` as the model names relationship types).
REPORTED_BY_TYPE = "REPORTED_BY"
EVENT_LABEL = EVENT_ROOT
SOURCE_SYSTEM_LABEL = "SourceSystem"
SOURCE_SYSTEM_KEY = "sourceSystemId"
#: Relations held as a key property, by (relationship type, direction of the walk): the label of
#: the node reached, its property, and the property of the node walked from that must equal it.
#: A reader walks ``(n)-[:REPORTED_BY]->(m)`` as ``(m:SourceSystem {sourceSystemId: n.source})``.
KEY_JOINS: dict[tuple[str, str], tuple[str, str, str]] = {
    (REPORTED_BY_TYPE, "out"): (SOURCE_SYSTEM_LABEL, SOURCE_SYSTEM_KEY, EVENT_SOURCE_PROPERTY),
    (REPORTED_BY_TYPE, "in"): (EVENT_LABEL, EVENT_SOURCE_PROPERTY, SOURCE_SYSTEM_KEY),
}


def affected_type(model: DomainModel) -> str:
    """The relationship type from an event to an entity it affected, as the writer names it."""
    return model.relations[AFFECTED].rel_type


def lineage_types(model: DomainModel) -> frozenset[str]:
    """Relationship types that record lineage (event → entity, event → source system), not
    business relations: readers that walk the business graph leave them out."""
    return frozenset(
        model.relations[name].rel_type for name in (AFFECTED, REPORTED_BY) if name in model.relations
    )


def reported_by_type(model: DomainModel) -> str | None:
    """The relationship type the old shape used for ``ds:reportedBy`` (None: no such relation)."""
    rel = model.relations.get(REPORTED_BY)
    return rel.rel_type if rel is not None else None


def migrate_reported_by(
    store: Neo4jStore, model: DomainModel, *, dry_run: bool = False, batch: int = MIGRATION_BATCH
) -> int:
    """Delete the old per-event source-system relationships, ``batch`` per transaction; how many
    there were. The events keep their source in ``source`` (every event always had it), so nothing
    else changes; running it again finds none."""
    rel_type = reported_by_type(model)
    if rel_type is None:
        return 0
    quoted = "`" + rel_type.replace("`", "``") + "`"
    if dry_run:
        rows = store.read(f"MATCH ()-[r:{quoted}]->() RETURN count(r) AS n")
        return int(rows[0]["n"])
    removed = 0
    while True:
        counters = store.write(f"MATCH ()-[r:{quoted}]->() WITH r LIMIT $batch DELETE r", {"batch": batch})
        removed += counters.relationships_deleted
        if counters.relationships_deleted < batch:
            return removed
