"""Reading the ontology directory: the Turtle files, their parse, their hash and their line index."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from graph_service.ontology.errors import SourceUnavailable
from graph_service.ontology.lines import LineIndex, index_turtle
from graph_service.ontology.model import SourceLocation
from graph_service.ontology.namespaces import RDF
from graph_service.ontology.problems import ERROR, Problem


@dataclass(frozen=True)
class SourceFile:
    """One Turtle file. ``display`` is the path as shown to users (directory as given + name)."""

    path: Path
    display: str
    data: bytes


@dataclass(frozen=True)
class ParsedFile:
    source: SourceFile
    graph: Graph
    lines: LineIndex


@dataclass(frozen=True)
class ParsedSources:
    """Every file parsed on its own, their union, and the problems met while reading."""

    files: tuple[ParsedFile, ...]
    union: Graph
    problems: tuple[Problem, ...]
    content_hash: str

    def locate(self, iri: str) -> SourceLocation | None:
        """Where ``iri`` is declared: the file typing it (``a owl:Class`` …), else the first
        file stating anything about it, else its first mention."""
        declaring = [f for f in self.files if (URIRef(iri), RDF.type, None) in f.graph]
        for parsed in (*declaring, *self.files):
            line = parsed.lines.subjects.get(iri)
            if line is not None:
                return SourceLocation(parsed.source.display, line)
        for parsed in self.files:
            line = parsed.lines.mentions.get(iri)
            if line is not None:
                return SourceLocation(parsed.source.display, line)
        return None

    def declaring_file(self, iri: str) -> ParsedFile | None:
        """The first file (by name) that gives ``iri`` an ``rdf:type``."""
        for parsed in self.files:
            if (URIRef(iri), RDF.type, None) in parsed.graph:
                return parsed
        return None


#: One ontology directory, or several: the core and extension modules (DIGISPINE_ONTOLOGY_DIRS).
Directories = Path | Sequence[Path]


def directories(directory: Directories) -> tuple[Path, ...]:
    if isinstance(directory, str | Path):  # a str too: callers pass "ontology"
        return (Path(directory),)
    return tuple(Path(d) for d in directory)


def read_sources(directory: Directories) -> tuple[SourceFile, ...]:
    """The ``*.ttl`` files of ``directory`` (or of several: the core, then extension modules),
    each directory's sorted by name. A module name may occur once."""
    files: list[SourceFile] = []
    seen: dict[str, Path] = {}
    for folder in directories(directory):
        if not folder.is_dir():
            raise SourceUnavailable(
                f"ontology directory {folder} does not exist; pass the directory holding the "
                "*.ttl modules, or set DIGISPINE_ONTOLOGY_DIR (extension modules: DIGISPINE_ONTOLOGY_DIRS)"
            )
        for path in sorted(folder.glob("*.ttl")):
            if path.name in seen:
                raise SourceUnavailable(
                    f"ontology module {path.name} is in {seen[path.name]} and in {folder}; give an "
                    "extension module a file name of its own"
                )
            seen[path.name] = folder
            files.append(SourceFile(path, str(folder / path.name), path.read_bytes()))
    return tuple(files)


def content_hash(files: Iterable[SourceFile]) -> str:
    """sha256 over file names and bytes: equal for equal ontologies, whatever their location."""
    digest = hashlib.sha256()
    for source in sorted(files, key=lambda f: f.path.name):
        name = source.path.name.encode()
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(source.data).to_bytes(8, "big") + source.data)
    return digest.hexdigest()


def parse_sources(directory: Directories) -> ParsedSources:
    """Parse every file; syntax errors become problems (with file and line), not exceptions."""
    sources = read_sources(directory)
    problems: list[Problem] = []
    if not sources:
        problems.append(
            Problem(
                severity=ERROR,
                code="no-ontology-files",
                message=f"no *.ttl files in {', '.join(map(str, directories(directory)))}; the "
                "ontology modules belong there",
                file=str(directories(directory)[0]),
            )
        )
    parsed = [p for p in (_parse(source, problems) for source in sources) if p is not None]
    return ParsedSources(
        files=tuple(parsed),
        union=_union(p.graph for p in parsed),
        problems=tuple(problems),
        content_hash=content_hash(sources),
    )


def _parse(source: SourceFile, problems: list[Problem]) -> ParsedFile | None:
    graph = Graph()
    base = source.path.resolve().as_uri()
    try:
        graph.parse(data=source.data, format="turtle", publicID=base)
    except BadSyntax as exc:
        problems.append(_syntax_problem(source, exc))
        return None
    except (ValueError, UnicodeDecodeError) as exc:  # rdflib's other parse failures
        problems.append(Problem(severity=ERROR, code="syntax", message=str(exc), file=source.display))
        return None
    text = source.data.decode("utf-8", errors="replace")
    return ParsedFile(source, graph, index_turtle(text, base))


def _syntax_problem(source: SourceFile, exc: BadSyntax) -> Problem:
    # BadSyntax.lines counts the newlines before the error, so the 1-based line is one more.
    line = int(getattr(exc, "lines", 0)) + 1
    reason = str(getattr(exc, "_why", "") or exc).strip()
    return Problem(
        severity=ERROR,
        code="syntax",
        message=f"Turtle syntax error: {reason}; fix the statement at or just before this line",
        file=source.display,
        line=line,
    )


def _union(graphs: Iterable[Graph]) -> Graph:
    union = Graph()
    for graph in graphs:
        for prefix, namespace in graph.namespaces():
            union.bind(prefix, namespace, override=False)
        union += graph
    return union
