"""`digispine simulate` and `digispine schema apply`: data to play with, and the schema it needs."""

from __future__ import annotations

from pathlib import Path

import typer

from graph_service.cli.common import console, echo, err_console, settings_or_exit, user_errors
from graph_service.ontology.compiler import load_model
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema, plan_schema

schema_app = typer.Typer(help="The Neo4j schema (constraints, indexes) implied by the ontology.")


def simulate(
    out: Path = typer.Option(None, "--out", "-o", help="JSON Lines file to write."),
    kafka: bool = typer.Option(False, "--kafka", help="Publish to Kafka (--topic) instead of a file."),
    topic: str = typer.Option(None, "--topic", "-t", help="With --kafka [default: DIGISPINE_EVENTS_TOPIC]."),
    live: bool = typer.Option(
        False, "--live", help="With --kafka: keep the plant running, publishing as its clock advances."
    ),
    speed: float = typer.Option(
        60.0, "--speed", min=0.001, help="--live: simulated seconds per second until it reaches now."
    ),
    catch_up: float = typer.Option(
        24.0, "--catch-up-hours", min=0.0, help="--live: plant hours before now played at --speed."
    ),
    start: str = typer.Option(None, "--start", help="--live: the plant's first day (05:00 UTC)."),
    after: str = typer.Option(None, "--after", help="--live: skip events up to this time (loaded already)."),
    state: Path = typer.Option(None, "--state", help="--live: keep progress here; a restart resumes."),
    stop_after: int = typer.Option(None, "--stop-after", min=1, help="--live: stop after N events."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same history."),
    days: int = typer.Option(3, "--days", min=1, help="Days of plant history."),
    orders_per_day: float = typer.Option(
        2.0, "--orders-per-day", min=0.1, help="Average sales orders per day."
    ),
    faults: float = typer.Option(
        0.0,
        "--faults",
        min=0.0,
        max=1.0,
        help="Share of events made faulty (malformed, unknown type, bad payload, duplicate, out of order).",
    ),
) -> None:
    """Write a referentially consistent event history of a simulated plant, or publish it to
    Kafka (--kafka), or run the plant live (--kafka --live; Ctrl-C stops with a summary)."""
    from loaders.simulation import simulate as run_simulation
    from loaders.simulation.faults import inject_faults, to_lines

    if (out is None) == (not kafka) or (live and not kafka):
        err_console.print("Give --out FILE, or --kafka [--topic T] (with --live for a running plant).")
        raise typer.Exit(2)
    if kafka:
        _simulate_to_kafka(
            topic, live, seed, days, orders_per_day, speed, catch_up, start, after, state, stop_after
        )
        return
    events = run_simulation(seed, days, orders_per_day=orders_per_day)
    if faults > 0:
        lines, log = inject_faults(events, faults, seed)
    else:
        lines, log = to_lines(events), None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"\n".join(lines) + b"\n")
    console.print(f"wrote {len(lines)} events ({days} days, seed {seed}) to {out}")
    if log is not None:
        injected = ", ".join(f"{k}={v}" for k, v in sorted(log.injected.items()))
        console.print(f"faults injected: {injected or 'none'}")


def _simulate_to_kafka(
    topic: str | None,
    live: bool,
    seed: int,
    days: int,
    orders_per_day: float,
    speed: float,
    catch_up: float,
    start: str | None,
    after: str | None,
    state: Path | None,
    stop_after: int | None,
) -> None:
    import datetime as dt

    from graph_service.cli import publish_cmd
    from loaders.simulation import simulate as run_simulation
    from loaders.simulation.live import parse_time

    settings = settings_or_exit()
    topic = topic or settings.events_topic
    if not live:
        events = run_simulation(seed, days, orders_per_day=orders_per_day)
        publish_cmd.publish_history(settings, topic, events, publish_cmd.DEFAULT_PARTITIONS)
        return
    try:
        options = publish_cmd.LiveOptions(
            seed=seed,
            days=days,
            orders_per_day=orders_per_day,
            speed=speed,
            catch_up=dt.timedelta(hours=catch_up),
            start=parse_time(start) if start else None,
            after=parse_time(after) if after else None,
            state_file=state,
            stop_after=stop_after,
        )
        publish_cmd.run_live(settings, topic, options, publish_cmd.DEFAULT_PARTITIONS)
    except ValueError as exc:  # a --start or --after that is no time, or no plant day's start
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


@schema_app.command("apply")
def schema_apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the Cypher, change nothing."),
    prune: bool = typer.Option(
        False, "--prune", help="Drop ds_ constraints/indexes the model no longer implies."
    ),
) -> None:
    """Create the uniqueness constraints (owl:hasKey) and indexes the model implies; idempotent."""
    settings = settings_or_exit()
    with user_errors():
        model = load_model(settings.ontology_paths)
        with Neo4jStore(settings) as store:
            changes = apply_schema(store, model, dry_run=dry_run, prune=prune)
    verb = "would create" if dry_run else "created"
    for item in changes.created:
        console.print(
            f"{verb}: {item.kind} {item.name} on :{item.label}({', '.join(item.properties)})"
            f"  [dim]{item.reason}[/]"
        )
        if dry_run:
            console.print(f"  {item.cypher};", highlight=False)
    for item in changes.replaced:
        console.print(f"{'would replace' if dry_run else 'replaced'}: {item.kind} {item.name}")
    for name in changes.obsolete:
        dropped = name in changes.dropped
        console.print(
            f"{'dropped' if dropped and not dry_run else 'obsolete'}: {name}"
            + ("" if dropped else "  (keep, or run with --prune)")
        )
    echo(
        f"{len(changes.created)} created, {len(changes.replaced)} replaced, "
        f"{len(changes.unchanged)} unchanged" + (" (dry run)" if dry_run else "")
    )


@schema_app.command("show")
def schema_show() -> None:
    """Print the Cypher of every constraint and index the model implies (no Neo4j needed)."""
    settings = settings_or_exit()
    with user_errors():
        model = load_model(settings.ontology_paths)
    for item in plan_schema(model):
        console.print(f"{item.cypher};", highlight=False)
