"""`digispine simulate` and `digispine schema apply`: data to play with, and the schema it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from graph_service.cli.common import console, echo, err_console, settings_or_exit, user_errors
from graph_service.cli.listing import print_rows
from graph_service.ontology.compiler import load_model
from graph_service.store import Neo4jStore
from graph_service.store.schema import SchemaChanges, apply_schema, plan_schema

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
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the whole plan with each item's Cypher; change nothing."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Drop ds_ constraints/indexes the model no longer implies."
    ),
    as_json: bool = typer.Option(False, "--json", help="The plan as a JSON array (action per item)."),
) -> None:
    """Create the uniqueness constraints (owl:hasKey) and indexes the model implies; idempotent."""
    settings = settings_or_exit()
    with user_errors():
        model = load_model(settings.ontology_paths)
        with Neo4jStore(settings) as store:
            changes = apply_schema(store, model, dry_run=dry_run, prune=prune)
    rows = _plan_rows(changes, dry_run)
    if as_json:
        print_rows(console, (), rows, as_json=True)
        return
    for row in rows:
        if row["kind"] == "obsolete":
            console.print(
                f"{row['action']}: {row['name']}"
                + ("" if row["dropped"] else "  (keep, or run with --prune)")
            )
            continue
        if row["action"] == "unchanged" and not dry_run:
            continue  # applying: what is already there is only counted
        console.print(
            f"{row['action']}: {row['kind']} {row['name']} on :{row['label']}({', '.join(row['properties'])})"
            f"  [dim]{escape(row['reason'])}[/]"
        )
        if dry_run:
            console.print(f"  {row['cypher']};", highlight=False, markup=False)
    echo(
        f"{len(changes.created)} created, {len(changes.replaced)} replaced, "
        f"{len(changes.unchanged)} unchanged" + (" (dry run: nothing changed)" if dry_run else "")
    )
    if changes.migrated_reported_by:
        # Graphs loaded before the source system became the event's key: one relationship per event.
        verb = "would remove" if dry_run else "removed"
        echo(f"{verb} {changes.migrated_reported_by} old per-event REPORTED_BY relationship(s)")


def _plan_rows(changes: SchemaChanges, dry_run: bool) -> list[dict[str, Any]]:
    """Every item of the plan with what applying does to it, in the plan's order; then the obsolete."""
    actions = [
        (changes.created, "would create" if dry_run else "created"),
        (changes.replaced, "would replace" if dry_run else "replaced"),
        (changes.unchanged, "unchanged"),
    ]
    rows: list[dict[str, Any]] = [
        {
            "action": action,
            "kind": item.kind,
            "name": item.name,
            "label": item.label,
            "properties": list(item.properties),
            "reason": item.reason,
            "cypher": item.cypher,
        }
        for items, action in actions
        for item in items
    ]
    rows.sort(key=lambda r: r["name"])
    for name in changes.obsolete:
        dropped = name in changes.dropped and not dry_run
        rows.append(
            {
                "action": "dropped" if dropped else "obsolete",
                "kind": "obsolete",
                "name": name,
                "dropped": dropped,
            }
        )
    return rows


@schema_app.command("show")
def schema_show(
    as_json: bool = typer.Option(False, "--json", help="The plan as a JSON array."),
) -> None:
    """Print the Cypher of every constraint and index the model implies (no Neo4j needed)."""
    settings = settings_or_exit()
    with user_errors():
        model = load_model(settings.ontology_paths)
    items = plan_schema(model)
    if as_json:
        rows = [
            {"kind": i.kind, "name": i.name, "label": i.label, "properties": list(i.properties)}
            | {"reason": i.reason, "cypher": i.cypher}
            for i in items
        ]
        print_rows(console, (), rows, as_json=True)
        return
    for item in items:
        console.print(f"{item.cypher};", highlight=False)
