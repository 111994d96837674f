"""The Explore API: GraphQL fields for clicking through the graph (the explorer page uses them).

``searchEntities``, ``neighbourhood``, ``paths``, ``entityEvents`` and ``explorerLegend``. Nodes
come back with their class, the class's label in the requested language, the bounded context and
its colour, and their properties (personal data masked for callers without ``personal-data``).
Events are kept out of neighbourhoods and paths (an event links everything it touched) and listed
by ``entityEvents``. Each field is one parameterised statement; labels and relationship types come
from the model, never from the request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Optional

import neo4j
import strawberry
from graphql import GraphQLError

from graph_service.api.auth import READER, current_principal
from graph_service.ontology.model import EVENT_ROOT, ClassDef, DomainModel
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
                return list(session.run(neo4j.Query(query, timeout=10.0), params))  # type: ignore[arg-type]

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
        self, class_name: str, key: str, depth: int, limit: int, lang: str
    ) -> Neighbourhood | None:
        _reader()
        cls = self.cls(class_name)
        depth = _bounded(depth, 1, MAX_DEPTH, "depth")
        limit = _bounded(limit, 1, MAX_LIMIT, "limit")
        rows = self.read(
            f"MATCH (c:`{cls.neo4j_label}` {{`{cls.key[0]}`: $key}})\n"
            f"CALL (c) {{ MATCH (c)-[:{self.traversable}*1..{depth}]-(m)\n"
            f"  WHERE m <> c AND NOT m:{EVENT_LABEL}\n"
            "  RETURN DISTINCT m LIMIT $more }\n"
            "WITH c, collect(m) AS found\n"
            "WITH c, found[..$limit] AS ms, size(found) > $limit AS truncated\n"
            "WITH c, ms, truncated, [c] + ms AS ns\n"
            "CALL (ns) { UNWIND ns AS a MATCH (a)-[r]->(b) WHERE b IN ns RETURN collect(DISTINCT r) AS rs }\n"
            "RETURN c, ms, rs, truncated",
            key=self.key_param(cls, key),
            limit=limit,
            more=limit + 1,
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

    def events(self, class_name: str, key: str, limit: int, lang: str) -> list[GraphEvent]:
        _reader()
        cls = self.cls(class_name)
        limit = _bounded(limit, 1, MAX_LIMIT, "limit")
        rows = self.read(
            f"MATCH (:`{cls.neo4j_label}` {{`{cls.key[0]}`: $key}})<-[:`{self.affected}`]-(e:{EVENT_LABEL})\n"
            "RETURN e ORDER BY e.eventTime DESC, e.eventId LIMIT $limit",
            key=self.key_param(cls, key),
            limit=limit,
        )
        out = []
        for row in rows:
            event = row["e"]
            cls_of = self.class_of(event.labels)
            out.append(
                GraphEvent(
                    id=strawberry.ID(str(event.get("eventId"))),
                    type=cls_of.name if cls_of else str(event.get("eventType")),
                    time=_text(event.get("eventTime")) or "",
                    source=str(event.get("source") or ""),
                    label=cls_of.label(lang) if cls_of else str(event.get("eventType")),
                )
            )
        return out

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
            self, class_: RequiredClassArg, key: str, depth: int = 1, limit: int = 100, lang: str = "en"
        ) -> Neighbourhood | None:
            return await asyncio.to_thread(explorer.neighbourhood, class_, key, depth, limit, lang)

        @strawberry.field(description="Shortest paths between two entities (events left out).")
        async def paths(
            self, from_: FromArg, to: EntityRefInput, max_length: int = 4, limit: int = 5, lang: str = "en"
        ) -> list[GraphPath]:
            return await asyncio.to_thread(explorer.paths, from_, to, max_length, limit, lang)

        @strawberry.field(description="The domain events that affected an entity, newest first.")
        async def entity_events(
            self, class_: RequiredClassArg, key: str, limit: int = 50, lang: str = "en"
        ) -> list[GraphEvent]:
            return await asyncio.to_thread(explorer.events, class_, key, limit, lang)

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
