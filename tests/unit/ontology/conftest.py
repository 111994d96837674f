"""Fixtures for the ontology compiler tests: a clean fixture ontology copied per test, and
helpers that write small Turtle snippets into it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph_service.ontology.check import CheckReport, check_ontology
from graph_service.ontology.problems import Problem

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOOD = FIXTURES / "good"
REPO = HERE.parents[2]
LINT_SHAPES = REPO / "shapes" / "ontology"
SHIPPED_ONTOLOGY = REPO / "ontology"

# The reasoner (HermiT) runs in a java process: such tests are integration tests like those that
# start Neo4j or Kafka (selected with `-m integration`, left out with `-m "not integration"`), and
# never skipped — java is required by the project, and a skipped reasoner test would hide a failure.
requires_java = pytest.mark.integration


@pytest.fixture()
def onto(tmp_path: Path) -> Path:
    """A private copy of the clean fixture ontology."""
    target = tmp_path / "ontology"
    shutil.copytree(GOOD, target)
    return target


def append(directory: Path, module: str, turtle: str) -> int:
    """Append ``turtle`` to ``<module>.ttl`` (prefixes come from the file); returns the line the
    snippet starts on."""
    path = directory / f"{module}.ttl"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    start = text.count("\n") + 2
    path.write_text(text + "\n" + turtle.strip() + "\n", encoding="utf-8")
    return start


def klass(
    name: str,
    *,
    parent: str | None = "Entity",
    context: str = "production",
    key: str | None = None,
    abstract: bool = False,
    en: str | None = "label",
    de: str | None = "Bezeichnung",
    definition: bool = True,
    extra: str = "",
) -> str:
    """Turtle for a class that follows the conventions unless told otherwise."""
    lines = [f"ds:{name} a owl:Class"]
    if parent:
        lines.append(f"rdfs:subClassOf ds:{parent}")
    if en:
        lines.append(f'rdfs:label "{name} {en}"@en')
    if de:
        lines.append(f'rdfs:label "{name} {de}"@de')
    if definition:
        lines.append(f'skos:definition "Definition of {name}."@en')
    if key:
        lines.append(f"owl:hasKey ( ds:{key} )")
    if abstract:
        lines.append("ds:abstract true")
    if context:
        lines.append(f'ds:boundedContext "{context}"')
    if extra:
        lines.append(extra)
    return " ;\n    ".join(lines) + " .\n"


def prop(
    name: str,
    *,
    domain: str | None = "Lot",
    range_: str | None = "xsd:string",
    kind: str = "owl:DatatypeProperty",
    functional: bool = True,
    context: str = "production",
    extra: str = "",
) -> str:
    """Turtle for a datatype (or, with kind=owl:ObjectProperty, object) property."""
    types = kind + (" , owl:FunctionalProperty" if functional else "")
    lines = [f"ds:{name} a {types}"]
    if domain:
        lines.append(f"rdfs:domain ds:{domain}")
    if range_:
        lines.append(f"rdfs:range {range_}")
    lines += [
        f'rdfs:label "{name}"@en',
        f'rdfs:label "{name} (de)"@de',
        f'skos:definition "Definition of {name}."@en',
    ]
    if context:
        lines.append(f'ds:boundedContext "{context}"')
    if extra:
        lines.append(extra)
    return " ;\n    ".join(lines) + " .\n"


def relation(name: str, domain: str, range_: str, *, functional: bool = False, extra: str = "") -> str:
    """Turtle for an object property (to-many unless ``functional``)."""
    return prop(
        name,
        domain=domain,
        range_=f"ds:{range_}",
        kind="owl:ObjectProperty",
        functional=functional,
        extra=extra,
    )


def check_dir(directory: Path, *, reason: bool = False) -> CheckReport:
    return check_ontology(directory, lint_shapes=LINT_SHAPES, reason=reason)


def codes(problems: tuple[Problem, ...]) -> set[tuple[str, str | None]]:
    """(code, term) of every problem, for compact assertions."""
    return {(p.code, p.term) for p in problems}


PREFIXES = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ds: <https://w3id.org/digispine/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def module_header(name: str, version: str = "1.0.0") -> str:
    """The owl:Ontology header the conventions ask every file for."""
    iri = f"https://w3id.org/digispine/ontology/{name}"
    return (
        f"<{iri}> a owl:Ontology ;\n"
        f"    owl:versionIRI <{iri}/{version}> ;\n"
        f'    owl:versionInfo "{version}" ;\n'
        f'    rdfs:label "DigiSpine {name}"@en ;\n'
        f'    dcterms:description "The {name} module."@en .\n'
    )
