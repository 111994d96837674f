"""Names derived from ontology terms (Neo4j labels, relationship types, GraphQL names) and their rules."""

from __future__ import annotations

import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")

#: GraphQL's built-in scalars and root operation types, the custom scalars of the type table, and
#: the Relay-style helper types. A class named like one of these would shadow it.
RESERVED_TYPE_NAMES = frozenset(
    {
        "String",
        "Int",
        "Float",
        "Boolean",
        "ID",
        "Query",
        "Mutation",
        "Subscription",
        "Date",
        "DateTime",
        "Decimal",
        "Duration",
        "JSON",
        "Upload",
        "Node",
        "PageInfo",
    }
)


def upper_snake(name: str) -> str:
    """``producedFrom`` → ``PRODUCED_FROM``; ``hasISA95Level`` → ``HAS_ISA95_LEVEL``."""
    return _WORD_BOUNDARY.sub("_", name).replace("-", "_").upper()


def is_identifier(name: str) -> bool:
    """Valid as GraphQL name and as an unquoted Neo4j label, property or relationship type."""
    return bool(_IDENTIFIER.match(name))


def is_pascal_case(name: str) -> bool:
    return bool(_PASCAL.match(name))


def is_camel_case(name: str) -> bool:
    return bool(_CAMEL.match(name))


def reserved_reason(name: str, *, is_type: bool) -> str | None:
    """Why ``name`` may not be used, or None when it is fine."""
    if name.startswith("__"):
        return "names starting with '__' are reserved for GraphQL introspection"
    if name.startswith("_"):
        return "names starting with '_' are reserved for DigiSpine's own node properties"
    if is_type and name in RESERVED_TYPE_NAMES:
        return f"{name!r} is a built-in or generated GraphQL type name"
    return None
