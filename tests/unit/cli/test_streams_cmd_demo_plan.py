"""The demo's handover from the loaded history to the live plant, and what it runs in the background."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from graph_service.cli import demo_live
from graph_service.settings import load_settings
from loaders.simulation.live import parse_time


def test_the_history_ends_before_now_and_a_later_demo_continues_the_same_plant(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, streams_dir=tmp_path / "no-streams")
    first = demo_live.plan(settings, 42, 2, dt.timedelta(hours=24), 60)
    later = demo_live.plan(settings, 42, 5, dt.timedelta(hours=12), 60)

    assert later.start == first.start, "the first day is kept, whatever --days says later"
    assert (first.start.hour, first.start.tzinfo) == (5, dt.UTC)
    assert dt.timedelta(days=2) <= first.handover - first.start < dt.timedelta(days=3)
    history = [orjson.loads(line) for line in first.history_file(settings).read_bytes().splitlines()]
    assert history and max(parse_time(e["time"]) for e in history) <= first.handover
    assert (
        demo_live.plan(settings, 7, 2, dt.timedelta(hours=24), 60).start == first.start
    )  # own anchor per seed
    assert (tmp_path / "demo" / "live-seed7.json").exists()


def test_the_background_is_the_loader_and_the_live_plant_with_the_change_log_on(tmp_path: Path) -> None:
    settings = demo_live.with_change_log(
        load_settings(data_dir=tmp_path, streams_dir=tmp_path / "no-streams")
    )
    plan = demo_live.plan(settings, 42, 2, dt.timedelta(hours=24), 30)

    specs = {s.name: s for s in demo_live.child_specs(settings, plan)}

    assert set(specs) == {"loader", "live-plant"}  # no stream declared: no processor
    assert settings.change_log_topic == demo_live.DEMO_CHANGE_LOG_TOPIC
    assert all(s.env["DIGISPINE_CHANGE_LOG_TOPIC"] == "digispine.changes" for s in specs.values())
    plant = list(specs["live-plant"].argv)
    assert plant[plant.index("--start") + 1] == plan.start.isoformat()
    assert plant[plant.index("--speed") + 1] == "30"
    assert "--after" not in plant, "the plant publishes the history too: processors need it"
    assert list(specs["loader"].argv)[-3:] == ["load", "--kafka", settings.events_topic]


def test_a_configured_change_log_topic_is_kept(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, change_log_topic="plant.changes")
    assert demo_live.with_change_log(settings).change_log_topic == "plant.changes"
