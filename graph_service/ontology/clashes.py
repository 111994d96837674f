"""Name checks after mapping terms to Neo4j and GraphQL names: clashes, reserved and invalid names."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import combinations
from typing import TypeVar

from graph_service.ontology.model import AnyTerm, DomainModel, Relation
from graph_service.ontology.naming import is_identifier, reserved_reason
from graph_service.ontology.problems import ERROR, WARNING, Problem, Severity

_T = TypeVar("_T")


def find_clashes(model: DomainModel) -> tuple[Problem, ...]:
    """Every name problem of the model, in a stable order."""
    return (
        *_invalid_or_reserved(model),
        *_relationship_type_clashes(model),
        *_type_name_clashes(model),
        *_field_clashes(model),
    )


def _invalid_or_reserved(model: DomainModel) -> Iterator[Problem]:
    for term in model.terms():
        is_type = term.name in model.classes
        if not is_identifier(term.name):
            yield _problem(
                ERROR,
                "invalid-name",
                term,
                f"{term.name!r} is not usable as a GraphQL / Neo4j name; use ASCII letters, "
                "digits and '_' only, starting with a letter",
            )
        reason = reserved_reason(term.name, is_type=is_type)
        if reason:
            yield _problem(ERROR, "reserved-name", term, f"{reason}; rename the term")


def _relationship_type_clashes(model: DomainModel) -> Iterator[Problem]:
    stored = [r for r in model.terms() if isinstance(r, Relation) and r.stored]
    for first, second in _pairs(stored, key=lambda r: r.rel_type):
        yield _problem(
            ERROR,
            "name-clash",
            second,
            f"relationship type {second.rel_type} is also the type of ds:{first.name}; "
            "rename one of the two relations",
        )


def _type_name_clashes(model: DomainModel) -> Iterator[Problem]:
    classes = sorted(model.classes.values(), key=lambda c: c.name)
    for first, second in _pairs(classes, key=lambda c: c.graphql_name.lower()):
        yield _problem(
            WARNING,
            "case-clash",
            second,
            f"GraphQL type {second.graphql_name} differs from {first.graphql_name} only in "
            "letter case; clients and file systems that ignore case will mix them up",
        )


def _field_clashes(model: DomainModel) -> Iterator[Problem]:
    """Fields of one GraphQL type (own and inherited) whose names collide, exactly or by case."""
    reported: set[frozenset[str]] = set()
    for class_name in sorted(model.classes):
        fields = _fields(model, class_name)
        for first, second in _pairs(fields, key=lambda t: t.name.lower()):
            pair = frozenset((first.iri, second.iri))
            if pair in reported:
                continue
            reported.add(pair)
            exact = first.name == second.name
            # Fields come nearest first, so ``first`` is the one this class (or the nearer
            # superclass) adds: that is the one to rename.
            yield _problem(
                ERROR if exact else WARNING,
                "name-clash" if exact else "case-clash",
                first,
                f"field {first.name!r} of ds:{class_name} collides with {second.name!r} "
                f"(from ds:{_owner(second)}); rename one of them",
            )


def _fields(model: DomainModel, class_name: str) -> list[AnyTerm]:
    lineage = model.lineage(class_name)
    reverse = [r for r in model.relations.values() if not r.stored and r.domain in lineage]
    return [
        *model.properties_of(class_name),
        *model.relations_from(class_name),
        *sorted(reverse, key=lambda r: r.name),
    ]


def _owner(term: AnyTerm) -> str:
    return getattr(term, "domain", term.name)


def _pairs(items: Iterable[_T], *, key: Callable[[_T], Hashable]) -> Iterator[tuple[_T, _T]]:
    """Every pair of items sharing ``key(item)``, in input order."""
    groups: dict[Hashable, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    for group in groups.values():
        yield from combinations(group, 2)


def _problem(severity: Severity, code: str, term: AnyTerm, message: str) -> Problem:
    return Problem(
        severity=severity,
        code=code,
        term=f"ds:{term.name}",
        message=message,
        file=term.source.file if term.source else None,
        line=term.source.line if term.source else None,
    )
