"""Batched, idempotent, out-of-order-safe writes of mapped events to Neo4j.

One transaction per batch, a handful of statements whatever the batch holds:

1. events already stored (by ``source`` and ``eventId``, the CloudEvents identity) and repeats
   inside the batch are dropped: replaying a stream changes nothing (the batch is planned without
   the database, see :meth:`GraphWriter.plan`, and planned again only when the graph already holds
   some of its events). A repeat that says something else (another payload digest, stored on the
   event node as ``_payloadHash``) is a conflict, returned for the dead-letter store with the first
   event's payload (stored on the event node as ``_payload``, canonical JSON of ``data``);
2. updates to the same node are collapsed in Python (one row per node and batch);
3. a lookup per label the batch holds finds which of its nodes exist (one index seek per node;
   none while the graph holds no node at all, which the count store tells in one read);
   new nodes are ``CREATE``\\ d with all their values in one statement, and only the
   existing ones go through the versioned update, after their write locks are taken (so a
   concurrent writer's update of the same node is read after it commits);
4. each property carries a version token (``_v_<property>``: UTC event time, then event id); an
   update older than the stored one leaves the newer value in place, so any arrival order gives
   the same graph;
5. relationships are addressed by the element ids the lookup and the creation returned: a
   relationship touching a node created in this transaction is ``CREATE``\\ d (it cannot exist
   yet), others are ``MERGE``\\ d; to-one relations keep only the newest target;
6. the event node is created (``CREATE``: step 1 proved it new) with its lineage — ``AFFECTED``
   links to what it affected — in the same statement. Its source system (``ds:reportedBy``, PROV-O
   in the ontology) is its ``source`` property, the ``SourceSystem`` node's key: one relationship
   per event to that node made it a supernode that every batch locked (see
   ``graph_service/store/lineage.py``).

All labels, relationship types and property names come from the compiled model and mappings;
values are always parameters.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import neo4j
import neo4j.exceptions
import orjson

from graph_service.ontology.model import EVENT_ROOT, DomainModel
from loaders import changelog
from loaders.changelog import LinkOutcome, NodeOutcome
from loaders.mapping import EntityRef, MappedEvent

log = logging.getLogger(__name__)

EVENT_LABEL = EVENT_ROOT
#: The event node's copy of its payload (canonical JSON of ``data``). It may hold personal data
#: whatever the ontology marks: every read path hides ``_``-prefixed properties and the Cypher
#: guard refuses this name to callers without ``personal-data`` (guard.PERSONAL_INTERNAL).
PAYLOAD_PROPERTY = "_payload"
#: Times a batch is tried when another writer creates one of its new nodes first (see ``write``).
CONSTRAINT_ATTEMPTS = 3
SOURCE_CLASS = "SourceSystem"


def _q(name: str) -> str:
    """Backtick-quote a name from the model (never from user input)."""
    return "`" + name.replace("`", "``") + "`"


@dataclass
class _NodeAcc:
    """Everything a batch says about one node."""

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

    def create_row(self, index: int) -> dict[str, Any]:
        """The node as it is when the graph does not hold it yet."""
        props: dict[str, Any] = dict(zip(self.ref.key_props, self.ref.key, strict=True))
        if self.affected:  # a reference by key only exists; it takes no values and no lineage
            for prop, (version, value) in self.values.items():
                props[prop] = value
                props["_v_" + prop] = version
            props["firstEventTime"] = self.tmin
            props["lastEventTime"] = self.tmax
            props["sourceSystems"] = sorted(self.sources)
        plain, times, dates = _wire(props)
        return {
            "i": index,
            "labels": sorted(self.labels | {self.ref.label}),
            "p": plain,
            "t": times,
            "d": dates,
        }

    def update_row(self, index: int) -> dict[str, Any]:
        """What the versioned update needs when the graph holds the node already."""
        plain, times, dates = _wire({p: v for p, (_, v) in self.values.items()})
        return {
            "i": index,
            "labels": sorted(self.labels - {self.ref.label}),
            "p": plain,
            "t": times,
            "d": dates,
            "v": {p: ver for p, (ver, _) in self.values.items()},
            "tmin": _iso(self.tmin),
            "tmax": _iso(self.tmax),
            "src": sorted(self.sources),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _wire(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Values split for sending: plain ones, date-times and dates as ISO 8601 text.

    The driver turns each Python ``datetime`` into Bolt's structure in pure Python, about as costly
    as the rest of the row together; the statements parse the text with ``datetime()`` and
    ``date()`` on the server instead, which stores the same values.
    """
    plain: dict[str, Any] = {}
    times: dict[str, str] = {}
    dates: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dt.datetime):
            times[key] = value.isoformat()
        elif isinstance(value, dt.date):
            dates[key] = value.isoformat()
        else:
            plain[key] = value
    return plain, times, dates


