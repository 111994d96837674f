"""The Explore API: GraphQL fields for clicking through the graph (the explorer page uses them).

``searchEntities``, ``neighbourhood`` (restricted to classes or relation types when asked),
``neighbourSummary``, ``paths``, ``entityEvents``, ``eventLineage`` and ``explorerLegend``. Nodes
come back with their class, the class's label in the requested language, the bounded context and
its colour, and their properties (personal data masked for callers without ``personal-data``).
Events are kept out of neighbourhoods and paths (an event links everything it touched) and listed
by ``entityEvents``; ``eventLineage`` goes the other way, from an event to what it touched (with
the link's role and the values kept on it). Each field is one parameterised statement; labels and
relationship types come from the model (names in a request are checked against it), never from
the request's text.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Optional

import neo4j
import strawberry
from graphql import GraphQLError

from graph_service.ontology.model import EVENT_ROOT, ClassDef, DomainModel
from graph_service.security import READER, current_principal
from graph_service.store import Neo4jStore
from graph_service.store.lineage import affected_type, lineage_types
from graph_service.store.schema import SEARCH_INDEX

MAX_DEPTH = 3
MAX_LIMIT = 500
MAX_PATH_LENGTH = 6
MAX_PATHS = 10
EVENT_LABEL = EVENT_ROOT
#: Entities the search index proposes before the exact filter and ranking pick ``limit`` of them.
SEARCH_CANDIDATES = 2000
#: One colour per bounded context (colour-blind-safe palette, in context order).
PALETTE = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB", "#EE8866")
DISPLAY_PROPERTIES = ("name", "description", "title")


@strawberry.type(description="A property of an explored node.")
class GraphProperty:
    name: str
    label: str
    value: str | None
    masked: bool


@strawberry.type(description="An entity in the explorer: class, key, label and bounded context.")
class GraphNode:
    id: strawberry.ID
    class_: str = strawberry.field(name="class")
    class_label: str
    key: str
    label: str
    context: str
    color: str
    properties: list[GraphProperty]


@strawberry.type(description="A relationship between two explored nodes.")
class GraphEdge:
    id: strawberry.ID
    source: strawberry.ID
    target: strawberry.ID
    type: str
    label: str


@strawberry.type(description="An entity with the nodes and edges around it.")
class Neighbourhood:
    center: GraphNode
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool


@strawberry.type(description="One path between two entities.")
class GraphPath:
    nodes: list[GraphNode]
    edges: list[GraphEdge]


@strawberry.type(description="A domain event that touched an entity.")
class GraphEvent:
    id: strawberry.ID
    type: str
    time: str
    source: str
    label: str
    role: str | None = strawberry.field(
        default=None, description="The role the entity had in the event (its lineage link's), if any."
    )


@strawberry.type(description="An entity an event touched, with what its lineage link holds.")
class LineageLink:
    node: GraphNode
    role: str | None = strawberry.field(description="The link's role (a mapping's `role:`), if any.")
    kept: list[GraphProperty] = strawberry.field(
        description="Values the event set, kept on the link as history (a mapping's `history: true`)."
    )


@strawberry.type(description="An event and every entity it touched.")
class EventLineage:
    event: GraphEvent
    touched: list[LineageLink]
    truncated: bool


@strawberry.type(description="How many neighbours of an entity are of a class or over a relation type.")
class NeighbourCount:
    name: str
    label: str
    count: int


@strawberry.type(description="An entity's neighbours counted by class and by relation type.")
class NeighbourSummary:
    classes: list[NeighbourCount]
    relations: list[NeighbourCount]


@strawberry.type(description="A bounded context with its label and colour.")
class ContextLegend:
    context: str
    label: str
    color: str


@strawberry.input(description="An entity by class and business key.")
class EntityRefInput:
    class_: str = strawberry.field(name="class")
    key: str


class Explorer:
    """Builds the answers; one instance per schema."""

    def __init__(self, model: DomainModel, store: Neo4jStore) -> None:
        self.model = model
        self.store = store
        self._search_index = False  # seen ONLINE once: then it stays (asked again until it is)
        contexts = [c for c in model.bounded_contexts()]
        self.colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(contexts)}
        self.by_label = {c.neo4j_label: c for c in model.classes.values()}
        self.rel_label = {r.rel_type: r for r in model.relations.values() if r.stored}
        self.affected = affected_type(model)
        lineage = lineage_types(model)
        types = sorted(t for t in self.rel_label if t not in lineage)
        self.traversable = "|".join(f"`{t}`" for t in types)
        #: The business relations a neighbourhood may be restricted to, by their model name.
        self.relations_by_name = {
            r.name: r for r in model.relations.values() if r.stored and r.rel_type not in lineage
        }

    # -- helpers ------------------------------------------------------------------------------

    def cls(self, name: str) -> ClassDef:
        cls = self.model.classes.get(name)
        if cls is None:
            close = [c for c in self.model.classes if c.lower().startswith(name[:3].lower())][:5]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise _bad(f"unknown class {name!r}{hint}")
        if not cls.key:
            raise _bad(f"{name} has no business key, so its instances cannot be looked up")
        return cls

    def class_labels(self, names: Sequence[str] | None) -> list[str] | None:
        """The Neo4j labels of the classes named (None: no restriction); an unknown name is an error."""
        if names is None:
            return None
        if not names:
            raise _bad("`classes` is empty: leave it out to expand to every class")
        labels = []
        for name in names:
            cls = self.model.classes.get(name)
            if cls is None:
                raise _bad(f"unknown class {name!r} in `classes`{_did_you_mean(name, self.model.classes)}")
            labels.append(cls.neo4j_label)
        return sorted(set(labels))

    def relation_types(self, names: Sequence[str] | None) -> str:
        """The relationship types to walk: the relations named (by their model name), or every
        business relation; a lineage relation or an unknown name is an error."""
        if names is None:
            return self.traversable
        if not names:
            raise _bad("`relations` is empty: leave it out to expand over every relation")
        types = []
        for name in names:
            relation = self.relations_by_name.get(name)
            if relation is None:
                raise _bad(
                    f"unknown relation {name!r} in `relations`{_did_you_mean(name, self.relations_by_name)}"
                )
            types.append(relation.rel_type)
        return "|".join(f"`{t}`" for t in sorted(set(types)))

    def key_param(self, cls: ClassDef, key: str) -> Any:
        """The key text as the key property's type (an integer key is matched as an integer)."""
        prop = self.model.datatype_properties.get(cls.key[0])
        if prop is not None and prop.python_type is int:
            try:
                return int(key)
            except ValueError:
                raise _bad(f"the key of {cls.name} ({cls.key[0]}) is a number; got {key!r}") from None
        return key

    def node(self, value: neo4j.graph.Node, lang: str) -> GraphNode:
        cls = self.class_of(value.labels)
        props = dict(value.items())
        key = "|".join(str(props.get(k)) for k in cls.key) if cls and cls.key else value.element_id
        name = cls.name if cls else sorted(value.labels)[0]
        display = next((str(props[p]) for p in DISPLAY_PROPERTIES if props.get(p)), key)
        context = cls.bounded_context if cls else ""
        return GraphNode(
            id=strawberry.ID(f"{name}:{key}"),
            class_=name,
            class_label=cls.label(lang) if cls else name,
            key=key,
            label=display,
            context=context,
            color=self.colors.get(context, PALETTE[-1]),
            properties=self.properties(props, lang),
        )

    def properties(self, props: Mapping[str, Any], lang: str) -> list[GraphProperty]:
        personal_ok = current_principal().may_see_personal_data
        out = []
        for name in sorted(props):
            if name.startswith("_"):
                continue
            term = self.model.datatype_properties.get(name)
            masked = bool(term and term.personal_data and not personal_ok)
            out.append(
                GraphProperty(
                    name=name,
                    label=term.label(lang) if term else name,
                    value=None if masked else _text(props[name]),
                    masked=masked,
                )
            )
        return out

    def class_of(self, labels: Sequence[str] | frozenset[str]) -> ClassDef | None:
        best: ClassDef | None = None
        for label in labels:
            cls = self.by_label.get(label)
            if cls is not None and (best is None or len(cls.ancestors) > len(best.ancestors)):
                best = cls
        return best

    def edge(self, rel: neo4j.graph.Relationship, ids: Mapping[str, str], lang: str) -> GraphEdge | None:
        start, end = rel.start_node, rel.end_node
        if start is None or end is None or start.element_id not in ids or end.element_id not in ids:
            return None
        relation = self.rel_label.get(rel.type)
        return GraphEdge(
            id=strawberry.ID(rel.element_id),
            source=strawberry.ID(ids[start.element_id]),
            target=strawberry.ID(ids[end.element_id]),
            type=relation.name if relation else rel.type,
            label=relation.label(lang) if relation else rel.type,
        )

    def _search_index_online(self) -> bool:
        if not self._search_index:
            rows = self.read(
                "SHOW INDEXES YIELD name, state WHERE name = $name RETURN state", name=SEARCH_INDEX
            )
            self._search_index = bool(rows) and rows[0]["state"] == "ONLINE"
        return self._search_index

    def read(self, query: str, **params: Any) -> list[neo4j.Record]:
        def work() -> list[neo4j.Record]:
            with self.store.driver.session(
                database=self.store.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                return list(session.run(neo4j.Query(query, timeout=10.0), params))

        return self.store.call(work)

    # -- fields -------------------------------------------------------------------------------

    def search(self, text: str, class_name: str | None, limit: int, lang: str) -> list[GraphNode]:
        _reader()
        limit = _bounded(limit, 1, MAX_LIMIT, "limit")
        label = self.cls(class_name).neo4j_label if class_name else "Entity"
        keys = sorted({k for c in self.model.classes.values() for k in c.key})
        needle = text.strip().lower()
        if not needle:
            raise _bad("`text` is empty")
        words = _fulltext_query(needle)
        if words and self._search_index_online():
            # The index proposes candidates (each word of the text inside a word of a key or name);
            # the same exact test as the scan below then keeps and ranks them.
            head = (
                "CALL db.index.fulltext.queryNodes($index, $words, {limit: $candidates}) YIELD node AS n\n"
                f"WITH n WHERE n:`{label}` AND NOT n:{EVENT_LABEL}\n"
            )
        else:  # no index yet (`digispine schema apply` creates it): scan every entity
            head = f"MATCH (n:`{label}`) WHERE NOT n:{EVENT_LABEL}\n"
        rows = self.read(
            head + "WITH n, [k IN $keys WHERE n[k] IS NOT NULL | toLower(toString(n[k]))] AS ks\n"
            "WHERE any(k IN ks WHERE k CONTAINS $t) OR toLower(coalesce(n.name, '')) CONTAINS $t\n"
            "RETURN n ORDER BY CASE WHEN $t IN ks THEN 0 WHEN any(k IN ks WHERE k STARTS WITH $t) THEN 1 "
            "ELSE 2 END, coalesce(n.name, head(ks)) LIMIT $limit",
            keys=keys,
            t=needle,
            limit=limit,
            index=SEARCH_INDEX,
            words=words,
            candidates=SEARCH_CANDIDATES,
        )
        return [self.node(r["n"], lang) for r in rows]

    def neighbourhood(
        self,
        class_name: str,
        key: str,
        depth: int,
        limit: int,
        lang: str,
        classes: Sequence[str] | None = None,
        relations: Sequence[str] | None = None,
    ) -> Neighbourhood | None:
        _reader()
        cls = self.cls(class_name)
        depth = _bounded(depth, 1, MAX_DEPTH, "depth")
        limit = _bounded(limit, 1, MAX_LIMIT, "limit")
        labels = self.class_labels(classes)
        types = self.relation_types(relations)
        rows = self.read(
            f"MATCH (c:`{cls.neo4j_label}` {{`{cls.key[0]}`: $key}})\n"
            f"CALL (c) {{ MATCH (c)-[:{types}*1..{depth}]-(m)\n"
            f"  WHERE m <> c AND NOT m:{EVENT_LABEL}"
            + (" AND any(l IN labels(m) WHERE l IN $labels)" if labels is not None else "")
            + "\n  RETURN DISTINCT m LIMIT $more }\n"
            "WITH c, collect(m) AS found\n"
            "WITH c, found[..$limit] AS ms, size(found) > $limit AS truncated\n"
            "WITH c, ms, truncated, [c] + ms AS ns\n"
            "CALL (ns) { UNWIND ns AS a MATCH (a)-[r]->(b) WHERE b IN ns RETURN collect(DISTINCT r) AS rs }\n"
            "RETURN c, ms, rs, truncated",
            key=self.key_param(cls, key),
            limit=limit,
            more=limit + 1,
            labels=labels,
        )
        if not rows:
            return None
        row = rows[0]
        center = self.node(row["c"], lang)
        nodes = [self.node(m, lang) for m in row["ms"]]
        ids = {
            row["c"].element_id: center.id,
            **{m.element_id: n.id for m, n in zip(row["ms"], nodes, strict=True)},
        }
        edges = [e for e in (self.edge(r, ids, lang) for r in row["rs"]) if e is not None]
        return Neighbourhood(center=center, nodes=nodes, edges=edges, truncated=row["truncated"])

    def paths(
        self, start: EntityRefInput, end: EntityRefInput, max_length: int, limit: int, lang: str
    ) -> list[GraphPath]:
        _reader()
        a, b = self.cls(start.class_), self.cls(end.class_)
        max_length = _bounded(max_length, 1, MAX_PATH_LENGTH, "maxLength")
        limit = _bounded(limit, 1, MAX_PATHS, "limit")
        rows = self.read(
            f"MATCH (a:`{a.neo4j_label}` {{`{a.key[0]}`: $a}}), (b:`{b.neo4j_label}` {{`{b.key[0]}`: $b}})\n"
            f"MATCH p = allShortestPaths((a)-[:{self.traversable}*..{max_length}]-(b))\n"
            "RETURN p LIMIT $limit",
            a=self.key_param(a, start.key),
            b=self.key_param(b, end.key),
            limit=limit,
        )
        out = []
        for row in rows:
            path = row["p"]
            nodes = [self.node(n, lang) for n in path.nodes]
            ids = {n.element_id: g.id for n, g in zip(path.nodes, nodes, strict=True)}
            edges = [e for e in (self.edge(r, ids, lang) for r in path.relationships) if e is not None]
            out.append(GraphPath(nodes=nodes, edges=edges))
        return out

    def events(
        self, class_name: str, key: str, limit: int, lang: str, oldest_first: bool = False
    ) -> list[GraphEvent]:
        _reader()
        cls = self.cls(class_name)
        limit = _bounded(limit, 1, MAX_LIMIT, "limit")
        order = "" if oldest_first else " DESC"
        rows = self.read(
            f"MATCH (:`{cls.neo4j_label}` {{`{cls.key[0]}`: $key}})"
            f"<-[a:`{self.affected}`]-(e:{EVENT_LABEL})\n"
            f"RETURN e, a.role AS role ORDER BY e.eventTime{order}, e.eventId LIMIT $limit",
            key=self.key_param(cls, key),
            limit=limit,
        )
        return [self.event(row["e"], lang, row["role"]) for row in rows]

    def event(self, event: neo4j.graph.Node, lang: str, role: Any = None) -> GraphEvent:
        cls_of = self.class_of(event.labels)
        return GraphEvent(
            id=strawberry.ID(str(event.get("eventId"))),
            type=cls_of.name if cls_of else str(event.get("eventType")),
            time=_text(event.get("eventTime")) or "",
            source=str(event.get("source") or ""),
            label=cls_of.label(lang) if cls_of else str(event.get("eventType")),
            role=None if role is None else str(role),
        )

    def lineage(self, event_id: str, source: str | None, limit: int, lang: str) -> EventLineage | None:
        """The event and what it touched: each entity with its link's role and kept values."""
        _reader()
        limit = _bounded(limit, 1, MAX_LIMIT, "limit")
        rows = self.read(
            f"MATCH (e:{EVENT_LABEL} {{eventId: $id}}) WHERE $source IS NULL OR e.source = $source\n"
            "WITH e LIMIT 2\n"
            f"CALL (e) {{ OPTIONAL MATCH (e)-[a:`{self.affected}`]->(n) RETURN n, properties(a) AS link\n"
            "  ORDER BY labels(n)[0], elementId(n) LIMIT $more }\n"
            "RETURN e, collect([n, link]) AS touched",
            id=event_id,
            source=source,
            more=limit + 1,
        )
        if not rows:
            return None
        if len(rows) > 1:
            sources = ", ".join(sorted(str(r["e"].get("source")) for r in rows))
            raise _bad(f"several events have the id {event_id!r} (sources {sources}): give `source`")
        row = rows[0]
        links = [(node, link) for node, link in row["touched"] if node is not None]
        touched = [
            LineageLink(
                node=self.node(node, lang),
                role=None if link.get("role") is None else str(link["role"]),
                kept=self.properties({k: v for k, v in link.items() if k != "role"}, lang),
            )
            for node, link in links[:limit]
        ]
        touched.sort(key=lambda t: (t.role is None, t.node.class_label, t.node.label))
        return EventLineage(event=self.event(row["e"], lang), touched=touched, truncated=len(links) > limit)

    def summary(self, class_name: str, key: str, lang: str) -> NeighbourSummary | None:
        """The entity's direct neighbours counted by (most specific) class and by relation type,
        so that a client can offer to expand one class or one relation at a time. Counted by
        Neo4j (one row per group, not per neighbour: a node with thousands stays cheap)."""
        _reader()
        cls = self.cls(class_name)
        around = f"(c)-[r:{self.traversable}]-(m) WHERE m <> c AND NOT m:{EVENT_LABEL}"
        rows = self.read(
            f"MATCH (c:`{cls.neo4j_label}` {{`{cls.key[0]}`: $key}})\n"
            f"CALL (c) {{ OPTIONAL MATCH {around}\n"
            "  WITH type(r) AS type, count(DISTINCT m) AS n WHERE type IS NOT NULL\n"
            "  RETURN collect([type, n]) AS relations }\n"
            f"CALL (c) {{ OPTIONAL MATCH {around}\n"
            "  WITH DISTINCT m WHERE m IS NOT NULL WITH labels(m) AS labels, count(*) AS n\n"
            "  RETURN collect([labels, n]) AS classes }\n"
            "RETURN relations, classes",
            key=self.key_param(cls, key),
        )
        if not rows:
            return None
        by_class: dict[str, int] = {}
        for labels, count in rows[0]["classes"]:
            found = self.class_of(labels)
            if found is not None:
                by_class[found.name] = by_class.get(found.name, 0) + int(count)
        by_relation: dict[str, int] = {}
        for rel_type, count in rows[0]["relations"]:
            relation = self.rel_label.get(rel_type)
            if relation is not None and relation.name in self.relations_by_name:
                by_relation[relation.name] = by_relation.get(relation.name, 0) + int(count)
        return NeighbourSummary(
            classes=[
                NeighbourCount(name=n, label=self.model.classes[n].label(lang), count=c)
                for n, c in sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            relations=[
                NeighbourCount(name=n, label=self.relations_by_name[n].label(lang), count=c)
                for n, c in sorted(by_relation.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        )

    def legend(self, lang: str) -> list[ContextLegend]:
        modules = {m.name: m for m in self.model.modules}
        return [
            ContextLegend(
                context=context,
                label=modules[context].context_label(lang) if context in modules else context,
                color=color,
            )
            for context, color in self.colors.items()
        ]


ClassArg = Annotated[Optional[str], strawberry.argument(name="class")]  # noqa: UP045 - runtime type
RequiredClassArg = Annotated[str, strawberry.argument(name="class")]
FromArg = Annotated[EntityRefInput, strawberry.argument(name="from")]
ClassesArg = Annotated[
    Optional[list[str]],  # noqa: UP045 - runtime type
    strawberry.argument(description="Only neighbours of these classes (subclasses included)."),
]
RelationsArg = Annotated[
    Optional[list[str]],  # noqa: UP045 - runtime type
    strawberry.argument(description="Only over these relations (their names, e.g. `orderedBy`)."),
]


def make_explore_type(model: DomainModel, store: Neo4jStore) -> type:
    """The strawberry type whose fields join the root Query (``make_schema(extra_types=...)``)."""
    explorer = Explorer(model, store)

    @strawberry.type(name="ExploreQuery")
    class ExploreQuery:
        @strawberry.field(description="Entities whose key or name contains `text` (exact key first).")
        async def search_entities(
            self, text: str, class_: ClassArg = None, limit: int = 20, lang: str = "en"
        ) -> list[GraphNode]:
            return await asyncio.to_thread(explorer.search, text, class_, limit, lang)

        @strawberry.field(
            description="An entity and what is linked to it up to `depth` hops (events left out)."
        )
        async def neighbourhood(
            self,
            class_: RequiredClassArg,
            key: str,
            depth: int = 1,
            limit: int = 100,
            lang: str = "en",
            classes: ClassesArg = None,
            relations: RelationsArg = None,
        ) -> Neighbourhood | None:
            return await asyncio.to_thread(
                explorer.neighbourhood, class_, key, depth, limit, lang, classes, relations
            )

        @strawberry.field(description="An entity's direct neighbours counted by class and by relation.")
        async def neighbour_summary(
            self, class_: RequiredClassArg, key: str, lang: str = "en"
        ) -> NeighbourSummary | None:
            return await asyncio.to_thread(explorer.summary, class_, key, lang)

        @strawberry.field(description="Shortest paths between two entities (events left out).")
        async def paths(
            self, from_: FromArg, to: EntityRefInput, max_length: int = 4, limit: int = 5, lang: str = "en"
        ) -> list[GraphPath]:
            return await asyncio.to_thread(explorer.paths, from_, to, max_length, limit, lang)

        @strawberry.field(
            description="The domain events that affected an entity, newest first "
            "(`oldestFirst`: in time order)."
        )
        async def entity_events(
            self,
            class_: RequiredClassArg,
            key: str,
            limit: int = 50,
            lang: str = "en",
            oldest_first: bool = False,
        ) -> list[GraphEvent]:
            return await asyncio.to_thread(explorer.events, class_, key, limit, lang, oldest_first)

        @strawberry.field(
            description="An event and the entities it touched, each with its link's role and kept values "
            "(`source` tells events of the same id apart)."
        )
        async def event_lineage(
            self, id: strawberry.ID, source: str | None = None, limit: int = 200, lang: str = "en"
        ) -> EventLineage | None:
            return await asyncio.to_thread(explorer.lineage, str(id), source, limit, lang)

        @strawberry.field(description="The bounded contexts with their labels and colours.")
        def explorer_legend(self, lang: str = "en") -> list[ContextLegend]:
            return explorer.legend(lang)

    return ExploreQuery


def _reader() -> None:
    principal = current_principal()
    if not principal.has_role(READER):
        raise GraphQLError(
            f"{principal.name} may not explore the graph: the role `{READER}` is needed",
            extensions={"code": "FORBIDDEN"},
        )


def _bad(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def _did_you_mean(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _bounded(value: int, low: int, high: int, name: str) -> int:
    if value < low or value > high:
        raise _bad(f"`{name}` must be between {low} and {high}; got {value}")
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        return value.iso_format()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _fulltext_query(needle: str) -> str | None:
    """A Lucene query for the search index: every word of ``needle`` inside a word of the entity
    (``SO-0001`` → ``*so* AND *0001*``). Words are letters and digits only, so nothing in them is
    Lucene syntax; ``None`` when the text has no word (then the scan answers)."""
    words = re.findall(r"[^\W_]+", needle)
    return " AND ".join(f"*{word}*" for word in words) or None
