"""Scalars (exact decimals, ISO dates) and page cursors."""

from __future__ import annotations

import datetime as dt
import decimal

import neo4j.time
import pytest
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from graph_service.api.graphql import cursors
from graph_service.api.graphql.scalars import (
    parse_datetime,
    parse_decimal,
    serialize_date,
    serialize_datetime,
    serialize_decimal,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.3, "12.3"),
        (0.1 + 0.2, "0.30000000000000004"),  # a different float from 0.3, so different digits
        (21000.0, "21000.0"),
        (1e16, "10000000000000000"),
        (1e-7, "0.0000001"),
        (7, "7"),
        (decimal.Decimal("12.50"), "12.50"),
    ],
)
def test_decimals_serialise_with_the_shortest_exact_digits(value: object, text: str) -> None:
    assert serialize_decimal(value) == text
    assert float(text) == float(value)  # type: ignore[arg-type]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_serialises_as_the_decimal_of_its_shortest_digits_without_exponent(value: float) -> None:
    text = serialize_decimal(value)
    assert text == format(decimal.Decimal(repr(value)), "f") and float(text) == value
    assert "e" not in text.lower()


def test_non_numbers_are_not_decimals() -> None:
    for value in (True, "x", float("nan"), float("inf")):
        with pytest.raises(TypeError):
            serialize_decimal(value)
    with pytest.raises(ValueError):
        parse_decimal("twelve")
    assert parse_decimal(" 1.10 ") == decimal.Decimal("1.10")


def test_temporal_values_from_neo4j_and_python_serialise_as_iso_8601() -> None:
    assert serialize_date(neo4j.time.Date(2026, 1, 5)) == "2026-01-05"
    assert serialize_date(dt.date(2026, 1, 5)) == "2026-01-05"
    stamp = neo4j.time.DateTime(2026, 1, 5, 9, 46, 15, tzinfo=dt.UTC)
    assert serialize_datetime(stamp) == "2026-01-05T09:46:15+00:00"
    assert serialize_datetime(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)) == "2026-01-05T09:00:00+00:00"


@given(st.dates())
def test_a_dates_iso_text_serialises_as_the_date_itself(day: dt.date) -> None:
    # Neo4j writes the generated root fields' dates as text (cypher_builder.date_text); the answer
    # must be byte for byte the one the driver's date object gave
    from_neo4j = serialize_date(neo4j.time.Date(day.year, day.month, day.day))
    assert serialize_date(day.isoformat()) == from_neo4j == serialize_date(day)


@pytest.mark.parametrize(
    "text",
    ["20260105", "2026-W02-1", "2026-005", "2026-1-5", " 2026-01-05", "2026-01-05T00:00", "2026-02-30", ""],
)
def test_text_that_is_not_a_dates_iso_form_is_no_date(text: str) -> None:
    with pytest.raises(TypeError, match="Date cannot represent"):
        serialize_date(text)


@given(st.datetimes(timezones=st.timezones() | st.just(dt.UTC)))
def test_a_datetimes_iso_text_serialises_as_the_datetime_itself(stamp: dt.datetime) -> None:
    assert serialize_datetime(stamp.isoformat()) == serialize_datetime(stamp)


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-05T09:00:00Z",  # Neo4j's own toString: not what the scalar writes
        "2026-01-05T09:00:00.5+01:00",
        "2026-01-05T09:00+01:00",
        "2026-01-05 09:00:00+01:00",
        "2026-01-05T09:00:00+01:00[Europe/Berlin]",
        "2026-01-05",
        "",
    ],
)
def test_text_that_is_not_a_datetimes_iso_form_is_no_datetime(text: str) -> None:
    with pytest.raises(TypeError, match="DateTime cannot represent"):
        serialize_datetime(text)


def test_datetimes_without_offset_are_taken_as_utc() -> None:
    assert parse_datetime("2026-01-05T09:00:00") == dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    assert parse_datetime("2026-01-05T09:00:00Z").utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert cursors.decode(cursors.encode(41)) == 41
    for bad in ("", "!!!", "b2Zmc2V0Oi0x", "' OR 1=1 //", cursors.encode(1)[:-2]):
        with pytest.raises(GraphQLError):
            cursors.decode(bad)