@dataclass
class _Prepared:
    """The database-independent part of a batch, rows ready to send.

    Nodes are numbered; every row names nodes by number (``i``, ``a``, ``b``, ``s``, ``aff``), and
    the statements find them through ``$ids``, the element ids the transaction learns (lookup)
    or makes (creation). A node's own row (created or updated) is built in the transaction, once
    the lookup has said which of the two it needs.
    """

    nodes: list[_NodeAcc]
    lookup: dict[str, list[dict[str, Any]]]  # one list per keyed label: rows {i, k}
    to_many: list[dict[str, Any]]  # {t: type, a: source node, b: target node}
    to_one: list[dict[str, Any]]  # the same and v: version of the newest event that set it
    events: list[dict[str, Any]]  # the event, aff: the nodes it affected
    #: Lineage links with properties (a role, values kept as history): {s, id: the event, n, p}.
    qualified: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class WritePlan:
    """A batch ready to send: its first occurrence of each event key, the repeats, the rows."""

    unique: list[MappedEvent]
    repeats: list[MappedEvent]
    prepared: _Prepared


@dataclass(frozen=True)
class Conflict:
    """An event whose key (source, id) was accepted before with another payload."""

    event: MappedEvent
    stored: dict[str, Any]  # what is known of the event accepted first


@dataclass
class WriteResult:
    loaded: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    statements: int = 0
    changes: int = 0  # changes written to the change log's outbox (0 when it is off)


# Every plan of the writer is index or element-id seeks and creations, right on an empty graph as on
# a full one. Neo4j would still plan them again whenever its statistics drift, which they do all the
# time while a load grows the graph from empty (the lookup's plan alone takes about half a second).
_NO_REPLAN = "CYPHER replan=skip "

# ``k`` is [source, id, digests the batch has for that key]. The stored payload comes back only when
# one of them differs from the stored digest (a conflict): a replay (a load resumed from the start of
# its input) finds every event stored and would otherwise pull all their payloads back.
_STORED_EVENTS = (
    f"UNWIND $keys AS k MATCH (e:{_q(EVENT_LABEL)} {{source: k[0], eventId: k[1]}})\n"
    "RETURN k[0] AS source, k[1] AS eventId, e.eventType AS type, toString(e.eventTime) AS time, "
    "e.subject AS subject, e._payloadHash AS payloadHash, toString(e.ingestedAt) AS ingestedAt, "
    f"CASE WHEN any(h IN k[2] WHERE h <> e._payloadHash) THEN e.{PAYLOAD_PROPERTY} END AS payload"
)

# Whether the graph holds any node: Neo4j answers from its count store (one O(1) read). A writer asks
# until it has seen the graph hold nodes; a batch into an empty graph needs no lookup at all.
_ANY_NODE = "MATCH (n) RETURN count(n) > 0 AS any"

_CREATE_NODES = (
    "UNWIND $rows AS r CREATE (n:$(r.labels)) SET n = r.p\n"
    "FOREACH (k IN keys(r.t) | SET n[k] = datetime(r.t[k]))\n"
    "FOREACH (k IN keys(r.d) | SET n[k] = date(r.d[k]))\n"
    "RETURN r.i AS i, elementId(n) AS id"
)

# On an existing node only what changes is written: each property whose stored version token is
# older (or missing), and the event-time bounds when they widen. Writing unchanged values costs
# Neo4j as much as writing new ones, so nothing is SET unconditionally.
_UPDATE_NODES = "\n".join(
    [
        "UNWIND $rows AS r MATCH (n) WHERE elementId(n) = $ids[r.i]",
        "FOREACH (p IN [p IN keys(r.v) WHERE coalesce(n['_v_' + p] < r.v[p], true)] |\n"
        "  SET n[p] = coalesce(r.p[p], datetime(r.t[p]), date(r.d[p])), n['_v_' + p] = r.v[p])",
        "WITH n, r, datetime(r.tmin) AS tmin, datetime(r.tmax) AS tmax",
        "FOREACH (_ IN CASE WHEN coalesce(n.firstEventTime > tmin, true) THEN [1] ELSE [] END |\n"
        "  SET n.firstEventTime = tmin)",
        "FOREACH (_ IN CASE WHEN coalesce(n.lastEventTime < tmax, true) THEN [1] ELSE [] END |\n"
        "  SET n.lastEventTime = tmax)",
        "SET n:$(r.labels)",
        "WITH n, r WHERE n.sourceSystems IS NULL OR any(s IN r.src WHERE NOT s IN n.sourceSystems)\n"
        "CALL (n, r) { UNWIND coalesce(n.sourceSystems, []) + r.src AS s "
        "WITH DISTINCT s ORDER BY s RETURN collect(s) AS sources }\n"
        "SET n.sourceSystems = sources",
    ]
)

