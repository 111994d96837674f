"""Entry point of the `digispine` command."""

from __future__ import annotations

import typer

from graph_service.cli import data_cmd, kafka_cmd, neo4j_cmd, ontology
from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.settings import Settings

app = typer.Typer(
    help="DigiSpine: knowledge graph and semantic layer for manufacturing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(neo4j_cmd.app, name="neo4j")
app.add_typer(kafka_cmd.app, name="kafka")
app.add_typer(ontology.app, name="ontology")
app.add_typer(data_cmd.schema_app, name="schema")


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from graph_service.api.app import create_app

    console.print(f"Serving DigiSpine on http://{host}:{port}  (readiness: /readyz)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address [default: DIGISPINE_HTTP_HOST]"),
    port: int = typer.Option(None, help="Port [default: DIGISPINE_HTTP_PORT]"),
) -> None:
    """Serve the HTTP API (health, readiness) with uvicorn."""
    settings = settings_or_exit()
    _serve(settings, host or settings.http_host, port or settings.http_port)


@app.command()
def demo(
    serve_api: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API at the end."),
) -> None:
    """The front door: local Neo4j up, then the API served."""
    settings = settings_or_exit()
    if settings.external_neo4j:
        echo(f"Using the external Neo4j at {settings.neo4j_uri}")
    else:
        from graph_service.store.local_neo4j import LocalNeo4j

        with user_errors():
            status = LocalNeo4j(settings).start(echo)
        echo(f"Neo4j {status.version} running on bolt://127.0.0.1:{status.port}")
    with user_errors():
        from graph_service.ontology.compiler import load_model
        from graph_service.store import Neo4jStore
        from graph_service.store.schema import apply_schema

        with Neo4jStore(settings) as store:
            changes = apply_schema(store, load_model(settings.ontology_dir))
    echo(f"Schema: {len(changes.created)} created, {len(changes.unchanged)} unchanged")
    if serve_api:
        _serve(settings, settings.http_host, settings.http_port)


if __name__ == "__main__":
    app()
