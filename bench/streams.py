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
5. outage after kill -9 of a processor while input flows (restarted at once, same instance); what
   it delivered checked for lost and doubled output (bench/streams_audit.py: ids and revisions
   seen twice, gaps in a window's revisions, each window's last figures against an unkilled run of
   the same input); the processors' memory (VmHWM).

Each processor run gets a stream topic of its own (a copy of ``streams/`` whose equipmentOee
descriptor names it), so no run sees another's state. A section whose code is missing prints
"not measured: <why>"; every wait has a timeout and every process is stopped in a finally block.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.common import REPO, _free_port, neo4j_for_bench
from bench.streams_api import OEE_SUBSCRIPTION, derived_events, latencies, serve, swarm
from bench.streams_audit import audit
from bench.streams_events import as_messages, plant_events, state_changes, work_units
from bench.streams_support import (
    Child,
    Collector,
    Committed,
    Paced,
    base_env,
    child,
    end_offsets,
    kafka_for_bench,
    new_topic,
    percentile,
    prefill,
    python_module,
    scratch_dir,
    wait_until,
)
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import load_parts

T = TypeVar("T")
STREAM = "equipmentOee"
#: One entity class's changes; each state change event creates one EquipmentStateChange.
CHANGE_SUBSCRIPTION = "subscription { equipmentStateChangeChanged { change cause { id type time } } }"
CHANGE_ID_PATH = "equipmentStateChangeChanged.cause.id"
#: A subscription feed that holds a loader batch's changes (two per event: entity, relationship).
BIG_FEED = 16_384
#: Section 3 produces 1,000 events/s: with linger 0 each is a produce request of its own, which cost
#: the broker about 0.6 core on the 2-core bench machine, CPU that Neo4j (the loader's writes) needed.
#: 5 ms of batching, as any plant-side producer does, is negligible against the 500 ms goal.
LOAD_LINGER_MS = 5
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


@dataclass
class Drained:
    """What draining a pre-filled topic measured."""

    inputs: int  # input events consumed while the CPU was counted
    cpu_s: float
    rss_mb: float
    derived: list[dict[str, Any]]
    note: str

    def per_cpu_s(self) -> float:
        return self.inputs / self.cpu_s if self.cpu_s > 0 else float("nan")


#: Seconds of input at the load rate before section 3 measures, all of it through the change log
#: first. With 2 s, the figure depended on whether an earlier section had warmed Neo4j's JIT: the
#: loader took in 926 events/s after section 2 and 730 with section 3 alone (2026-12-02, quiet);
#: 808 alone with 10 s.
CHANGES_WARMUP_S = 10

FULL = Sizes(150, 30, 15_000, 100, 100, 20, 1000, 20, 25)
QUICK = Sizes(150, 8, 5_000, 100, 100, 6, 1000, 6, 15)


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value == value else "—"


def attempt(what: str, work: Callable[[], T]) -> tuple[T | None, str | None]:
    """``work()``, or None and why not (printed in full; the table gets its first line)."""
    try:
        return work(), None
    except Exception as exc:  # the code measured is someone's work in progress: report, go on
        print(f"{what}: not measured: {type(exc).__name__}: {exc}")
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        errors = [ln for ln in lines[1:] if "Error" in ln or "error" in ln]
        return None, " … ".join([f"{type(exc).__name__}: {lines[0] if lines else ''}", *errors[-1:]])


def ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}×" if base and base == base and value == value else "—"


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
        self.stack = ExitStack()
        self.neo4j: Settings | None = None
        #: a derived event of the real processor, the template of the fan-out's events
        self.oee_sample: dict[str, Any] | None = None
        self.memory: list[float] = []
        self.engine_rss_mb = float("nan")

    # -- the processor under test ----------------------------------------------------------------

    def processor_missing(self) -> str | None:
        if not (REPO / "graph_service" / "streams" / "run.py").exists():
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

    def processor_env(
        self, events_topic: str, stream_topic: str, data_dir: Path, **extra: str
    ) -> dict[str, str]:
        return base_env(
            self.bootstrap,
            data_dir,
            self.neo4j,
            DIGISPINE_EVENTS_TOPIC=events_topic,
            DIGISPINE_STREAMS_DIR=str(self.stream_dir(stream_topic)),
            **extra,
        )

    def processor(
        self,
        events_topic: str,
        stream_topic: str,
        data_dir: Path,
        instance: str,
        name: str,
        **extra: str,
    ) -> AbstractContextManager[Child]:
        command = python_module("graph_service.streams.run", STREAM, "--instance", instance)
        env = self.processor_env(events_topic, stream_topic, data_dir, **extra)
        return child(command, env, self.logs, name)

    # -- 1. latency ------------------------------------------------------------------------------

    def latency_run(
        self, label: str, start: Callable[[str, str], AbstractContextManager[Child]], group: str
    ) -> tuple[list[float], str]:
        """Live plant events at the steady rate into a fresh topic; the latency of every derived
        event whose input was sent after the warm-up, as read by a read_committed consumer."""
        s = self.sizes
        events_topic = new_topic(self.bootstrap, "bench.events")
        stream_topic = new_topic(self.bootstrap, f"bench.{label}")
        collector = Collector(self.bootstrap, stream_topic, end_offsets(self.bootstrap, stream_topic))
        committed = Committed(self.bootstrap, group)
        try:
            with start(events_topic, stream_topic) as proc:
                # warm-up: events flow until the first derived one, then the backlog is drained
                warm_events = plant_events(
                    int(s.rate * 120), time.time() * 1000, s.rate, self.machines, "w" + label
                )
                warm = Paced(self.bootstrap, events_topic, as_messages(warm_events), s.rate).start()
                ready = collector.wait_for(lambda got: len(got) > 0 or not proc.alive(), 120)
                warm.stop.set()
                warm.join(10)
                if not ready or not proc.alive():
                    raise RuntimeError(
                        f"no derived event (within 120 s, or the processor exited):\n{proc.tail()}"
                    )
                if not self.wait_drained(proc, committed, events_topic, stream_topic, warm.sent, 120):
                    raise RuntimeError(
                        f"the warm-up's {warm.sent:,} events not drained in 120 s:\n{proc.tail()}"
                    )
                count = int(s.rate * s.seconds)
                t0 = time.time() * 1000
                measured_events = plant_events(count, t0, s.rate, self.machines, "m" + label)
                cpu0 = proc.cpu_s()
                paced = Paced(self.bootstrap, events_topic, as_messages(measured_events), s.rate).start()
                paced.join(s.seconds + 30)
                total = warm.sent + paced.sent
                drained = self.wait_drained(proc, committed, events_topic, stream_topic, total, 120)
                collector.settle(1, 10)
                cpu = proc.cpu_s() - cpu0
                if label == "oee":
                    self.memory.append(proc.rss_peak_mb())
        finally:
            collector.close()
            committed.close()
        measured = [m for m in collector.messages if m.value.get("inputts", 0) >= t0]
        if measured and label == "oee":
            self.oee_sample = measured[-1].value
        latencies = [m.recv_ms - m.value["inputts"] for m in measured]
        note = (
            f"{len(measured):,} derived from {count:,} inputs at {s.rate:.0f}/s, "
            f"producer late ≤ {paced.behind_max_s * 1000:.0f} ms, CPU {cpu:.1f} s"
            + ("" if drained else "; NOT drained 120 s after the input stopped")
        )
        return latencies, note

    def bare(self, events_topic: str, stream_topic: str, group: str = "") -> AbstractContextManager[Child]:
        group = group or f"bench-bare-{uuid.uuid4().hex[:6]}"
        command = python_module("bench.streams_bare", self.bootstrap, events_topic, stream_topic, group)
        return child(command, base_env(self.bootstrap, self.root), self.logs, f"bare-{stream_topic}")

    def quix(self, events_topic: str, stream_topic: str, group: str) -> AbstractContextManager[Child]:
        """The engine's floor: a Quix Streams pass-through with the runtime's settings."""
        state = scratch_dir(self.root, "quix")
        command = python_module(
            "bench.streams_quix", self.bootstrap, events_topic, stream_topic, group, str(state)
        )
        return child(command, base_env(self.bootstrap, self.root), self.logs, f"quix-{group}")

    def section_latency(self) -> None:
        print("\n== 1. event produced → derived event readable (read_committed) ==")
        group = f"bench-bare-{uuid.uuid4().hex[:6]}"
        base, note = self.latency_run("bare", lambda e, t: self.bare(e, t, group), group)
        print(f"bare loop:  p50 {ms(percentile(base, 50))}  p99 {ms(percentile(base, 99))}  ({note})")
        b50, b99 = percentile(base, 50), percentile(base, 99)
        quix_group = f"bench-quix-{uuid.uuid4().hex[:6]}"
        engine, why = attempt(
            "Quix pass-through",
            lambda: self.latency_run("quix", lambda e, t: self.quix(e, t, quix_group), quix_group),
        )
        if engine is not None:
            q50, q99 = percentile(engine[0], 50), percentile(engine[0], 99)
            print(f"Quix pass-through (exactly-once): p50 {ms(q50)}  p99 {ms(q99)}  ({engine[1]})")
            self.rows.append(
                Row(
                    "Quix pass-through p50 / p99",
                    f"{ms(q50)} / {ms(q99)}",
                    "— (the engine's floor)",
                    f"{ms(b50)} / {ms(b99)}",
                )
            )
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

        result, missing = attempt("processor", lambda: self.latency_run("oee", start, GROUP))
        if result is None:
            self.rows += [
                Row("event → derived p50", f"not measured: {missing}", "≤ 150 ms", ms(b50)),
                Row("event → derived p99", "not measured", "≤ 400 ms", ms(b99)),
            ]
            return
        got, note = result
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
        for interval in self.args.commit_intervals:
            self.latency_with_commit_interval(interval, b50, b99)

    def latency_with_commit_interval(self, interval: float, b50: float, b99: float) -> None:
        """The processor again with ``DIGISPINE_STREAM_COMMIT_INTERVAL_S=interval`` (its own topics
        and state): what a shorter checkpoint buys in latency and costs in CPU, same run."""
        data = self.root / f"proc-lat-{uuid.uuid4().hex[:6]}"
        extra = {"DIGISPINE_STREAM_COMMIT_INTERVAL_S": str(interval)}

        def start(events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
            return self.processor(events_topic, stream_topic, data, "lat", f"processor-c{interval}", **extra)

        label = f"processor (commit every {interval:g} s)"
        # Its consumer group must be the one the processor joins: a descriptor copy cannot rename
        # it, so this run uses the stream's group on topics of its own (offsets are per topic).
        result, missing = attempt(label, lambda: self.latency_run("oee", start, GROUP))
        if result is None:
            self.rows.append(Row(f"event → derived p50 / p99, {label}", f"not measured: {missing}", "", ""))
            return
        got, note = result
        p50, p99 = percentile(got, 50), percentile(got, 99)
        print(f"{label}:  p50 {ms(p50)}  p99 {ms(p99)}  ({note})")
        self.rows.append(
            Row(
                f"event → derived p50 / p99, {label}",
                f"{ms(p50)} / {ms(p99)}",
                "≤ 150 / ≤ 400 ms",
                f"{ms(b50)} / {ms(b99)}",
                f"{p50 / b50:.1f}× / {p99 / b99:.1f}×",
                verdict(p50 <= 150 and p99 <= 400),
            )
        )

    # -- 2. fan-out to subscriptions ---------------------------------------------------------------

    def graph(self) -> Settings:
        """Neo4j, started the first time a section needs it (the API and the loader do)."""
        if self.neo4j is None:
            self.neo4j = self.stack.enter_context(neo4j_for_bench())
        return self.neo4j

    def api_missing(self) -> str | None:
        if not (REPO / "graph_service" / "api" / "graphql" / "subscriptions.py").exists():
            return "graph_service/api/graphql/subscriptions.py (area C) is not there yet"
        return None

    @contextmanager
    def bare_broadcast(self, stream_topic: str) -> Iterator[tuple[str, str]]:
        port = _free_port()
        command = python_module("bench.streams_ws", "server", self.bootstrap, stream_topic, str(port))
        with child(command, base_env(self.bootstrap, self.root), self.logs, "ws-broadcast") as server:
            if not wait_until(lambda: "READY" in server.log.read_text(), 60):
                raise RuntimeError(f"the broadcast server did not start:\n{server.tail()}")
            yield f"ws://127.0.0.1:{port}", ""

    @contextmanager
    def api_for_stream(self, stream_topic: str) -> Iterator[tuple[str, str]]:
        env = base_env(
            self.bootstrap,
            scratch_dir(self.root, "api"),
            self.graph(),
            DIGISPINE_STREAMS_DIR=str(self.stream_dir(stream_topic)),
        )
        with serve(env, self.logs, "api-fanout") as api:
            yield api.ws_url, api.key

    def fanout_run(
        self, label: str, server: Callable[[str], AbstractContextManager[tuple[str, str]]], query: str | None
    ) -> tuple[list[float], str]:
        """Derived events put on a fresh stream topic at the fan-out rate while the clients listen
        through ``server``: every delivery's receipt time less the message's Kafka timestamp."""
        s = self.sizes
        stream_topic = new_topic(self.bootstrap, f"bench.fanout.{label}")
        count = int(s.fanout_rate * s.fanout_seconds)
        measured = derived_events(count, self.machines, self.oee_sample, "m" + label)
        warm = derived_events(int(s.fanout_rate * 3), self.machines, self.oee_sample, "w" + label)
        env = base_env(self.bootstrap, self.root)
        with server(stream_topic) as (url, key):
            options = {"key": key} if key else {}
            with swarm(url, s.clients, self.logs, f"clients-{label}", env, query, **options) as clients:
                ready = clients.wait_ready(180)
                Paced(self.bootstrap, stream_topic, as_messages(warm), s.fanout_rate).start().join(30)
                time.sleep(1)
                cpu0 = clients.process.cpu_s()
                paced = Paced(self.bootstrap, stream_topic, as_messages(measured), s.fanout_rate).start()
                paced.join(s.fanout_seconds + 30)
                time.sleep(3)  # the last deliveries
                client_cpu = clients.process.cpu_s() - cpu0
        sent = {measured[i]["id"]: stamp for i, stamp in paced.stamps.items()}
        got, delivered = latencies(clients.clients, sent)
        errors = clients.errors()
        note = (
            f"{ready}; {delivered:,} of {s.clients * len(sent):,} deliveries at {s.fanout_rate:.0f}/s × "
            f"{s.clients} clients, clients' CPU {client_cpu:.1f} s"
            + (f"; {len(errors)} client errors, first: {errors[0]}" if errors else "")
        )
        return got, note

    def section_fanout(self) -> None:
        s = self.sizes
        print(
            f"\n== 2. derived event → subscription client, {s.clients} clients × "
            f"{s.fanout_rate:.0f} events/s =="
        )
        base, note = self.fanout_run("bare", self.bare_broadcast, None)
        b50, b99 = percentile(base, 50), percentile(base, 99)
        print(f"bare broadcast: p50 {ms(b50)}  p99 {ms(b99)}  ({note})")
        missing = self.api_missing()
        if missing:
            print(f"subscriptions: not measured: {missing}")
            self.rows += [
                Row("derived → 100 clients p50", f"not measured: {missing}", "≤ 20 ms", ms(b50)),
                Row("derived → 100 clients p99", "not measured", "≤ 100 ms", ms(b99)),
            ]
            return
        result, missing = attempt(
            "subscriptions", lambda: self.fanout_run("api", self.api_for_stream, OEE_SUBSCRIPTION)
        )
        if result is None:
            self.rows += [
                Row("derived → 100 clients p50", f"not measured: {missing}", "≤ 20 ms", ms(b50)),
                Row("derived → 100 clients p99", "not measured", "≤ 100 ms", ms(b99)),
            ]
            return
        got, note = result
        p50, p99 = percentile(got, 50), percentile(got, 99)
        print(f"subscriptions:  p50 {ms(p50)}  p99 {ms(p99)}  ({note})")
        self.rows += [
            Row(
                "derived → 100 clients p50", ms(p50), "≤ 20 ms", ms(b50), ratio(p50, b50), verdict(p50 <= 20)
            ),
            Row(
                "derived → 100 clients p99",
                ms(p99),
                "≤ 100 ms",
                ms(b99),
                ratio(p99, b99),
                verdict(p99 <= 100),
            ),
        ]

    # -- 3. event → entity change on a subscription ----------------------------------------------

    def section_changes(self) -> None:
        s = self.sizes
        print(f"\n== 3. event → entity change on a subscription, {s.load_rate:.0f} events/s ==")
        missing = self.api_missing()
        if missing:
            print(f"not measured: {missing}")
            self.rows += [
                Row("event → entity change p50", f"not measured: {missing}", "≤ 500 ms"),
                Row("event → entity change p99", "not measured", "≤ 1,500 ms"),
            ]
            return
        settings = self.graph()
        parts = load_parts(settings)
        with Neo4jStore(settings) as store:
            apply_schema(store, parts.model)
        runs = [("", None)]
        while runs:
            label, feed = runs.pop(0)
            result, missing = attempt("entity changes", lambda feed=feed: self.changes_run(settings, feed))
            if result is None:
                self.rows.append(Row(f"event → entity change{label}", f"not measured: {missing}", "≤ 500 ms"))
                continue
            got, delivered, dropped = result
            p50, p99 = percentile(got, 50), percentile(got, 99)
            value50 = ms(p50) if not dropped else f"{ms(p50)}, dropped: {dropped}"
            self.rows += [
                Row(
                    f"event → entity change p50{label}",
                    value50,
                    "≤ 500 ms",
                    verdict=verdict(p50 <= 500 and not dropped),
                ),
                Row(
                    f"event → entity change p99{label}",
                    ms(p99),
                    "≤ 1,500 ms",
                    verdict=verdict(p99 <= 1500 and not dropped),
                ),
            ]
            if dropped and feed is None:
                # the API dropped the subscription (its feed overflowed): measure once more with
                # a feed that holds the loader's bursts, to say what the path does when it keeps up
                runs.append((f" (feed {BIG_FEED:,})", BIG_FEED))

    def changes_run(self, settings: Settings, feed: int | None) -> tuple[list[float], int, str]:
        """State-change events at the load rate into a fresh topic, ``digispine load --kafka`` with
        the change log on, the API serving one subscription to the EquipmentStateChange class's
        changes: the latencies to the change log and to the client, deliveries, why it was dropped."""
        s = self.sizes
        events_topic = new_topic(self.bootstrap, "bench.events")
        changes_topic = new_topic(self.bootstrap, "bench.changes")
        extra = {"DIGISPINE_CHANGE_LOG_TOPIC": changes_topic}
        if feed:
            extra["DIGISPINE_SUBSCRIPTION_FEED_SIZE"] = str(feed)
        env = base_env(self.bootstrap, scratch_dir(self.root, "load"), settings, **extra)
        loader = python_module("graph_service.cli.main", "load", "--kafka", events_topic)
        loader += ["--group", f"bench-loader-{uuid.uuid4().hex[:6]}"]
        count = int(s.load_rate * s.load_seconds)
        run = f"c{uuid.uuid4().hex[:4]}"
        log = Collector(self.bootstrap, changes_topic, end_offsets(self.bootstrap, changes_topic))
        try:
            with (
                serve(env, self.logs, f"api-changes{feed or ''}") as api,
                child(loader, env, self.logs, f"loader{feed or ''}") as load,
                swarm(
                    api.ws_url,
                    1,
                    self.logs,
                    f"clients-changes{feed or ''}",
                    env,
                    CHANGE_SUBSCRIPTION,
                    key=api.key,
                    id_path=CHANGE_ID_PATH,
                ) as clients,
            ):
                ready = clients.wait_ready(120)
                warm = state_changes(
                    int(s.load_rate * CHANGES_WARMUP_S),
                    time.time() * 1000,
                    s.load_rate,
                    self.machines,
                    run + "w",
                )
                Paced(
                    self.bootstrap, events_topic, as_messages(warm), s.load_rate, linger_ms=LOAD_LINGER_MS
                ).start().join(CHANGES_WARMUP_S + 30)
                if not log.wait_for(lambda got: len(got) > 0 or not load.alive(), 120) or not load.alive():
                    raise RuntimeError(f"no change log entry within 120 s:\n{load.tail()}")
                warm_ids = {e["id"] for e in warm}
                log.wait_for(lambda got: {m.value.get("causeid") for m in got} >= warm_ids, 120)
                log.settle(2, 30)
                start = len(log.messages)
                measured = state_changes(count, time.time() * 1000, s.load_rate, self.machines, run)
                cpu0 = load.cpu_s()
                paced = Paced(
                    self.bootstrap, events_topic, as_messages(measured), s.load_rate, linger_ms=LOAD_LINGER_MS
                ).start()
                paced.join(s.load_seconds + 60)
                ids = {e["id"] for e in measured}
                log.wait_for(lambda got: {m.value.get("causeid") for m in got[start:]} >= ids, 120)
                time.sleep(2)  # the last deliveries
                loader_cpu = load.cpu_s() - cpu0
        finally:
            log.close()
        sent = {measured[i]["id"]: stamp for i, stamp in paced.stamps.items()}
        firsts: dict[str, float] = {}
        for m in log.messages:
            firsts.setdefault(str(m.value.get("causeid")), m.recv_ms)
        to_log = [firsts[i] - t for i, t in sent.items() if i in firsts]
        loaded_s = (max((firsts[i] for i in sent if i in firsts), default=0) - min(sent.values())) / 1000
        got, delivered = latencies(clients.clients, sent)
        errors = clients.errors()
        dropped = "SUBSCRIBER_TOO_SLOW" if any("SUBSCRIBER_TOO" in e for e in errors) else ""
        print(
            f"event → change log readable: p50 {ms(percentile(to_log, 50))}  "
            f"p99 {ms(percentile(to_log, 99))} "
            f"({len(to_log):,} of {len(sent):,} events in {loaded_s:.1f} s, "
            f"{len(to_log) / max(loaded_s, 1e-9):,.0f}/s; loader CPU {loader_cpu:.1f} s)"
        )
        print(
            f"event → subscription:        p50 {ms(percentile(got, 50))}  p99 {ms(percentile(got, 99))}  "
            f"({ready}; {delivered:,} of {len(sent):,} delivered, "
            f"producer late ≤ {paced.behind_max_s * 1000:.0f} ms"
            + (f"; feed {feed:,}" if feed else "")
            + (f"; {len(errors)} client errors, first: {errors[0][:300]}" if errors else "")
            + ")"
        )
        self.rows.append(
            Row(
                "event → change log readable p50/p99" + (f" (feed {feed:,})" if feed else ""),
                f"{ms(percentile(to_log, 50))} / {ms(percentile(to_log, 99))}",
                "— (the loader's share)",
            )
        )
        return got, delivered, dropped

    # -- 4. throughput per CPU-second -------------------------------------------------------------

    def drain(
        self,
        start: Callable[[str, str], AbstractContextManager[Child]],
        group: str,
        messages: list[tuple[bytes, bytes]],
        warmup: list[tuple[bytes, bytes]],
    ) -> Drained:
        """A process started on a fresh topic drains ``warmup`` (its start-up and first batches are
        not counted), is stopped (SIGSTOP) while ``messages`` are put on the topic, and continued:
        its CPU seconds from then to lag 0, and every derived event."""
        events_topic = new_topic(self.bootstrap, "bench.events")
        stream_topic = new_topic(self.bootstrap, "bench.drain")
        collector = Collector(self.bootstrap, stream_topic, end_offsets(self.bootstrap, stream_topic))
        committed = Committed(self.bootstrap, group)
        result = Drained(0, 0.0, 0.0, [], "")
        try:
            with start(events_topic, stream_topic) as proc:
                prefill(self.bootstrap, events_topic, warmup)
                if not self.wait_drained(proc, committed, events_topic, stream_topic, len(warmup), 180):
                    result.note = f"warm-up not drained:\n{proc.tail()}"
                    return result
                proc.pause()
                try:
                    prefill(self.bootstrap, events_topic, messages)
                    cpu = proc.cpu_s()
                finally:
                    proc.resume()
                total = len(warmup) + len(messages)
                if self.wait_drained(proc, committed, events_topic, stream_topic, total, 300):
                    result.inputs, result.cpu_s = len(messages), proc.cpu_s() - cpu
                else:
                    result.note = (
                        f"not drained ({committed.total(events_topic):,} of {total:,}):\n{proc.tail()}"
                    )
                result.rss_mb = proc.rss_peak_mb()
            collector.settle(2, 30)
        finally:
            collector.close()
            committed.close()
        result.derived = [m.value for m in collector.messages]
        return result

    def wait_drained(
        self,
        proc: Child,
        committed: Committed,
        events_topic: str,
        stream_topic: str,
        total: int,
        timeout: float,
    ) -> bool:
        """Lag 0: the group has committed ``total`` inputs (and read its keyed topic to the end)."""
        return (
            wait_until(
                lambda: (
                    not proc.alive()
                    or (
                        committed.total(events_topic) >= total and self.keyed_drained(committed, stream_topic)
                    )
                ),
                timeout,
                step=0.1,
            )
            and proc.alive()
        )

    def keyed_drained(self, committed: Committed, stream_topic: str) -> bool:
        """The processor's internal keyed topic (if it has one) is read to its end too. It is written
        in transactions: the end offset counts the last transaction's commit marker, which no
        reader's offset ever passes, hence one short of the end is the end."""
        keyed = f"{stream_topic}.keyed"
        ends = committed.ends(keyed)
        if ends is None:
            return True
        return committed.total(keyed) >= sum(ends.values()) - len(ends)

    def drain_input(self, n: int, run: str) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
        """``n`` plant events ending now, timed as at the latency runs' rate, and 500 before them to
        warm up on."""
        rate = self.sizes.rate
        start_ms = time.time() * 1000 - (n + 500) * 1000 / rate
        events = as_messages(plant_events(n + 500, start_ms, rate, self.machines, run))
        return events[500:], events[:500]

    def section_throughput(self) -> None:
        print("\n== 4. throughput per CPU-second, a pre-filled topic drained to lag 0 ==")
        n = self.args.prefill or self.sizes.prefill
        group = f"bench-bare-{uuid.uuid4().hex[:6]}"

        def bare(events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
            return self.bare(events_topic, stream_topic, group)

        # the bare loop is fast: ten times the events, so its CPU time is many clock ticks (10 ms)
        base = self.drain(bare, group, *self.drain_input(10 * n, "tb"))
        print(
            f"bare loop:  {base.per_cpu_s():,.0f} events/CPU-s ({base.inputs:,} in {base.cpu_s:.2f} CPU-s, "
            f"{len(base.derived):,} derived) {base.note}"
        )
        quix_group = f"bench-quix-{uuid.uuid4().hex[:6]}"

        def quix(events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
            return self.quix(events_topic, stream_topic, quix_group)

        engine, why = attempt(
            "Quix pass-through", lambda: self.drain(quix, quix_group, *self.drain_input(4 * n, "tq"))
        )
        if engine is not None and not engine.note:
            self.engine_rss_mb = engine.rss_mb
            print(
                f"Quix pass-through (exactly-once): {engine.per_cpu_s():,.0f} events/CPU-s "
                f"({engine.inputs:,} in {engine.cpu_s:.2f} CPU-s, {len(engine.derived):,} derived, "
                f"VmHWM {engine.rss_mb:.0f} MB)"
            )
            self.rows.append(
                Row(
                    "Quix pass-through events/CPU-s",
                    f"{engine.per_cpu_s():,.0f}",
                    "— (the engine's floor)",
                    f"{base.per_cpu_s():,.0f}",
                    f"{engine.per_cpu_s() / base.per_cpu_s():.2f}",
                )
            )
        else:
            print(f"Quix pass-through: not measured: {why or engine.note if engine else why}")
        missing = self.processor_missing()
        if missing:
            print(f"processor: not measured: {missing}")
            self.rows.append(
                Row(
                    "processor events/CPU-s",
                    f"not measured: {missing}",
                    "≥ 0.25 × bare",
                    f"{base.per_cpu_s():,.0f}",
                )
            )
            return
        data = self.root / f"proc-thr-{uuid.uuid4().hex[:6]}"

        def start(events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
            return self.processor(events_topic, stream_topic, data, "thr", "processor-throughput")

        got, missing = attempt("processor", lambda: self.drain(start, GROUP, *self.drain_input(n, "tp")))
        if got is None or got.note:
            why = got.note if got is not None else missing
            self.rows.append(
                Row(
                    "processor events/CPU-s",
                    f"not measured: {why}",
                    "≥ 0.25 × bare",
                    f"{base.per_cpu_s():,.0f}",
                )
            )
            return
        share = got.per_cpu_s() / base.per_cpu_s()
        print(
            f"processor:  {got.per_cpu_s():,.0f} events/CPU-s ({got.inputs:,} in {got.cpu_s:.2f} CPU-s, "
            f"{len(got.derived):,} derived, VmHWM {got.rss_mb:.0f} MB) {got.note}"
            + (f"; {got.per_cpu_s() / engine.per_cpu_s():.3f} of the pass-through's" if engine else "")
        )
        self.rows.append(
            Row(
                "processor events/CPU-s",
                f"{got.per_cpu_s():,.0f}",
                "≥ 0.25 × bare",
                f"{base.per_cpu_s():,.0f}",
                f"{share:.2f}" if share >= 0.1 else f"{share:.3f}",
                verdict(share >= 0.25),
            )
        )
        self.memory.append(got.rss_mb)

    # -- 5. kill -9 ------------------------------------------------------------------------------

    def section_outage(self) -> None:
        print("\n== 5. kill -9 of a processor while input flows; restarted at once ==")
        missing = self.processor_missing()
        if missing:
            print(f"not measured: {missing}")
            self.rows.append(Row("outage after kill -9", f"not measured: {missing}", "≤ 10 s"))
            return
        _, missing = attempt("kill -9", self.outage_run)
        if missing:
            self.rows.append(Row("outage after kill -9", f"not measured: {missing}", "≤ 10 s"))

    def outage_run(self) -> None:
        s = self.sizes
        events_topic = new_topic(self.bootstrap, "bench.events")
        stream_topic = new_topic(self.bootstrap, "bench.kill")
        data = self.root / f"proc-kill-{uuid.uuid4().hex[:6]}"
        collector = Collector(self.bootstrap, stream_topic, end_offsets(self.bootstrap, stream_topic))
        committed = Committed(self.bootstrap, GROUP)
        values = as_messages(
            plant_events(int(s.rate * 400), time.time() * 1000 + 2000, s.rate, self.machines, "k")
        )
        paced = Paced(self.bootstrap, events_topic, values, s.rate)
        rss: list[float] = []
        try:
            with ExitStack() as stack:
                first = stack.enter_context(
                    self.processor(events_topic, stream_topic, data, "kill", "processor-kill-1")
                )
                paced.start()
                try:
                    if (
                        not collector.wait_for(lambda got: len(got) > 0 or not first.alive(), 120)
                        or not first.alive()
                    ):
                        raise RuntimeError(f"no derived event within 120 s:\n{first.tail()}")
                    time.sleep(5)
                    rss.append(first.rss_peak_mb())
                    killed_at = time.time() * 1000
                    first.kill9()
                    again = stack.enter_context(
                        self.processor(events_topic, stream_topic, data, "kill", "processor-kill-2")
                    )
                    time.sleep(s.outage_seconds)
                    # recovered: derived events still arrive in the last seconds of input
                    recovered = collector.wait_for(
                        lambda got: got[-1].recv_ms > time.time() * 1000 - 2000, 60
                    )
                finally:
                    paced.stop.set()
                    paced.join(10)
                # The audit compares last figures: the restarted processor must have read every
                # input first (a quiet spell alone also passes while it stalls, e.g. rebalancing).
                drained = self.wait_drained(again, committed, events_topic, stream_topic, paced.sent, 180)
                collector.settle(3, 60)
                rss.append(again.rss_peak_mb())
        finally:
            collector.close()
            committed.close()
        times = [m.recv_ms for m in collector.messages if m.recv_ms >= killed_at - 2000]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        outage = max(gaps, default=float("nan")) / 1000 if recovered else float("inf")
        print(
            f"outage {outage:.1f} s (input {paced.sent:,} events at {s.rate:.0f}/s; "
            f"processor VmHWM {max(rss):.0f} MB)"
        )
        # the same input, drained by an unkilled processor: the ids every derived event must have
        ref_data = self.root / f"proc-ref-{uuid.uuid4().hex[:6]}"

        def start(events_topic: str, stream_topic: str) -> AbstractContextManager[Child]:
            return self.processor(events_topic, stream_topic, ref_data, "ref", "processor-reference")

        reference = self.drain(start, GROUP, values[: paced.sent], [])
        checked = audit([m.value for m in collector.messages], reference.derived)
        print(checked.summary() + ("" if drained else "; the restarted processor NOT drained in 180 s"))
        self.rows += [
            Row("outage after kill -9", f"{outage:.1f} s", "≤ 10 s", verdict=verdict(outage <= 10)),
            Row(
                "lost / doubled (kill -9)",
                f"{checked.missing_revisions + checked.windows_missing} / "
                f"{checked.doubled_ids + checked.repeated_revisions} of {checked.events:,} "
                f"({checked.windows_differing} windows unlike unkilled)",
                "0 / 0, same figures",
                verdict=verdict(checked.exact),
            ),
        ]
        self.memory += rss + [reference.rss_mb]

    def section_memory(self) -> None:
        if not self.memory:
            self.rows.append(Row("processor memory (VmHWM)", "not measured: no processor ran", "≤ 150 MB"))
            return
        peak = max(self.memory)
        floor = self.engine_rss_mb
        self.rows.append(
            Row(
                "processor memory (VmHWM)",
                f"{peak:.0f} MB",
                "≤ 150 MB",
                f"{floor:.0f} MB (Quix pass-through)" if floor == floor else "—",
                ratio(peak, floor),
                verdict(peak <= 150),
            )
        )

    # -- the final table -------------------------------------------------------------------------

    def table(self) -> str:
        head = ("measure", "value", "goal", "baseline", "ratio", "")
        rows = [head] + [
            tuple(cell(c) for c in (r.measure, r.value, r.goal, r.baseline, r.ratio, r.verdict))
            for r in self.rows
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
        lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(lines)


SECTIONS = {
    "1": "section_latency",
    "2": "section_fanout",
    "3": "section_changes",
    "4": "section_throughput",
    "5": "section_outage",
}


def cell(text: str, width: int = 90) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def run(bench: Bench, sections: str) -> None:
    for key in sections.split(","):
        name = SECTIONS.get(key.strip())
        if name is None:
            print(f"no section {key!r} (there are {', '.join(SECTIONS)})")
            continue
        try:
            getattr(bench, name)()
        except Exception as exc:  # a section's failure is reported, the others still run
            traceback.print_exc()
            bench.rows.append(Row(f"section {key}", f"not measured: {type(exc).__name__}: {exc}", "—"))
    if {"1", "4", "5"} & {k.strip() for k in sections.split(",")}:
        bench.section_memory()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs (a minute or two), for development")
    parser.add_argument(
        "--sections",
        default="1,4,5,2,3",
        help="which sections to run, in this order (default: the processor's, then those needing Neo4j)",
    )
    parser.add_argument(
        "--prefill", type=int, help="events drained for the throughput (default 15,000; quick 5,000)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (the processes' logs)")
    parser.add_argument(
        "--commit-intervals",
        type=lambda text: [float(v) for v in text.split(",") if v],
        default=[],
        help="section 1 also runs the processor with each of these DIGISPINE_STREAM_COMMIT_INTERVAL_S "
        "(e.g. 0.05,0.2), printing latency and CPU beside the default's",
    )
    args = parser.parse_args()
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="digispine-bench-streams-"))
    try:
        with kafka_for_bench(root / "kafka") as bootstrap:
            bench = Bench(args, bootstrap, root)
            with bench.stack:
                run(bench, args.sections)
            kind = "quick" if args.quick else "full"
            print(f"\n== results ({kind} run, {time.monotonic() - started:.0f} s, {machine_state()}) ==")
            print(bench.table())
    finally:
        if args.keep:
            print(f"logs and data kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def machine_state() -> str:
    """What else the machine was doing: cores and the load average while the bench ran."""
    load1, load5, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load1:.1f} (1 min) {load5:.1f} (5 min)"


if __name__ == "__main__":
    main()
