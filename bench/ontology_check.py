"""`digispine ontology check`: wall and CPU time of each phase, and of the reasoner with the JVM
options it runs HermiT with against the JVM's defaults, alternated in one run.

    .venv/bin/python -m bench.ontology_check [ROUNDS]

CPU counts this process and its children (HermiT's JVM). On a loaded machine the wall times
stretch well beyond the CPU times; the CPU figures say what an idle machine needs.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from graph_service.ontology import reasoner
from graph_service.ontology.check import check_ontology
from graph_service.ontology.lint import lint, load_lint_shapes
from graph_service.ontology.sources import parse_sources
from graph_service.settings import load_settings


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(work: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``work``."""
    wall, cpu = time.perf_counter(), _cpu()
    work()
    return time.perf_counter() - wall, _cpu() - cpu


def main(rounds: int) -> None:
    settings = load_settings()
    paths, lint_dir = settings.ontology_paths, settings.shapes_dir / "ontology"
    sources = parse_sources(paths)
    shapes = load_lint_shapes(lint_dir)
    wall, cpu = measured(lambda: check_ontology(paths, lint_shapes=lint_dir, reason=True))
    print(f"whole check: wall {wall:5.2f} s, CPU {cpu:5.2f} s")
    for name, work in (
        ("parse", lambda: parse_sources(paths)),
        ("lint", lambda: lint(sources.union, shapes, sources.locate)),
    ):
        wall, cpu = measured(work)
        print(f"{name:>11}: wall {wall:5.2f} s, CPU {cpu:5.2f} s")

    shipped_options = reasoner.HERMIT_JVM_OPTIONS
    walls: dict[str, list[float]] = {"JVM defaults": [], "shipped options": []}
    cpus: dict[str, list[float]] = {"JVM defaults": [], "shipped options": []}
    for _ in range(rounds):
        for name, options in (("JVM defaults", ""), ("shipped options", shipped_options)):
            reasoner.HERMIT_JVM_OPTIONS = options
            wall, cpu = measured(lambda: reasoner.reasoning_problems(sources.union, sources.locate))
            walls[name].append(wall)
            cpus[name].append(cpu)
    reasoner.HERMIT_JVM_OPTIONS = shipped_options
    for name in walls:
        print(
            f"reason, {name:>15}: median wall {statistics.median(walls[name]):5.2f} s, "
            f"CPU {statistics.median(cpus[name]):5.2f} s over {rounds} rounds"
        )
    wall_ratio = statistics.median(walls["JVM defaults"]) / statistics.median(walls["shipped options"])
    cpu_ratio = statistics.median(cpus["JVM defaults"]) / statistics.median(cpus["shipped options"])
    print(
        f"reasoner with the shipped JVM options: {wall_ratio:.2f}x the wall speed, "
        f"{cpu_ratio:.2f}x less CPU (same run, alternated)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