# Existing nodes that a batch updates or relabels. Setting a label takes the node's write lock even
# when the node has it already, and this runs before the versioned update reads version tokens or a
# to-one relation's links: a concurrent writer's update of the same node waits for this
# transaction and reads after its commit, rather than both reading the old version and the older
# event's value landing last.
_SET_LABELS = "UNWIND $rows AS r MATCH (n) WHERE elementId(n) = $ids[r.i] SET n:$(r.labels)"

_BY_IDS = (
    "UNWIND $rows AS r MATCH (a) WHERE elementId(a) = $ids[r.a] MATCH (b) WHERE elementId(b) = $ids[r.b]\n"
)
# Every new link, to-many and to-one alike (one statement, planned once): a to-one row carries the
# version ``v`` of the newest event that set it, a to-many row none (setting null sets nothing).
_CREATE_LINKS = _BY_IDS + "CREATE (a)-[l:$(r.t)]->(b) SET l._v = r.v"
_MERGE_LINKS = _BY_IDS + "MERGE (a)-[:$(r.t)]->(b)"
# The newest event decides a to-one relation of an existing node: links to other targets that are
# older go, a newer one blocks this row. The link to ``b`` is created only when missing and its
# version token written only when it grows.
_UPDATE_TO_ONE = _BY_IDS + (
    "OPTIONAL MATCH (a)-[o:$(r.t)]->()\n"
    "WITH a, b, r, collect(o) AS held\n"
    "WHERE all(o IN held WHERE endNode(o) = b OR o._v < r.v)\n"
    "FOREACH (o IN [o IN held WHERE endNode(o) <> b] | DELETE o)\n"
    "FOREACH (o IN [o IN held WHERE endNode(o) = b AND o._v < r.v] | SET o._v = r.v)\n"
    "FOREACH (_ IN CASE WHEN any(o IN held WHERE endNode(o) = b) THEN [] ELSE [1] END |\n"
    "  CREATE (a)-[:$(r.t) {_v: r.v}]->(b))"
)


# -- the change log's variants (used only when it is on): the same writes, returning what they did --

# The versioned update, returning per node the properties whose stored value it really changed:
# a newer version token with the value already stored, or an older event's, changes nothing.
# The source systems are set as in _UPDATE_NODES (sorted only when they grow), but without filtering
# rows out: each row returns.
_UPDATE_NODES_RETURNING = "\n".join(
    [
        "UNWIND $rows AS r MATCH (n) WHERE elementId(n) = $ids[r.i]",
        "WITH n, r, [p IN keys(r.v) WHERE coalesce(n['_v_' + p] < r.v[p], true)] AS newer",
        "WITH n, r, newer, [p IN newer WHERE NOT coalesce(n[p] = coalesce(r.p[p], datetime(r.t[p]), "
        "date(r.d[p])), n[p] IS NULL AND r.p[p] IS NULL AND r.t[p] IS NULL AND r.d[p] IS NULL)] AS changed",
        "FOREACH (p IN newer |\n"
        "  SET n[p] = coalesce(r.p[p], datetime(r.t[p]), date(r.d[p])), n['_v_' + p] = r.v[p])",
        "WITH n, r, changed, datetime(r.tmin) AS tmin, datetime(r.tmax) AS tmax",
        "FOREACH (_ IN CASE WHEN coalesce(n.firstEventTime > tmin, true) THEN [1] ELSE [] END |\n"
        "  SET n.firstEventTime = tmin)",
        "FOREACH (_ IN CASE WHEN coalesce(n.lastEventTime < tmax, true) THEN [1] ELSE [] END |\n"
        "  SET n.lastEventTime = tmax)",
        "SET n:$(r.labels)",
        "WITH n, r, changed,\n"
        "  n.sourceSystems IS NULL OR any(s IN r.src WHERE NOT s IN n.sourceSystems) AS grow\n"
        "CALL (n, r, grow) {\n"
        "  UNWIND CASE WHEN grow THEN coalesce(n.sourceSystems, []) + r.src ELSE [] END AS s\n"
        "  WITH DISTINCT s ORDER BY s RETURN collect(s) AS sources }",
        "FOREACH (_ IN CASE WHEN grow THEN [1] ELSE [] END | SET n.sourceSystems = sources)",
        "RETURN r.i AS i, changed",
    ]
)
# MERGE, returning the rows whose relationship did not exist before.
_MERGE_LINKS_RETURNING = _BY_IDS + (
    "WITH a, b, r, EXISTS { (a)-[:$(r.t)]->(b) } AS had\n"
    "MERGE (a)-[:$(r.t)]->(b)\n"
    "WITH r, had WHERE NOT had RETURN r.a AS a, r.b AS b, r.t AS t"
)
# _UPDATE_TO_ONE, returning the rows that created their link, with the key values (``r.kp``: the
# target's key properties) of the targets it replaced.
_UPDATE_TO_ONE_RETURNING = _BY_IDS + (
    "OPTIONAL MATCH (a)-[o:$(r.t)]->()\n"
    "WITH a, b, r, collect(o) AS held\n"
    "WHERE all(o IN held WHERE endNode(o) = b OR o._v < r.v)\n"
    "WITH a, b, r, held, any(o IN held WHERE endNode(o) = b) AS had,\n"
    "  [o IN held WHERE endNode(o) <> b | [k IN r.kp | endNode(o)[k]]] AS previous\n"
    "FOREACH (o IN [o IN held WHERE endNode(o) <> b] | DELETE o)\n"
    "FOREACH (o IN [o IN held WHERE endNode(o) = b AND o._v < r.v] | SET o._v = r.v)\n"
    "FOREACH (_ IN CASE WHEN had THEN [] ELSE [1] END |\n"
    "  CREATE (a)-[:$(r.t) {_v: r.v}]->(b))\n"
    "WITH r, had, previous WHERE NOT had RETURN r.a AS a, r.b AS b, r.t AS t, previous"
)
_CREATE_OUTBOX = (
    f"CREATE (o:{_q(changelog.OUTBOX_LABEL)} {{seq: $seq, createdAt: $at, owner: $owner, "
    f"{changelog.OUTBOX_CHANGES}: $changes}})"
)


