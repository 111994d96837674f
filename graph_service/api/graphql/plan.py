"""The plan of one root field: small frozen nodes between the GraphQL selection and Cypher.

A plan holds names from the model (labels, relationship types, property names) and the client's
values; :mod:`cypher_builder` renders it as one statement, the names as identifiers and the values
as parameters. Nothing here talks to Neo4j or to strawberry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from graph_service.api.graphql.operators import OPERATORS

Direction = Literal["out", "in"]
Quantifier = Literal["some", "none", "every"]

#: Comparison operators of the ``where`` filters (GraphQL name = plan name), from the one table.
COMPARISONS = tuple(OPERATORS)


@dataclass(frozen=True)
class Hop:
    """One step along a relationship type; ``in`` walks it against its stored direction."""

    rel_type: str
    direction: Direction


# -- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``prop <op> value`` on the current node (``includes``: value is in a list property)."""

    prop: str
    op: str
    value: Any


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class Negate:
    part: Filter


@dataclass(frozen=True)
class RelationMatch:
    """Some / no / every node one hop away satisfies ``where`` (None: any node)."""

    hop: Hop
    quantifier: Quantifier
    where: Filter | None


Filter = Compare | AllOf | AnyOf | Negate | RelationMatch


# -- what to read -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """Order by a property; ``prop=None`` orders by the node's element id (the last tie-breaker
    of classes without a business key)."""

    prop: str | None
    descending: bool = False


#: GraphQL scalars whose values Neo4j is asked for as their ISO 8601 text (:attr:`Projection.as_text`).
TEXT_SCALARS = frozenset({"Date", "DateTime"})


@dataclass(frozen=True)
class Projection:
    """What to return of a node: properties as ``(result key, property)`` pairs, relation fields,
    and its labels when its GraphQL type is an interface (to find the concrete type)."""

    properties: tuple[tuple[str, str], ...] = ()
    relations: tuple[RelationRead, ...] = ()
    with_labels: bool = False
    #: Result keys returned as null: personal data the caller may not see (never read).
    masked: tuple[str, ...] = ()
    #: Result keys of ``properties`` Neo4j returns as the ISO 8601 text their scalar writes, with
    #: that scalar (``Date``, ``DateTime``): the driver's temporal objects cost more than the rest of
    #: a row to decode and serialise.
    as_text: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RelationRead:
    """A relation field of the projection. ``column`` is its key in the Cypher map (the field's
    model name, numbered when the field is selected under several aliases); ``key`` the response
    key (alias or name) it is served under. Aliases are client text, so they never enter Cypher:
    the executor renames ``column`` to ``key`` where they differ."""

    key: str
    column: str
    hop: Hop
    to_many: bool
    projection: Projection
    where: Filter | None = None
    order: tuple[SortKey, ...] = ()
    limit: int | None = None
    #: Read the links, not only their ends: each item is ``{role, kept_values, entity}`` with the
    #: node's projection under ``entity`` (:mod:`lineage_links`).
    link: bool = False


@dataclass(frozen=True)
class KeyLookup:
    """One node of ``label`` by its business key."""

    label: str
    key: tuple[tuple[str, Any], ...]
    projection: Projection


@dataclass(frozen=True)
class PageQuery:
    """A page of the nodes of ``label``: filtered, ordered (tie-broken by ``order``'s last keys),
    ``skip``/``limit`` rows projected, and the total count when asked for."""

    label: str
    where: Filter | None
    order: tuple[SortKey, ...]
    skip: int
    limit: int
    projection: Projection | None  # None: no node is read, only the count
    count_total: bool = False


Plan = KeyLookup | PageQuery
