"""Streams benchmark: the real-time path against bare baselines on the same broker, in one run.

Run: ``make bench-streams`` (or ``.venv/bin/python -m bench.streams [--quick] [--sections 1,4]``).
On one Kafka broker (the project's own local Kafka on free ports, or DIGISPINE_KAFKA_BOOTSTRAP)
and one Neo4j (bench.common.neo4j_for_bench), every program measured in its own process, it prints
side by side with its goal and its baseline:

1. event produced → derived event readable (read_committed consumer of the stream topic), p50/p99,
   of the equipmentOee processor at a steady rate of live plant events; baseline: a bare
   confluent-kafka consume → produce loop (bench/streams_bare.py), measured the same way;
2. derived event → subscription client, 100 graphql-transport-ws clients on ``digispine serve``
   subscribed to ``equipmentOee`` (identical subscriptions: the fan-out path), at 100 derived
   events/s put on the stream topic by the bench: the added p50/p99 from the message's Kafka
   timestamp to its receipt; baseline: a bare ``websockets`` broadcast server reading the same topic
   (bench/streams_ws.py);
3. event → entity change on a subscription at 1,000 events/s: ``digispine load --kafka`` with the
   change log on, the API subscribed to the EquipmentStateChange class's changes;
4. processor throughput per CPU-second (utime+stime of its process, /proc/<pid>/stat) draining a
   pre-filled topic to lag 0, against the bare loop's;
5. outage after kill -9 of a processor while input flows (restarted at once, same instance), with
   the derived event ids compared against an unkilled run of the same input; its memory (VmHWM).

Each processor run gets a stream topic of its own (a copy of ``streams/`` whose equipmentOee
descriptor names it), so no run sees another's state. A section whose code is missing prints
"not measured: <why>"; every wait has a timeout and every process is stopped in a finally block.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.common import REPO
from bench.streams_events import as_messages, plant_events, work_units
from bench.streams_support import (
    Child,
    Collector,
    Paced,
    base_env,
    child,
    end_offsets,
    kafka_for_bench,
    new_topic,
    percentile,
    python_module,
)

STREAM = "equipmentOee"
GROUP = f"digispine-stream-{STREAM}-v1"


@dataclass
class Row:
    """One line of the final table."""

    measure: str
    value: str
    goal: str
    baseline: str = "—"
    ratio: str = "—"
    verdict: str = "—"


@dataclass
class Sizes:
    rate: float  # input events/s of the latency and outage runs
    seconds: float  # measured seconds of a latency run
    prefill: int  # events drained for the throughput
    clients: int
    fanout_rate: float
    fanout_seconds: float
    load_rate: float
    load_seconds: float
    outage_seconds: float  # input flowing after the kill


FULL = Sizes(150, 30, 30_000, 100, 100, 20, 1000, 20, 25)
QUICK = Sizes(150, 8, 5_000, 100, 100, 6, 1000, 6, 15)


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value == value else "—"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


class Bench:
    def __init__(self, args: argparse.Namespace, bootstrap: str, root: Path) -> None:
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.bootstrap = bootstrap
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir()
        self.rows: list[Row] = []
        self.machines = work_units()
        self.neo4j = None
        self.fanout_sample: bytes | None = None

    # -- the processor under test ----------------------------------------------------------------

    def processor_missing(self) -> str | None:
        if importlib.util.find_spec("graph_service.streams.run") is None:
            return "graph_service.streams.run (area B's entry point) is not there yet"
        if not (REPO / "streams" / STREAM / "v1" / "stream.yaml").exists():
            return f"streams/{STREAM}/v1/stream.yaml is not there yet"
        return None

    def stream_dir(self, topic: str) -> Path:
        """A copy of streams/ whose equipmentOee descriptor writes to ``topic``."""
        target = Path(tempfile.mkdtemp(prefix="streams-", dir=self.root)) / "streams"
        shutil.copytree(REPO / "streams", target)
        descriptor = target / STREAM / "v1" / "stream.yaml"
        lines = [ln for ln in descriptor.read_text().splitlines() if not ln.startswith("topic:")]
        lines.append(f"topic: {topic}")
        descriptor.write_text("\n".join(lines) + "\n")
        return target

    def processor_env(self, events_topic: str, stream_topic: str, data_dir: Path) -> dict[str, str]:
        return base_env(
            self.bootstrap,
            data_dir,
            self.neo4j,
            DIGISPINE_EVENTS_TOPIC=events_topic,
            DIGISPINE_STREAMS_DIR=str(self.stream_dir(stream_topic)),
        )

    def processor(
        self, events_topic: str, stream_topic: str, data_dir: Path, instance: str, name: str
    ) -> AbstractContextManager[Child]:
        command = python_module("graph_service.streams.run", STREAM, "--instance", instance)
        return child(command, self.processor_env(events_topic, stream_topic, data_dir), self.logs, name)

    # -- 1. latency ------------------------------------------------------------------------------

    def latency_run(
        self, label: str, start: Callable[[str, str], AbstractContextManager[Child]]
    ) -> tuple[list[float], str]:
        """Live plant events at the steady rate into a fresh topic; the latency of every derived
        event whose input was sent after the warm-up, as read by a read_committed consumer."""
        s = self.sizes
        events_topic = new_topic(self.bootstrap, "bench.events")
        stream_topic = new_topic(self.bootstrap, f"bench.{label}")
        collector = Collector(self.bootstrap, stream_topic, end_offsets(self.bootstrap, stream_topic))
        with ExitStack() as stack:
            proc = stack.enter_context(start(events_topic, stream_topic))
            warm = Paced(
                self.bootstrap,
                events_topic,
                as_messages(
                    plant_events(int(s.rate * 120), time.time() * 1000, s.rate, self.machines, "w" + label)
                ),
                s.rate,
            ).start()
            ready = collector.wait_for(lambda got: len(got) > 0, 120)
            warm.stop.set()
            warm.join(10)
            if not ready:
                collector.close()
                return [], f"no derived event within 120 s:\n{proc.tail()}"
            time.sleep(2)  # let the warm-up drain
            count = int(s.rate * s.seconds)
            t0 = time.time() * 1000
            paced = Paced(
                self.bootstrap,
                events_topic,
                as_messages(plant_events(count, t0, s.rate, self.machines, "m" + label)),
                s.rate,
            ).start()
            paced.join(s.seconds + 30)
            collector.settle(3, 60)
            cpu = proc.cpu_s()
        collector.close()
        measured = [m for m in collector.messages if m.value.get("inputts", 0) >= t0]
        latencies = [m.recv_ms - m.value["inputts"] for m in measured]
        note = f"{len(measured):,} derived from {count:,} inputs at {s.rate:.0f}/s (producer late ≤ {paced.behind_max_s * 1000:.0f} ms), CPU {cpu:.1f} s"
        return latencies, note

    def bare(self, events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
        command = python_module(
            "bench.streams_bare",
            self.bootstrap,
            events_topic,
            stream_topic,
            f"bench-bare-{uuid.uuid4().hex[:6]}",
        )
        return child(command, base_env(self.bootstrap, self.root), self.logs, f"bare-{stream_topic}")

    def section_latency(self) -> None:
        print("\n== 1. event produced → derived event readable (read_committed) ==")
        base, note = self.latency_run("bare", self.bare)
        print(f"bare loop:  p50 {ms(percentile(base, 50))}  p99 {ms(percentile(base, 99))}  ({note})")
        b50, b99 = percentile(base, 50), percentile(base, 99)
        missing = self.processor_missing()
        if missing:
            print(f"processor: not measured: {missing}")
            self.rows += [
                Row("event → derived p50", f"not measured: {missing}", "≤ 150 ms", ms(b50)),
                Row("event → derived p99", "not measured", "≤ 400 ms", ms(b99)),
            ]
            return
        data = self.root / f"proc-lat-{uuid.uuid4().hex[:6]}"

        def start(events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
            return self.processor(events_topic, stream_topic, data, "lat", "processor-latency")

        got, note = self.latency_run("oee", start)
        p50, p99 = percentile(got, 50), percentile(got, 99)
        print(f"processor:  p50 {ms(p50)}  p99 {ms(p99)}  ({note})")
        self.rows += [
            Row(
                "event → derived p50", ms(p50), "≤ 150 ms", ms(b50), f"{p50 / b50:.1f}×", verdict(p50 <= 150)
            ),
            Row(
                "event → derived p99", ms(p99), "≤ 400 ms", ms(b99), f"{p99 / b99:.1f}×", verdict(p99 <= 400)
            ),
        ]

    # -- the final table -------------------------------------------------------------------------

    def table(self) -> str:
        head = ("measure", "value", "goal", "baseline", "ratio", "")
        rows = [head] + [(r.measure, r.value, r.goal, r.baseline, r.ratio, r.verdict) for r in self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
        lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(lines)


SECTIONS = {"1": "section_latency"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs (a minute or two), for development")
    parser.add_argument("--sections", default="1,2,3,4,5", help="which sections to run, e.g. 1,4")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="digispine-bench-streams-") as tmp:
        root = Path(tmp)
        with kafka_for_bench(root / "kafka") as bootstrap:
            bench = Bench(args, bootstrap, root)
            for key in args.sections.split(","):
                name = SECTIONS.get(key.strip())
                if name is None:
                    continue
                try:
                    getattr(bench, name)()
                except Exception as exc:  # a section's failure is reported, the others still run
                    traceback.print_exc()
                    bench.rows.append(
                        Row(f"section {key}", f"not measured: {type(exc).__name__}: {exc}", "—")
                    )
            print(
                f"\n== results ({'quick' if args.quick else 'full'} run, {time.monotonic() - started:.0f} s) =="
            )
            print(bench.table())


if __name__ == "__main__":
    main()
