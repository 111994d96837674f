"""`digispine kafka …`: install, start, stop, inspect the local Kafka broker."""

from __future__ import annotations

import typer

from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.cli.local_server_cmd import LocalServerCommands, add_server_commands
from graph_service.kafka.local_kafka import LocalKafka
from graph_service.settings import Settings

app = typer.Typer(help="Manage the local Kafka broker (does nothing when DIGISPINE_KAFKA_BOOTSTRAP is set).")


def _external(settings: Settings) -> str | None:
    if not settings.external_kafka:
        return None
    return (
        f"An external Kafka is in use (DIGISPINE_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}); "
        "nothing to do locally."
    )


@app.command()
def install() -> None:
    """Fetch the Kafka broker artifacts from Maven Central (cached; idempotent)."""
    settings = settings_or_exit()
    local = LocalKafka(settings)
    with user_errors():
        path = local.install(echo)
    console.print(f"Kafka {settings.kafka_version} artifacts: {path}")


add_server_commands(
    app,
    LocalServerCommands(
        title="Kafka",
        make=LocalKafka,
        external=_external,
        external_record=lambda settings: {"status": "external", "bootstrap": settings.kafka_bootstrap},
        started=lambda status: (
            f"[green]Kafka {status.version} running[/] on {status.bootstrap_servers} "
            f"(pid {status.pid}, data {status.home})"
        ),
        record=lambda state, settings: {
            "version": state.version or settings.kafka_version,
            "bootstrap": state.bootstrap_servers,
            "controller": f"127.0.0.1:{state.controller_port}",
            "pid": state.pid,
            "data dir": str(state.home),
        },
        follow_log=lambda local: local.server_log,
        start_help="Start the local Kafka broker and return once it answers.",
        stop_help="Stop the local Kafka broker gracefully.",
        status_help="Print running/stopped, version, ports and data directory. Exit 3 when stopped.",
        logs_help="Tail the local Kafka server log.",
    ),
)
