"""`digispine ontology check|diff|docs`: feedback on the ontology for the people who edit it."""

from __future__ import annotations

import json
import tempfile
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from graph_service.cli.common import settings_or_exit, user_errors
from graph_service.ontology.check import CheckReport, check_ontology
from graph_service.ontology.compiler import compile_ontology
from graph_service.ontology.diff import diff_models
from graph_service.ontology.diff_text import format_diff
from graph_service.ontology.docs import write_docs
from graph_service.ontology.errors import OntologyError
from graph_service.ontology.model import DomainModel
from graph_service.ontology.revisions import ontology_dir

app = typer.Typer(
    help="Check, compare and document the ontology (the Turtle modules in ontology/).",
    no_args_is_help=True,
)

#: Exit codes: 0 fine, 1 errors in the ontology (or a usage problem), 2 breaking changes (diff).
EXIT_ERRORS = 1
EXIT_BREAKING = 2


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


DirectoryArg = Annotated[
    Path | None,
    typer.Argument(
        help="Ontology directory (default: DIGISPINE_ONTOLOGY_DIR, i.e. ontology/)",
        show_default=False,
    ),
]


@app.command()
def check(
    directory: DirectoryArg = None,
    shapes: Annotated[
        Path | None,
        typer.Option(help="Lint shapes directory (default: DIGISPINE_SHAPES_DIR/ontology)"),
    ] = None,
    reason: Annotated[
        bool,
        typer.Option("--reason/--no-reason", help="Run the OWL reasoner (consistency, unsatisfiable)."),
    ] = True,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format: text or json.")
    ] = OutputFormat.text,
) -> None:
    """Syntax, lint (SHACL shapes), name clashes and logical consistency. Exit 1 on errors."""
    settings = settings_or_exit()
    sources = directory or settings.ontology_paths
    started = time.perf_counter()
    with user_errors():
        report = check_ontology(
            sources, lint_shapes=shapes or settings.shapes_dir / "ontology", reason=reason
        )
    elapsed = time.perf_counter() - started
    if output is OutputFormat.json:
        typer.echo(json.dumps(_check_json(report, elapsed), indent=2, ensure_ascii=False))
    else:
        _print_check(report, elapsed)
    if not report.ok:
        raise typer.Exit(EXIT_ERRORS)


def _print_check(report: CheckReport, seconds: float) -> None:
    # the time shown is the check's wall time, the lint and reasoner's imports included
    for problem in report.problems:
        color = typer.colors.RED if problem.is_error else typer.colors.YELLOW
        typer.echo(typer.style(str(problem), fg=color))
    sizes = ""
    if report.model is not None:
        model = report.model
        sizes = (
            f" ({len(model.classes)} classes, {len(model.datatype_properties)} datatype "
            f"properties, {len(model.relations)} relations)"
        )
    verdict = "check passed" if report.ok else "check failed"
    typer.echo(
        f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s) in "
        f"{len(report.files)} file(s){sizes} in {seconds:.1f} s"
    )


def _check_json(report: CheckReport, seconds: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3),
        "ok": report.ok,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "files": list(report.files),
        "problems": [p.as_dict() for p in report.problems],
        "durations": {k: round(v, 3) for k, v in sorted(report.durations.items())},
    }


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Old ontology: a directory or a git revision (main, HEAD~1).")],
    new: Annotated[str, typer.Argument(help="New ontology: a directory or a git revision.")],
    path: Annotated[
        Path | None,
        typer.Option(help="Ontology folder inside git revisions (default: ontology)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    streams: Annotated[
        Path | None,
        typer.Option(help="Stream descriptors the change must not break (default: DIGISPINE_STREAMS_DIR)"),
    ] = None,
    mappings: Annotated[
        Path | None,
        typer.Option(help="Event mappings of the streams' input classes (default: DIGISPINE_MAPPINGS_DIRS)"),
    ] = None,
) -> None:
    """Added, removed and changed terms, each breaking or compatible, and the declared streams a
    change breaks (an input's event class or the key removed). Exit 2 when breaking."""
    from graph_service.streams.registry import stream_uses

    settings = settings_or_exit()
    folder = path or settings.ontology_dir
    with user_errors(), tempfile.TemporaryDirectory(prefix="digispine-diff-") as scratch:
        old_model = _model_for(old, folder, Path(scratch) / "old")
        new_model = _model_for(new, folder, Path(scratch) / "new")
    uses = stream_uses(streams or settings.streams_dir, mappings or settings.mappings_dirs)
    result = diff_models(old_model, new_model, uses)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(format_diff(result, old_name=old, new_name=new), nl=False)
    if result.is_breaking:
        raise typer.Exit(EXIT_BREAKING)


