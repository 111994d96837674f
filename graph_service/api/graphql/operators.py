"""The comparison operators of ``where`` filters: one table that every consumer reads.

The input types (:mod:`filters`), the plan (:mod:`where`), the Cypher (:mod:`cypher_builder`)
and the subscription filters evaluated on change events (:mod:`change_events`) all take an
operator's name, the fields it applies to, its operand, its Cypher and its Python test from here,
so an operator is added or changed in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

#: What a scalar field is, for the operators it takes.
FieldKind = Literal["list", "boolean", "text", "ordered"]
#: What an operator's operand is: a value of the field's type, a list of them, or a flag.
Operand = Literal["value", "values", "flag"]

_ALL: frozenset[FieldKind] = frozenset({"list", "boolean", "text", "ordered"})
_EQUALITY: frozenset[FieldKind] = frozenset({"boolean", "text", "ordered"})
_ORDERED: frozenset[FieldKind] = frozenset({"text", "ordered"})
_TEXT: frozenset[FieldKind] = frozenset({"text"})
_LIST: frozenset[FieldKind] = frozenset({"list"})


@dataclass(frozen=True)
class Operator:
    """One operator. ``cypher`` has ``{x}`` (the property) and ``{v}`` (the operand's parameter);
    a flag operator's ``cypher`` holds for ``true`` and ``cypher_not`` for ``false``. ``test`` is
    the same comparison on Python values (never called for a flag operator or a missing value)."""

    name: str
    doc: str
    kinds: frozenset[FieldKind]
    operand: Operand
    cypher: str
    test: Callable[[Any, Any], bool]
    cypher_not: str = ""


def _never(_value: Any, _operand: Any) -> bool:  # isNull is decided before any test
    return False


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", "equal to", _EQUALITY, "value", "{x} = {v}", lambda v, o: v == o),
        Operator(
            "ne",
            "not equal to (null values do not match)",
            _EQUALITY,
            "value",
            "{x} <> {v}",
            lambda v, o: v != o,
        ),
        Operator("in", "equal to one of", _ORDERED, "values", "{x} IN {v}", lambda v, o: v in o),
        Operator(
            "notIn",
            "equal to none of (null values do not match)",
            _ORDERED,
            "values",
            "NOT {x} IN {v}",
            lambda v, o: v not in o,
        ),
        Operator("lt", "less than", _ORDERED, "value", "{x} < {v}", lambda v, o: v < o),
        Operator("lte", "less than or equal to", _ORDERED, "value", "{x} <= {v}", lambda v, o: v <= o),
        Operator("gt", "greater than", _ORDERED, "value", "{x} > {v}", lambda v, o: v > o),
        Operator("gte", "greater than or equal to", _ORDERED, "value", "{x} >= {v}", lambda v, o: v >= o),
        Operator(
            "contains",
            "contains the text (case-sensitive)",
            _TEXT,
            "value",
            "{x} CONTAINS {v}",
            lambda v, o: isinstance(v, str) and o in v,
        ),
        Operator(
            "startsWith",
            "starts with the text (case-sensitive)",
            _TEXT,
            "value",
            "{x} STARTS WITH {v}",
            lambda v, o: isinstance(v, str) and v.startswith(o),
        ),
        Operator(
            "endsWith",
            "ends with the text (case-sensitive)",
            _TEXT,
            "value",
            "{x} ENDS WITH {v}",
            lambda v, o: isinstance(v, str) and v.endswith(o),
        ),
        Operator(
            "includes",
            "the list contains the value",
            _LIST,
            "value",
            "{v} IN {x}",
            lambda v, o: isinstance(v, list) and o in v,
        ),
        Operator(
            "isNull",
            "true: the value is missing; false: it is present",
            _ALL,
            "flag",
            "{x} IS NULL",
            _never,
            cypher_not="{x} IS NOT NULL",
        ),
    )
}


def field_kind(graphql_type: str, is_list: bool) -> FieldKind:
    """The kind of a scalar field of ``graphql_type`` (a list field whatever its items)."""
    if is_list:
        return "list"
    if graphql_type == "Boolean":
        return "boolean"
    return "text" if graphql_type == "String" else "ordered"


def operators_for(graphql_type: str, is_list: bool) -> tuple[str, ...]:
    """The operators a scalar field of ``graphql_type`` takes, in the table's order."""
    kind = field_kind(graphql_type, is_list)
    return tuple(name for name, op in OPERATORS.items() if kind in op.kinds)
