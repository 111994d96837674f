"""The Neo4j schema the ontology implies: uniqueness constraints from ``owl:hasKey`` and indexes.

``plan_schema`` is pure (model → desired items); ``apply_schema`` compares with what the
server has and creates only what is missing, so a second run changes nothing. It also migrates
data written in an older shape (``lineage.migrate_reported_by``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph_service.ontology.model import ENTITY_ROOT, DomainModel
from graph_service.store.lineage import migrate_reported_by
from graph_service.store.neo4j_store import Neo4jStore

PREFIX = "ds_"
#: Properties every event is looked up or ordered by.
EVENT_INDEXED = ("eventTime", "eventType")
#: The full-text index the explorer searches: business keys and names of every entity.
SEARCH_INDEX = f"{PREFIX}search"


@dataclass(frozen=True)
class SchemaItem:
    """One constraint or index DigiSpine wants."""

    name: str
    kind: str  # "constraint", "index" or "fulltext"
    label: str
    properties: tuple[str, ...]
    reason: str

    @property
    def cypher(self) -> str:
        props = ", ".join(f"n.`{p}`" for p in self.properties)
        if self.kind == "constraint":
            target = f"({props})" if len(self.properties) > 1 else props
            return (
                f"CREATE CONSTRAINT `{self.name}` IF NOT EXISTS "
                f"FOR (n:`{self.label}`) REQUIRE {target} IS UNIQUE"
            )
        if self.kind == "fulltext":
            return (
                f"CREATE FULLTEXT INDEX `{self.name}` IF NOT EXISTS FOR (n:`{self.label}`) ON EACH [{props}]"
            )
        return f"CREATE INDEX `{self.name}` IF NOT EXISTS FOR (n:`{self.label}`) ON ({props})"

    def matches(self, label: str, properties: tuple[str, ...]) -> bool:
        return self.label == label and self.properties == properties


@dataclass
class SchemaChanges:
    """What ``apply_schema`` did (or would do with ``dry_run``)."""

    created: list[SchemaItem] = field(default_factory=list)
    replaced: list[SchemaItem] = field(default_factory=list)
    unchanged: list[SchemaItem] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    #: Per-event source-system relationships of the old shape removed (or found, in a dry run).
    migrated_reported_by: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.replaced or self.dropped or self.migrated_reported_by)


def plan_schema(model: DomainModel) -> list[SchemaItem]:
    """Constraints and indexes implied by the model, in a stable order."""
    items: list[SchemaItem] = []
    for cls in sorted(model.classes.values(), key=lambda c: c.name):
        if cls.abstract or not cls.key or (cls.is_event and not cls.key_declared):
            continue  # events are found through :DomainEvent(eventId), never their subclass label
        if cls.key_declared:
            items.append(
                SchemaItem(
                    name=f"{PREFIX}key_{cls.neo4j_label}",
                    kind="constraint",
                    label=cls.neo4j_label,
                    properties=tuple(cls.key),
                    reason=f"owl:hasKey of ds:{cls.name}",
                )
            )
        else:
            # The key is inherited: the constraint lives on the keyed ancestor's label; an index
            # on this label keeps lookups through the subclass (GraphQL, loaders) fast.
            items.append(
                SchemaItem(
                    name=f"{PREFIX}idx_{cls.neo4j_label}_{'_'.join(cls.key)}",
                    kind="index",
                    label=cls.neo4j_label,
                    properties=tuple(cls.key),
                    reason=f"key of ds:{cls.name} inherited from a superclass",
                )
            )
    for cls in sorted(model.classes.values(), key=lambda c: c.name):
        if cls.is_event and cls.key_declared:
            for prop in EVENT_INDEXED:
                if any(p.name == prop for p in model.properties_of(cls.name)):
                    items.append(
                        SchemaItem(
                            name=f"{PREFIX}idx_{cls.neo4j_label}_{prop}",
                            kind="index",
                            label=cls.neo4j_label,
                            properties=(prop,),
                            reason="events are filtered and ordered by time and type",
                        )
                    )
    items.append(_search_index(model))
    return items


def _search_index(model: DomainModel) -> SchemaItem:
    """Business keys and names of every entity, for the explorer's search (a scan of every entity
    took 5 s on a 1M-node graph; this index answers in tens of milliseconds)."""
    keys = {k for c in model.classes.values() if not c.is_event for k in c.key}
    return SchemaItem(
        name=SEARCH_INDEX,
        kind="fulltext",
        label=model.classes[ENTITY_ROOT].neo4j_label,
        properties=tuple(sorted(keys | {"name"})),
        reason="the explorer searches entities by business key and name",
    )


def apply_schema(
    store: Neo4jStore, model: DomainModel, *, dry_run: bool = False, prune: bool = False
) -> SchemaChanges:
    """Create what is missing; report (and with ``prune`` drop) ``ds_`` items no longer wanted."""
    wanted = plan_schema(model)
    existing = _existing(store)
    changes = SchemaChanges()
    for item in wanted:
        have = existing.get(item.name)
        if have is None:
            changes.created.append(item)
        elif have[0] != item.kind or not item.matches(have[1], have[2]):
            changes.replaced.append(item)
            if not dry_run:
                _drop(store, item.name, have[0])
                store.write(item.cypher)
        else:
            changes.unchanged.append(item)
    if changes.created and not dry_run:
        _create_all(store, changes.created)
    wanted_names = {item.name for item in wanted}
    for name, (kind, _, _) in sorted(existing.items()):
        if name.startswith(PREFIX) and name not in wanted_names:
            changes.obsolete.append(name)
            if prune:
                changes.dropped.append(name)
                if not dry_run:
                    _drop(store, name, kind)
    changes.migrated_reported_by = migrate_reported_by(store, model, dry_run=dry_run)
    return changes


def _existing(store: Neo4jStore) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    found: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for row in store.read(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties RETURN name, labelsOrTypes, properties"
    ):
        found[row["name"]] = ("constraint", row["labelsOrTypes"][0], tuple(row["properties"]))
    for row in store.read(
        "SHOW INDEXES YIELD name, labelsOrTypes, properties, owningConstraint, type "
        "WHERE owningConstraint IS NULL AND type <> 'LOOKUP' "
        "RETURN name, labelsOrTypes, properties, type"
    ):
        kind = "fulltext" if row["type"] == "FULLTEXT" else "index"
        found[row["name"]] = (kind, row["labelsOrTypes"][0], tuple(row["properties"]))
    return found


def _create_all(store: Neo4jStore, items: list[SchemaItem]) -> None:
    """Create ``items`` in one schema transaction: all or none. One transaction each cost a
    schema round trip per item (about 40 for the shipped ontology), seconds on a busy server."""

    def create() -> None:
        with store.driver.session(database=store.database) as session:
            session.execute_write(lambda tx: [tx.run(item.cypher).consume() for item in items])

    store.call(create)


def _drop(store: Neo4jStore, name: str, kind: str) -> None:
    keyword = "CONSTRAINT" if kind == "constraint" else "INDEX"
    store.write(f"DROP {keyword} `{name}` IF EXISTS")
