"""The Makefile's QUIET wrapper: an installer's output is hidden when it succeeds and its tail
shown, with its exit code, when it fails (so `make demo` prints progress lines only)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBES = """
ok:
\t@$(QUIET) sh -c 'echo pip notice; echo debconf line >&2'
\t@echo "› progress"
bad:
\t@$(QUIET) sh -c 'echo the reason it failed; exit 3'
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_quiet_hides_a_successful_installers_output_and_shows_a_failing_ones(tmp_path: Path) -> None:
    probes = tmp_path / "probes.mk"
    probes.write_text(PROBES)

    def make(target: str) -> subprocess.CompletedProcess[str]:
        command = [
            "make",
            "-s",
            "--no-print-directory",
            "-f",
            str(REPO / "Makefile"),
            "-f",
            str(probes),
            target,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    ok = make("ok")
    assert ok.returncode == 0 and ok.stdout == "› progress\n" and ok.stderr == ""
    bad = make("bad")
    assert bad.returncode != 0 and "the reason it failed" in bad.stderr
