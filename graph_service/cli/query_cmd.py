"""`digispine query`: read-only Cypher (or a named query) from the command line."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

import typer

from graph_service.cli.common import console, err_console, settings_or_exit, user_errors


def query(
    cypher: str = typer.Argument(None, help="The Cypher statement (read-only). Omit with --name."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="k=v; v is read as JSON when it parses (42, true, [1,2]), else as text."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    name: str = typer.Option(None, "--name", "-n", help="Run a named query (a data product) instead."),
    version: str = typer.Option(None, "--version", help="Version of the named query (default: latest)."),
    limit: int = typer.Option(
        None, "--limit", min=0, help="At most this many rows (≤ DIGISPINE_CYPHER_MAX_ROWS)."
    ),
    timeout: float = typer.Option(
        None, "--timeout", min=0.001, help="Seconds (≤ DIGISPINE_CYPHER_TIMEOUT_S)."
    ),
    include_personal_data: bool = typer.Option(
        False,
        "--include-personal-data",
        help="Read personal-data properties too (as the role personal-data); left out otherwise.",
    ),
) -> None:
    """Run Cypher read-only against the graph, under the same guard as POST /cypher: only reads
    of the graph's data, no personal data unless --include-personal-data; nothing is committed."""
    from graph_service.analytics.cypher import CypherError, ReadOnlyCypher
    from graph_service.ontology.compiler import load_model
    from graph_service.store import Neo4jStore

    if fmt not in ("table", "json", "csv"):
        err_console.print(f"[red]--format must be table, json or csv; got {fmt!r}[/]")
        raise typer.Exit(2)
    if (cypher is None) == (name is None):
        err_console.print("[red]give either a Cypher statement or --name[/]")
        raise typer.Exit(2)
    settings = settings_or_exit()
    parameters = dict(_parameter(p) for p in param)
    with user_errors(), Neo4jStore(settings) as store:
        model = load_model(settings.ontology_paths)
        runner = ReadOnlyCypher.from_settings(
            settings, store, model, products=_registry(settings, model) if name else None
        )
        personal = include_personal_data
        try:
            if name:
                result = runner.run_named(
                    name, parameters, version=version, personal_data=personal, limit=limit, timeout_s=timeout
                )
            else:
                result = runner.run(
                    cypher, parameters, personal_data=personal, limit=limit, timeout_s=timeout
                )
        except CypherError as exc:
            _show_error(exc, cypher)
            raise typer.Exit(1) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows([[_cell(v) for v in row] for row in result.rows])
    else:
        from rich.table import Table

        table = Table(*result.columns, show_lines=False)
        for row in result.rows:
            table.add_row(*[_cell(v) for v in row])
        console.print(table)
        more = f" (truncated at the {_LIMITS[result.truncated_by]})" if result.truncated_by else ""
        err_console.print(f"{len(result.rows)} row(s){more} in {result.elapsed_ms:.0f} ms")
    if result.truncated_by and fmt != "table":
        err_console.print(f"truncated at {len(result.rows)} rows (the {_LIMITS[result.truncated_by]})")


_LIMITS = {"rows": "row limit", "bytes": "response-size limit"}


def _parameter(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        err_console.print(f"[red]--param must look like name=value; got {text!r}[/]")
        raise typer.Exit(2)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _show_error(exc: Any, cypher: str | None) -> None:
    head = f"{exc.kind} error" + (f" ({exc.code})" if exc.code else "")
    err_console.print(f"[bold red]{head}:[/] {_escape(str(exc))}")
    if exc.position and cypher:
        lines = cypher.splitlines() or [cypher]
        line = exc.position["line"]
        if 1 <= line <= len(lines):
            err_console.print("  " + _escape(lines[line - 1]))
            err_console.print("  " + " " * (exc.position["column"] - 1) + "^")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _registry(settings: Any, model: Any) -> Any:
    from graph_service.products.registry import ProductRegistry
    from graph_service.products.service import ProductPaths

    paths = ProductPaths.from_settings(settings)
    return ProductRegistry.load(paths.queries_dirs, paths.shapes_dirs, model)
