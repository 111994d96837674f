"""`digispine export ocel FILE`: the graph's events and entities as an OCEL 2.0 log (JSON or SQLite)."""

from __future__ import annotations

from pathlib import Path

import typer

from graph_service.cli.common import err_console, settings_or_exit, user_errors

#: The file name endings of each OCEL 2.0 form.
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
JSON_SUFFIXES = (".json", ".jsonocel")


def export_ocel(
    file: Path = typer.Argument(
        ..., help="The log to write: *.json / *.jsonocel (JSON) or *.sqlite (SQLite)."
    ),
    include_personal_data: bool = typer.Option(
        False,
        "--include-personal-data",
        help="Also write the properties the ontology marks personal data (left out by default).",
    ),
) -> None:
    """Write the graph as an OCEL 2.0 log (JSON or SQLite, by the file's name); pm4py reads it.

    Events, objects, event-object links (the links' roles as qualifiers), object-object links
    (the relations' labels) and attribute values over time. The ocel adapter's object records
    are not events of the log: their values are the objects' attribute values. Personal data is
    left out unless --include-personal-data."""
    from graph_service.ocel.export import export_log
    from graph_service.ocel.ocel_json import write_json
    from graph_service.ocel.ocel_sqlite import write_sqlite
    from graph_service.ontology.compiler import load_model
    from graph_service.store import Neo4jStore

    suffix = file.suffix.lower()
    if suffix not in SQLITE_SUFFIXES + JSON_SUFFIXES:
        err_console.print(
            f"[red]error:[/] {file}: name the log *.json or *.jsonocel (JSON form) or *.sqlite (SQLite form)"
        )
        raise typer.Exit(2)
    settings = settings_or_exit()
    with user_errors(), Neo4jStore(settings) as store:
        model = load_model(settings.ontology_paths)
        exported = export_log(store, model, include_personal_data=include_personal_data)
    (write_sqlite if suffix in SQLITE_SUFFIXES else write_json)(exported.log, file)
    err_console.print(f"exported {exported.summary()} to {file}", highlight=False)
    left_out = exported.left_out_summary()
    if left_out:
        err_console.print(f"{left_out}; pass --include-personal-data to include them", highlight=False)
    elif include_personal_data:
        err_console.print("the log includes personal data (--include-personal-data)", highlight=False)
