"""`digispine export`: the graph, or one class, as RDF (streaming)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from graph_service.cli.common import err_console, settings_or_exit, user_errors


def export(
    class_name: str = typer.Option(None, "--class", help="Only this class and its subclasses."),
    fmt: str = typer.Option("ttl", "--format", "-f", help="ttl, nt or jsonld."),
    out: str = typer.Option("-", "--out", "-o", help="Output file; - for stdout."),
) -> None:
    """Write the graph as RDF with the ontology's IRIs (events as PROV-O activities), streaming."""
    from graph_service.ontology.compiler import load_model
    from graph_service.rdf.export import export as run_export
    from graph_service.store import Neo4jStore

    settings = settings_or_exit()
    with user_errors(), Neo4jStore(settings) as store:
        model = load_model(settings.ontology_dir)

        def progress(stats: object) -> None:
            err_console.print(f"… {stats.summary()}", highlight=False)  # type: ignore[attr-defined]

        if out == "-":
            stats = run_export(
                store,
                model,
                sys.stdout,
                fmt=fmt,
                class_name=class_name,
                base=settings.rdf_base,
                progress=progress,
            )
        else:
            with Path(out).open("w", encoding="utf-8") as handle:
                stats = run_export(
                    store,
                    model,
                    handle,
                    fmt=fmt,
                    class_name=class_name,
                    base=settings.rdf_base,
                    progress=progress,
                )
    err_console.print(f"exported {stats.summary()}" + (f" to {out}" if out != "-" else ""), highlight=False)
