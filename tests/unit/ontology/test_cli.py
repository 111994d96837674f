"""`digispine ontology check|diff|docs` as a domain expert runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service.cli.ontology import app

from .conftest import GOOD, LINT_SHAPES, append, klass

runner = CliRunner()


def _check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", *args, "--shapes", str(LINT_SHAPES), "--no-reason"])
    return result.exit_code, result.stdout


# -- check --------------------------------------------------------------------------------------


def test_check_passes_on_a_clean_ontology() -> None:
    code, out = _check(str(GOOD))
    assert code == 0
    assert out.startswith("check passed: 0 error(s), 0 warning(s) in 3 file(s) (")


def test_check_prints_one_line_per_problem_and_exits_1_on_errors(onto: Path) -> None:
    start = append(onto, "production", klass("Gadget") + klass("Widget", parent="Equipment", de=None))
    code, out = _check(str(onto))
    assert code == 1
    lines = out.splitlines()
    assert f"{onto}/production.ttl:{start}: error [missing-key] ds:Gadget: entity class" in out
    assert any("error [missing-label-de] ds:Widget: has no German label" in line for line in lines)
    assert lines[-1].startswith("check failed: 2 error(s), 0 warning(s)")


def test_check_exits_0_when_there_are_only_warnings(onto: Path) -> None:
    append(onto, "production", klass("Gadget", parent="Equipment", definition=False))
    code, out = _check(str(onto))
    assert code == 0
    assert "warning [missing-definition-en] ds:Gadget" in out


def test_check_speaks_json(onto: Path) -> None:
    append(onto, "production", klass("Gadget"))
    code, out = _check(str(onto), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["ok"], report["errors"], report["warnings"]) == (False, 1, 0)
    (problem,) = report["problems"]
    assert (problem["code"], problem["term"]) == ("missing-key", "ds:Gadget")
    assert problem["file"].endswith("production.ttl") and problem["line"] > 0
    assert "reason" not in report["durations"]


def test_check_reports_a_syntax_error_with_file_and_line(onto: Path) -> None:
    start = append(onto, "events", "ds:Gadget a owl:Class\nds:Widget a owl:Class .")
    code, out = _check(str(onto))
    assert code == 1
    assert out.splitlines()[0].startswith(f"{onto}/events.ttl:{start + 1}: error [syntax]")


def test_check_of_a_missing_directory_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope"), "--no-reason"])
    assert result.exit_code == 1
    assert "does not exist" in " ".join(result.output.split())  # rich wraps long lines


# -- diff ---------------------------------------------------------------------------------------


def test_diff_exits_2_when_a_keyed_class_is_removed(onto: Path) -> None:
    append(onto, "production", klass("Crate", key="lotNumber", parent="Lot"))
    result = runner.invoke(app, ["diff", str(onto), str(GOOD)])
    assert result.exit_code == 2
    assert "BREAKING (1)" in result.stdout and "- Crate" in result.stdout


def test_diff_exits_0_when_a_class_is_added(onto: Path) -> None:
    append(onto, "production", klass("Crate", key="lotNumber", parent="Lot"))
    result = runner.invoke(app, ["diff", str(GOOD), str(onto), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["breaking"] is False
    assert [(c["name"], c["change"], c["impact"]) for c in report["changes"]] == [
        ("Crate", "added", "compatible")
    ]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_compares_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(GOOD, repo / "ontology")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    append(repo / "ontology", "production", klass("Crate", key="lotNumber", parent="Lot"))
    _git(repo, "commit", "-q", "-am", "second")
    monkeypatch.chdir(repo)
    added = runner.invoke(app, ["diff", "HEAD~1", "HEAD", "--path", "ontology"])
    assert added.exit_code == 0, added.output
    assert "+ Crate" in added.stdout
    removed = runner.invoke(app, ["diff", "HEAD", "HEAD~1", "--path", "ontology"])
    assert removed.exit_code == 2
    mixed = runner.invoke(app, ["diff", "HEAD~1", "ontology", "--path", "ontology"])
    assert mixed.exit_code == 0  # a directory argument is the working copy


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_of_an_unknown_revision_says_what_it_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["diff", "no-such-rev", str(GOOD)])
    assert result.exit_code == 1
    assert "neither an existing directory nor a git revision" in " ".join(result.output.split())


def _git(repo: Path, *args: str) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        check=True,
        capture_output=True,
    )


# -- docs ---------------------------------------------------------------------------------------


def test_docs_writes_the_glossary(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = runner.invoke(app, ["docs", str(GOOD), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "context-production.html").is_file()
    assert "wrote 4 page(s)" in result.stdout
