"""`digispine publish` and `digispine simulate --kafka [--live]`: operational events onto a topic."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_service.cli.common import console, err_console, settings_or_exit, stop_on_signals, user_errors
from graph_service.kafka import create_topic
from graph_service.kafka.publish import EventProducer, ensure_reachable, event_key
from graph_service.settings import Settings
from loaders.limits import Limits
from loaders.simulation.live import LivePlant, PlantClock, day_start_before, parse_time
from loaders.sources import event_files, file_events

#: The envelope attributes without which the loader refuses an event (CloudEvents' required ones).
REQUIRED = ("specversion", "id", "source", "type")
#: Partitions of a topic `publish` creates: room for a few stream processor instances.
DEFAULT_PARTITIONS = 3


@dataclass(frozen=True)
class BadLine:
    """A line (or array element) that is not a CloudEvent, with where it is (``file:line``,
    ``file#/index``)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def check_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The event of one JSON Lines line, or why it is not one."""
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, f"not JSON ({exc})"
    if not isinstance(event, dict):
        return None, f"a JSON {type(event).__name__}, not a CloudEvent object"
    missing = [name for name in REQUIRED if not isinstance(event.get(name), str) or not event[name]]
    if missing:
        return None, f"not a CloudEvent: no {', '.join(missing)}"
    return event, None


def numbered_events(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) of each event in a file: lines, or a JSON array's elements (gzip too)."""
    # an event too large for the loader is published whole: refusing it is the loader's call
    for where, raw, _ in file_events(path, Limits().max_event_bytes * 1024):
        yield where, raw.strip()


def publish(
    paths: list[Path] = typer.Argument(
        ...,
        help="Files of CloudEvents (JSON Lines or a JSON array; gzip too), or directories of "
        "*.jsonl, *.ndjson, *.json and their .gz.",
    ),
    topic: str = typer.Option(None, "--topic", "-t", help="Topic [default: DIGISPINE_EVENTS_TOPIC]."),
    bootstrap: str = typer.Option(
        None, "--bootstrap", help="Kafka host:port [default: the configured broker]."
    ),
    partitions: int = typer.Option(
        DEFAULT_PARTITIONS, "--partitions", min=1, help="Partitions when the topic has to be created."
    ),
    include_invalid: bool = typer.Option(
        False,
        "--include-invalid",
        help="Publish lines that are not CloudEvents too (the loader then dead-letters them).",
    ),
) -> None:
    """Put CloudEvents from JSON Lines files on a topic, keyed by subject (else source and id).

    A line that is not a CloudEvent is reported as file:line and not published (exit code 1),
    unless --include-invalid."""
    settings = settings_or_exit()
    topic = topic or settings.events_topic
    external = settings.external_kafka or bool(bootstrap)
    bootstrap = bootstrap or settings.kafka_bootstrap_servers
    missing = [p for p in paths if not p.exists()]
    if missing:
        err_console.print(f"[bold red]error:[/] no such file: {', '.join(map(str, missing))}")
        raise typer.Exit(2)
    with user_errors():
        selection = event_files(paths)
    files = selection.files
    if selection.skipped:
        err_console.print(
            f"[yellow]skipped {len(selection.skipped)} file(s) that are not event files:[/] "
            + ", ".join(map(str, selection.skipped[:10]))
            + (" …" if len(selection.skipped) > 10 else ""),
            highlight=False,
            soft_wrap=True,
        )
    with user_errors():
        ensure_reachable(bootstrap, external=external)
        create_topic(bootstrap, topic, partitions=partitions)
        total = sum(1 for f in files for _ in numbered_events(f))
        bad: list[BadLine] = []
        with EventProducer(bootstrap, topic) as producer:
            _publish_files(producer, files, total, bad, include_invalid)
    for line in bad[:50]:
        err_console.print(
            f"[yellow]{'published as is' if include_invalid else 'refused'}:[/] {line}", highlight=False
        )
    if len(bad) > 50:
        err_console.print(f"… and {len(bad) - 50} more bad line(s)")
    console.print(
        f"published {producer.acknowledged} event(s) from {len(files)} file(s) to {topic} on {bootstrap}"
        + (f"; {len(bad)} bad line(s) {'included' if include_invalid else 'refused'}" if bad else ""),
        highlight=False,
    )
    if bad and not include_invalid:
        raise typer.Exit(1)


def _publish_files(
    producer: EventProducer, files: list[Path], total: int, bad: list[BadLine], include_invalid: bool
) -> None:
    columns = (TextColumn("publishing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("publish", total=total)
        for path in files:
            for where, raw in numbered_events(path):
                event, problem = check_line(raw)
                if problem is not None:
                    bad.append(BadLine(where, problem))
                    if include_invalid:
                        producer.send(raw, key=(path.name + where.removeprefix(str(path))).encode())
                else:
                    assert event is not None
                    producer.send(raw, key=event_key(event))
                progress.advance(task)


# -- simulate --kafka ------------------------------------------------------------------------------


def publish_history(settings: Settings, topic: str, events: list[dict[str, Any]], partitions: int) -> None:
    """`simulate --kafka` without --live: the finished history onto the topic."""
    bootstrap = settings.kafka_bootstrap_servers
    with user_errors():
        ensure_reachable(bootstrap, external=settings.external_kafka)
        create_topic(bootstrap, topic, partitions=partitions)
        with EventProducer(bootstrap, topic, client_id="digispine-simulate") as producer:
            for event in events:
                producer.send(orjson.dumps(event), key=event_key(event))
    console.print(f"published {producer.acknowledged} events to {topic} on {bootstrap}", highlight=False)


@dataclass(frozen=True)
class LiveOptions:
    """How a live plant runs: which plant, from when, how fast, where its progress is kept."""

    seed: int
    days: int
    orders_per_day: float
    speed: float
    catch_up: dt.timedelta
    start: dt.datetime | None = None
    after: dt.datetime | None = None
    state_file: Path | None = None
    stop_after: int | None = None
    #: While catching up, a stretch without events longer than this (the night) is skipped.
    skip_quiet: dt.timedelta = dt.timedelta(minutes=30)
    tick_s: float = 0.25
    report_s: float = 10.0


def run_live(settings: Settings, topic: str, options: LiveOptions, partitions: int) -> None:
    """`simulate --kafka --live`: publish the plant as its clock advances, until Ctrl-C/SIGTERM."""
    bootstrap = settings.kafka_bootstrap_servers
    now = dt.datetime.now(dt.UTC)
    start = options.start or day_start_before(now - options.catch_up, options.days)
    plant = LivePlant(options.seed, start, orders_per_day=options.orders_per_day)
    skipped = plant.until(options.after) if options.after else []
    published = _checkpoint(options, start)
    if published > plant.released:
        skipped += plant.take(published - plant.released)
    resume_at = parse_time(skipped[-1]["time"]) if skipped else start
    # What is older than the catch-up is published at once; the catch-up runs at `speed`.
    clock = PlantClock(max(resume_at, now - options.catch_up), now, options.speed)
    with stop_on_signals() as stop, user_errors():
        ensure_reachable(bootstrap, external=settings.external_kafka)
        create_topic(bootstrap, topic, partitions=partitions)
        console.print(
            f"Live plant (seed {options.seed}, started {start:%Y-%m-%d %H:%M}Z) publishing to {topic} on "
            f"{bootstrap} at {options.speed:g}× until it reaches the wall clock, then in real time"
            + (
                f"; {len(skipped)} event(s) up to {resume_at:%Y-%m-%d %H:%M}Z published before"
                if skipped
                else ""
            )
            + " — Ctrl-C stops",
            highlight=False,
        )
        summary = _live_loop(
            plant, clock, EventProducer(bootstrap, topic, client_id="digispine-live-plant"), options, stop
        )
    _print_live_summary(summary, topic)


@dataclass
class LiveSummary:
    """What a live run published, for the closing table."""

    published: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    types: Counter[str] | None = None
    wall_s: float = 0.0


def _live_loop(
    plant: LivePlant, clock: PlantClock, producer: EventProducer, options: LiveOptions, stop: threading.Event
) -> LiveSummary:
    summary = LiveSummary(types=Counter())
    base = plant.released  # delivered before this loop (skipped on a restart)
    assert summary.types is not None
    began = time.monotonic()
    next_report = began + options.report_s
    reported = 0
    while not stop.is_set():
        wall_now = dt.datetime.now(dt.UTC)
        sim_now = clock.at(wall_now)
        events = plant.until(sim_now)
        if not events and options.skip_quiet and sim_now < wall_now:
            upcoming = plant.next_time()
            if upcoming - sim_now > options.skip_quiet:
                # Nothing happens until then (a night, a weekend): jump there, still never ahead.
                clock = PlantClock(min(upcoming, wall_now), wall_now, options.speed)
        if options.stop_after is not None:
            events = events[: options.stop_after - summary.published]
        for event in events:
            producer.send(orjson.dumps(event), key=event_key(event))
            summary.types[event["type"].split(".")[2]] += 1
        if events:
            producer.flush()
            summary.published += len(events)
            summary.first = summary.first or parse_time(events[0]["time"])
            summary.last = parse_time(events[-1]["time"])
        _write_checkpoint(options, plant, base + summary.published)
        if options.stop_after is not None and summary.published >= options.stop_after:
            break
        if time.monotonic() >= next_report:
            behind = dt.datetime.now(dt.UTC) - sim_now
            console.print(
                f"  plant time {sim_now:%Y-%m-%d %H:%M:%S}Z"
                + (
                    f" ({behind.total_seconds() / 3600:.1f} h behind, {options.speed:g}×)"
                    if behind.total_seconds() > 5
                    else " (real time)"
                )
                + f": published {summary.published} (+{summary.published - reported})",
                highlight=False,
            )
            reported = summary.published
            next_report += options.report_s
        stop.wait(options.tick_s)
    producer.flush()
    summary.wall_s = time.monotonic() - began
    return summary


def _checkpoint(options: LiveOptions, start: dt.datetime) -> int:
    """How many events of this plant an earlier run published (a restart continues after them)."""
    if options.state_file is None or not options.state_file.exists():
        return 0
    state = json.loads(options.state_file.read_text())
    if state.get("seed") != options.seed or state.get("start") != start.isoformat():
        return 0
    return int(state.get("published", 0))


def _write_checkpoint(options: LiveOptions, plant: LivePlant, published: int) -> None:
    """After each acknowledged tick: the count of the plant's events on the topic (or skipped as
    delivered otherwise); at-least-once, so a crash before the write repeats at most one tick."""
    if options.state_file is None:
        return
    state = {"seed": plant.seed, "start": plant.start.isoformat(), "published": published}
    tmp = options.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(options.state_file)


def _print_live_summary(summary: LiveSummary, topic: str) -> None:
    table = Table(title=f"live plant → {topic}", show_header=False)
    table.add_row("published", str(summary.published))
    if summary.first and summary.last:
        table.add_row("plant time", f"{summary.first:%Y-%m-%d %H:%M}Z → {summary.last:%Y-%m-%d %H:%M}Z")
    table.add_row("wall time", f"{summary.wall_s:,.0f} s")
    for name, count in (summary.types or Counter()).most_common(6):
        table.add_row(f"  {name}", str(count))
    console.print(table)
