"""`check` finds each kind of problem, names the term and where it is, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.ontology.lint import lint, load_lint_shapes
from graph_service.ontology.problems import CODES, Problem
from graph_service.ontology.sources import parse_sources

from .conftest import (
    GOOD,
    LINT_SHAPES,
    PREFIXES,
    append,
    check_dir,
    codes,
    klass,
    module_header,
    prop,
    relation,
)

LOGISTICS = "https://w3id.org/digispine/ontology/logistics"


def test_the_fixture_ontology_is_clean() -> None:
    report = check_dir(GOOD)
    assert report.problems == ()
    assert report.ok


# (module, turtle, expected problems as (code, term), severity of the first, rule is in SHACL)
CASES: dict[str, tuple[str, str, set[tuple[str, str | None]], str, bool]] = {
    "missing-label-en": (
        "production",
        klass("Gadget", parent="Equipment", en=None),
        {("missing-label-en", "ds:Gadget")},
        "error",
        True,
    ),
    "missing-label-de": (
        "production",
        klass("Gadget", parent="Equipment", de=None),
        {("missing-label-de", "ds:Gadget")},
        "error",
        True,
    ),
    "duplicate-label": (
        "production",
        klass("Gadget", parent="Equipment", extra='rdfs:label "Widget"@en'),
        {("duplicate-label", "ds:Gadget")},
        "error",
        True,
    ),
    "missing-definition-en": (
        "production",
        klass("Gadget", parent="Equipment", definition=False),
        {("missing-definition-en", "ds:Gadget")},
        "warning",
        True,
    ),
    "missing-bounded-context": (
        "production",
        klass("Gadget", parent="Equipment", context=""),
        {("missing-bounded-context", "ds:Gadget")},
        "error",
        True,
    ),
    "missing-key": (
        "production",
        klass("Gadget"),
        {("missing-key", "ds:Gadget")},
        "error",
        True,
    ),
    "not-rooted": (
        "production",
        klass("Gadget", parent=None, key="gadgetId") + prop("gadgetId", domain="Gadget"),
        {("not-rooted", "ds:Gadget")},
        "error",
        True,
    ),
    "key-not-property": (
        "production",
        klass("Gadget", key="lotNumber"),
        {("key-not-property", "ds:Gadget")},
        "error",
        True,
    ),
    "missing-domain": (
        "production",
        prop("gadgetCode", domain=None),
        {("missing-domain", "ds:gadgetCode")},
        "error",
        True,
    ),
    "multiple-domains": (
        "production",
        prop("gadgetCode", extra="rdfs:domain ds:Machine"),
        {("multiple-domains", "ds:gadgetCode")},
        "error",
        True,
    ),
    "domain-not-class": (
        "production",
        prop("gadgetCode", domain=None, extra="rdfs:domain <https://schema.org/Thing>"),
        {("domain-not-class", "ds:gadgetCode")},
        "error",
        True,
    ),
    "missing-range": (
        "production",
        prop("gadgetCode", range_=None),
        {("missing-range", "ds:gadgetCode")},
        "error",
        True,
    ),
    "multiple-ranges": (
        "production",
        prop("gadgetCode", extra="rdfs:range xsd:integer"),
        {("multiple-ranges", "ds:gadgetCode")},
        "error",
        True,
    ),
    "unknown-datatype": (
        "production",
        prop("gadgetWeight", range_="xsd:float"),
        {("unknown-datatype", "ds:gadgetWeight")},
        "error",
        True,
    ),
    "range-not-class": (
        "production",
        prop("storedAt", range_="<https://schema.org/Place>", kind="owl:ObjectProperty"),
        {("range-not-class", "ds:storedAt")},
        "error",
        True,
    ),
    "dangling-reference": (
        "production",
        'ds:Lot ds:boundedContex "production" .',
        {("dangling-reference", "ds:boundedContex")},
        "error",
        True,
    ),
    "event-missing-affects": (
        "events",
        klass("GadgetBuilt", parent="DomainEvent", context="events", extra='ds:emittedBy "mes"'),
        {("event-missing-affects", "ds:GadgetBuilt")},
        "error",
        True,
    ),
    "event-missing-emitted-by": (
        "events",
        klass("GadgetBuilt", parent="DomainEvent", context="events", extra="ds:affects ds:Lot"),
        {("event-missing-emitted-by", "ds:GadgetBuilt")},
        "error",
        True,
    ),
    "invalid-emitted-by": (
        "events",
        klass(
            "GadgetBuilt",
            parent="DomainEvent",
            context="events",
            extra='ds:affects ds:Lot ; ds:emittedBy "sap"',
        ),
        {("invalid-emitted-by", "ds:GadgetBuilt")},
        "error",
        True,
    ),
    "naming-convention": (
        "production",
        klass("gadgetThing", parent="Equipment"),
        {("naming-convention", "ds:gadgetThing")},
        "warning",
        True,
    ),
    "module-header": (
        "logistics",
        PREFIXES
        + module_header("logistics").replace('    owl:versionInfo "1.0.0" ;\n', "")
        + klass("Truck", parent="Equipment", context="logistics"),
        {("module-header", f"<{LOGISTICS}>")},
        "warning",
        True,
    ),
    "bounded-context-mismatch": (
        "production",
        klass("Gadget", parent="Equipment", context="quality"),
        {("bounded-context-mismatch", "ds:Gadget")},
        "warning",
        False,
    ),
    "affects-not-class": (
        "events",
        klass(
            "GadgetBuilt",
            parent="DomainEvent",
            context="events",
            extra='ds:affects ds:lotNumber ; ds:emittedBy "mes"',
        ),
        {("affects-not-class", "ds:GadgetBuilt")},
        "error",
        False,
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_rule_is_caught_with_its_code_and_term(onto: Path, code: str) -> None:
    module, turtle, expected, severity, _ = CASES[code]
    start = append(onto, module, turtle)
    report = check_dir(onto)
    assert codes(report.problems) == expected
    problem = next(p for p in report.problems if p.code == code)
    assert problem.severity == severity
    assert problem.file == str(onto / f"{module}.ttl")
    assert problem.line is not None and problem.line >= start
    assert report.ok == (severity == "warning")


@pytest.mark.parametrize("code", sorted(c for c, case in CASES.items() if case[4]))
def test_rules_come_from_the_shacl_lint_shapes(onto: Path, code: str) -> None:
    module, turtle, expected, _, _ = CASES[code]
    append(onto, module, turtle)
    sources = parse_sources(onto)
    found = lint(sources.union, load_lint_shapes(LINT_SHAPES), sources.locate)
    assert expected <= codes(found)


def test_every_code_is_documented() -> None:
    documented = (LINT_SHAPES.parents[1] / "docs" / "ontology-toolchain.md").read_text()
    shapes = (LINT_SHAPES / "lint.ttl").read_text()
    for code in CODES:
        assert f"`{code}`" in documented, code
    for line in shapes.splitlines():
        if 'lint:code "' in line:
            assert line.split('"')[1] in CODES


def test_a_syntax_error_names_file_and_line(onto: Path) -> None:
    start = append(onto, "production", "ds:Gadget a owl:Class\nds:Widget a owl:Class .")
    report = check_dir(onto)
    (problem,) = report.problems
    assert (problem.code, problem.file, problem.line) == ("syntax", str(onto / "production.ttl"), start + 1)
    assert report.model is None and not report.ok


def test_syntax_errors_of_all_files_are_reported_together(onto: Path) -> None:
    append(onto, "production", "ds:Gadget a owl:Class")
    append(onto, "events", 'ds:X rdfs:label "unterminated .')
    report = check_dir(onto)
    assert [(Path(p.file or "").name, p.code) for p in report.problems] == [
        ("events.ttl", "syntax"),
        ("production.ttl", "syntax"),
    ]


def test_an_empty_directory_is_reported(tmp_path: Path) -> None:
    report = check_dir(tmp_path)
    assert codes(report.problems) == {("no-ontology-files", None)}


def test_problem_reads_as_one_line_with_place_code_and_term() -> None:
    problem = Problem(
        severity="error",
        code="missing-key",
        term="ds:Lot",
        message="entity class has no owl:hasKey",
        file="ontology/production.ttl",
        line=42,
    )
    assert str(problem) == (
        "ontology/production.ttl:42: error [missing-key] ds:Lot: entity class has no owl:hasKey"
    )


def test_a_missing_lint_shapes_directory_is_a_clear_error(tmp_path: Path) -> None:
    from graph_service.ontology.errors import OntologyError

    with pytest.raises(OntologyError, match="DIGISPINE_SHAPES_DIR"):
        load_lint_shapes(tmp_path / "nowhere")


def test_module_without_any_header_is_a_warning(onto: Path) -> None:
    append(onto, "logistics", PREFIXES + klass("Truck", parent="Equipment", context="logistics"))
    report = check_dir(onto)
    assert codes(report.problems) == {("module-header", None)}
    assert report.ok


def test_a_new_module_with_header_is_clean(onto: Path) -> None:
    append(
        onto,
        "logistics",
        PREFIXES
        + module_header("logistics")
        + klass("Truck", parent="Equipment", context="logistics")
        + relation("carries", "Truck", "Lot").replace('"production"', '"logistics"'),
    )
    assert check_dir(onto).problems == ()
