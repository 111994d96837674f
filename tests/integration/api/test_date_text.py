"""Neo4j's text of a date (what the generated root fields ask for) is byte for byte what the ``Date``
scalar writes for the driver's date object, and what it cannot be is left as it was."""

from __future__ import annotations

import datetime as dt
from typing import Any

import neo4j.time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.api.graphql.cypher_builder import date_text
from graph_service.api.graphql.scalars import serialize_date
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


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dates(), min_size=1, max_size=200).map(lambda days: days + EDGES))
def test_neo4j_writes_every_date_as_the_scalar_does(session_store: Neo4jStore, days: list[dt.date]) -> None:
    for text, value in _texts(session_store, "$days", {"days": days}):
        assert isinstance(text, str) and isinstance(value, neo4j.time.Date)
        assert text == serialize_date(value) == serialize_date(text)


def test_what_python_has_no_date_for_or_is_no_date_comes_back_as_it_is(session_store: Neo4jStore) -> None:
    # compared inside Neo4j: the driver cannot even decode the dates of years 0 or 10000 (it
    # refuses the whole record, with or without the text)
    values = (
        "[date({year: 0, month: 1, day: 1}), date({year: 10000, month: 1, day: 1}), "
        "date({year: -44, month: 3, day: 15}), datetime('2026-01-05T09:00:00Z'), "
        "localdatetime('2026-01-05T09:00:00'), '2026-01-05', 7, [date('2026-01-05')], null]"
    )
    rows = session_store.read(
        f"UNWIND {values} AS x WITH x, {date_text('x')} AS t "
        "RETURN CASE WHEN x IS NULL THEN t IS NULL ELSE t = x AND valueType(t) = valueType(x) END AS same"
    )
    assert [row["same"] for row in rows] == [True] * 9
