"""`digispine kafka …`: install, start, stop, inspect the local Kafka broker."""

from __future__ import annotations

import time

import typer

from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.cli.listing import print_record
from graph_service.kafka.local_kafka import LocalKafka
from graph_service.settings import Settings

app = typer.Typer(help="Manage the local Kafka broker (does nothing when DIGISPINE_KAFKA_BOOTSTRAP is set).")


def _local_or_none(settings: Settings) -> LocalKafka | None:
    if settings.external_kafka:
        console.print(
            f"An external Kafka is in use (DIGISPINE_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}); "
            "nothing to do locally."
        )
        return None
    return LocalKafka(settings)


@app.command()
def install() -> None:
    """Fetch the Kafka broker artifacts from Maven Central (cached; idempotent)."""
    settings = settings_or_exit()
    local = LocalKafka(settings)
    with user_errors():
        path = local.install(echo)
    console.print(f"Kafka {settings.kafka_version} artifacts: {path}")


@app.command()
def start() -> None:
    """Start the local Kafka broker and return once it answers."""
    settings = settings_or_exit()
    local = _local_or_none(settings)
    if local is None:
        return
    with user_errors():
        status = local.start(echo)
    console.print(
        f"[green]Kafka {status.version} running[/] on {status.bootstrap_servers} "
        f"(pid {status.pid}, data {status.home})"
    )


@app.command()
def stop() -> None:
    """Stop the local Kafka broker gracefully."""
    settings = settings_or_exit()
    local = _local_or_none(settings)
    if local is None:
        return
    with user_errors():
        stopped = local.stop(echo=echo)
    console.print("Kafka stopped." if stopped else "Kafka was not running.")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="A JSON object.")) -> None:
    """Print running/stopped, version, ports and data directory. Exit 3 when stopped."""
    settings = settings_or_exit()
    if as_json and settings.external_kafka:
        print_record(console, {"status": "external", "bootstrap": settings.kafka_bootstrap}, as_json=True)
        return
    local = _local_or_none(settings)
    if local is None:
        return
    state = local.status()
    word = "running" if state.running else "stopped"
    if state.running and not state.answering:
        word = "running (not answering yet)"
    record = {
        "status": word,
        "version": state.version or settings.kafka_version,
        "bootstrap": state.bootstrap_servers,
        "controller": f"127.0.0.1:{state.controller_port}",
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
    """Tail the local Kafka server log."""
    settings = settings_or_exit()
    local = _local_or_none(settings)
    if local is None:
        return
    print(local.log_tail(lines))
    if not follow or not local.server_log.exists():
        return
    with open(local.server_log, encoding="utf-8", errors="replace") as fh:
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
