"""`digispine load` and `digispine deadletters …`: events in, and what was refused."""

from __future__ import annotations

import logging
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graph_service.cli.common import console, err_console, settings_or_exit, stop_on_signals, user_errors
from graph_service.cli.listing import Field, print_record, print_rows
from graph_service.observability.loader_metrics import served_loader_metrics
from graph_service.store import Neo4jStore
from loaders import adapters
from loaders.assembly import build_pipeline, deadletter_store, load_parts
from loaders.deadletters import DeadLetter
from loaders.pipeline import LoadStats, Record
from loaders.sources import EVENT_SUFFIXES, STDIN, count_records, event_files, read_files, read_stream

deadletters_app = typer.Typer(help="Inspect and retry rejected events.")

#: `deadletters list`: what identifies a letter (typed back to `show`/`retry`/`--reason`) comes first.
DEADLETTER_FIELDS = (
    Field("id", "id", identifies=True),
    Field("reason", "reason", identifies=True),
    Field("eventId", "event id", identifies=True),
    Field("eventType", "type"),
    Field("message", "message"),
    Field("origin", "origin"),
)


def load(
    paths: list[Path] = typer.Argument(
        None,
        help="Event files (JSON Lines, or a JSON array; gzip too) or directories of *.jsonl, "
        "*.ndjson, *.json and their .gz; - reads standard input (the same forms).",
    ),
    kafka: str = typer.Option(None, "--kafka", help="Consume this Kafka topic instead of files."),
    bootstrap: str = typer.Option(None, "--bootstrap", help="Kafka host:port [default: the local broker]"),
    group: str = typer.Option("digispine-loader", "--group", help="Kafka consumer group."),
    until_idle: float = typer.Option(None, "--until-idle", help="Kafka: stop after this many idle seconds."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Events per transaction."),
    adapter: str = typer.Option(
        None,
        "--adapter",
        help="Decode the records of a wire format into CloudEvents first: debezium, sap-events, "
        "salesforce-cdc, … (docs/sources.md, Adapters) [default: DIGISPINE_LOAD_ADAPTER; none]",
    ),
) -> None:
    """Load CloudEvents into the graph: validated, idempotent, dead-lettering what is refused."""
    settings = settings_or_exit()
    if not paths and not kafka:
        err_console.print("Give event files or directories, or --kafka TOPIC.")
        raise typer.Exit(2)
    from_stdin = not kafka and [str(p) for p in paths] == [STDIN]
    if not kafka and not from_stdin and STDIN in (str(p) for p in paths):
        err_console.print("- (standard input) cannot be mixed with files: give it alone.")
        raise typer.Exit(2)
    files = [] if kafka or from_stdin else _event_files_or_exit(paths)
    # From the start, so that a SIGTERM while the model compiles or the topic is awaited is a
    # graceful stop too (summary, exit 0), not the default kill
    with ExitStack() as scope:
        stop = scope.enter_context(stop_on_signals()) if kafka else threading.Event()
        # A lost connection ends the load with one message saying what is committed and how to resume
        # (LoadInterrupted); the driver's own log line about the defunct connection would only confuse.
        logging.getLogger("neo4j").setLevel(logging.CRITICAL)
        with user_errors():
            decoder = (
                adapters.get(adapter or settings.load_adapter) if adapter or settings.load_adapter else None
            )
            parts = load_parts(settings)
            with Neo4jStore(settings) as store, served_loader_metrics(settings, console.print) as metrics:
                store.health()
                pipeline = build_pipeline(
                    parts, store, batch_size=batch_size, metrics=metrics, adapter=decoder
                )
                if kafka:
                    servers = bootstrap or settings.kafka_bootstrap_servers
                    external = settings.external_kafka or bool(bootstrap)
                    _wait_for_topic(servers, kafka, external, until_idle, stop)
                    stats = _load_kafka(pipeline, kafka, servers, group, until_idle, stop)
                elif from_stdin:
                    stats = _load_stdin(pipeline)
                else:
                    stats = _load_files(pipeline, files)
    _print_summary(stats, settings.data_dir)


def _event_files_or_exit(paths: list[Path]) -> list[Path]:
    """The event files to load; what a directory holds besides is named (never skipped unseen),
    and finding nothing to load is an error (exit 1), not a quiet `read 0`."""
    with user_errors():
        selection = event_files(paths)
    patterns = ", ".join(f"*{s}" for s in EVENT_SUFFIXES) + " and their .gz"
    if selection.skipped:
        shown = ", ".join(str(p) for p in selection.skipped[:10])
        more = f" and {len(selection.skipped) - 10} more" if len(selection.skipped) > 10 else ""
        err_console.print(
            f"[yellow]skipped {len(selection.skipped)} file(s) that are not event files "
            f"({patterns}):[/] {shown}{more}",
            highlight=False,
            soft_wrap=True,
        )
    if not selection.files:
        err_console.print(
            f"[bold red]error:[/] no event files to load in {', '.join(map(str, paths))} "
            f"(a directory is searched for {patterns})",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    return selection.files


def _load_files(pipeline, files: list[Path]) -> LoadStats:  # type: ignore[no-untyped-def]
    if isinstance(pipeline.adapter, adapters.FileAdapter):  # a log format it reads itself
        return pipeline.run(r for f in files for r in adapters.file_records(pipeline.adapter, f))
    total = sum(count_records(f, pipeline.limits) for f in files)
    columns = (
        TextColumn("loading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("load", total=total, rate="")

        def update(stats: LoadStats) -> None:
            progress.update(
                task, completed=stats.read, rate=f"{stats.read / max(stats.seconds or 1e-9, 1e-9):,.0f}/s"
            )

        return pipeline.run(read_files(files, pipeline.limits), on_progress=update)


def _load_stdin(pipeline) -> LoadStats:  # type: ignore[no-untyped-def]
    """Events from standard input, loaded as they arrive (no total to count beforehand)."""
    return pipeline.run(read_stream(sys.stdin.buffer, pipeline.limits))


def _wait_for_topic(
    bootstrap: str, topic: str, external: bool, until_idle: float | None, stop: threading.Event
) -> None:
    """Return once ``topic`` exists. A consumer of a missing topic is never assigned a partition,
    so without this `--until-idle` would wait forever: it waits that long for the topic instead,
    then stops with an error saying how to put events on it."""
    from confluent_kafka.admin import AdminClient

    from graph_service.kafka.publish import ensure_reachable
    from loaders.errors import LoaderError

    ensure_reachable(bootstrap, external=external)
    admin = AdminClient({"bootstrap.servers": bootstrap})

    def exists() -> bool:
        # all topics: asking for one by name may create it on a broker that auto-creates topics
        found = admin.list_topics(timeout=10).topics.get(topic)
        return found is not None and found.error is None and bool(found.partitions)

    if exists():
        return
    if until_idle is None:
        console.print(f"Topic {topic} does not exist on {bootstrap} yet: waiting for it (Ctrl-C stops)")
        return
    deadline = time.monotonic() + until_idle
    while time.monotonic() < deadline and not stop.is_set():
        stop.wait(min(0.5, max(deadline - time.monotonic(), 0)))
        if exists():
            return
    if stop.is_set():
        return  # stopped while waiting: the consumer returns at once, the summary says read 0
    raise LoaderError(
        f"topic {topic} does not exist on {bootstrap} (waited {until_idle:g} s): nothing to load. "
        f"Put events on it first: `digispine publish FILE --topic {topic}` or "
        f"`digispine simulate --kafka --topic {topic}`"
    )


def _load_kafka(  # type: ignore[no-untyped-def]
    pipeline, topic: str, bootstrap: str, group: str, until_idle: float | None, stop: threading.Event
) -> LoadStats:
    from loaders.kafka_source import KafkaSource

    source = KafkaSource(
        bootstrap, topic, group, stop=stop, idle_timeout=until_idle, metrics=pipeline.metrics
    )
    console.print(f"Consuming {topic} on {bootstrap} as group {group} (SIGTERM or Ctrl-C stops gracefully)")

    def progress(stats: LoadStats) -> None:
        console.print(
            f"  committed: read {stats.read}, loaded {stats.loaded}, duplicates {stats.duplicates}, "
            f"rejected {stats.rejected_total}",
            highlight=False,
        )

    try:
        return pipeline.run(source.records(), on_commit=source.commit, on_progress=progress)
    finally:
        source.close()


def _print_summary(stats: LoadStats, data_dir: Path) -> None:
    # plain "name  value" lines: they fit any width and read the same through a pipe or grep
    rows = [("read", str(stats.read)), ("loaded", str(stats.loaded)), ("duplicates", str(stats.duplicates))]
    if stats.skipped:  # records an adapter decoded into no event (tombstones)
        rows.append(("skipped", str(stats.skipped)))
    rows += [(f"rejected: {reason}", str(count)) for reason, count in sorted(stats.rejected.items())]
    rows.append(("events/s", f"{stats.events_per_second:,.0f}"))
    width = max(len(name) for name, _ in rows)
    console.print("load summary", highlight=False)
    for name, value in rows:
        console.print(f"  {name:<{width}}  {value}", highlight=False)
    if stats.rejected_total:
        console.print(f"Rejected events are in {data_dir / 'deadletters'}: `digispine deadletters list`")


@deadletters_app.command("list")
def list_letters(
    reason: str = typer.Option(
        None,
        help="Only this reason (adapter, malformed-json, malformed-utf8, too-large, envelope, "
        "future-event, unknown-type, shacl, mapping, conflicting-duplicate, write).",
    ),
    all_: bool = typer.Option(False, "--all", help="Include retried ones."),
    as_json: bool = typer.Option(False, "--json", help="A JSON array of the letters (without originals)."),
) -> None:
    """One row per rejected event: id, reason, event id and type, message, origin (whole values:
    a table, or one block per letter when the terminal is narrow; tab-separated in a pipe)."""
    settings = settings_or_exit()
    letters = deadletter_store(settings).all(include_retried=all_)
    if reason:
        letters = [d for d in letters if d.reason == reason]
    rows: list[dict[str, Any]] = [
        {
            "id": d.id,
            "reason": d.reason,
            "retried": d.retried,
            "eventId": d.event_id,
            "eventType": d.event_type,
            "message": d.message,
            "origin": d.origin,
            "at": d.at,
        }
        for d in letters
    ]
    if not as_json:
        for row in rows:
            row["reason"] += " (retried)" if row["retried"] else ""
    print_rows(console, DEADLETTER_FIELDS, rows, as_json=as_json)
    if not as_json:
        err_console.print(f"{len(letters)} dead letter(s)", highlight=False)


@deadletters_app.command("show")
def show_letter(
    letter_id: str,
    as_json: bool = typer.Option(False, "--json", help="The whole record as one JSON object."),
) -> None:
    """The whole record: original event, reason, SHACL report."""
    settings = settings_or_exit()
    letter = deadletter_store(settings).get(letter_id)
    if letter is None:
        err_console.print(f"no dead letter with id {letter_id}")
        raise typer.Exit(1)
    if as_json:
        print_record(console, letter.to_json(), as_json=True)
        return
    for key, value in letter.to_json().items():
        # the value is the event's own text: a JSON array in it is no markup
        console.print(f"[bold]{key}[/]: {escape(str(value))}", highlight=False)


@deadletters_app.command("retry")
def retry_letters(
    letter_ids: list[str] = typer.Argument(None, help="Ids to retry; none = all not yet retried."),
    reason: str = typer.Option(None, help="Only those rejected for this reason."),
) -> None:
    """Run rejected events through the pipeline again (after fixing a mapping or shape)."""
    settings = settings_or_exit()
    store_dl = deadletter_store(settings)
    letters = [
        d
        for d in store_dl.all()
        if (not letter_ids or d.id in letter_ids) and (not reason or d.reason == reason)
    ]
    partial = [d for d in letters if d.original_bytes is None]
    for d in partial:
        console.print(
            f"{d.id}: skipped: the letter keeps only the first bytes of a {d.original_size:,}-byte event; "
            "load it again from its origin once the limit allows it",
            highlight=False,
        )
    letters = [d for d in letters if d.original_bytes is not None]
    if not letters:
        console.print("nothing to retry")
        return
    # A letter an adapter refused holds the wire record: it goes through that adapter again; the
    # others hold CloudEvents (those an adapter made included) and go through none.
    groups: dict[str | None, list[DeadLetter]] = {}
    for d in letters:
        groups.setdefault(_refused_by_adapter(d), []).append(d)
    loaded = duplicates = rejected = 0
    with user_errors():
        parts = load_parts(settings)
        with Neo4jStore(settings) as store:
            for name, group in groups.items():
                pipeline = build_pipeline(parts, store, adapter=adapters.get(name) if name else None)
                records = [Record(raw=d.original_bytes or b"", origin=f"deadletter:{d.id}") for d in group]
                stats = pipeline.run(records)
                loaded, duplicates = loaded + stats.loaded, duplicates + stats.duplicates
                rejected += stats.rejected_total
    store_dl.mark_retried([d.id for d in letters])
    console.print(
        f"retried {len(letters)}: loaded {loaded}, duplicates {duplicates}, "
        f"rejected again {rejected} (new dead letters)"
    )


def _refused_by_adapter(letter: DeadLetter) -> str | None:
    """The adapter that refused ``letter`` (its message starts with the adapter's name), or None."""
    if letter.reason != adapters.ADAPTER_REASON:
        return None
    name = letter.message.split(":", 1)[0]
    return name if name in adapters.names() else None
