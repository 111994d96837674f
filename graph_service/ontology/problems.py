"""Problems found in the ontology: what, which term, where, how bad. Collected, never raised one by one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

#: Every problem code with its meaning. docs/ontology-toolchain.md explains each in more words.
CODES: Mapping[str, str] = MappingProxyType(
    {
        "syntax": "a Turtle file does not parse",
        "no-ontology-files": "the ontology directory holds no *.ttl file",
        "module-header": "a file lacks its owl:Ontology header (label, versionIRI, versionInfo)",
        "missing-label-en": "a term has no rdfs:label in English",
        "missing-label-de": "a term has no rdfs:label in German",
        "duplicate-label": "a term has two rdfs:label values in the same language",
        "missing-definition-en": "a term has no skos:definition in English",
        "missing-bounded-context": "a term has no ds:boundedContext",
        "bounded-context-mismatch": "ds:boundedContext differs from the module file declaring the term",
        "missing-key": "an entity class has neither its own nor an inherited owl:hasKey",
        "key-not-property": "owl:hasKey names something that is not a datatype property of the class",
        "ambiguous-key": "a class inherits different keys from two equally near superclasses",
        "missing-domain": "a property has no rdfs:domain",
        "multiple-domains": "a property has more than one rdfs:domain",
        "domain-not-class": "a property's rdfs:domain is not a class of the ontology",
        "missing-range": "a property has no rdfs:range",
        "multiple-ranges": "a property has more than one rdfs:range",
        "range-not-class": "an object property's rdfs:range is not a class of the ontology",
        "unknown-datatype": "a datatype property's range is not one of the supported XSD types",
        "dangling-reference": "a ds: IRI is used but never declared",
        "not-rooted": "a class is not a subclass of ds:Entity or ds:DomainEvent",
        "subclass-cycle": "classes are (indirectly) subclasses of each other",
        "affects-not-class": "ds:affects names something that is not a class of the ontology",
        "event-missing-affects": "an event class names no affected entity class (ds:affects)",
        "event-missing-emitted-by": "an event class has no ds:emittedBy",
        "invalid-facet": "a value facet (ds:allowedValue, ds:pattern, ds:minInclusive, ...) does not fit",
        "invalid-emitted-by": "ds:emittedBy is not one of erp, mes, crm, qms",
        "inverse-mismatch": "a reverse property's domain/range are not the stored property's swapped",
        "inverse-target": "owl:inverseOf does not name a stored ds: object property",
        "naming-convention": "a class name is not PascalCase or a property name is not camelCase",
        "name-clash": "two terms map to the same Neo4j or GraphQL name, or one IRI has two kinds",
        "case-clash": "two names differ only in letter case",
        "reserved-name": "a name is reserved in GraphQL or by DigiSpine",
        "invalid-name": "a name is not a valid GraphQL / Neo4j identifier",
        "inconsistent": "the ontology as a whole is logically inconsistent",
        "unsatisfiable": "a class can have no members (equivalent to owl:Nothing)",
        "reasoner-failed": "the OWL reasoner could not run",
    }
)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One finding. ``term`` is a CURIE such as ``ds:Lot``; ``file``/``line`` say where to look."""

    severity: Severity
    code: str
    term: str | None = None
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        term = f" {self.term}:" if self.term else ":"
        message = " ".join(self.message.split())  # one problem, one line
        return f"{where}{self.severity} [{self.code}]{term} {message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict[str, str | int | None]:
        """JSON-ready form, for ``--format json``."""
        return {
            "severity": self.severity,
            "code": self.code,
            "term": self.term,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }


def sort_key(problem: Problem) -> tuple[str, int, str, str, str]:
    """Order of output: by file and line, so an editor can walk the list top to bottom."""
    return (problem.file or "~", problem.line or 0, problem.code, problem.term or "", problem.message)


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=sort_key))


def errors_in(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(problem for problem in problems if problem.is_error)
