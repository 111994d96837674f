"""`digispine neo4j …`: install, start, stop, inspect the local Neo4j server."""

from __future__ import annotations

import typer

from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.cli.local_server_cmd import LocalServerCommands, add_server_commands
from graph_service.settings import Settings
from graph_service.store.local_neo4j import LocalNeo4j

app = typer.Typer(help="Manage the local Neo4j server (does nothing when NEO4J_URI is set).")


def _external(settings: Settings) -> str | None:
    if not settings.external_neo4j:
        return None
    return f"An external Neo4j is in use (NEO4J_URI={settings.neo4j_uri}); nothing to do locally."


@app.command()
def install() -> None:
    """Fetch the Neo4j Community artifacts from Maven Central (cached; idempotent)."""
    settings = settings_or_exit()
    local = LocalNeo4j(settings)
    with user_errors():
        path = local.install(echo)
    console.print(f"Neo4j {settings.neo4j_version} artifacts: {path}")


add_server_commands(
    app,
    LocalServerCommands(
        title="Neo4j",
        make=LocalNeo4j,
        external=_external,
        external_record=lambda settings: {"status": "external", "uri": settings.neo4j_uri},
        started=lambda status: (
            f"[green]Neo4j {status.version} running[/] on bolt://127.0.0.1:{status.port} "
            f"(pid {status.pid}, data {status.home})"
        ),
        record=lambda state, settings: {
            "version": state.version or settings.neo4j_version,
            "bolt": f"bolt://127.0.0.1:{state.port}",
            "pid": state.pid,
            "data dir": str(state.home),
        },
        follow_log=lambda local: local.neo4j_log,
        not_answering="running (not answering on Bolt yet)",
        start_help="Start the local Neo4j and return once Bolt answers.",
        stop_help="Stop the local Neo4j gracefully.",
        status_help="Print running/stopped, version, port and data directory. Exit 3 when stopped.",
        logs_help="Tail the local Neo4j log.",
    ),
)
