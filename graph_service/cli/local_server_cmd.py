"""`start`, `stop`, `status`, `logs` of a local server (Neo4j, Kafka, mosquitto), written once.

Each command group describes its server in a :class:`LocalServerCommands` (how to build it, what
"external" means, the lines it prints) and :func:`add_server_commands` adds the four commands to
its typer app. The servers share the :class:`~graph_service.local_server.LocalServer` base, so the
commands differ only in words and in the fields of ``status``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from graph_service.cli.common import console, echo, settings_or_exit, user_errors
from graph_service.cli.listing import print_record
from graph_service.settings import Settings


@dataclass(frozen=True)
class LocalServerCommands:
    """What the four commands need to know of one kind of local server."""

    #: The server's name in messages ("Neo4j").
    title: str
    #: The local server of ``settings`` (a LocalServer subclass).
    make: Callable[[Settings], Any]
    #: The message when an external server is configured, else None: the commands do nothing then.
    external: Callable[[Settings], str | None]
    #: ``status --json`` with an external server: the record printed instead.
    external_record: Callable[[Settings], Mapping[str, Any]]
    #: The line ``start`` prints, from the started server's status.
    started: Callable[[Any], str]
    #: The ``status`` record but its first field, from the server's status and the settings.
    record: Callable[[Any, Settings], Mapping[str, Any]]
    #: The log file ``logs --follow`` reads; None: no ``--follow``.
    follow_log: Callable[[Any], Path] | None = None
    #: The ``status`` word of a server that runs but does not answer yet.
    not_answering: str = "running (not answering yet)"
    #: The ``status`` record with an external server also without ``--json``.
    external_status_always: bool = False
    #: Seconds ``stop`` waits for a graceful stop (None: the server's own default).
    stop_timeout: float | None = None
    #: Help texts of the commands.
    start_help: str = ""
    stop_help: str = ""
    status_help: str = ""
    logs_help: str = ""


def add_server_commands(app: typer.Typer, spec: LocalServerCommands) -> None:
    """Add ``start``, ``stop``, ``status`` and ``logs`` for ``spec``'s server to ``app``."""

    def local_or_none(settings: Settings) -> Any:
        message = spec.external(settings)
        if message is not None:
            console.print(message)
            return None
        return spec.make(settings)

    @app.command(help=spec.start_help)
    def start() -> None:
        local = local_or_none(settings_or_exit())
        if local is None:
            return
        with user_errors():
            status = local.start(echo)
        console.print(spec.started(status))

    @app.command(help=spec.stop_help)
    def stop() -> None:
        local = local_or_none(settings_or_exit())
        if local is None:
            return
        timeout = {} if spec.stop_timeout is None else {"timeout": spec.stop_timeout}
        with user_errors():
            stopped = local.stop(echo=echo, **timeout)
        console.print(f"{spec.title} stopped." if stopped else f"{spec.title} was not running.")

    @app.command(help=spec.status_help)
    def status(as_json: bool = typer.Option(False, "--json", help="A JSON object.")) -> None:
        settings = settings_or_exit()
        if spec.external(settings) is not None and (as_json or spec.external_status_always):
            print_record(console, dict(spec.external_record(settings)), as_json=as_json)
            return
        local = local_or_none(settings)
        if local is None:
            return
        state = local.status()
        word = "running" if state.running else "stopped"
        if state.running and not state.answering:
            word = spec.not_answering
        print_record(console, {"status": word, **spec.record(state, settings)}, as_json=as_json)
        if not state.running:
            raise typer.Exit(3)

    if spec.follow_log is None:

        @app.command(help=spec.logs_help)
        def logs(lines: int = typer.Option(50, "--lines", "-n", help="How many lines to show.")) -> None:
            local = local_or_none(settings_or_exit())
            if local is not None:
                print(local.log_tail(lines))

        return
    follow_log = spec.follow_log

    @app.command(name="logs", help=spec.logs_help)
    def logs_following(
        lines: int = typer.Option(50, "--lines", "-n", help="How many lines to show."),
        follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
    ) -> None:
        local = local_or_none(settings_or_exit())
        if local is None:
            return
        print(local.log_tail(lines))
        path = follow_log(local)
        if follow and path.exists():
            _follow(path)


def _follow(path: Path) -> None:
    """Print the lines appended to ``path`` until interrupted (Ctrl-C)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        fh.seek(0, 2)
        try:
            while True:
                line = fh.readline()
                if line:
                    print(line, end="")
                else:
                    time.sleep(0.5)  # polling a log file: nothing to wait on but new bytes
        except KeyboardInterrupt:
            return
