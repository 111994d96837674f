"""Static checks of a product's Cypher: read-only, parameters declared, labels and types from the model.

A misspelt relationship type makes a query silently return nothing; checking every label and
relationship type against the compiled model turns that into a start-up error with a line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from graph_service.ontology.model import DomainModel
from graph_service.products.descriptor import Descriptor
from graph_service.products.errors import Problem
from graph_service.products.naming import MODEL_VALUE_NAMES

_STRING_OR_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", re.DOTALL)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NODE_LABELS = re.compile(r"\(\s*(?:[A-Za-z_]\w*)?\s*:\s*([A-Za-z_][\w:&|!]*)")
_LABEL_PREDICATE = re.compile(r"\b[A-Za-z_]\w*:([A-Z][\w:&|!]*)")
_REL_TYPES = re.compile(r"\[\s*(?:[A-Za-z_]\w*)?\s*:\s*([A-Za-z_][\w:&|!]*)")
_WRITE = re.compile(r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|FOREACH|LOAD\s+CSV)\b", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_]\w*")


def blank_strings_and_comments(cypher: str) -> str:
    """The text with string literals and comments blanked out, keeping offsets and lines."""
    return _STRING_OR_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), cypher)


def parameters_used(cypher: str) -> set[str]:
    return set(_PARAMETER.findall(blank_strings_and_comments(cypher)))


def check_query(
    cypher: str, file: Path, descriptor: Descriptor, model: DomainModel, *, validation_query: bool = False
) -> list[Problem]:
    """Every problem of ``cypher`` (the product's query, or with ``validation_query`` its
    sample-parameter query, which needs none of the declared parameters)."""
    code = blank_strings_and_comments(cypher)
    found = dict.fromkeys(_problems(code, descriptor, model))  # a label may match two patterns
    problems = [Problem(file, line, message) for line, message in found]
    if validation_query:
        problems = [p for p in problems if "declared but never used" not in p.message]
    return problems


def _problems(code: str, descriptor: Descriptor, model: DomainModel) -> Iterator[tuple[int, str]]:
    declared = {p.name for p in descriptor.parameters}
    used: set[str] = set()
    for match in _PARAMETER.finditer(code):
        name = match[1]
        used.add(name)
        if name not in declared and name not in MODEL_VALUE_NAMES:
            yield (
                _line(code, match),
                (
                    f"${name} is not a parameter of {descriptor.key}; declare it under parameters in "
                    f"{descriptor.file.name}"
                ),
            )
    for name in sorted(declared - used):
        yield 1, f"parameter {name!r} is declared but never used in the query"
    for match in _WRITE.finditer(code):
        yield _line(code, match), f"{match[1].upper()}: data product queries are read-only"
    labels = {c.neo4j_label for c in model.classes.values()}
    for pattern in (_NODE_LABELS, _LABEL_PREDICATE):
        for match in pattern.finditer(code):
            yield from _unknown(code, match, labels, "label")
    rel_types = {r.rel_type for r in model.relations.values()}
    for match in _REL_TYPES.finditer(code):
        yield from _unknown(code, match, rel_types, "relationship type")


def _unknown(code: str, match: re.Match[str], known: set[str], kind: str) -> Iterator[tuple[int, str]]:
    for name in _NAME.findall(match[1]):
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            yield _line(code, match), f"{kind} {name} is not in the ontology{hint}"


def _line(code: str, match: re.Match[str]) -> int:
    return code.count("\n", 0, match.start()) + 1
