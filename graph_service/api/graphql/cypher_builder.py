"""Renders a plan as one Cypher statement and its parameters.

Labels, relationship types and property names come from the model and are checked to be plain
identifiers, then back-quoted; every value the client gave is a ``$p<n>`` parameter. Nested
relation fields become ``COLLECT { … }`` subqueries (ordered, limited) or, for to-one fields,
pattern comprehensions, inside map projections, so a whole selection is one statement.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graph_service.api.graphql.lineage_links import ENTITY_KEY, KEPT_KEY, ROLE_KEY
from graph_service.api.graphql.operators import OPERATORS
from graph_service.api.graphql.plan import (
    AllOf,
    AnyOf,
    Compare,
    Filter,
    Hop,
    KeyLookup,
    Negate,
    PageQuery,
    Plan,
    Projection,
    RelationMatch,
    RelationRead,
    SortKey,
)
from graph_service.store.lineage import KEY_JOINS

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Result columns.
NODE = "node"
NODES = "nodes"
TOTAL = "total"
#: Key of a node's labels in result maps (never a GraphQL field name: those cannot start with __).
LABELS = "__labels"


@dataclass(frozen=True)
class Statement:
    """One Cypher statement: text and parameters."""

    text: str
    params: dict[str, Any]


def identifier(name: str) -> str:
    """A model name back-quoted; anything that is not a plain identifier is refused."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a valid label, relationship type or property name")
    return f"`{name}`"


def build(plan: Plan) -> Statement:
    """The statement of a key lookup (column ``node``) or a page (columns ``nodes``, ``total``)."""
    writer = _Writer()
    text = writer.key_lookup(plan) if isinstance(plan, KeyLookup) else writer.page(plan)
    return Statement(text, writer.params)


