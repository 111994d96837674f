"""The OWL reasoner finds unsatisfiable classes and inconsistency (needs java)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service.cli.ontology import app
from graph_service.ontology import compile_ontology
from graph_service.ontology.model import ClassDef, DomainModel

from .conftest import LINT_SHAPES, SHIPPED_ONTOLOGY, append, check_dir, codes, klass, requires_java

pytestmark = requires_java

DISJOINT_MACHINES = "ds:Machine owl:disjointWith ds:WorkCenter .\n" + klass(
    "MachineCenter", parent="Machine", extra="rdfs:subClassOf ds:WorkCenter"
)


def test_a_subclass_of_two_disjoint_classes_is_unsatisfiable(onto: Path) -> None:
    start = append(onto, "production", DISJOINT_MACHINES)
    report = check_dir(onto, reason=True)
    assert codes(report.problems) == {("unsatisfiable", "ds:MachineCenter")}
    (problem,) = report.problems
    assert (problem.file, problem.line) == (str(onto / "production.ttl"), start + 1)
    assert "ds:Machine" in problem.message and "ds:WorkCenter" in problem.message
    assert not report.ok


def test_check_exits_1_naming_the_unsatisfiable_class(onto: Path) -> None:
    append(onto, "production", DISJOINT_MACHINES)
    result = CliRunner().invoke(app, ["check", str(onto), "--shapes", str(LINT_SHAPES)])
    assert result.exit_code == 1
    assert "error [unsatisfiable] ds:MachineCenter" in result.output


def test_an_individual_of_an_unsatisfiable_class_makes_the_ontology_inconsistent(
    onto: Path,
) -> None:
    append(onto, "production", DISJOINT_MACHINES + "ds:press1 a ds:MachineCenter .")
    report = check_dir(onto, reason=True)
    assert codes(report.problems) == {("inconsistent", None)}


def test_no_reason_skips_the_reasoner(onto: Path) -> None:
    append(onto, "production", DISJOINT_MACHINES)
    assert check_dir(onto, reason=False).problems == ()


@pytest.mark.skipif(not SHIPPED_ONTOLOGY.is_dir(), reason="no shipped ontology yet")
def test_an_unsatisfiable_class_is_found_in_a_copy_of_the_shipped_ontology(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "ontology"
    shutil.copytree(SHIPPED_ONTOLOGY, copy)
    compiled = compile_ontology(copy)
    if compiled.model is None or compiled.errors:
        pytest.skip("the shipped ontology does not compile cleanly yet")
    first, second = _two_unrelated_entity_classes(compiled.model)
    module = Path(first.source.file).stem if first.source else "core"
    append(
        copy,
        module,
        f"ds:{first.name} owl:disjointWith ds:{second.name} .\n"
        + klass(
            "ImpossibleThing",
            parent=first.name,
            context=module,
            extra=f"rdfs:subClassOf ds:{second.name}",
        ),
    )
    report = check_dir(copy, reason=True)
    assert ("unsatisfiable", "ds:ImpossibleThing") in codes(report.errors)


def _two_unrelated_entity_classes(model: DomainModel) -> tuple[ClassDef, ClassDef]:
    entities = [c for c in model.entity_classes() if c.key_declared]
    for first in entities:
        for second in entities:
            related = first.name in model.lineage(second.name) or second.name in model.lineage(first.name)
            if first.name != second.name and not related:
                return first, second
    pytest.skip("no two unrelated entity classes")
