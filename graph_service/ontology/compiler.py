"""The ontology compiler: ``ontology/*.ttl`` → :class:`DomainModel`, collecting every problem.

This is the only place in DigiSpine that reads Turtle.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graph_service.ontology.cache import ModelCache, cache_key
from graph_service.ontology.clashes import find_clashes
from graph_service.ontology.classes import build_classes
from graph_service.ontology.declarations import collect_declarations
from graph_service.ontology.errors import OntologyError
from graph_service.ontology.model import DomainModel
from graph_service.ontology.modules import model_version, read_modules
from graph_service.ontology.namespaces import DS
from graph_service.ontology.problems import WARNING, Problem, errors_in, sorted_problems
from graph_service.ontology.properties import build_datatype_properties, build_relations
from graph_service.ontology.reporting import Reporter
from graph_service.ontology.sources import Directories, ParsedSources, directories, parse_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompileResult:
    """The model (None when a file did not parse) and every problem found, sorted by place."""

    model: DomainModel | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return errors_in(self.problems)

    @property
    def ok(self) -> bool:
        return self.model is not None and not self.errors


def compile_ontology(directory: Directories) -> CompileResult:
    """Parse every ``*.ttl`` in ``directory`` and compile them into one model.

    Problems in the ontology are returned, never raised; only a missing directory raises
    :class:`~graph_service.ontology.errors.SourceUnavailable`.
    """
    return compile_sources(parse_sources(directory))


def compile_sources(sources: ParsedSources) -> CompileResult:
    """Compile already parsed sources (``check`` parses once and reuses the union graph)."""
    if errors_in(sources.problems):
        return CompileResult(None, sorted_problems(sources.problems))
    graph = sources.union
    report = Reporter(sources.locate)
    modules, module_problems = read_modules(sources.files)
    decl = collect_declarations(graph, report)
    properties = build_datatype_properties(graph, decl, report, sources.locate)
    relations = build_relations(graph, decl, report, sources.locate)
    classes = build_classes(graph, decl, properties, report, sources.locate)
    model = DomainModel(
        classes=classes,
        datatype_properties=properties,
        relations=relations,
        namespace=str(DS),
        version=model_version(modules),
        modules=modules,
        content_hash=sources.content_hash,
    )
    problems = (
        *sources.problems,
        *module_problems,
        *report.problems,
        *find_clashes(model),
        *_context_mismatches(model),
    )
    return CompileResult(model, sorted_problems(problems))


def load_model(directory: Directories, *, cache_dir: Path | None = None) -> DomainModel:
    """The compiled model; raises :class:`OntologyError` listing every error when there are any.

    With ``cache_dir`` a compiled model is kept there, keyed by the hash of the ontology files
    (and of the compiler), so an unchanged ontology loads without parsing.
    """
    cache = ModelCache(cache_dir) if cache_dir is not None else None
    key = cache_key(directory) if cache is not None else ""
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    result = compile_ontology(directory)
    if result.model is None or result.errors:
        raise OntologyError(
            f"the ontology in {', '.join(map(str, directories(directory)))} has {len(result.errors)} "
            "error(s); run "
            "`digispine ontology check` for details",
            result.errors,
        )
    for problem in result.problems:
        log.warning("ontology: %s", problem)
    if cache is not None:
        cache.put(key, result.model)
    return result.model


def _context_mismatches(model: DomainModel) -> Iterator[Problem]:
    """ds:boundedContext should name the module file that declares the term."""
    for term in model.terms():
        if term.source is None or not term.bounded_context:
            continue
        module = Path(term.source.file).stem
        if term.bounded_context != module:
            yield Problem(
                severity=WARNING,
                code="bounded-context-mismatch",
                term=f"ds:{term.name}",
                message=f"ds:boundedContext is {term.bounded_context!r} but the term is declared "
                f"in {module}.ttl; move the term or correct the context",
                file=term.source.file,
                line=term.source.line,
            )
