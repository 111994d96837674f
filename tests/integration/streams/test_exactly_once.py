"""Exactly-once across kill -9: a processor killed mid-stream and restarted (same instance, so the
same transactional.id) leaves the same final windows as a run never killed — none twice, none missing."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from graph_service.settings import Settings
from loaders.simulation import simulate
from tests.integration.streams.streams_kafka import (
    caught_up,
    finals,
    produce,
    read_all,
    run_to_end,
    start_processor,
    stream_env,
    wait_for,
)

pytestmark = pytest.mark.integration

EVENTS = simulate(seed=7, days=6, orders_per_day=6)


def test_a_processor_killed_mid_stream_loses_and_doubles_nothing(
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    reference_settings, reference = stream_env(kafka_settings, tmp_path / "ref", "equipmentOee", partitions=3)
    produce(reference_settings, EVENTS)
    run_to_end(reference_settings, reference, ["ref"], tmp_path / "reference.log")
    expected = read_all(reference_settings, reference.topic)

    settings, descriptor = stream_env(kafka_settings, tmp_path / "kill", "equipmentOee", partitions=3)
    produce(settings, EVENTS)
    log = tmp_path / "processor.log"
    processor = start_processor(settings, "equipmentOee", "k1", log)
    try:
        # Kill it while it is still working: some derived events committed, input left.
        wait_for(lambda: read_all(settings, descriptor.topic, timeout=5), 90, "the first derived events")
        assert not caught_up(settings, descriptor), "finished before the kill; use more events"
        os.kill(processor.pid, signal.SIGKILL)
        processor.wait(10)
        killed_at = time.monotonic()
        before = len(read_all(settings, descriptor.topic))
        processor = start_processor(settings, "equipmentOee", "k1", log)
        wait_for(
            lambda: len(read_all(settings, descriptor.topic, timeout=5)) > before, 90, "output after restart"
        )
        print(f"kill -9 → first new committed derived event: {time.monotonic() - killed_at:.1f} s")
        wait_for(lambda: caught_up(settings, descriptor), 120, "the restarted processor to catch up")
    finally:
        processor.send_signal(signal.SIGTERM)
        processor.wait(30)
    got = read_all(settings, descriptor.topic)

    ids = [e["id"] for e in got]
    assert len(ids) == len(set(ids)), "a derived event was committed twice"
    revisions = [
        (e["subject"], e["data"]["windowName"], e["data"]["windowStart"], e["data"]["revision"]) for e in got
    ]
    assert len(revisions) == len(set(revisions)), "a window revision was committed twice"
    want, have = finals(expected), finals(got)
    assert want, "the reference run finished no window"
    differ = sorted(
        k for k in set(want) | set(have) if k not in have or k not in want or not same(want[k], have[k])
    )
    assert not differ, f"{len(differ)} of {len(want)} final windows differ after kill -9, e.g. {differ[0]}"


def same(a: dict, b: dict) -> bool:
    """The same final event: id and computed values (the revision number depends on grouping)."""
    return a["id"] == b["id"] and strip(a["data"]) == strip(b["data"])


def strip(data: dict) -> dict:
    """The computed values of a window (its revision number depends on how late inputs were grouped)."""
    return {k: v for k, v in data.items() if k != "revision"}
