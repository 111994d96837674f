"""Collects problems during compilation, attaching the term's CURIE, file and line."""

from __future__ import annotations

from collections.abc import Callable

from graph_service.ontology.model import SourceLocation
from graph_service.ontology.namespaces import curie
from graph_service.ontology.problems import ERROR, WARNING, Problem, Severity

Locate = Callable[[str], SourceLocation | None]


class Reporter:
    """Passed down the compiler's steps; every step adds what it finds and carries on."""

    def __init__(self, locate: Locate) -> None:
        self._locate = locate
        self.problems: list[Problem] = []

    def error(self, code: str, iri: str | None, message: str) -> None:
        self.add(ERROR, code, iri, message)

    def warning(self, code: str, iri: str | None, message: str) -> None:
        self.add(WARNING, code, iri, message)

    def add(self, severity: Severity, code: str, iri: str | None, message: str) -> None:
        where = self._locate(iri) if iri else None
        self.problems.append(
            Problem(
                severity=severity,
                code=code,
                term=curie(iri) if iri else None,
                message=message,
                file=where.file if where else None,
                line=where.line if where else None,
            )
        )
