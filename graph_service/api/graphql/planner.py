"""From a root field's GraphQL selection to its plan (:mod:`plan`): which nodes, which filter,
order and page, and which properties and relations to read at every level of the selection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode

from graph_service.api.graphql import cursors, naming
from graph_service.api.graphql.errors import COST_LIMIT, FORBIDDEN, bad_input, client_error
from graph_service.api.graphql.fields import ClassFields, PropertyField, RelationField, TypeIndex
from graph_service.api.graphql.limits import Limits
from graph_service.api.graphql.lineage_links import ENTITY_KEY, LINK_TYPE, LINKED_RELATION, LINKS_FIELD
from graph_service.api.graphql.operation import operation_state
from graph_service.api.graphql.plan import TEXT_SCALARS, Hop, KeyLookup, PageQuery, Projection, RelationRead
from graph_service.api.graphql.selection import OperationContext, SelectedField
from graph_service.api.graphql.selection_cache import SelectionCache, uses_variables
from graph_service.api.graphql.where import FilterReader, sort_keys
from graph_service.security import READER, current_principal


@dataclass(frozen=True)
class PageRequest:
    """A page plan and what the connection's selection needs besides the nodes."""

    plan: PageQuery
    first: int
    offset: int
    wants_edges: bool


class Planner:
    """Plans root fields of the generated schema."""

    def __init__(
        self,
        fields: Mapping[str, ClassFields],
        types: TypeIndex,
        limits: Limits,
        codes: Mapping[tuple[str, str], frozenset[str]] | None = None,
    ) -> None:
        self._fields = fields
        self._type_classes = types.type_classes
        self._node_types = types.node_types
        self._interfaces = types.interfaces
        self._limits = limits
        self._filters = FilterReader(fields, codes)
        # Root projections of variable-free selections by (class, caller sees personal data):
        # the projection and the masked fields it reports (see :meth:`_root_projection`).
        self._projections: SelectionCache[tuple[Projection, tuple[str, ...]]] = SelectionCache(
            limits.selection_cache
        )

    def key_lookup(self, info: Any, class_name: str, arguments: Mapping[str, Any]) -> KeyLookup:
        """One node by business key; ``arguments`` are the root field's (one per key property)."""
        ctx = OperationContext.of(info)
        fields = self._fields[class_name]
        self._check_reader(fields)
        key = tuple((p.name, arguments[p.name]) for p in fields.key_fields)
        projection = self._root_projection(info, ctx, class_name, list(info.field_nodes))
        self._spend(info, cost(projection, 1))
        return KeyLookup(fields.cls.neo4j_label, key, projection)

    def page(self, info: Any, class_name: str, arguments: Mapping[str, Any]) -> PageRequest:
        """A page of a connection field: ``first``, ``after``, ``where``, ``orderBy``."""
        ctx = OperationContext.of(info)
        fields = self._fields[class_name]
        self._check_reader(fields)
        personal = current_principal().may_see_personal_data
        first = self._first(arguments.get("first"), self._limits.default_page_size, "first")
        offset = cursors.decode(arguments["after"]) + 1 if arguments.get("after") else 0
        type_name = self._node_types[class_name]
        selected = _flat(ctx.subfields(info.field_nodes, naming.connection_type(type_name)))
        names = {f.name for f in selected}
        node_nodes = [f.node for f in selected if f.name == "nodes"]
        edges = [f.node for f in selected if f.name == "edges"]
        node_nodes += [
            f.node for f in _flat(ctx.subfields(edges, naming.edge_type(type_name))) if f.name == "node"
        ]
        needs_rows = bool(names & {"nodes", "edges", "pageInfo"})
        plan = PageQuery(
            label=fields.cls.neo4j_label,
            where=self._filters.where(class_name, arguments.get("where"), personal=personal),
            order=sort_keys(fields, arguments.get("orderBy"), personal=personal),
            skip=offset,
            limit=first + 1,  # one more tells whether a next page exists
            projection=self._root_projection(info, ctx, class_name, node_nodes) if needs_rows else None,
            count_total="totalCount" in names,
        )
        self._spend(info, first + (cost(plan.projection, first) if plan.projection else 0))
        return PageRequest(plan, first, offset, wants_edges="edges" in names)

    # -- access and cost ------------------------------------------------------------------------

    @staticmethod
    def _check_reader(fields: ClassFields) -> None:
        principal = current_principal()
        if not principal.has_role(READER):
            raise client_error(
                f"{principal.name} may not read {fields.cls.graphql_name}: the role `{READER}` is needed",
                FORBIDDEN,
            )

    def _spend(self, info: Any, amount: int) -> None:
        state = operation_state()
        state.cost += amount
        if state.cost > self._limits.max_cost:
            raise client_error(
                f"this query could read about {state.cost:,} nodes (at `{info.field_name}`), more than "
                f"the limit of {self._limits.max_cost:,}; ask for smaller pages (`first`) on the root "
                "field or on nested lists",
                COST_LIMIT,
                cost=state.cost,
                limit=self._limits.max_cost,
            )

    # -- projections ----------------------------------------------------------------------------

    def _root_projection(
        self, info: Any, ctx: OperationContext, class_name: str, nodes: list[FieldNode]
    ) -> Projection:
        """:meth:`projection`, kept for the next request of the same cached document when the
        selection uses no variables (it is then the same for every caller who may, or may not,
        see personal data alike); the masked fields it reports are reported again on a hit."""
        key = (class_name, current_principal().may_see_personal_data)
        kept = self._projections.get(key, nodes)
        if kept is not None:
            projection, masked = kept
            operation_state().masked.update(masked)
            return projection
        reported: list[str] = []
        projection = self.projection(ctx, class_name, nodes, reported)
        if not uses_variables(nodes, info.fragments):
            self._projections.put(key, nodes, (projection, tuple(reported)))
        return projection

    def projection(
        self,
        ctx: OperationContext,
        class_name: str,
        nodes: list[FieldNode],
        reported: list[str] | None = None,
    ) -> Projection:
        """What to read of nodes of ``class_name`` for the selection sets of ``nodes``
        (``reported``: the masked fields reported in the response are appended there too)."""
        properties: dict[str, str] = {}
        texts: dict[str, str] = {}
        masked: list[str] = []
        relations: list[RelationRead] = []
        columns: dict[str, int] = {}
        personal = current_principal().may_see_personal_data
        for key, occurrences in ctx.subfields(nodes, self._node_types[class_name]).items():
            first = occurrences[0]
            if first.name.startswith("__"):
                continue
            fields = self._fields[self._type_classes[first.owner]]
            if first.name in fields.properties:
                prop: PropertyField = fields.properties[first.name]
                if prop.prop.personal_data and not personal:
                    masked.append(prop.key)
                    operation_state().masked.add(f"{first.owner}.{prop.name}")
                    if reported is not None:
                        reported.append(f"{first.owner}.{prop.name}")
                else:
                    properties[prop.key] = prop.name
                    if prop.prop.graphql_type in TEXT_SCALARS and not prop.is_list:
                        texts[prop.key] = prop.prop.graphql_type
                continue
            link = first.name == LINKS_FIELD
            rel = fields.relations[LINKED_RELATION if link else first.name]
            name = first.name
            aliased = columns.get(name, 0) + (key != name)
            columns[name] = aliased
            column = name if key == name else f"{name}__{aliased}"
            relations.append(self._relation(ctx, key, column, rel, occurrences, reported, link=link))
        return Projection(
            properties=tuple(properties.items()),
            relations=tuple(relations),
            with_labels=class_name in self._interfaces,
            masked=tuple(k for k in dict.fromkeys(masked) if k not in properties),
            as_text=tuple(texts.items()),
        )

    def _relation(
        self,
        ctx: OperationContext,
        key: str,
        column: str,
        rel: RelationField,
        occurrences: list[SelectedField],
        reported: list[str] | None = None,
        *,
        link: bool = False,
    ) -> RelationRead:
        """``link``: the lineage links (:mod:`lineage_links`), the entity below each link."""
        arguments = ctx.arguments(occurrences[0])
        for other in occurrences[1:]:
            if ctx.arguments(other) != arguments:
                raise bad_input(
                    f"`{key}` is selected with different arguments in different fragments; "
                    "give each an alias of its own"
                )
        target = self._fields[rel.target]
        nodes = [o.node for o in occurrences]
        if link:
            nodes = [
                f.node
                for group in ctx.subfields(nodes, LINK_TYPE).values()
                for f in group
                if f.name == ENTITY_KEY
            ]
        projection = self.projection(ctx, rel.target, nodes, reported)
        if not rel.to_many:
            return RelationRead(key, column, Hop(rel.rel_type, rel.direction), False, projection)
        limit = self._first(arguments.get("first"), self._limits.default_nested_limit, f"{key}(first)")
        return RelationRead(
            key=key,
            column=column,
            hop=Hop(rel.rel_type, rel.direction),
            to_many=True,
            projection=projection,
            where=self._filters.where(
                rel.target, arguments.get("where"), personal=current_principal().may_see_personal_data
            ),
            order=sort_keys(
                target, arguments.get("orderBy"), personal=current_principal().may_see_personal_data
            ),
            limit=limit,
            link=link,
        )

    def _first(self, value: int | None, default: int, what: str) -> int:
        if value is None:
            return default
        if value < 0 or value > self._limits.max_page_size:
            raise bad_input(f"`{what}` must be between 0 and {self._limits.max_page_size}; got {value}")
        return value


def cost(projection: Projection, rows: int) -> int:
    """Nodes a projection reads below ``rows`` parent rows: each relation read reads its target
    (a to-many one up to its limit) and whatever it projects in turn."""
    total = 0
    for read in projection.relations:
        per_row = read.limit if read.to_many and read.limit is not None else 1
        total += rows * per_row + cost(read.projection, rows * per_row)
    return total


def _flat(found: dict[str, list[SelectedField]]) -> list[SelectedField]:
    return [f for group in found.values() for f in group]
