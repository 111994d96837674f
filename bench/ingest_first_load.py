"""The demo's first load into a freshly started Neo4j, as `digispine load` prints it (issue 16).

Run: ``.venv/bin/python -m bench.ingest_first_load [--rounds R] [--statements]``. Each round starts
a new local Neo4j on an empty data directory (a cold JVM, no plan cache), applies the ontology's
schema as `digispine demo` does, then runs ``digispine load`` on the demo's history (``simulate``
seed 42, 7 days: 765 events, the `make demo` file without Kafka) in a process of its own and
prints the rate that command printed, Neo4j's CPU seconds over the load, and the load average.

``--jvm-option OPT`` (repeatable) alternates rounds without and with extra JVM options for the
local Neo4j (``-XX:+UseSerialGC``, ``-XX:TieredStopAtLevel=1``), a measurement only: the launcher's
options are not changed.

``--statements`` instead loads in this process, as ``digispine load`` does, and times each writer
statement on first use: ``EXPLAIN`` first (planning alone, the plan is cached), then the statement
(execution with the plan cached).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import PASSWORD, REPO, _free_port
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore, local_neo4j
from graph_service.store.local_neo4j import LocalNeo4j
from graph_service.store.schema import apply_schema

RATE = re.compile(r"events/s\s+([\d,]+)")


def demo_file(directory: Path) -> Path:
    from loaders.simulation import simulate
    from loaders.simulation.faults import to_lines

    path = directory / "plant-seed42-7d.jsonl"
    path.write_bytes(b"\n".join(to_lines(simulate(42, 7))) + b"\n")
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextmanager
def fresh_neo4j(home: Path) -> Iterator[tuple[LocalNeo4j, Settings, float]]:
    """A local Neo4j started for one round on an empty data dir, the schema applied: the local
    server, settings naming it (as an external Neo4j, so `digispine load` only connects), and the
    seconds the start took."""
    base = dict(ontology_dir=REPO / "ontology", shapes_dir=REPO / "shapes")
    local_settings = load_settings(
        data_dir=home, neo4j_bolt_port=_free_port(), neo4j_password=PASSWORD, neo4j_uri=None, **base
    )
    local = LocalNeo4j(local_settings)
    started = time.perf_counter()
    local.start(lambda _: None)
    start_s = time.perf_counter() - started
    settings = load_settings(
        data_dir=home, neo4j_uri=local_settings.bolt_uri, neo4j_password=PASSWORD, **base
    )
    try:
        from graph_service.ontology.compiler import load_model

        with Neo4jStore(settings) as store:
            apply_schema(store, load_model(settings.ontology_paths))
        yield local, settings, start_s
    finally:
        local.stop(echo=lambda _: None)


def load_command(settings: Settings, path: Path) -> tuple[float, str]:
    """``digispine load path`` in its own process: the rate it printed, its summary line."""
    env = {
        **os.environ,
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_PASSWORD": PASSWORD,
        "DIGISPINE_DATA_DIR": str(settings.data_dir),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "digispine"), "load", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout + done.stderr
    found = RATE.search(out)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"digispine load failed (exit {done.returncode}):\n{out[-2000:]}")
    loaded = re.search(r"loaded\s+(\d+)", out)
    return float(found.group(1).replace(",", "")), f"loaded {loaded.group(1) if loaded else '?'}"


def one_round(path: Path, jvm_options: tuple[str, ...] = ()) -> dict[str, Any]:
    default = local_neo4j.JVM_OPTIONS
    local_neo4j.JVM_OPTIONS = (*default, *jvm_options)  # type: ignore[assignment]
    try:
        return _round(path)
    finally:
        local_neo4j.JVM_OPTIONS = default  # type: ignore[misc]


def _round(path: Path) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="digispine-first-load-") as tmp,
        fresh_neo4j(Path(tmp)) as (
            local,
            settings,
            start_s,
        ),
    ):
        pid = local.pid()
        assert pid is not None
        before = cpu_seconds(pid)
        rate, line = load_command(settings, path)
        return {
            "rate": rate,
            "line": line,
            "neo4j_cpu_s": cpu_seconds(pid) - before,
            "start_s": start_s,
            "load": load_average(),
        }


# -- statement timings --------------------------------------------------------------------------


def statement_timings(path: Path) -> None:
    """The load in this process with each writer statement's first use split into planning
    (``EXPLAIN``) and execution."""
    import loaders.writer as writer_module
    from loaders.assembly import build_pipeline, load_parts
    from loaders.sources import read_files

    timings: list[tuple[str, float, float, int]] = []
    seen: set[str] = set()
    original = writer_module._run

    class Eager:
        def __init__(self, records: list[Any], summary: Any) -> None:
            self.records, self.summary = records, summary

        def __iter__(self) -> Iterator[Any]:
            return iter(self.records)

        def consume(self) -> Any:
            return self.summary

        def single(self, strict: bool = False) -> Any:
            return self.records[0]

    def timed_run(tx: Any, result: Any, cypher: str, **params: Any) -> Any:
        plan_s = 0.0
        if cypher not in seen:
            seen.add(cypher)
            started = time.perf_counter()
            tx.run("EXPLAIN " + writer_module._NO_REPLAN + cypher, params).consume()
            plan_s = time.perf_counter() - started
        started = time.perf_counter()
        res = original(tx, result, cypher, **params)
        records = list(res)
        summary = res.consume()
        timings.append((cypher.split("\n")[0][:70], plan_s, time.perf_counter() - started, len(records)))
        return Eager(records, summary)

    with (
        tempfile.TemporaryDirectory(prefix="digispine-first-load-") as tmp,
        fresh_neo4j(Path(tmp)) as (
            local,
            settings,
            start_s,
        ),
    ):
        pid = local.pid()
        assert pid is not None
        parts = load_parts(settings)
        writer_module._run = timed_run  # type: ignore[assignment]
        try:
            with Neo4jStore(settings) as store:
                before = cpu_seconds(pid)
                pipeline = build_pipeline(parts, store)
                pipeline._warmed()  # the warm-up's own statements are not timed apart
                warmed = time.perf_counter()
                stats = pipeline.run(read_files([path]))
                total = time.perf_counter() - warmed
        finally:
            writer_module._run = original  # type: ignore[assignment]
        print(f"Neo4j started in {start_s:.1f} s; load {stats.summary()} (run {total:.2f} s)")
        print(f"Neo4j CPU over the load: {cpu_seconds(pid) - before:.1f} s; load average {load_average()}")
        print(f"{'statement':72} {'plan s':>7} {'exec s':>7} {'rows':>5}")
        for text, plan_s, exec_s, rows in timings:
            print(f"{text:72} {plan_s:7.3f} {exec_s:7.3f} {rows:5}")
        plan_total = sum(t[1] for t in timings)
        exec_total = sum(t[2] for t in timings)
        print(f"{len(timings)} statements: planning {plan_total:.2f} s, execution {exec_total:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="fresh Neo4j starts, one load each")
    parser.add_argument(
        "--jvm-option", action="append", default=[], help="A/B: alternate rounds without and with it"
    )
    parser.add_argument("--statements", action="store_true", help="time each statement instead (one round)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(prefix="digispine-demo-file-") as tmp:
        path = demo_file(Path(tmp))
        if args.statements:
            statement_timings(path)
            return
        print("the demo's first load into a freshly started Neo4j (`digispine load`, 765 events)")
        variants: list[tuple[str, ...]] = [()]
        if args.jvm_option:
            variants.append(tuple(args.jvm_option))
        for i in range(args.rounds):
            for options in variants:
                r = one_round(path, options)
                what = " ".join(options) or "default JVM options"
                print(
                    f"  round {i + 1}, {what}: {r['rate']:,.0f} events/s ({r['line']}); Neo4j CPU "
                    f"{r['neo4j_cpu_s']:.1f} s over the load; start {r['start_s']:.1f} s; "
                    f"load average {r['load']}"
                )


if __name__ == "__main__":
    main()
