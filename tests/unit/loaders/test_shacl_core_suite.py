"""The SHACL core test cases, run through the fast validator's own compiler and checks.

Each case ends in one of two states: *pass* (the results equal the expected report: focus node,
path, constraint component, value, severity, source shape) or *refused* (compiling its shapes
raised :class:`ShapeError`, naming shape and parameter). A third state — compiled without a word
and answering differently — must never happen. The counts are printed in docs/loaders.md.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import RDF, SH, Graph, Namespace

from loaders.errors import ShapeError
from loaders.shacl.paths import compile_path
from loaders.validation import GraphValidator, PayloadValidator
from tests.support.paths import REPO as ROOT

DASH = Namespace("http://datashapes.org/dash#")
SUITE = ROOT / "tests" / "data" / "shacl-core"
CASES = sorted(SUITE.rglob("*.test.ttl"))
DOCS = ROOT / "docs" / "loaders.md"

Result = tuple[Any, ...]


def _parse(path: Path) -> Graph:
    # As pyshacl's own suite does: literals exactly as written ("aldi"^^xsd:integer stays ill-typed).
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        return Graph().parse(path, format="turtle")
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def _path_key(graph: Graph, node: Any) -> Any:
    def refuse(reason: str) -> None:
        raise AssertionError(f"expected report has a path we cannot read: {reason}")

    return None if node is None else compile_path(graph, node, refuse).key


def expected_results(graph: Graph) -> tuple[bool, Counter[Result]]:
    case = next(graph.subjects(RDF.type, DASH.GraphValidationTestCase))
    report = graph.value(case, DASH.expectedResult)
    conforms = bool(graph.value(report, SH.conforms).toPython())
    results: Counter[Result] = Counter()
    for r in graph.objects(report, SH.result):
        v = graph.value
        results[
            (
                v(r, SH.focusNode),
                _path_key(graph, v(r, SH.resultPath)),
                str(v(r, SH.sourceConstraintComponent)).removeprefix(str(SH)),
                v(r, SH.value),
                str(v(r, SH.resultSeverity)).removeprefix(str(SH)),
                v(r, SH.sourceShape),
            )
        ] += 1
    return conforms, results


@cache
def outcome(path: Path) -> tuple[str, str]:
    """("pass" | "refused" | "ignored", detail) for one test case."""
    graph = _parse(path)
    try:
        validator = GraphValidator(graph, origin=lambda _: str(path.relative_to(SUITE)))
    except ShapeError as exc:
        return "refused", str(exc)
    found = validator.validate(graph)
    ours: Counter[Result] = Counter(
        (v.focus_node, v.path_key, v.component, v.value_node, v.severity, v.source_shape) for v in found
    )
    conforms, expected = expected_results(graph)
    if conforms == (not found) and ours == expected:
        return "pass", ""
    return "ignored", f"expected {sorted(map(str, expected))}\n  got {sorted(map(str, ours))}"


def test_the_payload_validator_compiles_the_same_shapes() -> None:
    """The loaders compile with the payload view's value tests: the same cases compile, or are refused."""
    for path in CASES:
        state, _ = outcome(path)
        try:
            PayloadValidator(_parse(path))
            compiled = True
        except ShapeError:
            compiled = False
        assert compiled == (state != "refused"), path


def counts() -> Counter[str]:
    return Counter(outcome(path)[0] for path in CASES)


def test_the_suite_is_there() -> None:
    assert len(CASES) >= 80
    assert (SUITE / "LICENSE.txt").exists()


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(SUITE)) for p in CASES])
def test_each_case_is_enforced_exactly_or_refused(path: Path) -> None:
    state, detail = outcome(path)
    assert state in ("pass", "refused"), detail
    if state == "refused":
        assert "shape " in detail and str(path.relative_to(SUITE)) in detail, detail


def test_the_counts_printed_in_the_docs_are_the_counts() -> None:
    found = counts()
    print(f"\nSHACL core suite: {found['pass']} pass, {found['refused']} refused, {found['ignored']} ignored")
    assert found["ignored"] == 0
    line = (
        f"{len(CASES)} cases: {found['pass']} pass, {found['refused']} are refused at start-up, "
        "none is ignored"
    )
    assert line in DOCS.read_text(encoding="utf-8"), line
