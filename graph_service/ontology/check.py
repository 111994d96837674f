"""``digispine ontology check`` as a function: syntax, compile, SHACL lint, names, reasoner."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from graph_service.ontology.compiler import compile_sources
from graph_service.ontology.model import DomainModel
from graph_service.ontology.problems import Problem, errors_in, sorted_problems
from graph_service.ontology.sources import Directories, parse_sources

_T = TypeVar("_T")


@dataclass(frozen=True)
class CheckReport:
    """Every problem found, the model when one could be built, and how long each phase took."""

    problems: tuple[Problem, ...]
    model: DomainModel | None
    files: tuple[str, ...]
    durations: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return errors_in(self.problems)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_ontology(directory: Directories, *, lint_shapes: Path | None, reason: bool = True) -> CheckReport:
    """Run every check on the ontology in ``directory``.

    ``lint_shapes`` is the directory of SHACL lint shapes (None skips the lint); ``reason``
    runs the OWL reasoner once for consistency and unsatisfiable classes.
    """
    durations: dict[str, float] = {}
    timed = _timer(durations)
    sources = timed("parse", lambda: parse_sources(directory))
    files = tuple(parsed.source.display for parsed in sources.files)
    if errors_in(sources.problems):
        return CheckReport(sorted_problems(sources.problems), None, files, MappingProxyType(durations))
    compiled = timed("compile", lambda: compile_sources(sources))
    linted: tuple[Problem, ...] = ()
    if lint_shapes is not None:
        # pySHACL and owlready2 are imported only here: the API and loaders never need them.
        from graph_service.ontology.lint import lint, load_lint_shapes

        shapes = load_lint_shapes(lint_shapes)
        linted = timed("lint", lambda: lint(sources.union, shapes, sources.locate))
    reasoned: tuple[Problem, ...] = ()
    if reason:
        from graph_service.ontology.reasoner import reasoning_problems

        reasoned = timed("reason", lambda: reasoning_problems(sources.union, sources.locate))
    problems = merge_problems(compiled.problems, linted, reasoned)
    return CheckReport(problems, compiled.model, files, MappingProxyType(durations))


def merge_problems(*groups: Iterable[Problem]) -> tuple[Problem, ...]:
    """All problems, once: a later group's problem with the same code and term as an earlier
    group's is the same finding (the compiler and the SHACL lint guard some rules both)."""
    seen: set[tuple[str, str | None]] = set()
    merged: list[Problem] = []
    for group in groups:
        group = tuple(group)
        merged.extend(p for p in group if (p.code, p.term) not in seen)
        seen.update((p.code, p.term) for p in group)
    return sorted_problems(merged)


def _timer(durations: dict[str, float]) -> Callable[[str, Callable[[], _T]], _T]:
    def timed(phase: str, work: Callable[[], _T]) -> _T:
        started = time.perf_counter()
        try:
            return work()
        finally:
            durations[phase] = time.perf_counter() - started

    return timed
