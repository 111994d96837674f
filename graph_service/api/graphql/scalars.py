"""GraphQL scalars for the ontology's datatypes, and Neo4j's values turned into them.

``Date`` and ``DateTime`` serialise Python and Neo4j temporal values as ISO 8601 (both also
take their own text, which the generated statements ask Neo4j for); a ``DateTime``
given without an offset is taken as UTC (stored values are zoned, and Neo4j never equals a zoned
with a local datetime). ``Decimal`` is a string, so no digit is lost to a JSON float: values
stored as Neo4j FLOATs are written with the shortest digits that read back as the same float
(``12.3``, never ``12.300000000000000710…``), without exponent.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import neo4j.time
from strawberry.types.scalar import ScalarDefinition, scalar

#: GraphQL scalar name (as the model's ``DatatypeProperty.graphql_type``) → Python type of its values.
PYTHON_TYPES: dict[str, type] = {
    "String": str,
    "Int": int,
    "Float": float,
    "Boolean": bool,
    "Date": dt.date,
    "DateTime": dt.datetime,
    "Decimal": decimal.Decimal,
}


def to_native(value: Any) -> Any:
    """Neo4j temporal values as their Python equivalents; anything else unchanged."""
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        return value.to_native()
    if isinstance(value, neo4j.time.Duration):
        return value.iso_format()
    return value


def serialize_date(value: Any) -> str:
    if type(value) is str:  # what Neo4j wrote for the generated root fields (cypher_builder.TEXTS)
        return _date_text(value)
    value = to_native(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise TypeError(f"Date cannot represent {value!r}")
    return value.isoformat()


def _date_text(value: str) -> str:
    """``value`` if it is a date as :meth:`datetime.date.isoformat` writes it (not ``20260131`` or
    ``2026-W05-6``, which ``fromisoformat`` reads too)."""
    return _canonical(value, dt.date, "Date")


def serialize_datetime(value: Any) -> str:
    if type(value) is str:  # what Neo4j wrote for the generated root fields (cypher_builder.TEXTS)
        return _datetime_text(value)
    value = to_native(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"DateTime cannot represent {value!r}")
    return value.isoformat()


def _datetime_text(value: str) -> str:
    """``value`` if it is a datetime as :meth:`datetime.datetime.isoformat` writes it."""
    return _canonical(value, dt.datetime, "DateTime")


def _canonical(value: str, kind: type[dt.date], scalar: str) -> str:
    """``value`` if ``kind.fromisoformat`` reads it and ``isoformat`` writes it back the same."""
    try:
        canonical = kind.fromisoformat(value).isoformat() == value
    except ValueError:
        canonical = False
    if not canonical:
        raise TypeError(f"{scalar} cannot represent {value!r}")
    return value


def serialize_decimal(value: Any) -> str:
    if type(value) is float:
        shortest = repr(value)  # the shortest digits that round-trip: without an exponent, the answer
        if "e" not in shortest and "n" not in shortest:  # (not 1e+16, nan, inf)
            return shortest
    if isinstance(value, bool):
        raise TypeError(f"Decimal cannot represent {value!r}")
    if isinstance(value, float):
        value = decimal.Decimal(repr(value))  # the shortest digits that round-trip
    elif isinstance(value, int):
        value = decimal.Decimal(value)
    if not isinstance(value, decimal.Decimal) or not value.is_finite():
        raise TypeError(f"Decimal cannot represent {value!r}")
    return format(value, "f")


def parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError(f"Date must be an ISO 8601 date string such as 2026-01-31; got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Date must look like 2026-01-31; got {value!r}") from None


def parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"DateTime must be an ISO 8601 string such as 2026-01-31T08:00:00Z; got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DateTime must look like 2026-01-31T08:00:00Z; got {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def parse_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f'Decimal must be a string such as "12.50" or a number; got {value!r}')
    try:
        parsed = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValueError(f'Decimal must be a number such as "12.50"; got {value!r}') from None
    if not parsed.is_finite():
        raise ValueError(f"Decimal must be finite; got {value!r}")
    return parsed


def scalar_overrides() -> dict[object, ScalarDefinition]:
    """Our ``Date``, ``DateTime`` and ``Decimal`` in place of strawberry's built-in ones, for
    every type of the schema (data product rows use ``datetime.date`` too)."""
    return {
        dt.date: scalar(
            name="Date",
            description="A calendar date, ISO 8601 (2026-01-31).",
            serialize=serialize_date,
            parse_value=parse_date,
        ),
        dt.datetime: scalar(
            name="DateTime",
            description="An instant with its UTC offset, ISO 8601 (2026-01-31T08:00:00+00:00). "
            "Input without an offset is taken as UTC.",
            serialize=serialize_datetime,
            parse_value=parse_datetime,
        ),
        decimal.Decimal: scalar(
            name="Decimal",
            description='An exact decimal number as a string ("12.50"). Input: a string or a number.',
            serialize=serialize_decimal,
            parse_value=parse_decimal,
        ),
    }
