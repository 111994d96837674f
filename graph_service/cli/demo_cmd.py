"""`digispine demo`: the front door. A simulated plant's graph, minutes after a fresh clone, and
(with the local Kafka) the plant kept running live: loader from the events topic, the stream
processors, the change log, all supervised in the background while the API serves."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from pathlib import Path

import typer

from graph_service.cli import demo_live
from graph_service.cli.common import console, echo, err_console, settings_or_exit, user_errors
from graph_service.errors import DigiSpineError
from graph_service.settings import Settings


def demo(
    days: int = typer.Option(7, "--days", min=1, help="Days of simulated plant history to load."),
    seed: int = typer.Option(42, "--seed", help="Simulation seed (same seed, same plant)."),
    serve_api: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API at the end."),
    live: bool = typer.Option(
        True,
        "--live/--no-live",
        help="Start Kafka and keep the plant running: loader, stream processors, live plant.",
    ),
    speed: float = typer.Option(
        60.0, "--speed", min=1.0, help="Live plant: simulated seconds per second while it catches up."
    ),
    catch_up: float = typer.Option(
        24.0,
        "--catch-up-hours",
        min=0.0,
        help="The loaded history ends this long before now; the live plant plays it at --speed.",
    ),
) -> None:
    """Start Neo4j, apply the ontology's schema, load a simulated plant, keep it running live
    (Kafka, loader, stream processors, change log), serve the API."""
    settings = settings_or_exit()
    began = time.monotonic()
    # SIGTERM (`kill`, make passing on its own TERM) must stop the children like Ctrl-C does: uvicorn
    # re-raises the signal it caught after its shutdown, and TERM's default action would end this
    # process before the `finally` below, leaving the loader, processors and live plant orphaned.
    signal.signal(signal.SIGTERM, _exit_on_term)
    # The shipped equipmentOee stream lists the MQTT pack's inputs as optional and the demo does not
    # map them: the check's notes about it (INFO, once per reader) would be the demo's loudest lines.
    logging.getLogger("graph_service.streams.check").setLevel(logging.WARNING)
    with user_errors():
        _neo4j(settings)
        kafka_up = live and _kafka(settings)
        if kafka_up:
            settings = demo_live.with_change_log(settings)
        _schema(settings)
        plan = demo_live.plan(settings, seed, days, dt.timedelta(hours=catch_up), speed) if kafka_up else None
        if plan is not None:
            handover = f"{plan.handover:%Y-%m-%d %H:%M}Z"
            _load(
                settings,
                plan.history_file(settings),
                f"seed {seed}, from {plan.start:%Y-%m-%d} to {handover}",
            )
        else:
            _load(settings, _history_file(settings, days, seed), f"{days} days, seed {seed}")
        supervisor = demo_live.start_background(settings, plan) if plan is not None else None
    try:
        if serve_api:
            from graph_service.cli.main import serve_app

            served = _demo_access(settings)
            if supervisor is not None and plan is not None:
                demo_live.print_guide(served, supervisor, plan)
            _say_when_ready(served, began)
            serve_app(served, settings.http_host, settings.http_port)
            if not settings.external_neo4j:
                echo(
                    "The API has stopped; Neo4j keeps running with the plant's data "
                    "(`digispine neo4j stop` stops it, `make demo` serves it again)."
                )
        elif supervisor is not None and plan is not None:
            demo_live.print_guide(settings, supervisor, plan)
            demo_live.wait_for_ctrl_c()
    finally:
        if supervisor is not None:
            echo("Stopping the background work (loader, processors, live plant) …")
            supervisor.stop()
            echo("Stopped; Kafka keeps running (`digispine kafka stop` stops it).")


def _kafka(settings: Settings) -> bool:
    """Start the local Kafka (unless an external one is configured); False, said why, if none."""
    from graph_service.kafka.local_kafka import LocalKafka
    from graph_service.kafka.publish import ensure_reachable

    try:
        if settings.external_kafka:
            ensure_reachable(settings.kafka_bootstrap_servers, external=True)
            echo(f"Using the external Kafka at {settings.kafka_bootstrap_servers}")
        else:
            status = LocalKafka(settings).start(echo)
            echo(f"Kafka {status.version} running on {status.bootstrap_servers} (data in {status.home})")
    except DigiSpineError as exc:
        err_console.print(
            f"[bold yellow]warning:[/] no Kafka, so no live plant: {exc}\n"
            "  The demo goes on with the loaded history only (`digispine demo --no-live` skips Kafka)."
        )
        return False
    return True


def _demo_access(settings: Settings) -> Settings:
    """Unless keys are configured: anonymous callers get `analyst` (everything but personal
    data, which stays masked), and a fresh admin key, printed once, shows the rest."""
    if settings.api_keys or settings.api_keys_file or settings.anonymous_roles:
        return settings
    from pydantic import SecretStr

    from graph_service.security import hash_key, new_key

    key = new_key()
    host = "localhost" if settings.http_host in ("127.0.0.1", "0.0.0.0") else settings.http_host
    console.print(
        f"\n[bold]Explore the plant:[/] http://{host}:{settings.http_port}/graphql  (GraphiQL)\n"
        "  try: { salesOrders(first: 5) { totalCount nodes { salesOrderNumber orderedBy { name } } } }\n"
        "  and: { orderFulfillment { salesOrderNumber deliveryStatus shippedQuantity } }\n"
        f"[bold]Click through the graph:[/] http://{host}:{settings.http_port}/explore?q=SO-000001\n"
        f"[bold]The plant at a glance[/] (OEE, work in process, alerts, live): http://{host}:{settings.http_port}/dashboard\n"
        f"[bold]How orders flow[/]: http://{host}:{settings.http_port}/process   "
        f"[bold]products and streams[/]: http://{host}:{settings.http_port}/catalog   "
        f"[bold]the language[/]: http://{host}:{settings.http_port}/glossary/\n"
        "Without a key you have the role `analyst`: personal data (names, e-mails) is masked.\n"
        "To see it, paste this demo admin key (valid for this run only) into a page's key field,\n"
        f"  {key}\n"
        "or this into GraphiQL's Headers tab:\n"
        f'  {{"Authorization": "Bearer {key}"}}\n'
    )
    return settings.model_copy(
        update={"anonymous_roles": "analyst", "api_keys": SecretStr(f"demo-admin:{hash_key(key)}:admin")}
    )


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _base_url(settings: Settings) -> str:
    host = "localhost" if settings.http_host in ("127.0.0.1", "0.0.0.0") else settings.http_host
    return f"http://{host}:{settings.http_port}"


def _say_when_ready(settings: Settings, began: float) -> None:
    """Print one line once the API answers /readyz: the URLs above are printed before the server
    has started, which takes a while (schema, validation) on a busy machine."""
    url = f"http://127.0.0.1:{settings.http_port}/readyz"

    def wait() -> None:
        import httpx

        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        console.print(
            f"[bold green]Ready[/] ({time.monotonic() - began:.0f} s after `digispine demo` started): "
            f"open {_base_url(settings)}/dashboard or {_base_url(settings)}/graphql — Ctrl-C stops the demo",
            highlight=False,
        )

    threading.Thread(target=wait, name="demo-ready", daemon=True).start()


def _neo4j(settings: Settings) -> None:
    if settings.external_neo4j:
        echo(f"Using the external Neo4j at {settings.neo4j_uri}")
        return
    from graph_service.store.local_neo4j import LocalNeo4j

    status = LocalNeo4j(settings).start(echo)
    echo(f"Neo4j {status.version} running on bolt://127.0.0.1:{status.port} (data in {status.home})")


def _schema(settings: Settings) -> None:
    from graph_service.ontology.compiler import load_model
    from graph_service.store import Neo4jStore
    from graph_service.store.schema import apply_schema

    model = load_model(settings.ontology_paths)
    echo(
        f"Ontology {model.version}: {len(model.classes)} classes, {len(model.datatype_properties)} "
        f"properties, {len(model.relations)} relations"
    )
    with Neo4jStore(settings) as store:
        changes = apply_schema(store, model)
    echo(f"Schema: {len(changes.created)} constraints/indexes created, {len(changes.unchanged)} unchanged")


def _history_file(settings: Settings, days: int, seed: int) -> Path:
    """Without Kafka: the fixed history of `simulate` (January 2026), written once."""
    from loaders.simulation import simulate
    from loaders.simulation.faults import to_lines

    path = settings.data_dir / "demo" / f"plant-seed{seed}-{days}d.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(to_lines(simulate(seed, days))) + b"\n")
    return path


def _load(settings: Settings, path: Path, what: str) -> None:
    from graph_service.store import Neo4jStore
    from loaders.assembly import build_pipeline, load_parts
    from loaders.sources import read_files

    echo(f"Loading the simulated plant ({what}) from {path} …")
    parts = load_parts(settings)
    with Neo4jStore(settings) as store:
        stats = build_pipeline(parts, store).run(read_files([path]))
    echo(f"Loaded: {stats.summary()}")
    with Neo4jStore(settings) as store:
        rows = store.read(
            "MATCH (n:Entity) UNWIND labels(n) AS label WITH label WHERE label <> 'Entity' "
            "RETURN label, count(*) AS n ORDER BY n DESC LIMIT 8"
        )
    console.print("In the graph: " + ", ".join(f"{r['n']} {r['label']}" for r in rows))
