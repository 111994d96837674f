"""The streams' catalog without Kafka: cached, shared and bounded freshness; durations; percentiles."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from graph_service.ontology.model import DomainModel
from graph_service.products.descriptor import duration_seconds
from graph_service.streams import StreamDescriptor
from graph_service.streams.catalog import StreamCatalog
from graph_service.streams.descriptor import iso_duration
from graph_service.streams.freshness import Freshness, FreshnessConfig, FreshnessStatus, percentile
from loaders.mapping import Mapper
from tests.unit.streams.conftest import load, write_stream

CONFIG = FreshnessConfig("127.0.0.1:1", "events", "violations", timeout_s=0.2)


def catalog(
    tmp_path: Path, model: DomainModel, mapper: Mapper, measure, cache_s: float = 60.0
) -> StreamCatalog:  # type: ignore[no-untyped-def]
    write_stream(tmp_path)
    return StreamCatalog(load(tmp_path, model, mapper), CONFIG, cache_s=cache_s, measure_with=measure)


def measured(lag: int) -> Freshness:
    return Freshness(FreshnessStatus.MEASURED, dt.datetime.now(tz=dt.UTC), consumer_lag=lag)


def test_a_measurement_is_reused_within_the_cache_time(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    calls: list[str] = []

    def measure(d: StreamDescriptor, config: FreshnessConfig) -> Freshness:
        calls.append(d.name)
        return measured(len(calls))

    cached = catalog(tmp_path, model, mapper, measure)
    (d,) = cached.registry.streams
    assert cached.freshness(d).consumer_lag == 1
    assert asyncio.run(cached.freshness_async(d)).consumer_lag == 1
    assert calls == ["sample"]
    uncached = catalog(tmp_path / "b", model, mapper, measure, cache_s=0)
    (e,) = uncached.registry.streams
    uncached.freshness(e)
    uncached.freshness(e)
    assert len(calls) == 3


def test_concurrent_requests_share_one_measurement(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    release = threading.Event()
    calls: list[int] = []

    def measure(d: StreamDescriptor, config: FreshnessConfig) -> Freshness:
        calls.append(1)
        release.wait(5)
        return measured(7)

    shared = catalog(tmp_path, model, mapper, measure)
    (d,) = shared.registry.streams
    results: list[Freshness] = []
    threads = [threading.Thread(target=lambda: results.append(shared.freshness(d))) for _ in range(4)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and [r.consumer_lag for r in results] == [7, 7, 7, 7]


def test_a_measurement_that_hangs_answers_timed_out(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    release = threading.Event()

    def measure(d: StreamDescriptor, config: FreshnessConfig) -> Freshness:
        release.wait(10)
        return measured(1)

    hanging = catalog(tmp_path, model, mapper, measure)
    (d,) = hanging.registry.streams
    loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(hanging.freshness_async(d))
    finally:
        release.set()
        loop.close()
    assert result.status is FreshnessStatus.TIMED_OUT and result.consumer_lag is None


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.99) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0)) == (50.0, 99.0, 100.0)
    assert percentile([400.0, 100.0, 300.0, 200.0], 0.5) == 200.0


@given(st.integers(min_value=0, max_value=10 * 86400))
def test_iso_durations_read_back_to_the_same_seconds(seconds: int) -> None:
    text = iso_duration(dt.timedelta(seconds=seconds))
    assert duration_seconds(text) == seconds
