"""Batched, idempotent, out-of-order-safe writes of mapped events to Neo4j.

One transaction per batch. Within it:

1. events already stored (by ``eventId``) and repeats inside the batch are dropped: replaying a
   stream changes nothing (the batch is planned without the database, see :meth:`GraphWriter.plan`,
   and planned again only when the graph already holds some of its events);
2. updates to the same node are collapsed in Python (one row per node and batch), then written
   with one ``UNWIND … MERGE`` statement per label and property set;
3. each property carries a version token (``_v_<property>``: UTC event time, then event id); an
   update older than the stored one leaves the newer value in place, so any arrival order gives
   the same graph;
4. to-one relations keep only the newest target; to-many relations are merged;
5. the event node is created (``CREATE``: step 1 proved it new) and linked to what it affected
   and to its source system (PROV-O lineage in the ontology).

All labels, relationship types and property names come from the compiled model and mappings;
values are always parameters.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import neo4j

from graph_service.ontology.model import DomainModel
from loaders.mapping import EntityRef, MappedEvent

log = logging.getLogger(__name__)

EVENT_LABEL = "DomainEvent"
SOURCE_CLASS = "SourceSystem"


def _q(name: str) -> str:
    """Backtick-quote a name from the model (never from user input)."""
    return "`" + name.replace("`", "``") + "`"


@dataclass
class _NodeAcc:
    ref: EntityRef
    labels: set[str] = field(default_factory=set)
    values: dict[str, tuple[str, Any]] = field(default_factory=dict)
    affected: bool = False
    tmin: dt.datetime | None = None
    tmax: dt.datetime | None = None
    sources: set[str] = field(default_factory=set)

    def touch(self, when: dt.datetime, source: str) -> None:
        self.tmin = when if self.tmin is None or when < self.tmin else self.tmin
        self.tmax = when if self.tmax is None or when > self.tmax else self.tmax
        self.sources.add(source)

    def offer(self, prop: str, version: str, value: Any) -> None:
        held = self.values.get(prop)
        if held is None or version > held[0]:
            self.values[prop] = (version, value)


@dataclass(frozen=True)
class WritePlan:
    """A batch ready to send: its first occurrence of each event id, the repeats, the statements."""

    unique: list[MappedEvent]
    repeats: list[str]
    statements: list[tuple[str, list[dict[str, Any]]]]


@dataclass
class WriteResult:
    loaded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    statements: int = 0


class GraphWriter:
    """Writes batches of :class:`MappedEvent` in one transaction each."""

    def __init__(self, driver: neo4j.Driver, database: str, model: DomainModel) -> None:
        self.driver = driver
        self.database = database
        affected = model.relations.get("affected")
        reported = model.relations.get("reportedBy")
        source_cls = model.classes.get(SOURCE_CLASS)
        if affected is None or reported is None or source_cls is None or not source_cls.key:
            raise ValueError(
                "the ontology must define ds:affected, ds:reportedBy and a keyed ds:SourceSystem "
                "for event lineage"
            )
        self.affected_type = affected.rel_type
        self.reported_type = reported.rel_type
        self.source_label = source_cls.neo4j_label
        self.source_key = source_cls.key[0]
        self.source_labels = model.labels_for(SOURCE_CLASS)

    def plan(self, events: Sequence[MappedEvent]) -> WritePlan:
        """Everything about a batch that needs no database: repeats inside it dropped, updates
        collapsed, the statements and their rows built. The pipeline plans batch N+1 on its feeder
        thread while batch N is in Neo4j, so the write path only sends."""
        seen: set[str] = set()
        unique: list[MappedEvent] = []
        repeats: list[str] = []
        for event in events:
            if event.envelope.id in seen:
                repeats.append(event.envelope.id)
            else:
                seen.add(event.envelope.id)
                unique.append(event)
        return WritePlan(unique, repeats, self._statements(unique))

    def write(self, events: Sequence[MappedEvent], plan: WritePlan | None = None) -> WriteResult:
        """Write one batch in one transaction; ``plan`` is :meth:`plan` of the same events."""
        plan = plan or self.plan(events)
        with self.driver.session(database=self.database) as session:
            return session.execute_write(self._write_tx, plan)

    # -- the transaction ---------------------------------------------------------------------------
    def _write_tx(self, tx: neo4j.ManagedTransaction, plan: WritePlan) -> WriteResult:
        result = WriteResult(duplicates=list(plan.repeats))
        stored = {
            record["id"]
            for record in tx.run(
                f"MATCH (e:{_q(EVENT_LABEL)}) WHERE e.eventId IN $ids RETURN e.eventId AS id",
                ids=[e.envelope.id for e in plan.unique],
            )
        }
        statements = plan.statements
        fresh = plan.unique
        if stored:  # a replay: plan again without what is already in the graph
            result.duplicates.extend(e.envelope.id for e in plan.unique if e.envelope.id in stored)
            fresh = [e for e in plan.unique if e.envelope.id not in stored]
            statements = self._statements(fresh)
        for cypher, rows in statements:
            tx.run(cypher, rows=rows).consume()
            result.statements += 1
        result.loaded = [e.envelope.id for e in fresh]
        return result

    def _statements(self, events: Sequence[MappedEvent]) -> list[tuple[str, list[dict[str, Any]]]]:
        if not events:
            return []
        return [
            *self._node_statements(self._collapse(events)),
            *self._relation_statements(events),
            *self._event_statements(events),
        ]

    def _collapse(self, events: Iterable[MappedEvent]) -> dict[EntityRef, _NodeAcc]:
        nodes: dict[EntityRef, _NodeAcc] = {}
        for event in events:
            env = event.envelope
            source_ref = EntityRef(self.source_label, (self.source_key,), (env.source,))
            touched = [(source_ref, self.source_labels, {}, True)]
            touched += [(w.ref, w.labels, w.properties, w.affected) for w in event.entities]
            for ref, labels, props, affected in touched:
                acc = nodes.get(ref)
                if acc is None:
                    acc = nodes[ref] = _NodeAcc(ref)
                acc.labels.update(labels)
                if affected:  # lineage only for what the event affects; references just exist
                    acc.affected = True
                    acc.touch(env.time, env.source)
                for prop, value in props.items():
                    acc.offer(prop, env.version_token, value)
        return nodes

    def _node_statements(self, nodes: dict[EntityRef, _NodeAcc]) -> list[tuple[str, list[dict[str, Any]]]]:
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for acc in nodes.values():
            groups[(acc.ref.label, acc.ref.key_props, acc.affected)].append(
                {
                    "k": list(acc.ref.key),
                    "labels": sorted(acc.labels - {acc.ref.label}),
                    "p": {p: v for p, (_, v) in acc.values.items()},
                    "v": {p: ver for p, (ver, _) in acc.values.items()},
                    "vp": {"_v_" + p: ver for p, (ver, _) in acc.values.items()},
                    "tmin": acc.tmin,
                    "tmax": acc.tmax,
                    "src": sorted(acc.sources),
                }
            )
        return [
            (_node_cypher(label, key_props, affected), rows)
            for (label, key_props, affected), rows in sorted(groups.items())
        ]

    def _relation_statements(self, events: Sequence[MappedEvent]) -> list[tuple[str, list[dict[str, Any]]]]:
        to_many: dict[tuple[Any, ...], set[tuple[tuple[Any, ...], tuple[Any, ...]]]] = defaultdict(set)
        to_one: dict[tuple[Any, ...], dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]]] = defaultdict(dict)
        for event in events:
            version = event.envelope.version_token
            for rel in event.relations:
                shape = (
                    rel.rel_type,
                    rel.source.label,
                    rel.source.key_props,
                    rel.target.label,
                    rel.target.key_props,
                )
                if rel.to_many:
                    to_many[shape].add((rel.source.key, rel.target.key))
                else:
                    held = to_one[shape].get(rel.source.key)
                    if held is None or version > held[0]:
                        to_one[shape][rel.source.key] = (version, rel.target.key)
        statements = []
        for shape, pairs in sorted(to_many.items()):
            rows = [{"a": list(a), "b": list(b)} for a, b in sorted(pairs, key=repr)]
            statements.append((_relation_cypher(*shape, to_many=True), rows))
        for shape, targets in sorted(to_one.items()):
            rows = [{"a": list(a), "b": list(b), "v": v} for a, (v, b) in sorted(targets.items(), key=repr)]
            statements.append((_relation_cypher(*shape, to_many=False), rows))
        return statements

    def _event_statements(self, events: Sequence[MappedEvent]) -> list[tuple[str, list[dict[str, Any]]]]:
        now = dt.datetime.now(dt.UTC)
        by_labels: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        affected: dict[tuple[str, tuple[str, ...]], set[tuple[str, tuple[Any, ...]]]] = defaultdict(set)
        for event in events:
            env = event.envelope
            by_labels[(EVENT_LABEL,)].append(
                {
                    "labels": [x for x in event.event_labels if x != EVENT_LABEL],
                    "id": env.id,
                    "type": env.type,
                    "time": env.time,
                    "source": env.source,
                    "subject": env.subject,
                    "at": now,
                }
            )
            for write in event.entities:
                if write.affected:
                    affected[(write.ref.label, write.ref.key_props)].add((env.id, write.ref.key))
        statements = []
        for labels, rows in sorted(by_labels.items()):
            statements.append(
                (_event_cypher(labels, self.reported_type, self.source_label, self.source_key), rows)
            )
        for (label, key_props), pairs in sorted(affected.items()):
            rows = [{"e": e, "k": list(k)} for e, k in sorted(pairs, key=repr)]
            statements.append((_affected_cypher(label, key_props, self.affected_type), rows))
        return statements


def _key_map(key_props: tuple[str, ...], var: str) -> str:
    return "{" + ", ".join(f"{_q(p)}: {var}[{i}]" for i, p in enumerate(key_props)) + "}"


def _node_cypher(label: str, key_props: tuple[str, ...], affected: bool) -> str:
    # Labels are the model's (validated names), passed as data: one statement text per label.
    merge = f"UNWIND $rows AS r MERGE (n:{_q(label)} {_key_map(key_props, 'r.k')})"
    if not affected:  # a reference by key: the node exists, nothing else changes
        return f"{merge}\nSET n:$(r.labels)"
    # A new node takes the batch's values as they are (the common case when loading history).
    # On an existing one, only what changes is written: each property whose stored version token
    # is older (or missing), and the event-time bounds when they widen. Writing unchanged values
    # costs Neo4j as much as writing new ones, so nothing is SET unconditionally.
    return "\n".join(
        [
            merge,
            "ON CREATE SET n += r.p, n += r.vp, n.firstEventTime = r.tmin, n.lastEventTime = r.tmax, "
            "n.sourceSystems = r.src",
            "WITH n, r",
            "FOREACH (p IN [p IN keys(r.v) WHERE coalesce(n['_v_' + p] < r.v[p], true)] |\n"
            "  SET n[p] = r.p[p], n['_v_' + p] = r.v[p])",
            "FOREACH (_ IN CASE WHEN coalesce(n.firstEventTime > r.tmin, true) THEN [1] ELSE [] END |\n"
            "  SET n.firstEventTime = r.tmin)",
            "FOREACH (_ IN CASE WHEN coalesce(n.lastEventTime < r.tmax, true) THEN [1] ELSE [] END |\n"
            "  SET n.lastEventTime = r.tmax)",
            "SET n:$(r.labels)",
            "WITH n, r WHERE n.sourceSystems IS NULL OR any(s IN r.src WHERE NOT s IN n.sourceSystems)\n"
            "CALL (n, r) { UNWIND coalesce(n.sourceSystems, []) + r.src AS s "
            "WITH DISTINCT s ORDER BY s RETURN collect(s) AS sources }\n"
            "SET n.sourceSystems = sources",
        ]
    )


def _relation_cypher(
    rel_type: str,
    a_label: str,
    a_key: tuple[str, ...],
    b_label: str,
    b_key: tuple[str, ...],
    *,
    to_many: bool,
) -> str:
    head = (
        f"UNWIND $rows AS r MATCH (a:{_q(a_label)} {_key_map(a_key, 'r.a')}) "
        f"MATCH (b:{_q(b_label)} {_key_map(b_key, 'r.b')})"
    )
    if to_many:
        return f"{head}\nMERGE (a)-[:{_q(rel_type)}]->(b)"
    t = _q(rel_type)
    # The newest event decides a to-one relation: links to other targets that are older go, a newer
    # one blocks this row. The link to ``b`` is created only when missing and its version token
    # written only when it grows.
    return (
        f"{head}\nOPTIONAL MATCH (a)-[o:{t}]->()\n"
        "WITH a, b, r, collect(o) AS held\n"
        "WHERE all(o IN held WHERE endNode(o) = b OR o._v < r.v)\n"
        "FOREACH (o IN [o IN held WHERE endNode(o) <> b] | DELETE o)\n"
        "FOREACH (o IN [o IN held WHERE endNode(o) = b AND o._v < r.v] | SET o._v = r.v)\n"
        f"FOREACH (_ IN CASE WHEN any(o IN held WHERE endNode(o) = b) THEN [] ELSE [1] END |\n"
        f"  CREATE (a)-[:{t} {{_v: r.v}}]->(b))"
    )


def _event_cypher(labels: tuple[str, ...], reported: str, source_label: str, source_key: str) -> str:
    label_text = "".join(f":{_q(x)}" for x in labels)
    return (
        f"UNWIND $rows AS r CREATE (e{label_text} {{eventId: r.id, eventType: r.type, eventTime: r.time, "
        "source: r.source, subject: r.subject, ingestedAt: r.at})\nSET e:$(r.labels)\n"
        f"WITH e, r MATCH (s:{_q(source_label)} {{{_q(source_key)}: r.source}})\n"
        f"CREATE (e)-[:{_q(reported)}]->(s)"
    )


def _affected_cypher(label: str, key_props: tuple[str, ...], affected: str) -> str:
    return (
        f"UNWIND $rows AS r MATCH (e:{_q(EVENT_LABEL)} {{eventId: r.e}}) "
        f"MATCH (n:{_q(label)} {_key_map(key_props, 'r.k')})\n"
        f"CREATE (e)-[:{_q(affected)}]->(n)"
    )
