"""`digispine export`: the graph, or one class, as RDF (streaming); `digispine export ocel FILE`:
the graph as an OCEL 2.0 log (:mod:`graph_service.cli.ocel_cmd`)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import typer

from graph_service.cli import ocel_cmd
from graph_service.cli.common import err_console, settings_or_exit, user_errors

app = typer.Typer(
    help="Write the graph out: as RDF (the options below), or as an OCEL 2.0 log (`export ocel`).",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.command("ocel")(ocel_cmd.export_ocel)


@app.callback(invoke_without_command=True)
def export(
    ctx: typer.Context,
    class_name: str = typer.Option(None, "--class", help="Only this class and its subclasses."),
    fmt: str = typer.Option("ttl", "--format", "-f", help="ttl, nt or jsonld."),
    out: str = typer.Option("-", "--out", "-o", help="Output file; - for stdout."),
    include_personal_data: bool = typer.Option(
        False,
        "--include-personal-data",
        help="Also write the properties the ontology marks personal data (left out by default).",
    ),
) -> None:
    """Write the graph as RDF with the ontology's IRIs (events as PROV-O activities), streaming.

    Personal data is left out unless --include-personal-data; stderr says what was left out.
    `digispine export ocel FILE` writes an OCEL 2.0 log instead."""
    if ctx.invoked_subcommand is not None:  # `export ocel ...`: the subcommand does the work
        return
    from graph_service.ontology.compiler import load_model
    from graph_service.rdf.export import export as run_export
    from graph_service.store import Neo4jStore

    settings = settings_or_exit()
    with user_errors(), Neo4jStore(settings) as store:
        model = load_model(settings.ontology_paths)

        def progress(stats: object) -> None:
            err_console.print(f"… {stats.summary()}", highlight=False)  # type: ignore[attr-defined]

        with _output(out) as handle:
            stats = run_export(
                store,
                model,
                handle,
                fmt=fmt,
                class_name=class_name,
                base=settings.rdf_base,
                progress=progress,
                include_personal_data=include_personal_data,
            )
    err_console.print(f"exported {stats.summary()}" + (f" to {out}" if out != "-" else ""), highlight=False)
    left_out = stats.left_out_summary()
    if left_out:
        err_console.print(f"{left_out}; pass --include-personal-data to include them", highlight=False)
    elif include_personal_data:
        err_console.print("the export includes personal data (--include-personal-data)", highlight=False)


@contextlib.contextmanager
def _output(out: str) -> Iterator[IO[str]]:
    if out == "-":
        yield sys.stdout
        return
    with Path(out).open("w", encoding="utf-8") as handle:
        yield handle
