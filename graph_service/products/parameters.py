"""The typed parameters of a data product: their types, and values coerced to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Parameter types a descriptor may declare, with the Python type of their values.
PARAMETER_TYPES: dict[str, type] = {
    "String": str,
    "Int": int,
    "Float": float,
    "Boolean": bool,
    "Date": dt.date,
    "DateTime": dt.datetime,
}


@dataclass(frozen=True)
class Parameter:
    """One query parameter: ``$name`` in the Cypher, an argument of the GraphQL field."""

    name: str
    type: str
    required: bool = False
    default: Any = None
    description: str = ""


def coerce(type_name: str, value: Any) -> Any:
    """``value`` as the Python value of ``type_name``; ValueError saying why it does not fit.

    ISO 8601 strings are accepted for dates and timestamps (YAML defaults, HTTP calls). A
    timestamp without a time zone is taken as UTC: Neo4j never compares a local and a zoned
    datetime, so a naive value would silently match nothing.
    """
    if value is None:
        return None
    return _COERCIONS[type_name](value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date without time, got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected an ISO 8601 date such as 2026-01-31, got {value!r}") from None
    raise ValueError(f"expected a date, got {value!r}")


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"expected an ISO 8601 timestamp such as 2026-01-31T06:00:00Z, got {value!r}"
            ) from None
    if not isinstance(value, dt.datetime):
        raise ValueError(f"expected a timestamp, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_COERCIONS: dict[str, Callable[[Any], Any]] = {
    "String": _string,
    "Int": _int,
    "Float": _float,
    "Boolean": _boolean,
    "Date": _date,
    "DateTime": _datetime,
}
