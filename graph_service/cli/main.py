"""Entry point of the `digispine` command."""

from __future__ import annotations

import typer

from graph_service.cli import (
    apikey_cmd,
    data_cmd,
    demo_cmd,
    export_cmd,
    kafka_cmd,
    load_cmd,
    neo4j_cmd,
    ontology,
    query_cmd,
    rdf_cmd,
)
from graph_service.cli.common import console, settings_or_exit
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
app.command("simulate")(data_cmd.simulate)
app.add_typer(load_cmd.deadletters_app, name="deadletters")
app.command("load")(load_cmd.load)
app.command("demo")(demo_cmd.demo)
app.add_typer(apikey_cmd.app, name="apikey")
app.command("query")(query_cmd.query)
app.command("export")(export_cmd.export)
app.add_typer(rdf_cmd.app, name="rdf")


def serve_app(settings: Settings, host: str, port: int) -> None:
    """Run the API with uvicorn (blocks until stopped)."""
    import uvicorn

    from graph_service.api.app import create_app

    console.print(
        f"Serving DigiSpine on http://{host}:{port}  (GraphiQL: /graphql, explorer: /explore, "
        "SPARQL: /sparql, catalog: /catalog.jsonld, readiness: /readyz)"
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


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
