"""Entry point of the `digispine` command."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from graph_service.cli import (
    apikey_cmd,
    data_cmd,
    demo_cmd,
    export_cmd,
    kafka_cmd,
    load_cmd,
    mqtt_cmd,
    neo4j_cmd,
    ontology,
    publish_cmd,
    query_cmd,
    rdf_cmd,
    streams_cmd,
)
from graph_service.cli.common import console, err_console, settings_or_exit, user_errors
from graph_service.errors import DigiSpineError
from graph_service.settings import Settings

if TYPE_CHECKING:
    from graph_service.store import Neo4jStore

app = typer.Typer(
    help="DigiSpine: knowledge graph and semantic layer for manufacturing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(neo4j_cmd.app, name="neo4j")
app.add_typer(kafka_cmd.app, name="kafka")
app.add_typer(mqtt_cmd.app, name="mqtt")
app.add_typer(ontology.app, name="ontology")
app.add_typer(data_cmd.schema_app, name="schema")
app.command("simulate")(data_cmd.simulate)
app.command("publish")(publish_cmd.publish)
app.add_typer(load_cmd.deadletters_app, name="deadletters")
app.command("load")(load_cmd.load)
app.command("demo")(demo_cmd.demo)
app.add_typer(apikey_cmd.app, name="apikey")
app.command("query")(query_cmd.query)
app.add_typer(export_cmd.app, name="export")
app.add_typer(rdf_cmd.app, name="rdf")
app.add_typer(streams_cmd.app, name="streams")


def serve_app(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run the API with uvicorn (blocks until stopped); ``workers`` > 1: that many processes."""
    import uvicorn

    if workers > 1:
        _serve_workers(settings, host, port, workers)
        return

    from graph_service.api.app import create_app
    from graph_service.store import Neo4jStore

    # The serve command owns the store, so its start-up check and the app share one login gate.
    store = Neo4jStore(settings, connection_timeout=3.0, max_attempts=2)
    try:
        with user_errors():  # a bad setting (an API key entry, say): one line naming it
            app = create_app(settings, store, freeze_heap=True)
        _say_if_neo4j_refuses(store)
        console.print(
            f"Serving DigiSpine on http://{host}:{port}  (GraphiQL: /graphql, explorer: /explore, "
            "SPARQL: /sparql, catalog: /catalog.jsonld, readiness: /readyz)"
        )
        uvicorn.run(app, host=host, port=port, **_uvicorn_options(settings))
    finally:
        store.close()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    # uvicorn's records go through the handler configure_logging installed (text or JSON, with
    # request ids); the app logs one access line per request itself, with its request id
    return {"log_level": settings.log_level.lower(), "log_config": None, "access_log": False}


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """``workers`` API processes on one socket (:mod:`graph_service.cli.serve_workers`)."""
    import uvicorn

    from graph_service.api.app import create_app
    from graph_service.cli.serve_workers import bind, supervise
    from graph_service.observability.multiprocess import run_directory, use_directory, worker_exited
    from graph_service.store import Neo4jStore

    # Checked once here, before forking: a bad setting stops the command with one line, and an
    # unreachable Neo4j is said once rather than once per worker.
    store = Neo4jStore(settings, connection_timeout=3.0, max_attempts=2)
    try:
        with user_errors():
            create_app(settings, store)
        _say_if_neo4j_refuses(store)
    finally:
        store.close()
    sock = bind(host, port)
    # one scrape sees every worker: their instruments share this run's multiprocess directory
    metrics_dir = run_directory(settings.data_dir, port)
    console.print(
        f"Serving DigiSpine on http://{host}:{port} with {workers} worker processes  (GraphiQL: /graphql, "
        "explorer: /explore, SPARQL: /sparql, catalog: /catalog.jsonld, readiness: /readyz)"
    )

    def run_worker(listening: socket.socket) -> None:
        use_directory(metrics_dir)
        worker_store = Neo4jStore(settings, connection_timeout=3.0, max_attempts=2)
        try:
            app = create_app(settings, worker_store, metrics_dir=metrics_dir, freeze_heap=True)
            config = uvicorn.Config(app, **_uvicorn_options(settings))
            uvicorn.Server(config).run(sockets=[listening])
        finally:
            worker_store.close()

    code = supervise(workers, sock, run_worker, on_exit=lambda pid: worker_exited(metrics_dir, pid))
    if code:
        raise typer.Exit(code)


def _say_if_neo4j_refuses(store: Neo4jStore) -> None:
    """One clear line at start-up when Neo4j is unreachable or refuses the credentials. Serving
    goes on (a wrong password can be fixed on the server); /readyz answers 503 with the reason."""
    try:
        store.health()
    except DigiSpineError as exc:
        err_console.print(
            f"[bold yellow]warning:[/] {escape(str(exc))}\n  Serving anyway: /readyz answers 503 "
            "until Neo4j answers."
        )


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address [default: DIGISPINE_HTTP_HOST]"),
    port: int = typer.Option(None, help="Port [default: DIGISPINE_HTTP_PORT]"),
    workers: int = typer.Option(
        None, min=1, help="API processes sharing the port, one core each [default: DIGISPINE_HTTP_WORKERS]"
    ),
) -> None:
    """Serve the HTTP API (GraphQL with GraphiQL, data products, health) with uvicorn."""
    settings = settings_or_exit()
    serve_app(
        settings, host or settings.http_host, port or settings.http_port, workers or settings.http_workers
    )


if __name__ == "__main__":
    app()
