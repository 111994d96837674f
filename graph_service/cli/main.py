"""Entry point of the `digispine` command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from graph_service.cli import (
    apikey_cmd,
    data_cmd,
    demo_cmd,
    export_cmd,
    kafka_cmd,
    load_cmd,
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
app.add_typer(ontology.app, name="ontology")
app.add_typer(data_cmd.schema_app, name="schema")
app.command("simulate")(data_cmd.simulate)
app.command("publish")(publish_cmd.publish)
app.add_typer(load_cmd.deadletters_app, name="deadletters")
app.command("load")(load_cmd.load)
app.command("demo")(demo_cmd.demo)
app.add_typer(apikey_cmd.app, name="apikey")
app.command("query")(query_cmd.query)
app.command("export")(export_cmd.export)
app.add_typer(rdf_cmd.app, name="rdf")
app.add_typer(streams_cmd.app, name="streams")


def serve_app(settings: Settings, host: str, port: int) -> None:
    """Run the API with uvicorn (blocks until stopped)."""
    import uvicorn

    from graph_service.api.app import create_app
    from graph_service.store import Neo4jStore

    # The serve command owns the store, so its start-up check and the app share one login gate.
    store = Neo4jStore(settings, connection_timeout=3.0, max_attempts=2)
    try:
        with user_errors():  # a bad setting (an API key entry, say): one line naming it
            app = create_app(settings, store)
        _say_if_neo4j_refuses(store)
        console.print(
            f"Serving DigiSpine on http://{host}:{port}  (GraphiQL: /graphql, explorer: /explore, "
            "SPARQL: /sparql, catalog: /catalog.jsonld, readiness: /readyz)"
        )
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
    finally:
        store.close()


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
) -> None:
    """Serve the HTTP API (GraphQL with GraphiQL, data products, health) with uvicorn."""
    settings = settings_or_exit()
    serve_app(settings, host or settings.http_host, port or settings.http_port)


if __name__ == "__main__":
    app()
