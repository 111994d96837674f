"""The live plant: same stream whatever the ticks, in time order, never ahead of the wall clock."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders.simulation.live import LivePlant, PlantClock, day_start_before, parse_time

START = dt.datetime(2026, 11, 24, 5, tzinfo=dt.UTC)
END = START + dt.timedelta(days=6)


def test_the_released_stream_does_not_depend_on_how_the_clock_ticks() -> None:
    at_once = LivePlant(7, START).until(END)
    ticking = LivePlant(7, START)
    got: list[dict] = []
    when = START
    while when < END:
        when = min(when + dt.timedelta(minutes=13), END)
        got += ticking.until(when)
    assert got == at_once
    times = [parse_time(e["time"]) for e in at_once]
    assert times == sorted(times)
    assert max(times) <= END


def test_take_skips_exactly_what_a_crashed_run_published() -> None:
    whole = LivePlant(7, START).until(END)
    restarted = LivePlant(7, START)
    assert restarted.take(400) == whole[:400]
    assert whole[:400] + restarted.until(END) == whole


def test_the_start_is_part_of_the_seed_so_ids_never_collide_across_plants() -> None:
    first = LivePlant(7, START).until(START + dt.timedelta(days=1))
    later = LivePlant(7, START + dt.timedelta(days=1)).until(START + dt.timedelta(days=2))
    assert not {e["id"] for e in first} & {e["id"] for e in later}


def test_a_plant_day_starts_at_five_utc() -> None:
    with pytest.raises(ValueError, match="05:00"):
        LivePlant(7, START.replace(hour=6))
    assert day_start_before(dt.datetime(2026, 12, 1, 4, tzinfo=dt.UTC), 2) == dt.datetime(
        2026, 11, 28, 5, tzinfo=dt.UTC
    )


def test_the_clock_compresses_until_it_reaches_the_wall_clock_then_runs_in_real_time() -> None:
    wall0 = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    clock = PlantClock(wall0 - dt.timedelta(hours=1), wall0, speed=61)
    assert clock.at(wall0 + dt.timedelta(seconds=30)) == wall0 - dt.timedelta(minutes=30) + dt.timedelta(
        seconds=30
    )
    assert clock.caught_up_at() == wall0 + dt.timedelta(minutes=1)
    later = wall0 + dt.timedelta(minutes=5)
    assert clock.at(later) == later
