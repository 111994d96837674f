"""Helpers shared by CLI commands: settings loading and error display."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import AliasChoices, ValidationError
from rich.console import Console

from graph_service.errors import DigiSpineError
from graph_service.observability.logs import configure_logging
from graph_service.settings import Settings, load_settings

# soft_wrap: a long line is left to the terminal to wrap, so a path or an id is never broken
# into two lines (nor cut) when the output goes to a pipe, a file or a narrow terminal
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
#: Libraries whose INFO lines (httpx: one per request) are noise on a command's output.
QUIET_LIBRARIES = ("httpx", "httpcore", "urllib3", "asyncio", "rdflib", "pyshacl")


def settings_or_exit(**overrides: object) -> Settings:
    """Load settings; on a bad value print one line per wrong variable, naming it and its value
    (a secret's value is not shown), and exit 2."""
    try:
        settings = load_settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            err_console.print(f"[bold red]invalid configuration:[/] {_escape(config_problem(error))}")
        raise typer.Exit(2) from None
    configure_logging(settings)  # DIGISPINE_LOG_FORMAT: text or json, with request ids
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    if settings.log_level != "DEBUG":
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)
    return settings


def config_problem(error: Any) -> str:
    """``NAME='value': what is wrong`` for one pydantic error of :class:`Settings`."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a check across settings: its message names them
        return message
    name = str(error["loc"][0])
    shown = "(hidden)" if name in _secret_variables() else repr(error.get("input"))
    return f"{name}={shown}: {message}"


def _secret_variables() -> set[str]:
    names: set[str] = set()
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        if "SecretStr" in str(info.annotation) and isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
    return names


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event that SIGTERM or SIGINT sets while the block runs (a graceful stop); the previous
    handlers come back after it, so a command run in-process (as the tests run them) does not leave
    its caller deaf to Ctrl-C and SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn DigiSpine errors into a red message and exit code 1, without a traceback."""
    try:
        yield
    except DigiSpineError as exc:
        err_console.print(f"[bold red]error:[/] {_escape(str(exc))}")
        raise typer.Exit(1) from None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def echo(message: str) -> None:
    """Progress line for long work."""
    console.print(f"[dim]›[/] {_escape(message)}")
