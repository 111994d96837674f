"""`digispine streams …`: list the declared analytical streams, run a processor, inspect one."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.table import Table

from graph_service.cli.common import console, err_console, settings_or_exit, user_errors
from graph_service.cli.listing import Field, print_rows
from graph_service.errors import DigiSpineError
from graph_service.settings import Settings

if TYPE_CHECKING:
    from graph_service.kafka.inspect import PartitionLag, TailMessage
    from graph_service.streams import StreamDescriptor, StreamRegistry

app = typer.Typer(help="Analytical streams: list them, run a processor, inspect lag and output.")

#: Messages read back per partition by `inspect` (the last derived events, recent violations).
TAIL = 50


def _registry(settings: Settings) -> StreamRegistry:
    """The declared streams, for `list` and `inspect`: the start-up check's notes (INFO, such as an
    optional input no mapping pack provides) belong in a processor's log, not before a listing."""
    from graph_service.ontology.compiler import load_model
    from graph_service.streams import load_streams

    check_log = logging.getLogger("graph_service.streams.check")
    level = check_log.level
    check_log.setLevel(logging.WARNING)
    try:
        return load_streams(settings, load_model(settings.ontology_paths))
    finally:
        check_log.setLevel(level)


def _descriptor(registry: StreamRegistry, name: str, version: str | None) -> StreamDescriptor:
    return registry.get(name, version) if version else registry.get(name)


def _input_topics(settings: Settings, descriptor: StreamDescriptor) -> list[str]:
    """What the processor's group consumes: the events topic and the stream's internal keyed topic."""
    return [settings.events_topic, f"{descriptor.topic}.keyed"]


def _kafka_or_none(settings: Settings) -> str | None:
    """The bootstrap when a broker answers; else a warning naming it and how to start one."""
    from graph_service.kafka.publish import KafkaUnreachable, ensure_reachable

    bootstrap = settings.kafka_bootstrap_servers
    try:
        ensure_reachable(bootstrap, external=settings.external_kafka, timeout=3.0)
    except KafkaUnreachable as exc:
        err_console.print(f"[yellow]warning:[/] {exc}; lag is not known", highlight=False)
        return None
    return bootstrap


def _lag_text(lags: Iterable[PartitionLag]) -> str:
    lags = list(lags)
    if not lags:
        return "no input yet"
    if all(p.committed is None for p in lags):
        return f"not started ({sum(p.end for p in lags)} waiting)"
    return str(sum(p.lag for p in lags))


#: `streams list`: names and topics are what a user types or compares, so they are never cut.
STREAM_FIELDS = (
    Field("name", "name", identifies=True),
    Field("version", "version", identifies=True),
    Field("status", "status"),
    Field("inputs", "inputs"),
    Field("key", "key"),
    Field("topic", "topic", identifies=True),
    Field("lag", "lag"),
)


@app.command("list")
def list_streams(
    as_json: bool = typer.Option(False, "--json", help="A JSON array of the streams."),
) -> None:
    """One row per declared stream: version, status, inputs, key, topic and its processors' lag."""
    settings = settings_or_exit()
    with user_errors():
        registry = _registry(settings)
    if not len(registry) and not as_json:
        console.print(f"no streams declared under {settings.streams_dir}")
        return
    bootstrap = _kafka_or_none(settings)
    rows = []
    for d in registry.streams:
        lag = "?"
        if bootstrap is not None:
            from graph_service.kafka.inspect import group_lag

            lag = _lag_text(group_lag(bootstrap, d.consumer_group, _input_topics(settings, d)))
        inputs = [t.removeprefix("digispine.") for t in d.inputs]
        rows.append(
            {"name": d.name, "version": d.version, "status": d.status, "inputs": inputs, "key": d.key}
            | {"topic": d.topic, "lag": lag}
        )
    print_rows(console, STREAM_FIELDS, rows, as_json=as_json)


