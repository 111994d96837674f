"""The demo's live half: where the history ends and the live plant takes over, and the supervised
background work (loader from the events topic, one processor per stream, the live plant).

The handover. The loader refuses events dated further ahead than its clock-skew limit, so the
plant's clock must never run ahead of the wall clock. The history the demo loads from a file ends
``catch_up`` before now; the live plant replays the same plant (same seed, same first day) from
there at ``speed`` until it reaches now, then runs in real time. The live plant also publishes
the history itself (at once, when it first starts): the stream processors read only the topic and
need the master data, shifts and orders in progress; the loader finds those events loaded already
(duplicates, skipped). The first day is kept in
``<data dir>/demo/live-seed<seed>.json``, so a later `make demo` continues the same plant (its
events have the same ids, so whatever is loaded twice is a duplicate, never a conflict), and the
live plant's own progress file makes a restarted plant continue where it stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from graph_service.cli.common import console, echo, err_console
from graph_service.cli.supervisor import ChildSpec, Supervisor
from graph_service.errors import DigiSpineError
from graph_service.settings import Settings
from loaders.simulation.live import LivePlant, day_start_before, parse_time

#: The change log topic the demo turns on when DIGISPINE_CHANGE_LOG_TOPIC is not set.
DEMO_CHANGE_LOG_TOPIC = "digispine.changes"
#: Partitions of the events topic the demo creates: room for a few processor instances.
EVENTS_PARTITIONS = 3


@dataclass(frozen=True)
class DemoPlan:
    """Which plant, where its history ends, how fast the live part runs."""

    seed: int
    start: dt.datetime
    handover: dt.datetime
    catch_up: dt.timedelta
    speed: float

    def history_file(self, settings: Settings) -> Path:
        """The plant's events up to the handover, as JSON Lines (rewritten on each run)."""
        path = settings.data_dir / "demo" / f"live-seed{self.seed}-history.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        events = LivePlant(self.seed, self.start).until(self.handover)
        path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
        return path

    def state_file(self, settings: Settings) -> Path:
        return settings.data_dir / "demo" / f"live-seed{self.seed}.progress.json"


def with_change_log(settings: Settings) -> Settings:
    """The demo turns the graph change log on (subscriptions to entity changes need it)."""
    if settings.change_log_topic:
        return settings
    return settings.model_copy(update={"change_log_topic": DEMO_CHANGE_LOG_TOPIC})


def plan(settings: Settings, seed: int, days: int, catch_up: dt.timedelta, speed: float) -> DemoPlan:
    """The plant's first day (kept from the first run of this seed) and this run's handover."""
    now = dt.datetime.now(dt.UTC)
    handover = now - catch_up
    anchor = settings.data_dir / "demo" / f"live-seed{seed}.json"
    start = None
    if anchor.exists():
        start = parse_time(json.loads(anchor.read_text())["start"])
        if start >= handover:  # a clock set back: start afresh
            start = None
    if start is None:
        start = day_start_before(handover, days)
        anchor.parent.mkdir(parents=True, exist_ok=True)
        anchor.write_text(json.dumps({"seed": seed, "start": start.isoformat()}))
    return DemoPlan(seed, start, handover, catch_up, speed)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "graph_service.cli.main", *args]


def child_specs(settings: Settings, plan: DemoPlan, streams: list[str] | None = None) -> list[ChildSpec]:
    """The loader, one processor per active stream (when the runtime is there), the live plant."""
    env = {"DIGISPINE_CHANGE_LOG_TOPIC": settings.change_log_topic}
    topic = settings.events_topic
    specs = [ChildSpec("loader", _cli("load", "--kafka", topic), env)]
    for name in _stream_names(settings) if streams is None else streams:
        specs.append(ChildSpec(f"stream-{name}", _cli("streams", "run", name, "--instance", "demo"), env))
    specs.append(
        ChildSpec(
            "live-plant",
            _cli(
                "simulate",
                "--kafka",
                "--topic",
                topic,
                "--live",
                "--seed",
                str(plan.seed),
                "--start",
                plan.start.isoformat(),
                "--speed",
                f"{plan.speed:g}",
                "--catch-up-hours",
                f"{plan.catch_up.total_seconds() / 3600:g}",
                "--state",
                str(plan.state_file(settings)),
            ),
            env,
        )
    )
    return specs


def _stream_names(settings: Settings) -> list[str]:
    """Active streams whose processor can run; what cannot is skipped with a message."""
    return [d.name for d in _stream_descriptors(settings)]