class GraphWriter:
    """Writes batches of :class:`MappedEvent` in one transaction each.

    Several writers may load into one graph: when two create the same new node at once, the
    uniqueness constraint refuses the second, whose batch is written again (see :meth:`write`).
    """

    def __init__(
        self, driver: neo4j.Driver, database: str, model: DomainModel, *, change_log: str | None = None
    ) -> None:
        self.driver = driver
        self.database = database
        #: With the change log on, the id of this loader (its publisher's ``owner``): each batch's
        #: changes go into a ChangeOutbox node of its own transaction, stamped with it, which the
        #: publisher sends and deletes after the commit. None: off, no extra work at all.
        self.change_log = change_log
        affected = model.relations.get("affected")
        reported = model.relations.get("reportedBy")
        source_cls = model.classes.get(SOURCE_CLASS)
        if affected is None or reported is None or source_cls is None or not source_cls.key:
            raise ValueError(
                "the ontology must define ds:affected, ds:reportedBy and a keyed ds:SourceSystem "
                "for event lineage"
            )
        self.source_label = source_cls.neo4j_label
        self._affected_type = affected.rel_type
        self.source_key = source_cls.key[0]
        self.source_labels = model.labels_for(SOURCE_CLASS)
        # One small lookup per keyed label, sent only for the labels a batch holds: each plans in
        # milliseconds and once, whereas one statement for every label (a ``UNION`` of all of them)
        # took Neo4j about half a second to plan on a quiet machine, seconds on a loaded one, and
        # dominated a first load.
        #: False until this writer has seen the graph hold a node: a batch into an empty graph skips
        #: the lookups (every node is new), which a first load would otherwise plan one per label
        #: on a cold Neo4j (70-170 ms each). A concurrent writer's node created meanwhile makes
        #: the ``CREATE`` fail on the uniqueness constraint, and the retry looks up (see ``write``).
        self._graph_holds_nodes = False
        self._lookup_params = {
            (c.neo4j_label, tuple(c.key)): f"k{i}" for i, c in enumerate(model.keyed_classes())
        }
        self._lookups = {
            param: f"UNWIND $rows AS r MATCH (n:{_q(label)} {_key_map(key, 'r.k')}) "
            "RETURN r.i AS i, elementId(n) AS id, labels(n) AS labels"
            for (label, key), param in self._lookup_params.items()
        }
        self._events_cypher = (
            f"UNWIND $rows AS r CREATE (e:{_q(EVENT_LABEL)} {{eventId: r.id, eventType: r.type, "
            "eventTime: datetime(r.time), source: r.source, subject: r.subject, ingestedAt: $at, "
            f"_payloadHash: r.hash, {PAYLOAD_PROPERTY}: r.payload}})\n"
            "SET e:$(r.labels)\n"
            "WITH e, r UNWIND r.aff AS a MATCH (n) WHERE elementId(n) = $ids[a]\n"
            f"CREATE (e)-[:{_q(affected.rel_type)}]->(n)"
        )

        # Lineage links that carry a role or kept values (mappings' `role:`, `history: true`); a
        # statement of their own, run only when a batch has some, so the plain batch is unchanged.
        self._qualified_cypher = (
            f"UNWIND $rows AS r MATCH (e:{_q(EVENT_LABEL)} {{source: r.s, eventId: r.id}})\n"
            "MATCH (n) WHERE elementId(n) = $ids[r.n]\n"
            f"CREATE (e)-[l:{_q(affected.rel_type)}]->(n) SET l = r.p"
        )

    def plan(self, events: Sequence[MappedEvent]) -> WritePlan:
        """Everything about a batch that needs no database: repeats inside it dropped, updates
        collapsed, relationship and event rows built. The pipeline plans batch N+1 on its feeder
        thread while batch N is in Neo4j."""
        seen: set[tuple[str, str]] = set()
        unique: list[MappedEvent] = []
        repeats: list[MappedEvent] = []
        for event in events:
            if event.envelope.key in seen:
                repeats.append(event)
            else:
                seen.add(event.envelope.key)
                unique.append(event)
        return WritePlan(unique, repeats, self._prepare(unique))

    def write(self, events: Sequence[MappedEvent], plan: WritePlan | None = None) -> WriteResult:
        """Write one batch in one transaction; ``plan`` is :meth:`plan` of the same events.

        If another writer created one of the batch's new nodes after the lookup, the ``CREATE``
        fails on the uniqueness constraint and the whole transaction is rolled back; it is run
        again (its lookup now finds the node), as a ``MERGE`` would have waited and matched.
        """
        plan = plan or self.plan(events)
        attempt = 1
        while True:
            try:
                with self.driver.session(database=self.database) as session:
                    written = session.execute_write(self._write_tx, plan)
                if written.loaded:
                    self._graph_holds_nodes = True
                return written
            except neo4j.exceptions.ConstraintError:
                self._graph_holds_nodes = True  # another writer's nodes: look them up this time
                if attempt >= CONSTRAINT_ATTEMPTS:
                    raise
                attempt += 1
                log.info("another writer created a node of this batch first; writing the batch again")

    def warm_up(self) -> int:
        """Have Neo4j plan the statements a first load sends now, in a transaction that is rolled
        back; the number of statements. Run at connect time beside the feeder's preparation, the
        first batch finds them planned. The statements only a graph holding some of the batch's
        nodes needs (relabelling, the versioned update, ``MERGE`` of links, re-pointing to-one
        relations) are planned when first sent: waiting for them made a first load slower than
        planning them never. Parameters have the types of a real batch (an empty list is another
        type)."""
        statements = self._warm_statements()
        with self.driver.session(database=self.database) as session, session.begin_transaction() as tx:
            for cypher, params in statements:
                tx.run(_NO_REPLAN + cypher, params).consume()
            tx.rollback()
        return len(statements)

    def _warm_statements(self) -> list[tuple[str, dict[str, Any]]]:
        """Each statement a batch into an empty graph sends, with one row that matches nothing
        already stored. Only names the graph uses anyway: a label, type or property name Neo4j
        sees is kept as a token even when its transaction is rolled back."""
        at = dt.datetime.now(dt.UTC)
        ids = ["warm-up", "warm-up"]  # no element id
        source = "digispine/warm-up"
        node = {"i": 0, "labels": [self.source_label], "p": {self.source_key: source}, "t": {}, "d": {}}
        link = {"t": self._affected_type, "a": 0, "b": 1}
        one = {**link, "v": "x"}
        event = {
            "labels": [],
            "id": "warm-up",
            "type": "x",
            "time": at.isoformat(),
            "source": source,
            "subject": None,
            "hash": "x",
            "payload": "{}",
            "aff": [0],
        }
        source_lookup = self._lookups[self._lookup_params[(self.source_label, (self.source_key,))]]
        statements: list[tuple[str, dict[str, Any]]] = [
            (_STORED_EVENTS, {"keys": [[source, "warm-up", ["x"]]]}),
            (_ANY_NODE, {}),
            (source_lookup, {"rows": [{"i": 0, "k": [source]}]}),  # every batch has a source system
            (_CREATE_NODES, {"rows": [node]}),
            (_CREATE_LINKS, {"rows": [link, one], "ids": ids}),
            (self._events_cypher, {"rows": [event], "ids": ids, "at": at}),
        ]
        if self.change_log:
            statements.append((_CREATE_OUTBOX, {"seq": 0, "at": at, "owner": "warm-up", "changes": "[]"}))
        return statements

    # -- planning ----------------------------------------------------------------------------------
    def _prepare(self, events: Sequence[MappedEvent]) -> _Prepared:
        index: dict[EntityRef, int] = {}
        nodes: list[_NodeAcc] = []

        def node(ref: EntityRef) -> _NodeAcc:
            at = index.get(ref)
            if at is None:
                at = index[ref] = len(nodes)
                nodes.append(_NodeAcc(ref))
            return nodes[at]

        to_many: set[tuple[str, int, int]] = set()
        to_one: dict[tuple[str, int], tuple[str, int]] = {}
        event_rows: list[dict[str, Any]] = []
        qualified: list[dict[str, Any]] = []
        for event in events:
            env = event.envelope
            version = env.version_token
            source_ref = EntityRef(self.source_label, (self.source_key,), (env.source,))
            # The source system node is only made to exist (a reference, no lineage): updating it
            # would lock that one node in every batch of every loader.
            node(source_ref).labels.update(self.source_labels)
            affected: dict[int, None] = {}
            for write in event.entities:
                acc = node(write.ref)
                acc.labels.update(write.labels)
                if write.affected:  # values and bookkeeping for what it affects; references just exist
                    acc.affected = True
                    acc.touch(env.time, env.source)
                if write.lineage:  # the event's link to it (a mapping's `lineage:`, default: affected)
                    link = write.link_properties
                    if link is None:
                        affected[index[write.ref]] = None
                    else:  # a role or kept values: the qualified links' own statement
                        qualified.append({"s": env.source, "id": env.id, "n": index[write.ref], "p": link})
                for prop, value in write.properties.items():
                    acc.offer(prop, version, value)
            for rel in event.relations:  # between entities of the event (the mapping checks it)
                a, b = index[rel.source], index[rel.target]
                if rel.to_many:
                    to_many.add((rel.rel_type, a, b))
                else:
                    held = to_one.get((rel.rel_type, a))
                    if held is None or version > held[0]:
                        to_one[(rel.rel_type, a)] = (version, b)
            row: dict[str, Any] = {
                "labels": [x for x in event.event_labels if x != EVENT_LABEL],
                "id": env.id,
                "type": env.type,
                "time": env.time.isoformat(),
                "source": env.source,
                "subject": env.subject,
                "hash": env.payload_hash,
                "payload": env.payload_json.decode(),
            }
            row["aff"] = list(affected)
            event_rows.append(row)
        lookup: dict[str, list[dict[str, Any]]] = {param: [] for param in self._lookup_params.values()}
        for i, acc in enumerate(nodes):
            param = self._lookup_params.get((acc.ref.label, acc.ref.key_props))
            if param is None:
                raise ValueError(
                    f"{acc.ref.label} keyed by {', '.join(acc.ref.key_props)} is not a keyed class of the "
                    "ontology (owl:hasKey); the mapping cannot address it"
                )
            lookup[param].append({"i": i, "k": list(acc.ref.key)})
        return _Prepared(
            nodes,
            lookup,
            [{"t": t, "a": a, "b": b} for t, a, b in sorted(to_many)],
            [{"t": t, "a": a, "b": b, "v": v} for (t, a), (v, b) in sorted(to_one.items())],
            event_rows,
            qualified,
        )

    # -- the transaction ---------------------------------------------------------------------------
    def _write_tx(self, tx: neo4j.ManagedTransaction, plan: WritePlan) -> WriteResult:
        result = WriteResult()
        fresh = plan.unique
        prepared = plan.prepared
        keys: list[list[Any]] = [[*e.envelope.key, [e.envelope.payload_hash]] for e in fresh]
        if plan.repeats:  # their digests too: a repeat may conflict where its first does not
            digests = {e.envelope.key: row[2] for e, row in zip(fresh, keys, strict=True)}
            for event in plan.repeats:
                digests[event.envelope.key].append(event.envelope.payload_hash)
        stored = {(r["source"], r["eventId"]): r.data() for r in _run(tx, result, _STORED_EVENTS, keys=keys)}
        if stored:  # a replay: plan again without what is already in the graph
            for event in fresh:
                if event.envelope.key in stored:
                    _compare(event, stored[event.envelope.key], result)
            fresh = [e for e in fresh if e.envelope.key not in stored]
            prepared = self._prepare(fresh)
        if plan.repeats:  # compared with the stored event, else with the batch's first occurrence
            firsts = {e.envelope.key: e for e in plan.unique}
            for event in plan.repeats:
                key = event.envelope.key
                _compare(event, stored.get(key) or _described(firsts[key]), result)
        if fresh and not self._graph_holds_nodes:
            self._graph_holds_nodes = bool(_run(tx, result, _ANY_NODE).single(strict=True)["any"])
        if fresh:
            self._send(tx, prepared, result, fresh)
        result.loaded = [e.envelope.key for e in fresh]
        return result

    def _send(
        self,
        tx: neo4j.ManagedTransaction,
        prepared: _Prepared,
        result: WriteResult,
        fresh: Sequence[MappedEvent],
    ) -> None:
        def run(cypher: str, **params: Any) -> None:
            _run(tx, result, cypher, **params).consume()

        if self.change_log:
            self._send_logged(tx, prepared, result, fresh)
            return

        ids, updates = _look_up_and_lock(tx, self._needed_lookups(), prepared, result)
        new = _create_new(tx, prepared, result, ids)
        if updates:
            run(_UPDATE_NODES, rows=updates, ids=ids)

        fresh_links, known_links, fresh_one, known_one = _split_links(prepared, new)
        for cypher, rows in (
            (_CREATE_LINKS, fresh_links + fresh_one),
            (_MERGE_LINKS, known_links),
            (_UPDATE_TO_ONE, known_one),
        ):
            if rows:
                run(cypher, rows=rows, ids=ids)
        run(self._events_cypher, rows=prepared.events, ids=ids, at=dt.datetime.now(dt.UTC))
        if prepared.qualified:
            run(self._qualified_cypher, rows=prepared.qualified, ids=ids)

    def _send_logged(
        self,
        tx: neo4j.ManagedTransaction,
        prepared: _Prepared,
        result: WriteResult,
        fresh: Sequence[MappedEvent],
    ) -> None:
        """:meth:`_send` with the change log on: the same statements (their variants returning what
        they did), then the batch's changes written to an outbox node in the same transaction."""
        nodes = prepared.nodes
        ids, updates = _look_up_and_lock(tx, self._needed_lookups(), prepared, result)
        new = _create_new(tx, prepared, result, ids)
        outcomes = [
            NodeOutcome(acc.ref, True, dict(acc.values) if acc.affected else {})
            for i, acc in enumerate(nodes)
            if new[i]
        ]
        if updates:
            for record in _run(tx, result, _UPDATE_NODES_RETURNING, rows=updates, ids=ids):
                acc = nodes[record["i"]]
                if record["changed"]:
                    outcomes.append(
                        NodeOutcome(acc.ref, False, {p: acc.values[p] for p in record["changed"]})
                    )

        links: list[LinkOutcome] = []
        fresh_links, known_links, fresh_one, known_one = _split_links(prepared, new)
        if fresh_links or fresh_one:
            _run(tx, result, _CREATE_LINKS, rows=fresh_links + fresh_one, ids=ids).consume()
            links += [LinkOutcome(r["t"], nodes[r["a"]].ref, nodes[r["b"]].ref, None) for r in fresh_links]
        if known_links:
            for record in _run(tx, result, _MERGE_LINKS_RETURNING, rows=known_links, ids=ids):
                links.append(LinkOutcome(record["t"], nodes[record["a"]].ref, nodes[record["b"]].ref, None))
        links += [LinkOutcome(r["t"], nodes[r["a"]].ref, nodes[r["b"]].ref, r["v"]) for r in fresh_one]
        if known_one:
            rows = [{**row, "kp": list(nodes[row["b"]].ref.key_props)} for row in known_one]
            versions = {(row["t"], row["a"]): row["v"] for row in known_one}
            for record in _run(tx, result, _UPDATE_TO_ONE_RETURNING, rows=rows, ids=ids):
                target = nodes[record["b"]].ref
                previous = tuple(
                    {"class": target.label, "key": dict(zip(target.key_props, key, strict=True))}
                    for key in record["previous"]
                )
                version = versions[(record["t"], record["a"])]
                links.append(LinkOutcome(record["t"], nodes[record["a"]].ref, target, version, previous))
        at = dt.datetime.now(dt.UTC)
        _run(tx, result, self._events_cypher, rows=prepared.events, ids=ids, at=at).consume()
        if prepared.qualified:
            _run(tx, result, self._qualified_cypher, rows=prepared.qualified, ids=ids).consume()
        changes = changelog.batch_changes(fresh, outcomes, links, self._source_ref)
        if changes:
            text = changelog.outbox_text(changes)
            outbox = {"seq": time.time_ns(), "at": at, "owner": self.change_log, "changes": text}
            _run(tx, result, _CREATE_OUTBOX, **outbox).consume()
            result.changes = len(changes)

    def _needed_lookups(self) -> dict[str, str] | None:
        """The per-label lookups, None while the graph holds no node (nothing to find)."""
        return self._lookups if self._graph_holds_nodes else None

    def _source_ref(self, env: Any) -> EntityRef:
        return EntityRef(self.source_label, (self.source_key,), (env.source,))