@dataclass
class _Writer:
    params: dict[str, Any] = field(default_factory=dict)
    _variables: Iterator[int] = field(default_factory=lambda: iter(range(1_000_000)))

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = _driver_value(value)
        return f"${name}"

    def variable(self) -> str:
        return f"n{next(self._variables)}"

    # -- statements -----------------------------------------------------------------------------

    def key_lookup(self, plan: KeyLookup) -> str:
        n = self.variable()
        match = ", ".join(f"{identifier(prop)}: {self.param(value)}" for prop, value in plan.key)
        return "\n".join(
            [
                f"MATCH ({n}:{identifier(plan.label)} {{{match}}})",
                f"WITH {n} LIMIT 1",
                f"RETURN {self.projection(n, plan.projection, '')} AS {NODE}",
            ]
        )

    def page(self, plan: PageQuery) -> str:
        if plan.count_total and plan.projection is not None and plan.where is not None:
            return self._counted_page(plan)
        lines: list[str] = []
        if plan.count_total:
            n = self.variable()
            lines += [
                "CALL () {",
                *self._indent(self._match(n, plan)),
                f"  RETURN count({n}) AS {TOTAL}",
                "}",
            ]
        if plan.projection is not None:
            n = self.variable()
            body = [
                *self._match(n, plan),
                f"WITH {n}",
                f"ORDER BY {self.order(n, plan.order)}",
                f"SKIP {self.param(plan.skip)} LIMIT {self.param(plan.limit)}",
                f"RETURN collect({self.projection(n, plan.projection, '  ')}) AS {NODES}",
            ]
            lines += ["CALL () {", *self._indent(body), "}"]
        columns = [c for c, wanted in ((TOTAL, plan.count_total), (NODES, plan.projection)) if wanted]
        return "\n".join([*lines, f"RETURN {', '.join(columns)}"])

    def _counted_page(self, plan: PageQuery) -> str:
        """A filtered page with its total: the filter is matched once, and the page is ordered and
        cut from what it matched (two matches cost Neo4j the filter's work twice). Without a
        filter the count comes from Neo4j's count store instead, which costs nothing."""
        assert plan.projection is not None
        n, m = self.variable(), self.variable()
        match = self._match(n, plan)  # first: parameters are numbered in the text's order
        body = [
            f"UNWIND matched AS {m}",
            f"WITH {m}",
            f"ORDER BY {self.order(m, plan.order)}",
            f"SKIP {self.param(plan.skip)} LIMIT {self.param(plan.limit)}",
            f"RETURN collect({self.projection(m, plan.projection, '  ')}) AS {NODES}",
        ]
        return "\n".join(
            [
                *match,
                f"WITH collect({n}) AS matched",
                "CALL (matched) {",
                *self._indent(body),
                "}",
                f"RETURN size(matched) AS {TOTAL}, {NODES}",
            ]
        )

    def _match(self, n: str, plan: PageQuery) -> list[str]:
        lines = [f"MATCH ({n}:{identifier(plan.label)})"]
        if plan.where is not None:
            lines.append(f"WHERE {self.condition(n, plan.where)}")
        return lines

    @staticmethod
    def _indent(lines: list[str]) -> list[str]:
        return ["  " + line for line in lines]

    # -- projections ----------------------------------------------------------------------------

    def projection(self, n: str, projection: Projection, indent: str) -> str:
        texts = dict(projection.as_text)
        entries = [self.property(n, key, prop, texts.get(key)) for key, prop in projection.properties]
        entries += [f"{identifier(key)}: null" for key in projection.masked]
        if projection.with_labels:
            entries.append(f"{LABELS}: labels({n})")
        entries += [self.relation(n, read, indent + "  ") for read in projection.relations]
        if not projection.relations:
            return f"{n} {{{', '.join(entries)}}}"
        inner = f",\n{indent}  ".join(entries)
        return f"{n} {{\n{indent}  {inner}\n{indent}}}"

    def property(self, n: str, key: str, prop: str, scalar: str | None) -> str:
        """A property as it is, or as the text of ``scalar`` (see :data:`TEXTS`); read once into
        a list of one, since every mention of ``n.prop`` in the expression would be a db hit."""
        if scalar is not None:
            v = self.variable()
            return f"{identifier(key)}: head([{v} IN [{n}.{identifier(prop)}] | {TEXTS[scalar](v)}])"
        return f".{identifier(prop)}" if key == prop else f"{identifier(key)}: {n}.{identifier(prop)}"

    def relation(self, n: str, read: RelationRead, indent: str) -> str:
        if read.link:
            return self.links(n, read, indent)
        m = self.variable()
        pattern = self.pattern(n, read.hop, m)
        if not read.to_many and (read.hop.rel_type, read.hop.direction) in KEY_JOINS:
            where = f" WHERE {self.condition(m, read.where)}" if read.where is not None else ""
            value = self.projection(m, read.projection, indent)
            return f"{identifier(read.column)}: head(COLLECT {{ MATCH {pattern}{where} RETURN {value} }})"
        if not read.to_many:
            where = f" WHERE {self.condition(m, read.where)}" if read.where is not None else ""
            value = self.projection(m, read.projection, indent)
            return f"{identifier(read.column)}: head([{pattern}{where} | {value}])"
        lines = [f"MATCH {pattern}"]
        if read.where is not None:
            lines.append(f"WHERE {self.condition(m, read.where)}")
        lines.append(f"WITH {m} ORDER BY {self.order(m, read.order)}")
        if read.limit is not None:
            lines[-1] += f" LIMIT {self.param(read.limit)}"
        lines.append(f"RETURN {self.projection(m, read.projection, indent + '  ')}")
        body = f"\n{indent}  ".join(lines)
        return f"{identifier(read.column)}: COLLECT {{\n{indent}  {body}\n{indent}}}"

    def links(self, n: str, read: RelationRead, indent: str) -> str:
        """The links of a to-many hop with their own properties: the role, the other properties
        (kept values) by name, and the node at the far end projected as usual."""
        m, r, k = self.variable(), self.variable(), self.variable()
        rel = f"[{r}:{identifier(read.hop.rel_type)}]"
        lines = [f"MATCH ({n})-{rel}->({m})" if read.hop.direction == "out" else f"MATCH ({n})<-{rel}-({m})"]
        if read.where is not None:
            lines.append(f"WHERE {self.condition(m, read.where)}")
        lines.append(f"WITH {r}, {m} ORDER BY {self.order(m, read.order)}")
        if read.limit is not None:
            lines[-1] += f" LIMIT {self.param(read.limit)}"
        role = identifier(ROLE_KEY)
        kept = (
            f"COLLECT {{ UNWIND keys({r}) AS {k} WITH {k} WHERE {k} <> '{ROLE_KEY}' ORDER BY {k} "
            f"RETURN {{property: {k}, value: toString({r}[{k}])}} }}"
        )
        entity = self.projection(m, read.projection, indent + "  ")
        item = f"{role}: {r}.{role}, {identifier(KEPT_KEY)}: {kept}, {identifier(ENTITY_KEY)}: {entity}"
        lines.append(f"RETURN {{{item}}}")
        body = f"\n{indent}  ".join(lines)
        return f"{identifier(read.column)}: COLLECT {{\n{indent}  {body}\n{indent}}}"

    @staticmethod
    def pattern(n: str, hop: Hop, m: str) -> str:
        join = KEY_JOINS.get((hop.rel_type, hop.direction))
        if join is not None:  # a relation held as a key property (ds:reportedBy: store/lineage.py)
            label, far, near = join
            return f"({m}:{identifier(label)} {{{identifier(far)}: {n}.{identifier(near)}}})"
        rel = f"[:{identifier(hop.rel_type)}]"
        return f"({n})-{rel}->({m})" if hop.direction == "out" else f"({n})<-{rel}-({m})"

    def order(self, n: str, keys: tuple[SortKey, ...]) -> str:
        if not keys:
            return f"elementId({n})"
        return ", ".join(
            (f"{n}.{identifier(k.prop)}" if k.prop is not None else f"elementId({n})")
            + (" DESC" if k.descending else "")
            for k in keys
        )

    # -- filters --------------------------------------------------------------------------------

    def condition(self, n: str, where: Filter) -> str:
        if isinstance(where, Compare):
            return self.compare(n, where)
        if isinstance(where, AllOf):
            return self.junction(n, where.parts, " AND ", "true")
        if isinstance(where, AnyOf):
            return self.junction(n, where.parts, " OR ", "false")
        if isinstance(where, Negate):
            return f"NOT ({self.condition(n, where.part)})"
        return self.relation_match(n, where)

    def compare(self, n: str, where: Compare) -> str:
        target = f"{n}.{identifier(where.prop)}"
        op = OPERATORS.get(where.op)
        if op is None:
            raise ValueError(f"unknown comparison {where.op!r}")
        if op.operand == "flag":
            return (op.cypher if where.value else op.cypher_not).format(x=target)
        return op.cypher.format(x=target, v=self.param(where.value))

    def junction(self, n: str, parts: tuple[Filter, ...], glue: str, empty: str) -> str:
        if not parts:
            return empty
        if len(parts) == 1:
            return self.condition(n, parts[0])
        return "(" + glue.join(self.condition(n, part) for part in parts) + ")"

    def relation_match(self, n: str, where: RelationMatch) -> str:
        m = self.variable()
        pattern = self.pattern(n, where.hop, m)
        if where.quantifier == "every":
            if where.where is None:
                return "true"
            return f"NOT EXISTS {{ MATCH {pattern} WHERE NOT ({self.condition(m, where.where)}) }}"
        inner = f" WHERE {self.condition(m, where.where)}" if where.where is not None else ""
        exists = f"EXISTS {{ MATCH {pattern}{inner} }}"
        return exists if where.quantifier == "some" else f"NOT {exists}"


