"""Helpers shared by CLI commands: settings loading and error display."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console

from graph_service.errors import DigiSpineError
from graph_service.observability.logs import configure_logging
from graph_service.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


def settings_or_exit(**overrides: object) -> Settings:
    """Load settings; on a bad value print which variable was wrong and exit 2."""
    try:
        settings = load_settings(**overrides)
    except ValidationError as exc:
        err_console.print("[bold red]Invalid configuration:[/]")
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            err_console.print(f"  {where}: {error['msg']}")
        raise typer.Exit(2) from None
    configure_logging(settings)  # DIGISPINE_LOG_FORMAT: text or json, with request ids
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    return settings


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
