"""`digispine demo`: the front door. A simulated plant's graph, minutes after a fresh clone."""

from __future__ import annotations

import typer

from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.settings import Settings


def demo(
    days: int = typer.Option(7, "--days", min=1, help="Days of simulated plant history to load."),
    seed: int = typer.Option(42, "--seed", help="Simulation seed (same seed, same plant)."),
    serve_api: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API at the end."),
) -> None:
    """Start Neo4j, apply the ontology's schema, load a simulated plant, serve the API."""
    settings = settings_or_exit()
    with user_errors():
        _neo4j(settings)
        _schema(settings)
        _load(settings, days, seed)
    if serve_api:
        from graph_service.cli.main import serve_app

        serve_app(_demo_access(settings), settings.http_host, settings.http_port)
        if not settings.external_neo4j:
            echo(
                "The API has stopped; Neo4j keeps running with the plant's data "
                "(`digispine neo4j stop` stops it, `make demo` serves it again)."
            )


def _demo_access(settings: Settings) -> Settings:
    """Unless keys are configured: anonymous callers get `analyst` (everything but personal
    data, which stays masked), and a fresh admin key, printed once, shows the rest."""
    if settings.api_keys or settings.api_keys_file or settings.anonymous_roles:
        return settings
    from pydantic import SecretStr

    from graph_service.api.auth import hash_key, new_key

    key = new_key()
    host = "localhost" if settings.http_host in ("127.0.0.1", "0.0.0.0") else settings.http_host
    console.print(
        f"\n[bold]Explore the plant:[/] http://{host}:{settings.http_port}/graphql  (GraphiQL)\n"
        "  try: { salesOrders(first: 5) { totalCount nodes { salesOrderNumber orderedBy { name } } } }\n"
        "  and: { orderFulfillment { salesOrderNumber deliveryStatus shippedQuantity } }\n"
        f"[bold]Click through the graph:[/] http://{host}:{settings.http_port}/explore?q=SO-000001\n"
        "Without a key you have the role `analyst`: personal data (names, e-mails) is masked.\n"
        "To see it, put this in GraphiQL's Headers tab (a demo admin key, valid for this run only):\n"
        f'  {{"Authorization": "Bearer {key}"}}\n'
    )
    return settings.model_copy(
        update={"anonymous_roles": "analyst", "api_keys": SecretStr(f"demo-admin:{hash_key(key)}:admin")}
    )


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

    model = load_model(settings.ontology_dir)
    echo(
        f"Ontology {model.version}: {len(model.classes)} classes, {len(model.datatype_properties)} "
        f"properties, {len(model.relations)} relations"
    )
    with Neo4jStore(settings) as store:
        changes = apply_schema(store, model)
    echo(f"Schema: {len(changes.created)} constraints/indexes created, {len(changes.unchanged)} unchanged")


def _load(settings: Settings, days: int, seed: int) -> None:
    from graph_service.store import Neo4jStore
    from loaders.assembly import build_pipeline, load_parts
    from loaders.simulation import simulate
    from loaders.simulation.faults import to_lines
    from loaders.sources import read_files

    path = settings.data_dir / "demo" / f"plant-seed{seed}-{days}d.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(to_lines(simulate(seed, days))) + b"\n")
    echo(f"Loading the simulated plant ({days} days, seed {seed}) from {path} …")
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