@app.command("run")
def run(
    name: str = typer.Argument(..., help="The stream's name (see `digispine streams list`)."),
    instance: str = typer.Option(
        "0",
        "--instance",
        help="Instance id: instances of a stream split its partitions (stable per process).",
    ),
    version: str = typer.Option(None, "--version", help="Major version [default: the latest active]."),
    stop_after_idle: float = typer.Option(
        None, "--stop-after-idle", min=0.1, help="Stop after this many seconds without input."
    ),
) -> None:
    """Run one instance of a stream's processor until Ctrl-C or SIGTERM (exactly-once; restartable)."""
    settings = settings_or_exit()
    with user_errors():
        from graph_service.streams.run import find_descriptor

        # The checked stream from its artefact (or checked once by a child process): the processor
        # never imports the ontology compiler, rdflib or pyshacl, which were most of its memory.
        major = _major(version)
        descriptor = find_descriptor(settings, name, major)
        try:
            from graph_service.streams.runtime import run_stream
        except ImportError as exc:  # the runtime's engine is the `streams` extra
            raise DigiSpineError(
                f"the stream runtime cannot be imported ({exc}); "
                "install the extra: pip install -e '.[streams]'"
            ) from None
        from graph_service.kafka.publish import ensure_reachable

        ensure_reachable(settings.kafka_bootstrap_servers, external=settings.external_kafka)
        console.print(
            f"Running {descriptor.name} v{descriptor.major} instance {instance}: "
            f"{settings.events_topic} → {descriptor.topic} (group {descriptor.consumer_group}; "
            "Ctrl-C or SIGTERM stops)",
            highlight=False,
        )
        counters = run_stream(descriptor, settings, instance=instance, stop_after_idle=stop_after_idle)
    console.print(f"stopped: {_counters_text(counters)}", highlight=False)


def _major(version: str | None) -> int | None:
    """``--version`` as 1, v1 or 1.0.0; None for the latest active version."""
    if not version:
        return None
    text = version.lower().removeprefix("v").split(".", 1)[0]
    if not text.isdigit():
        raise typer.BadParameter(f"{version!r} is not a major version (1, v1, 1.0.0)", param_hint="--version")
    return int(text)


def _counters_text(counters: Any) -> str:
    fields = ("inputs", "handled", "ignored", "bad")
    return ", ".join(f"{f} {getattr(counters, f)}" for f in fields if hasattr(counters, f))


