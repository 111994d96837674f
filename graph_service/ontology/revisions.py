"""Ontology directories from git revisions, for ``digispine ontology diff main HEAD``.

Rule: an argument naming an existing directory is that directory; anything else is a git
revision, whose ``<path>`` folder (default ``ontology``) is exported with ``git archive``.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from pathlib import Path

from graph_service.ontology.errors import SourceUnavailable


def ontology_dir(argument: str, *, path: Path, repo: Path, scratch: Path) -> Path:
    """The directory ``argument`` names, or ``path`` at git revision ``argument`` (exported under
    ``scratch``, which the caller creates and removes)."""
    candidate = Path(argument)
    if candidate.is_dir():
        return candidate
    return export_revision(argument, path=path, repo=repo, scratch=scratch)


def export_revision(revision: str, *, path: Path, repo: Path, scratch: Path) -> Path:
    """Write the files of ``path`` at ``revision`` below ``scratch``; return that directory."""
    if revision.startswith("-"):
        raise SourceUnavailable(f"{revision!r} is neither a directory nor a git revision")
    commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if commit is None:
        raise SourceUnavailable(
            f"{revision!r} is neither an existing directory nor a git revision of the "
            f"repository at {repo}; pass a directory, or a revision such as HEAD~1 or main"
        )
    tree_path = _repo_relative(path, repo)
    archive = _git_bytes(repo, "archive", "--format=tar", f"{commit}:{tree_path}")
    if archive is None:
        raise SourceUnavailable(
            f"revision {revision} has no folder {tree_path}; pass --path with the ontology "
            "folder of that revision"
        )
    target = scratch / re.sub(r"[^A-Za-z0-9._-]+", "_", revision)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _repo_relative(path: Path, repo: Path) -> str:
    if not path.is_absolute():
        return path.as_posix().strip("/") or "."
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top is None:
        raise SourceUnavailable(f"{repo} is not inside a git repository")
    try:
        return path.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError as exc:
        raise SourceUnavailable(f"{path} is not inside the git repository {top}") from exc


def _git(repo: Path, *args: str) -> str | None:
    out = _git_bytes(repo, *args)
    return out.decode().strip() if out is not None else None


def _git_bytes(repo: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise SourceUnavailable("git is not installed; pass directories instead") from exc
    return done.stdout if done.returncode == 0 else None