def date_text(x: str) -> str:
    """``x`` as ISO 8601 text when it is a date of years 1–9999 (there Neo4j's ``toString`` writes
    what Python's ``date.isoformat`` does: ``0999-12-31``); anything else (other years, other
    types, null) as it is, for the ``Date`` scalar to serialise or refuse as before."""
    return f"CASE WHEN {x} IS :: DATE AND 0 < {x}.year < 10000 THEN toString({x}) ELSE {x} END"


def datetime_text(x: str) -> str:
    """``x`` as the text Python's ``datetime.isoformat`` writes for the driver's value of it
    (``2026-01-05T09:00:00.500000+01:00``: microseconds, six digits or none, the nanoseconds
    truncated; ``+00:00``, not Neo4j's ``Z``), when it is a zoned datetime of years 1–9999 with
    a whole-minute offset (the driver keeps only the minutes) and no named zone (whose offset the
    driver would look up in its own zone database); anything else as it is."""
    fraction = (
        f"CASE {x}.microsecond WHEN 0 THEN '' ELSE '.' + right('00000' + toString({x}.microsecond), 6) END"
    )
    offset = f"CASE {x}.offset WHEN 'Z' THEN '+00:00' ELSE {x}.offset END"
    return (
        f"CASE WHEN {x} IS :: ZONED DATETIME AND 0 < {x}.year < 10000 AND {x}.timezone = {x}.offset "
        f"AND {x}.offsetSeconds % 60 = 0 THEN left(toString({x}), 19) + {fraction} + {offset} ELSE {x} END"
    )


#: How Neo4j writes the values of each of :data:`~plan.TEXT_SCALARS` as its text.
TEXTS = {"Date": date_text, "DateTime": datetime_text}


def _driver_value(value: Any) -> Any:
    """Decimals as floats (Neo4j stores xsd:decimal as FLOAT); lists and tuples element-wise."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_driver_value(v) for v in value]
    return value
