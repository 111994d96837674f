"""Value conversions a mapping may name: XSD datatypes, time formats, units. Pure functions.

A mapping's value goes through, in this order: ``default`` (when the path gives nothing), ``map``
(a code table), ``format`` (how a date or date-time is written: epoch numbers, ``strptime``
patterns), ``unit``/``factor`` (numbers scaled into the ontology's unit), then the conversion to
the property's XSD datatype.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from loaders.envelope import zone_offset_problem

#: Conversions a mapping may name, by the XSD datatype they produce.
CONVERSIONS = ("string", "integer", "decimal", "double", "boolean", "date", "dateTime", "duration", "anyURI")
NUMERIC = frozenset({"integer", "decimal", "double"})
TEMPORAL = frozenset({"date", "dateTime"})

#: unit → (dimension, factor to the dimension's base unit). Temperatures are affine: see _KELVIN.
UNITS: dict[str, tuple[str, Decimal]] = {
    "ms": ("time", Decimal("0.001")),
    "s": ("time", Decimal(1)),
    "min": ("time", Decimal(60)),
    "h": ("time", Decimal(3600)),
    "d": ("time", Decimal(86400)),
    "mg": ("mass", Decimal("0.000001")),
    "g": ("mass", Decimal("0.001")),
    "kg": ("mass", Decimal(1)),
    "t": ("mass", Decimal(1000)),
    "lb": ("mass", Decimal("0.45359237")),
    "mm": ("length", Decimal("0.001")),
    "cm": ("length", Decimal("0.01")),
    "m": ("length", Decimal(1)),
    "km": ("length", Decimal(1000)),
    "in": ("length", Decimal("0.0254")),
    "ml": ("volume", Decimal("0.001")),
    "l": ("volume", Decimal(1)),
    "m3": ("volume", Decimal(1000)),
    "%": ("ratio", Decimal("0.01")),
    "ratio": ("ratio", Decimal(1)),
}
#: temperature unit → (factor, offset) to kelvin: K = value × factor + offset.
_KELVIN: dict[str, tuple[Decimal, Decimal]] = {
    "K": (Decimal(1), Decimal(0)),
    "C": (Decimal(1), Decimal("273.15")),
    "F": (Decimal(5) / Decimal(9), Decimal("255.3722222222222222222222222")),
}
#: ``format:`` names for numbers counting from 1970-01-01T00:00:00Z (Debezium's time types).
EPOCH_FORMATS = {
    "epoch-s": Decimal(1),
    "epoch-ms": Decimal("0.001"),
    "epoch-us": Decimal("0.000001"),
    "epoch-days": Decimal(86400),
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def unit_scale(text: str) -> tuple[Decimal, Decimal]:
    """``"g -> kg"`` → (factor, offset) with target = source × factor + offset; ValueError says
    which units exist."""
    source, sep, target = (part.strip() for part in text.partition("->"))
    if not sep:
        raise ValueError(f"unit {text!r}: write `from -> to`, e.g. `g -> kg`")
    if source in _KELVIN and target in _KELVIN:
        f1, o1 = _KELVIN[source]
        f2, o2 = _KELVIN[target]
        return f1 / f2, (o1 - o2) / f2
    known = ", ".join([*UNITS, *_KELVIN])
    if source not in UNITS or target not in UNITS:
        raise ValueError(f"unit {text!r}: unknown unit; known units: {known}")
    (dim1, f1), (dim2, f2) = UNITS[source], UNITS[target]
    if dim1 != dim2:
        raise ValueError(f"unit {text!r}: {source} is a {dim1} unit, {target} a {dim2} unit")
    return f1 / f2, Decimal(0)


def scaled(raw: Any, factor: Decimal, offset: Decimal) -> Decimal:
    if isinstance(raw, bool):
        raise TypeError("a boolean is not a number")
    return Decimal(str(raw)) * factor + offset


def check_format(fmt: str, kind: str) -> str | None:
    """Why ``format: fmt`` cannot produce ``kind``, or None."""
    if kind not in TEMPORAL:
        return f"format applies to dates and date-times, but the ontology says xsd:{kind}"
    if fmt in EPOCH_FORMATS or "%" in fmt:
        return None
    return f"format {fmt!r}: use {', '.join(EPOCH_FORMATS)} or a strptime pattern such as %d.%m.%Y"


def parse_formatted(raw: Any, fmt: str, kind: str) -> dt.date | dt.datetime:
    """``raw`` read with ``format``: epoch numbers are UTC; a pattern without a zone reads as UTC
    for a date-time (the ontology's date-times carry one)."""
    if fmt in EPOCH_FORMATS:
        seconds = scaled(raw, EPOCH_FORMATS[fmt], Decimal(0))
        value = _EPOCH + dt.timedelta(seconds=float(seconds))
    else:
        value = dt.datetime.strptime(str(raw), fmt)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
    return value.date() if kind == "date" else value


def to_datetime(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        value = raw
    else:
        value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time zone is required")
    problem = zone_offset_problem(value)
    if problem:  # Neo4j would refuse it in the write
        raise ValueError(problem)
    return value


def to_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw)
    return dt.date.fromisoformat(text[:10] if len(text) >= 10 else text)


def to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in {"true", "1", "yes"}:
        return True
    if str(raw).lower() in {"false", "0", "no"}:
        return False
    raise ValueError("not a boolean")


def to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError("a boolean is not an integer")
    number = Decimal(str(raw))
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    return int(number)


def to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise TypeError("a boolean is not a number")
    value = float(Decimal(str(raw)))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": lambda raw: raw if isinstance(raw, str) else str(raw),
    "anyURI": str,
    "duration": str,
    "integer": to_int,
    "decimal": to_float,  # Neo4j has no decimal: FLOAT, served as Decimal by the API
    "double": to_float,
    "boolean": to_bool,
    "date": to_date,
    "dateTime": to_datetime,
}
