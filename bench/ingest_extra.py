"""The ingest benchmark's optional parts (``bench/ingest.py --change-log / --kafka N / --growth NODES``):
what the graph change log costs the loader, the Kafka path against the file path, and events/s
while the graph grows, with the bench process's peak memory."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from confluent_kafka import Producer

from bench.common import empty_graph, timed
from bench.streams_support import kafka_for_bench, new_topic
from graph_service.store import Neo4jStore
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.changelog_publisher import ChangePublisher
from loaders.kafka_source import KafkaSource
from loaders.pipeline import Record
from loaders.simulation import simulate
from loaders.simulation.plant import START, Plant

if TYPE_CHECKING:
    from bench.ingest import Runs


def rss_mb() -> float:
    """Resident memory of this process now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


# -- the change log ------------------------------------------------------------------------------


class TimedPublisher(ChangePublisher):
    """The real publisher, adding up the time its drains take (the loader waits for them)."""

    seconds = 0.0
    changes = 0

    def drain(self, *, everyone: bool = False) -> int:
        started = time.perf_counter()
        sent = super().drain(everyone=everyone)
        TimedPublisher.seconds += time.perf_counter() - started
        TimedPublisher.changes += sent
        return sent


def change_log_cost(runs: Runs, rounds: int = 3) -> None:
    """The pipeline and the writer alone with the change log off and on (same events, batch 1,000)."""
    print("\ngraph change log (a local Kafka; batch 1,000):")
    with (
        tempfile.TemporaryDirectory(prefix="digispine-bench-kafka-") as tmp,
        kafka_for_bench(Path(tmp)) as boot,
    ):
        topic = new_topic(boot, "bench.changes")
        on = LoaderParts(**{**runs.parts.__dict__, "change_log": (boot, topic)})
        off = runs.parts

        def pipeline(parts: LoaderParts) -> float:
            with runs.store() as store:
                empty_graph(store)
                pipe = build_pipeline(parts, store, publisher=TimedPublisher)
                try:
                    stats = pipe.run(Record(line, "bench") for line in runs.lines)
                finally:
                    if pipe.changes is not None:  # its producer, before the bench's Kafka stops
                        pipe.changes.close()
            return len(runs.lines) / stats.seconds

        def writer(parts: LoaderParts) -> float:
            with runs.store() as store:
                empty_graph(store)
                w = build_pipeline(parts, store).writer  # the writer fills the outbox, nothing publishes
                chunks = [runs.mapped[i : i + 1000] for i in range(0, len(runs.mapped), 1000)]
                plans = [(chunk, w.plan(chunk)) for chunk in chunks]
                _, seconds = timed(lambda: [w.write(chunk, plan) for chunk, plan in plans])
            return len(runs.lines) / seconds

        pipeline(on)  # warm-up (plans of the RETURNING variants, the producer's topic)
        results: dict[str, list[float]] = {"off": [], "on": [], "writer off": [], "writer on": []}
        publish: list[tuple[float, int]] = []
        for _ in range(rounds):
            results["off"].append(pipeline(off))
            TimedPublisher.seconds, TimedPublisher.changes = 0.0, 0
            results["on"].append(pipeline(on))
            publish.append((TimedPublisher.seconds, TimedPublisher.changes))
            results["writer off"].append(writer(off))
            results["writer on"].append(writer(on))
        med = {k: statistics.median(v) for k, v in results.items()}
        seconds, changes = publish[len(publish) // 2]
        print(f"  pipeline, change log off  {med['off']:>10,.0f} events/s")
        print(
            f"  pipeline, change log on   {med['on']:>10,.0f} events/s   "
            f"ratio on/off {med['on'] / med['off']:.2f}"
        )
        print(f"  writer alone, off         {med['writer off']:>10,.0f} events/s")
        print(
            f"  writer alone, on          {med['writer on']:>10,.0f} events/s   "
            f"ratio on/off {med['writer on'] / med['writer off']:.2f}"
        )
        load_s = len(runs.lines) / med["on"]
        print(
            f"  publishing (drain after each batch): {seconds:.2f} s of the {load_s:.2f} s load, "
            f"{changes:,} changes"
        )


# -- Kafka against files -------------------------------------------------------------------------


def _produce(boot: str, topic: str, lines: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": boot, "linger.ms": 20, "batch.num.messages": 10000})
    for i, line in enumerate(lines):
        while True:
            try:
                producer.produce(topic, value=line, key=str(i).encode())
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(120)


def _counted(records: Iterator[Record | None], total: int) -> Iterator[Record | None]:
    """The source's records until ``total`` were read (no idle wait at the end)."""
    read = 0
    for record in records:
        yield record
        if record is not None:
            read += 1
            if read >= total:
                return


def kafka_path(runs: Runs, count: int, orders_per_day: float, rounds: int = 2) -> None:
    """The pipeline from a Kafka topic of ``count`` events against the same events from a file."""
    days = max(1, round(count / (len(runs.lines) / max(1, _days_of(runs)))))
    events = simulate(7, days, orders_per_day=orders_per_day)[:count]
    lines = [orjson.dumps(e) for e in events]
    parts = load_parts(runs.server.settings.model_copy(update={"loader_max_clock_skew_s": 1e11}))
    print(f"\nKafka path against the file path ({len(lines):,} events, batch 1,000):")
    with (
        tempfile.TemporaryDirectory(prefix="digispine-bench-kafka-") as tmp,
        kafka_for_bench(Path(tmp)) as boot,
    ):
        topic = new_topic(boot, "bench.events")
        _, produced = timed(lambda: _produce(boot, topic, lines))
        print(f"  produced in {produced:.1f} s")
        path = Path(tmp) / "events.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")

        def from_file() -> float:
            from loaders.sources import read_files

            with runs.store() as store:
                empty_graph(store)
                stats = build_pipeline(parts, store).run(read_files([path]))
            assert stats.loaded == len(lines), stats.summary()
            return len(lines) / stats.seconds

        def from_kafka(group: str) -> float:
            source = KafkaSource(boot, topic, group, idle_timeout=60)  # ends even if short of count
            try:
                with runs.store() as store:
                    empty_graph(store)
                    started = time.perf_counter()  # the consumer's start-up counts too
                    stats = build_pipeline(parts, store).run(
                        _counted(source.records(), len(lines)), on_commit=source.commit
                    )
                    seconds = time.perf_counter() - started
            finally:
                source.close()
            assert stats.loaded == len(lines), stats.summary()
            return len(lines) / seconds

        files, kafkas = [], []
        for i in range(rounds):
            files.append(from_file())
            kafkas.append(from_kafka(f"bench-{i}-{random.getrandbits(32):x}"))
        f, k = statistics.median(files), statistics.median(kafkas)
        print(f"  from a file   {f:>10,.0f} events/s")
        print(f"  from Kafka    {k:>10,.0f} events/s   ratio Kafka / file {k / f:.2f}   (goal 0.9)")


def _days_of(runs: Runs) -> int:
    first = orjson.loads(runs.lines[0])["time"][:10]
    last = orjson.loads(runs.lines[-1])["time"][:10]
    import datetime as dt

    return max(1, (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days)


# -- growth --------------------------------------------------------------------------------------


def plant_stream(seed: int, orders_per_day: float) -> Iterator[Record]:
    """An endless simulated plant, day by day (memory bounded: each day's events are handed on
    and dropped; shipments that fall due later are not sent, which a growth run does not need)."""
    plant = Plant(rng=random.Random(seed), orders_per_day=orders_per_day, start=START)
    plant.master_data(START)
    day = 0
    n = 0
    while True:
        plant.day(day)
        day += 1
        plant.events.sort(key=lambda e: (e[0], e[1]))
        batch, plant.events = plant.events, []
        for _, _, envelope in batch:
            n += 1
            yield Record(orjson.dumps(envelope), f"growth:{n}")


def growth(runs: Runs, target: int, orders_per_day: float, batch_size: int = 5000) -> None:
    """Load an endless plant until the graph holds ``target`` nodes; events/s per step of growth
    and the process's resident memory."""
    parts = load_parts(runs.server.settings.model_copy(update={"loader_max_clock_skew_s": 1e11}))
    print(f"\ngrowth to {target:,} nodes (batch {batch_size:,}; events/s per step):")
    print(f"{'nodes':>12} {'events':>12} {'events/s':>10} {'RSS MB':>8}")
    steps: list[dict[str, Any]] = []
    with runs.store() as store:
        empty_graph(store)
        baseline = rss_mb()
        state = {"t": time.perf_counter(), "read": 0, "peak": baseline, "next": target / 20}
        stop_at = [False]

        def progress(stats: Any) -> None:
            state["peak"] = max(state["peak"], rss_mb())
            nodes = _nodes(store)
            if nodes >= state["next"] or nodes >= target:
                now = time.perf_counter()
                rate = (stats.read - state["read"]) / (now - state["t"])
                steps.append({"nodes": nodes, "read": stats.read, "rate": rate})
                print(f"{nodes:>12,} {stats.read:>12,} {rate:>10,.0f} {state['peak']:>8,.0f}", flush=True)
                state.update(t=now, read=stats.read, next=nodes + target / 20)
            if nodes >= target:
                stop_at[0] = True

        def records() -> Iterator[Record]:
            for record in plant_stream(9, orders_per_day):
                if stop_at[0]:
                    return
                yield record

        stats = build_pipeline(parts, store, batch_size=batch_size).run(records(), on_progress=progress)
    rates = [s["rate"] for s in steps]
    if rates:
        print(
            f"  {stats.read:,} events in {stats.seconds:.0f} s; events/s first step {rates[0]:,.0f}, "
            f"last {rates[-1]:,.0f}, min {min(rates):,.0f}, max {max(rates):,.0f}; "
            f"resident memory {baseline:,.0f} MB before, peak {state['peak']:,.0f} MB"
        )
        # Flat means the last step runs as fast as the first: the ratio is what the goal reads.
        print(
            f"  ratio last step / first step {rates[-1] / rates[0]:.2f}, "
            f"last / median {rates[-1] / statistics.median(rates):.2f}; "
            f"loader memory grew {state['peak'] - baseline:,.0f} MB over the run"
        )


def _nodes(store: Neo4jStore) -> int:
    return int(store.read("MATCH (n) RETURN count(n) AS n")[0]["n"])
