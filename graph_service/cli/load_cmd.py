"""`digispine load` and `digispine deadletters …`: events in, and what was refused."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from graph_service.cli.common import console, err_console, settings_or_exit, user_errors
from graph_service.store import Neo4jStore
from loaders.assembly import build_pipeline, deadletter_store, load_parts
from loaders.pipeline import LoadStats, Record
from loaders.sources import count_records, jsonl_files, read_files

deadletters_app = typer.Typer(help="Inspect and retry rejected events.")


def load(
    paths: list[Path] = typer.Argument(None, help="JSON Lines files or directories of *.jsonl."),
    kafka: str = typer.Option(None, "--kafka", help="Consume this Kafka topic instead of files."),
    bootstrap: str = typer.Option(None, "--bootstrap", help="Kafka host:port [default: the local broker]"),
    group: str = typer.Option("digispine-loader", "--group", help="Kafka consumer group."),
    until_idle: float = typer.Option(None, "--until-idle", help="Kafka: stop after this many idle seconds."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Events per transaction."),
) -> None:
    """Load CloudEvents into the graph: validated, idempotent, dead-lettering what is refused."""
    settings = settings_or_exit()
    if not paths and not kafka:
        err_console.print("Give JSON Lines paths, or --kafka TOPIC.")
        raise typer.Exit(2)
    # A lost connection ends the load with one message saying what is committed and how to resume
    # (LoadInterrupted); the driver's own log line about the defunct connection would only confuse.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    with user_errors():
        parts = load_parts(settings)
        with Neo4jStore(settings) as store:
            store.health()
            pipeline = build_pipeline(parts, store, batch_size=batch_size)
            if kafka:
                stats = _load_kafka(
                    pipeline, kafka, bootstrap or settings.kafka_bootstrap_servers, group, until_idle
                )
            else:
                stats = _load_files(pipeline, paths)
    _print_summary(stats, settings.data_dir)


def _load_files(pipeline, paths: list[Path]) -> LoadStats:  # type: ignore[no-untyped-def]
    files = jsonl_files(paths)
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


def _load_kafka(pipeline, topic: str, bootstrap: str, group: str, until_idle: float | None) -> LoadStats:  # type: ignore[no-untyped-def]
    from loaders.kafka_source import KafkaSource

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    source = KafkaSource(bootstrap, topic, group, stop=stop, idle_timeout=until_idle)
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
    table = Table(title="load summary", show_header=False)
    table.add_row("read", str(stats.read))
    table.add_row("loaded", str(stats.loaded))
    table.add_row("duplicates", str(stats.duplicates))
    for reason, count in sorted(stats.rejected.items()):
        table.add_row(f"rejected: {reason}", str(count))
    table.add_row("events/s", f"{stats.events_per_second:,.0f}")
    console.print(table)
    if stats.rejected_total:
        console.print(f"Rejected events are in {data_dir / 'deadletters'}: `digispine deadletters list`")


@deadletters_app.command("list")
def list_letters(
    reason: str = typer.Option(
        None,
        help="Only this reason (malformed-json, malformed-utf8, too-large, envelope, future-event, "
        "unknown-type, shacl, mapping, conflicting-duplicate, write).",
    ),
    all_: bool = typer.Option(False, "--all", help="Include retried ones."),
) -> None:
    """One line per rejected event: id, reason, event id and type, message."""
    settings = settings_or_exit()
    letters = deadletter_store(settings).all(include_retried=all_)
    if reason:
        letters = [d for d in letters if d.reason == reason]
    # A reason is a code to filter by (--reason): never cut or wrapped.
    table = Table("id", Column("reason", no_wrap=True), "event id", "type", "message", "origin")
    for d in letters:
        table.add_row(
            d.id,
            d.reason + (" (retried)" if d.retried else ""),
            d.event_id or "-",
            d.event_type or "-",
            d.message[:100],
            d.origin or "-",
        )
    console.print(table)
    console.print(f"{len(letters)} dead letter(s)")


@deadletters_app.command("show")
def show_letter(letter_id: str) -> None:
    """The whole record: original event, reason, SHACL report."""
    settings = settings_or_exit()
    letter = deadletter_store(settings).get(letter_id)
    if letter is None:
        err_console.print(f"no dead letter with id {letter_id}")
        raise typer.Exit(1)
    for key, value in letter.to_json().items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False, markup=True)


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
    with user_errors():
        parts = load_parts(settings)
        with Neo4jStore(settings) as store:
            pipeline = build_pipeline(parts, store)
            records = [Record(raw=d.original_bytes or b"", origin=f"deadletter:{d.id}") for d in letters]
            stats = pipeline.run(records)
    store_dl.mark_retried([d.id for d in letters])
    console.print(
        f"retried {len(letters)}: loaded {stats.loaded}, duplicates {stats.duplicates}, "
        f"rejected again {stats.rejected_total} (new dead letters)"
    )
