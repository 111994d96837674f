"""Runs a root field's one statement on Neo4j and hands back plain dicts.

Each statement is one read transaction with a timeout; driver failures become GraphQL errors with
a code (``QUERY_TIMEOUT``, ``GRAPH_UNAVAILABLE``, ``GRAPH_QUERY_FAILED``) and never leak the
statement or credentials to the client (they are logged).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import neo4j
from graphql import GraphQLError
from neo4j.exceptions import Neo4jError

from graph_service.api.graphql.cypher_builder import Statement
from graph_service.api.graphql.errors import graph_failure
from graph_service.api.graphql.lineage_links import ENTITY_KEY
from graph_service.api.graphql.plan import Projection
from graph_service.errors import DigiSpineError
from graph_service.observability.statements import StatementObserver
from graph_service.store import LoopReader

#: Prefix of the keys that hold aliased relation fields in result dicts (see :func:`read_relation`).
ALIAS = "@"


class Store(Protocol):
    """What the executor needs of :class:`graph_service.store.Neo4jStore`."""

    database: str
    observer: StatementObserver

    @property
    def driver(self) -> neo4j.Driver: ...

    def call(self, work: Any) -> Any: ...


#: A selected property that no node has yet is normal here, not worth a notification.
QUIET = neo4j.NotificationMinimumSeverity.OFF


class GraphExecutor:
    """Runs statements, each one auto-commit read transaction with a timeout; transient failures
    are retried by the store. On the event loop of a :class:`LoopReader` (the API's, see
    :meth:`use_async`) through it; elsewhere through the store's driver in a worker thread."""

    def __init__(self, store: Store, timeout_s: float) -> None:
        self._store = store
        self._timeout_s = timeout_s
        self._reader: LoopReader | None = None

    def use_async(self, reader: LoopReader | None) -> None:
        """Read through ``reader`` when on its event loop (its owner closes it)."""
        self._reader = reader

    def run(self, statement: Statement) -> dict[str, Any] | None:
        """The single record of ``statement`` as a dict (None when it returned no record)."""
        query = neo4j.Query(statement.text, timeout=self._timeout_s)

        def work() -> list[neo4j.Record]:
            with (
                self._store.observer.statement(statement.text, "read"),
                self._store.driver.session(
                    database=self._store.database,
                    default_access_mode=neo4j.READ_ACCESS,
                    notifications_min_severity=QUIET,
                ) as session,
            ):
                return list(session.run(query, statement.params))

        try:
            records = self._store.call(work)
        except (Neo4jError, DigiSpineError) as exc:
            raise self._translate(exc, statement) from exc
        return dict(records[0].items()) if records else None

    async def run_async(self, statement: Statement) -> dict[str, Any] | None:
        """:meth:`run` without blocking the event loop."""
        if self._reader is None or not self._reader.here:
            return await asyncio.to_thread(self.run, statement)
        query = neo4j.Query(statement.text, timeout=self._timeout_s)
        try:
            records = await self._reader.read(query, statement.params, notifications_min_severity=QUIET)
        except (Neo4jError, DigiSpineError) as exc:
            raise self._translate(exc, statement) from exc
        return dict(records[0].items()) if records else None  # type: ignore[no-untyped-call]

    def _translate(self, exc: Neo4jError | DigiSpineError, statement: Statement) -> GraphQLError:
        return graph_failure(
            exc,
            cypher=statement.text,
            timed_out=f"the query ran longer than {self._timeout_s:g} s and was stopped; "
            "ask for fewer rows, a narrower filter or a shallower selection",
        )


def rename_aliased(rows: list[dict[str, Any]], projection: Projection) -> None:
    """Move aliased relation fields from their Cypher column to ``@<alias>``, in place."""
    if not _has_aliases(projection):
        return
    for row in rows:
        _rename(row, projection)


def _rename(row: dict[str, Any] | None, projection: Projection) -> None:
    if row is None:
        return
    moved = {}
    for read in projection.relations:
        value = row[read.column]
        if _has_aliases(read.projection):
            for item in value if read.to_many else [value]:
                _rename(item[ENTITY_KEY] if read.link else item, read.projection)
        if read.column != read.key:
            moved[ALIAS + read.key] = row.pop(read.column)
    row.update(moved)


def _has_aliases(projection: Projection) -> bool:
    return any(r.column != r.key or _has_aliases(r.projection) for r in projection.relations)


def read_relation(source: Any, info: Any, **_arguments: Any) -> Any:
    """Resolver of relation fields: the value under the field's name, or ``@<alias>`` if aliased.
    (Arguments were read when the statement was planned; the data is already in ``source``.)"""
    key = info.path.key
    return source[key] if key == info.field_name else source[ALIAS + key]
