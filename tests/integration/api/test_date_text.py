"""Neo4j's text of a date or datetime (what the generated root fields ask for) is byte for byte what
the ``Date`` or ``DateTime`` scalar writes for the driver's object, and what it cannot be is left as
it was."""

from __future__ import annotations

import datetime as dt
from typing import Any

import neo4j.time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.api.graphql.cypher_builder import date_text, datetime_text
from graph_service.api.graphql.scalars import serialize_date, serialize_datetime
from graph_service.store import Neo4jStore

EDGES = [
    dt.date(1, 1, 1),
    dt.date(9, 12, 31),
    dt.date(999, 12, 31),
    dt.date(1000, 1, 1),
    dt.date(1582, 10, 10),  # in the Julian-to-Gregorian gap: both calendars are proleptic Gregorian
    dt.date(2024, 2, 29),
    dt.date(9999, 12, 31),
]


def _texts(store: Neo4jStore, values: str, params: dict[str, Any] | None = None) -> list[tuple[Any, Any]]:
    rows = store.read(f"UNWIND {values} AS x RETURN {date_text('x')} AS text, x AS value", params)
    return [(row["text"], row["value"]) for row in rows]


#: Instants (seconds from 1970) whose local date lies in years 2–9998 in every zone: the driver
#: itself cannot always decode years 1 and 9999 shifted by an offset.
INSTANTS = st.integers(
    int(dt.datetime(2, 1, 2, tzinfo=dt.UTC).timestamp()),
    int(dt.datetime(9998, 12, 30, tzinfo=dt.UTC).timestamp()),
)
NANOSECONDS = st.one_of(
    st.just(0), st.sampled_from([1, 999, 1_000, 500_000_000, 999_999_999]), st.integers(0, 10**9 - 1)
)
WHOLE_MINUTES = st.one_of(
    st.sampled_from(["Z", "+00:00", "-00:00"]),
    st.integers(-18 * 60, 18 * 60).map(
        lambda m: f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
    ),
)
#: Zones whose offset the driver would take from its own zone database, and offsets with seconds.
OTHER_ZONES = st.sampled_from(
    [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "+01:00:30",
        "-00:00:15",
    ]
)


def _datetime_texts(store: Neo4jStore, stamps: list[tuple[int, int, str]]) -> list[tuple[Any, Any]]:
    rows = store.read(
        "UNWIND $stamps AS s "
        "WITH datetime({datetime: datetime({epochSeconds: s[0], nanosecond: s[1]}), timezone: s[2]}) AS x "
        f"RETURN {datetime_text('x')} AS text, x AS value",
        {"stamps": stamps},
    )
    return [(row["text"], row["value"]) for row in rows]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dates(), min_size=1, max_size=200).map(lambda days: days + EDGES))
def test_neo4j_writes_every_date_as_the_scalar_does(session_store: Neo4jStore, days: list[dt.date]) -> None:
    for text, value in _texts(session_store, "$days", {"days": days}):
        assert isinstance(text, str) and isinstance(value, neo4j.time.Date)
        assert text == serialize_date(value) == serialize_date(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(INSTANTS, NANOSECONDS, WHOLE_MINUTES), min_size=1, max_size=200))
def test_neo4j_writes_every_datetime_with_a_whole_minute_offset_as_the_scalar_does(
    session_store: Neo4jStore, stamps: list[tuple[int, int, str]]
) -> None:
    for text, value in _datetime_texts(session_store, stamps):
        assert isinstance(text, str) and isinstance(value, neo4j.time.DateTime)
        assert text == serialize_datetime(value) == serialize_datetime(text)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(INSTANTS, NANOSECONDS, OTHER_ZONES), min_size=1, max_size=50))
def test_datetimes_in_named_zones_or_with_offset_seconds_come_as_driver_values(
    session_store: Neo4jStore, stamps: list[tuple[int, int, str]]
) -> None:
    for text, value in _datetime_texts(session_store, stamps):
        assert isinstance(text, neo4j.time.DateTime) and text == value


def test_what_python_has_no_date_for_or_is_no_date_comes_back_as_it_is(session_store: Neo4jStore) -> None:
    # compared inside Neo4j: the driver cannot even decode the dates of years 0 or 10000 (it
    # refuses the whole record, with or without the text)
    values = (
        "[date({year: 0, month: 1, day: 1}), date({year: 10000, month: 1, day: 1}), "
        "date({year: -44, month: 3, day: 15}), datetime('2026-01-05T09:00:00Z'), "
        "localdatetime('2026-01-05T09:00:00'), '2026-01-05', 7, [date('2026-01-05')], null, "
        "datetime('0000-06-01T00:00:00Z'), datetime('+10000-01-01T00:00:00Z'), time('09:00:00Z')]"
    )
    for text, made in ((date_text, set()), (datetime_text, {3})):  # 3: a datetime it writes
        rows = session_store.read(
            f"UNWIND {values} AS x WITH x, {text('x')} AS t RETURN CASE WHEN x IS NULL THEN t IS NULL "
            "ELSE t = x AND valueType(t) = valueType(x) END AS same, "
            "t IS :: STRING NOT NULL AND NOT x IS :: STRING AS made"
        )
        assert {i for i, row in enumerate(rows) if row["made"]} == made
        assert all(row["same"] for i, row in enumerate(rows) if i not in made)