def _stream_descriptors(settings: Settings) -> list[Any]:
    """The active streams' descriptors (latest major of each name), when their runtime is there."""
    from graph_service.ontology.compiler import load_model
    from graph_service.streams import load_streams

    try:
        registry = load_streams(settings, load_model(settings.ontology_paths))
    except DigiSpineError as exc:
        err_console.print(f"[yellow]stream processors skipped:[/] {exc}", highlight=False)
        return []
    try:
        import graph_service.streams.runtime  # noqa: F401  (the engine is the `streams` extra)
    except ImportError as exc:
        err_console.print(f"[yellow]stream processors skipped:[/] the runtime cannot be imported ({exc})")
        return []
    latest: dict[str, Any] = {}
    for d in registry.streams:
        if d.status != "deprecated" and (d.name not in latest or d.major > latest[d.name].major):
            latest[d.name] = d
    return [latest[name] for name in sorted(latest)]


def _create_stream_topics(settings: Settings, descriptors: list[Any]) -> None:
    """Each processor's output and keyed topics, made here and waited for (every partition led).
    On a broker started seconds ago, Quix Streams creating them itself could not find the topic it
    had just created and the processor exited at its first start (the supervisor restarted it)."""
    from graph_service.kafka import create_topic
    from graph_service.streams.runtime import keyed_topic_name

    boot = settings.kafka_bootstrap_servers
    create_topic(boot, settings.stream_violations_topic, partitions=1)
    for descriptor in descriptors:
        for name in (descriptor.topic, keyed_topic_name(descriptor)):
            create_topic(boot, name, partitions=EVENTS_PARTITIONS)


def start_background(settings: Settings, plan: DemoPlan) -> Supervisor:
    """Create the events topic, start the children under a supervisor, say where they log."""
    from graph_service.kafka import create_topic

    create_topic(settings.kafka_bootstrap_servers, settings.events_topic, partitions=EVENTS_PARTITIONS)
    descriptors = _stream_descriptors(settings)
    _create_stream_topics(settings, descriptors)
    supervisor = Supervisor(
        child_specs(settings, plan, [d.name for d in descriptors]),
        settings.data_dir / "logs",
        on_event=lambda m: echo(m),
    )
    supervisor.start()
    for child in supervisor.children.values():
        echo(f"started {child.spec.name} (pid {child.pid}, log {child.log_path})")
    return supervisor


SUBSCRIPTION = """subscription {
    equipmentOee {
      key time revision final
      data { windowName windowStart windowEnd availability effectiveness qualityRatio oee }
    }
  }"""


def print_guide(settings: Settings, supervisor: Supervisor, plan: DemoPlan) -> None:
    """What runs in the background and how to watch it."""
    streams = [
        c.spec.name.removeprefix("stream-")
        for c in supervisor.children.values()
        if c.spec.name.startswith("stream-")
    ]
    running = f"processors compute {', '.join(streams)}." if streams else "no stream processor runs."
    lines = [
        "",
        f"[bold]Live:[/] the plant publishes to {settings.events_topic} on "
        f"{settings.kafka_bootstrap_servers}; "
        f"the loader writes it into the graph (change log: {settings.change_log_topic}); {running}",
        f"  The plant replays the last hours at {plan.speed:g}×, then runs in real time. "
        f"Logs: {settings.data_dir / 'logs'}/",
        "[bold]Watch OEE live[/] in GraphiQL (paste it, then press play), or on the dashboard page:",
        "  " + SUBSCRIPTION,
        *_quiet_plant_note(settings, dt.datetime.now(dt.UTC), plan),
        "[bold]Inspect the streams:[/] `digispine streams list`, `digispine streams inspect equipmentOee`",
        "",
    ]
    console.print("\n".join(lines), highlight=False)


#: The simulated plant's working hours (UTC): shifts A and B, 06:00–22:00 (loaders/simulation).
WORK_START_HOUR, WORK_END_HOUR = 6, 22


def _quiet_plant_note(settings: Settings, now: dt.datetime, plan: DemoPlan) -> list[str]:
    """At the plant's night the real-time part has nothing to report until the next shift: say so
    (a subscription that shows nothing looks broken) and give a cursor that replays the windows
    computed so far, then goes on live."""
    caught_up = now + plan.catch_up / max(plan.speed - 1, 1)
    if WORK_START_HOUR <= caught_up.hour < WORK_END_HOUR:
        return []
    resumes = caught_up.replace(hour=WORK_START_HOUR, minute=0, second=0, microsecond=0)
    if resumes <= caught_up:
        resumes += dt.timedelta(days=1)
    from graph_service.streams.hub import Position

    topic = next((d.topic for d in _stream_descriptors(settings) if d.name == "equipmentOee"), None)
    lines = [
        f"  The plant works {WORK_START_HOUR:02d}:00–{WORK_END_HOUR:02d}:00 UTC: once the replay has "
        f"caught up (about {caught_up:%H:%M} UTC) it is quiet until {resumes:%H:%M} UTC, and so is "
        "the live subscription."
    ]
    if topic is not None:
        start = Position(topic, tuple((p, 0) for p in range(EVENTS_PARTITIONS))).encode()
        lines.append(f'  Replay every window so far, then live: equipmentOee(after: "{start}") {{ … }}')
    return lines


def wait_for_ctrl_c() -> None:
    """Block until Ctrl-C (the demo without the API)."""
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        return
