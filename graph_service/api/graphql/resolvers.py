"""Resolvers of the generated root fields: plan → one Cypher statement → result dicts, handed
back as :class:`~completion.Compiled` (they have the response's shape).

They are plain graphql-core resolvers (``(source, info, **arguments)``) with the arguments already
coerced, so planning reads the same values whether they came as literals or variables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graph_service.api.graphql import cursors
from graph_service.api.graphql.completion import Compiled
from graph_service.api.graphql.cypher_builder import NODE, NODES, TOTAL, build
from graph_service.api.graphql.executor import GraphExecutor, rename_aliased
from graph_service.api.graphql.planner import PageRequest, Planner

Resolver = Callable[..., Awaitable[Any]]


class RootResolvers:
    """Makes the resolver of each generated root field."""

    def __init__(self, planner: Planner, executor: GraphExecutor) -> None:
        self._planner = planner
        self._executor = executor

    def key_lookup(self, class_name: str) -> Resolver:
        async def resolve(_source: Any, info: Any, **arguments: Any) -> Any:
            plan = self._planner.key_lookup(info, class_name, arguments)
            record = await self._executor.run_async(build(plan))
            node = record[NODE] if record else None
            if node is not None:
                rename_aliased([node], plan.projection)
            return Compiled(node)

        return resolve

    def page(self, class_name: str) -> Resolver:
        async def resolve(_source: Any, info: Any, **arguments: Any) -> Any:
            request = self._planner.page(info, class_name, arguments)
            record = await self._executor.run_async(build(request.plan))
            return Compiled(connection(request, record or {}))

        return resolve


def connection(request: PageRequest, record: dict[str, Any]) -> dict[str, Any]:
    """The connection dict of one page (keys are the Python names of the connection types)."""
    rows: list[dict[str, Any]] = record.get(NODES) or []
    if request.plan.projection is not None:
        rename_aliased(rows, request.plan.projection)
    has_next = len(rows) > request.first
    rows = rows[: request.first]
    offset = request.offset
    result: dict[str, Any] = {
        "nodes": rows,
        "total_count": record.get(TOTAL),
        "page_info": {
            "has_next_page": has_next,
            "has_previous_page": offset > 0,
            "start_cursor": cursors.encode(offset) if rows else None,
            "end_cursor": cursors.encode(offset + len(rows) - 1) if rows else None,
        },
    }
    if request.wants_edges:
        result["edges"] = [{"cursor": cursors.encode(offset + i), "node": row} for i, row in enumerate(rows)]
    return result
