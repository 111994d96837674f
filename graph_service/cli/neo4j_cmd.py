"""`digispine neo4j …`: install, start, stop, inspect the local Neo4j server."""

from __future__ import annotations

import time

import typer

from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.cli.listing import print_record
from graph_service.settings import Settings
from graph_service.store.local_neo4j import LocalNeo4j

app = typer.Typer(help="Manage the local Neo4j server (does nothing when NEO4J_URI is set).")


def _local_or_none(settings: Settings) -> LocalNeo4j | None:
    if settings.external_neo4j:
        console.print(f"An external Neo4j is in use (NEO4J_URI={settings.neo4j_uri}); nothing to do locally.")
        return None
    return LocalNeo4j(settings)


@app.command()
def install() -> None:
    """Fetch the Neo4j Community artifacts from Maven Central (cached; idempotent)."""
    settings = settings_or_exit()
    local = LocalNeo4j(settings)
    with user_errors():
        path = local.install(echo)
    console.print(f"Neo4j {settings.neo4j_version} artifacts: {path}")


@app.command()
def start() -> None:
    """Start the local Neo4j and return once Bolt answers."""
    settings = settings_or_exit()
    local = _local_or_none(settings)
    if local is None:
        return
    with user_errors():
        status = local.start(echo)
    console.print(
        f"[green]Neo4j {status.version} running[/] on bolt://127.0.0.1:{status.port} "
        f"(pid {status.pid}, data {status.home})"
    )


@app.command()
def stop() -> None:
    """Stop the local Neo4j gracefully."""
    settings = settings_or_exit()
    local = _local_or_none(settings)
    if local is None:
        return
    with user_errors():
        stopped = local.stop(echo=echo)
    console.print("Neo4j stopped." if stopped else "Neo4j was not running.")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="A JSON object.")) -> None:
    """Print running/stopped, version, port and data directory. Exit 3 when stopped."""
    settings = settings_or_exit()
    if as_json and settings.external_neo4j:
        print_record(console, {"status": "external", "uri": settings.neo4j_uri}, as_json=True)
        return
    local = _local_or_none(settings)
    if local is None:
        return
    state = local.status()
    word = "running" if state.running else "stopped"
    if state.running and not state.answering:
        word = "running (not answering on Bolt yet)"
    record = {
        "status": word,
        "version": state.version or settings.neo4j_version,
        "bolt": f"bolt://127.0.0.1:{state.port}",
        "pid": state.pid,
        "data dir": str(state.home),
    }
    print_record(console, record, as_json=as_json)
    if not state.running:
        raise typer.Exit(3)


@app.command()
def logs(
    lines: int = typer.Option(50, "--lines", "-n", help="How many lines to show."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
) -> None:
    """Tail the local Neo4j log."""
    settings = settings_or_exit()
    local = _local_or_none(settings)
    if local is None:
        return
    print(local.log_tail(lines))
    if not follow:
        return
    path = local.neo4j_log
    with open(path, encoding="utf-8", errors="replace") as fh:
        fh.seek(0, 2)
        try:
            while True:
                line = fh.readline()
                if line:
                    print(line, end="")
                else:
                    time.sleep(0.5)
        except KeyboardInterrupt:
            return