def _model_for(argument: str, folder: Path, scratch: Path) -> DomainModel:
    directory = ontology_dir(argument, path=folder, repo=Path.cwd(), scratch=scratch)
    result = compile_ontology(directory)
    if result.model is None:
        raise OntologyError(f"{argument}: the ontology does not parse", result.errors)
    if result.errors:
        typer.echo(
            f"warning: {argument} has {len(result.errors)} ontology error(s); the diff covers "
            "the terms that compiled (run `digispine ontology check`)",
            err=True,
        )
    return result.model


@app.command()
def docs(
    directory: DirectoryArg = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("site/ontology"),
) -> None:
    """Static HTML glossary: bounded contexts, classes with labels, keys, properties, diagrams."""
    settings = settings_or_exit()
    sources = directory or settings.ontology_paths
    with user_errors():
        result = compile_ontology(sources)
        if result.model is None:
            raise OntologyError("the ontology does not parse", result.errors)
        from graph_service.api.class_queries import class_queries  # each class's GraphQL fields

        written = write_docs(result.model, out, queries=class_queries(result.model))
    if result.errors:
        typer.echo(
            f"warning: {len(result.errors)} ontology error(s); terms that did not compile are "
            "missing (run `digispine ontology check`)",
            err=True,
        )
    typer.echo(f"wrote {len(written)} page(s) to {out}; open {out / 'index.html'}")


@app.command()
def shapes(
    directory: DirectoryArg = None,
    out: Annotated[
        Path | None, typer.Option(help="Entity shapes file [default: <shapes dir>/entities/entities.ttl].")
    ] = None,
    mappings: Annotated[
        Path | None,
        typer.Option(help="Event mappings the payload contracts follow (default: DIGISPINE_MAPPINGS_DIRS)"),
    ] = None,
    docs_file: Annotated[
        Path, typer.Option("--docs", help="Document holding the generated event-type table.")
    ] = Path("docs/loaders.md"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a committed file is stale.")
    ] = False,
) -> None:
    """Generate what follows from the ontology and the mappings: the instance-data shapes
    (shapes/entities/), the event payload contracts (shapes/events/, hand-written additions from
    shapes/events/extra/ merged) and the event-type table of docs/loaders.md."""
    from graph_service.ontology.compiler import load_model
    from graph_service.rdf.shapes import entity_shapes
    from loaders.contracts import event_table, generated_files, stale_files, with_event_table, write_files
    from loaders.mapping import load_mappings

    settings = settings_or_exit()
    entities = out or settings.shapes_dir / "entities" / "entities.ttl"
    events_dir = settings.shapes_dir / "events"
    with user_errors():
        model = load_model(directory or settings.ontology_paths)
        mapper = load_mappings(mappings or settings.mappings_dirs, model)
        expected = dict(generated_files(model, mapper, events_dir))
        expected[entities] = entity_shapes(model)
        if docs_file.exists():
            table = event_table(model, mapper)
            expected[docs_file] = with_event_table(docs_file.read_text(encoding="utf-8"), table)
    if check:
        stale = stale_files(expected, events_dir)
        for line in stale:
            typer.echo(typer.style(line, fg=typer.colors.RED))
        if stale:
            typer.echo("run `digispine ontology shapes` and commit the result")
            raise typer.Exit(EXIT_ERRORS)
        typer.echo(f"up to date: {len(expected)} generated file(s)")
        return
    written = write_files(expected, events_dir)
    typer.echo(f"wrote {len(written)} file(s): " + ", ".join(str(p) for p in written))