def _look_up_and_lock(
    tx: neo4j.ManagedTransaction, lookups: dict[str, str] | None, prepared: _Prepared, result: WriteResult
) -> tuple[list[str | None], list[dict[str, Any]]]:
    """Find the batch's nodes that exist (their element ids, None for new ones), add missing labels
    and take the write locks of those the batch changes, in element-id order so two writers take
    them in the same order; returns the ids and the versioned-update rows of existing nodes.
    ``lookups`` None: the graph holds no node, every node is new."""
    nodes = prepared.nodes
    ids: list[str | None] = [None] * len(nodes)
    to_one_sources = {row["a"] for row in prepared.to_one}
    updates, labels = [], []
    found = [
        record
        for param, rows in prepared.lookup.items()
        if rows and lookups is not None
        for record in _run(tx, result, lookups[param], rows=rows)
    ]
    for record in found:
        i, acc = record["i"], nodes[record["i"]]
        ids[i] = record["id"]
        if acc.affected:
            updates.append(acc.update_row(i))
        if not acc.labels <= set(record["labels"]):
            labels.append((record["id"], {"i": i, "labels": sorted(acc.labels)}))
        elif acc.affected or i in to_one_sources:  # only its lock
            labels.append((record["id"], {"i": i, "labels": [acc.ref.label]}))
    if labels:
        rows = [row for _, row in sorted(labels, key=lambda pair: pair[0])]
        _run(tx, result, _SET_LABELS, rows=rows, ids=ids).consume()
    return ids, updates