@app.command("inspect")
def inspect(
    name: str = typer.Argument(..., help="The stream's name."),
    version: str = typer.Option(None, "--version", help="Major version [default: the latest active]."),
    violations: int = typer.Option(3, "--violations", min=0, help="How many recent violations to show."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of the sections."),
) -> None:
    """The stream's declaration, its processors' lag per partition, its last derived event and
    its recent violations with their SHACL reports."""
    settings = settings_or_exit()
    with user_errors():
        descriptor = _descriptor(_registry(settings), name, version)
    if not as_json:
        _print_declaration(descriptor)
    bootstrap = _kafka_or_none(settings)
    if bootstrap is None:
        raise typer.Exit(1)
    from graph_service.kafka.inspect import group_lag, tail

    lags = group_lag(bootstrap, descriptor.consumer_group, _input_topics(settings, descriptor))
    derived = tail(bootstrap, descriptor.topic, TAIL)
    refused = [
        m for m in tail(bootstrap, settings.stream_violations_topic, TAIL) if _is_of(m, descriptor.name)
    ]
    recent = refused[-violations:] if violations else []
    if as_json:
        report = _inspection(descriptor, lags, derived, recent, len(refused))
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return
    _print_lag(lags)
    _print_last_event(derived, descriptor.topic)
    _print_violations(recent, len(refused), settings.stream_violations_topic)


def _inspection(
    d: StreamDescriptor,
    lags: list[PartitionLag],
    derived: list[TailMessage],
    recent: list[TailMessage],
    refused: int,
) -> dict[str, Any]:
    """What `inspect` prints, as one object: the same figures, whole (for scripts and pipes)."""
    last = derived[-1] if derived else None
    return {
        "name": d.name,
        "version": d.version,
        "status": d.status,
        "title": d.title,
        "inputs": list(d.inputs),
        "key": d.key,
        "windows": [
            {"name": w.name, "kind": w.kind, "size": _plain(w.size), "calendar": w.calendar}
            for w in d.windows
        ],
        "grace": str(d.grace),
        "emit": d.emit,
        "output": {"type": d.output_type, "topic": d.topic},
        "group": d.consumer_group,
        "lag": [
            {"topic": p.topic, "partition": p.partition, "committed": p.committed, "end": p.end, "lag": p.lag}
            for p in lags
        ],
        "derivedReadBack": len(derived),
        "lastDerivedEvent": None
        if last is None
        else {
            "topic": last.topic,
            "partition": last.partition,
            "offset": last.offset,
            "producedAt": _ms_text(last.timestamp_ms),
            "event": _json_or_text(last.value),
        },
        "violations": {
            "count": refused,
            "recent": [
                {"producedAt": _ms_text(m.timestamp_ms), "record": _json_or_text(m.value)} for m in recent
            ],
        },
    }


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


def _json_or_text(value: bytes) -> object:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode(errors="replace")


def _print_declaration(d: StreamDescriptor) -> None:
    windows = ", ".join(
        f"{w.name} ({w.kind}{' ' + str(w.size) if w.size else ''}{' ' + w.calendar if w.calendar else ''})"
        for w in d.windows
    )
    console.print(f"[bold]{d.name}[/] v{d.version} ({d.status}) — {d.title}", highlight=False)
    for label, value in (
        ("inputs", ", ".join(d.inputs)),
        ("key", d.key),
        ("windows", windows or "none"),
        ("grace", str(d.grace)),
        ("emit", d.emit),
        ("output", f"{d.output_type} on {d.topic}"),
        ("group", d.consumer_group),
    ):
        console.print(f"  {label + ':':9} {value}", highlight=False)


def _print_lag(lags: list[PartitionLag]) -> None:
    table = Table("topic", "partition", "committed", "end", "lag", title="processor lag")
    for p in lags:
        table.add_row(
            p.topic,
            str(p.partition),
            "-" if p.committed is None else str(p.committed),
            str(p.end),
            str(p.lag),
        )
    if not lags:
        console.print("processor lag: no input topic yet")
        return
    console.print(table)


def _print_last_event(messages: list[TailMessage], topic: str) -> None:
    if not messages:
        console.print(f"last derived event: none on {topic} yet")
        return
    last = messages[-1]
    event = orjson.loads(last.value)
    data = event.get("data", {})
    inputts = event.get("inputts")
    latency = f" (its input: {_ms_text(inputts)})" if isinstance(inputts, int) else ""
    console.print(
        f"[bold]last derived event[/] ({len(messages)} read back): {topic}/{last.partition}@{last.offset}, "
        f"produced {_ms_text(last.timestamp_ms)}{latency}",
        highlight=False,
    )
    window = ""
    if "windowName" in data:
        state = "final" if data.get("final") else f"revision {data.get('revision')}"
        window = (
            f"  window {data['windowName']} {data.get('windowStart')} → {data.get('windowEnd')} ({state})"
        )
    console.print(f"  subject {event.get('subject')}, time {event.get('time')}{window}", highlight=False)
    fields = (f"{name}={_short(value)}" for name, value in sorted(data.items()))
    console.print("  data: " + ", ".join(fields), highlight=False)


def _short(value: object) -> str:
    """Ratios and minutes to 4 significant digits: the shape of the value, readable at a glance."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return orjson.dumps(value).decode() if not isinstance(value, str) else value


def _is_of(message: TailMessage, name: str) -> bool:
    try:
        return bool(orjson.loads(message.value).get("stream") == name)
    except orjson.JSONDecodeError:
        return False


def _print_violations(messages: list[TailMessage], total: int, topic: str) -> None:
    console.print(f"[bold]violations[/]: {total} among the last read back from {topic}", highlight=False)
    for m in messages:
        record = orjson.loads(m.value)
        event = record.get("event", {})
        console.print(
            f"  {_ms_text(m.timestamp_ms)} event {event.get('id')} ({event.get('subject')}):", highlight=False
        )
        for item in record.get("report", []):
            console.print(
                f"    {item.get('path')}: {item.get('message')} [{item.get('constraint')}]",
                highlight=False,
                markup=False,
            )


def _ms_text(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
