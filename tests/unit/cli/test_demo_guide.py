"""What the demo's guide says about the live plant's working hours (a quiet subscription at the
plant's night must not look broken)."""

from __future__ import annotations

import datetime as dt

from graph_service.cli import demo_live
from graph_service.settings import load_settings
from graph_service.streams.hub import Position


def _plan() -> demo_live.DemoPlan:
    start = dt.datetime(2026, 11, 20, 5, tzinfo=dt.UTC)
    return demo_live.DemoPlan(42, start, start + dt.timedelta(days=7), dt.timedelta(hours=24), 60.0)


def test_at_the_plants_night_the_guide_says_when_it_resumes_and_gives_a_replay_cursor() -> None:
    settings = load_settings()
    night = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # caught up at ~02:24, quiet until 06:00

    note = " ".join(demo_live._quiet_plant_note(settings, night, _plan()))

    assert "quiet until 06:00 UTC" in note
    cursor = note.split('after: "')[1].split('"')[0]
    topic = next(d.topic for d in demo_live._stream_descriptors(settings) if d.name == "equipmentOee")
    assert Position.decode(cursor, topic).offsets == tuple((p, 0) for p in range(demo_live.EVENTS_PARTITIONS))


def test_in_working_hours_the_guide_adds_nothing() -> None:
    day = dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)
    assert demo_live._quiet_plant_note(load_settings(), day, _plan()) == []