def _create_new(
    tx: neo4j.ManagedTransaction, prepared: _Prepared, result: WriteResult, ids: list[str | None]
) -> list[bool]:
    """``CREATE`` every node the lookup did not find, filling in ``ids``; which ones are new."""
    created = [acc.create_row(i) for i, acc in enumerate(prepared.nodes) if ids[i] is None]
    new = [False] * len(prepared.nodes)
    if created:
        for record in _run(tx, result, _CREATE_NODES, rows=created):
            ids[record["i"]] = record["id"]
            new[record["i"]] = True
    return new


def _split_links(prepared: _Prepared, new: list[bool]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Relationship rows by how they are written: to-many with a new end (``CREATE``) or between
    existing nodes (``MERGE``), to-one from a new node (``CREATE``) or from an existing one
    (versioned re-pointing)."""
    fresh_links: list[Any] = []
    known_links: list[Any] = []
    fresh_one: list[Any] = []
    known_one: list[Any] = []
    for row in prepared.to_many:
        (fresh_links if new[row["a"]] or new[row["b"]] else known_links).append(row)
    for row in prepared.to_one:
        (fresh_one if new[row["a"]] else known_one).append(row)
    return fresh_links, known_links, fresh_one, known_one


def _described(event: MappedEvent) -> dict[str, Any]:
    """What a conflicting duplicate's letter keeps of the event accepted first in its own batch:
    the attributes the graph stores, and (only known here) its whole payload."""
    env = event.envelope
    return {
        "source": env.source,
        "eventId": env.id,
        "type": env.type,
        "time": env.time_text,
        "subject": env.subject,
        "payloadHash": env.payload_hash,
        "data": env.data,
    }


def _compare(event: MappedEvent, held: dict[str, Any], result: WriteResult) -> None:
    """A plain duplicate when ``event`` says what the event held under its key said, else a
    conflict. Events stored before digests were kept have none: they count as duplicates."""
    digest = held.get("payloadHash")
    if digest is None or digest == event.envelope.payload_hash:
        result.duplicates.append(event.envelope.key)
    else:
        result.conflicts.append(Conflict(event, _first_accepted(held)))


#: What a letter says when the graph holds no payload of the event accepted first.
NO_PAYLOAD = "the graph holds no payload of this event: it was stored before payloads were kept"


def _first_accepted(held: dict[str, Any]) -> dict[str, Any]:
    """A conflict letter's ``stored``: a stored event's row with its payload as ``data`` (parsed),
    or a note that the graph has none; an event of the same batch (:func:`_described`) as it is."""
    if "payload" not in held:
        return held
    first = {k: v for k, v in held.items() if k != "payload"}
    if held["payload"] is None:
        first["note"] = NO_PAYLOAD
    else:
        first["data"] = orjson.loads(held["payload"])
    return first


def _run(tx: neo4j.ManagedTransaction, result: WriteResult, cypher: str, **params: Any) -> neo4j.Result:
    result.statements += 1
    return tx.run(_NO_REPLAN + cypher, params)


def _key_map(key_props: Sequence[str], var: str) -> str:
    return "{" + ", ".join(f"{_q(p)}: {var}[{i}]" for i, p in enumerate(key_props)) + "}"
