"""Export benchmark: streaming RDF export of a large plant against a bare read of the same nodes.

Run: ``make bench-export`` (or ``.venv/bin/python -m bench.export [--nodes N]``). It loads a
simulated plant of about ``--nodes`` nodes (default one million) into a local Neo4j and, in one
run, each in a fresh child process:

- the bare read: the export's own statement through the driver, records fetched and dropped;
- the export as N-Triples and as Turtle, written to a file;

and prints for each seconds, nodes/s, triples/s, the child's peak resident memory, and the ratio
of the export's rate to the bare read's. Flat peak memory for an output many times larger shows
that the export streams.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, neo4j_for_bench


def child(mode: str, out_path: str) -> None:
    """One measured run in this (fresh) process; prints a JSON line with the figures."""
    from graph_service.ontology.compiler import load_model
    from graph_service.rdf.export import ROOTS, export, records
    from graph_service.rdf.mapping import RdfMapper
    from graph_service.settings import load_settings
    from graph_service.store import Neo4jStore

    settings = load_settings()
    model = load_model(REPO / "ontology")
    with Neo4jStore(settings) as store:
        started = time.perf_counter()
        if mode == "bare":
            nodes = sum(1 for _ in records(store, RdfMapper(model), ROOTS))
            triples = 0
        else:
            with open(out_path, "w", encoding="utf-8") as out:
                stats = export(store, model, out, fmt=mode)
            nodes, triples = stats.entities, stats.triples
        seconds = time.perf_counter() - started
    peak_kb = _peak_rss_kb()
    size = os.path.getsize(out_path) if mode != "bare" else 0
    print(
        json.dumps(
            {"nodes": nodes, "triples": triples, "seconds": seconds, "peak_kb": peak_kb, "bytes": size}
        )
    )


def _peak_rss_kb() -> int:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries that across exec, so a
    child would report the parent's peak (the benchmark parent holds the simulated plant)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=1_000_000, help="about this many nodes")
    parser.add_argument("--orders-per-day", type=float, default=8.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.out)
        return

    from bench.graphql import load_plant
    from graph_service.store import Neo4jStore

    with neo4j_for_bench() as settings, Neo4jStore(settings) as store:
        load_plant(settings, store, args.nodes, args.orders_per_day, "bare")
        env = {
            **os.environ,
            "NEO4J_URI": settings.bolt_uri,
            "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        }
        results = {}
        with tempfile.TemporaryDirectory(prefix="digispine-export-") as tmp:
            for mode in ("bare", "nt", "ttl"):
                out = str(Path(tmp) / f"plant.{mode}")
                done = subprocess.run(
                    [sys.executable, "-m", "bench.export", "--child", mode, "--out", out],
                    cwd=REPO,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
                if os.path.exists(out):
                    os.remove(out)
        bare = results["bare"]
        print()
        print(
            f"{'run':28} {'seconds':>8} {'nodes/s':>10} {'triples/s':>11} "
            f"{'peak RSS':>9} {'output':>9} {'ratio':>6}"
        )
        for mode, label in (
            ("bare", "bare read (driver only)"),
            ("nt", "export N-Triples"),
            ("ttl", "export Turtle"),
        ):
            r = results[mode]
            rate = r["nodes"] / r["seconds"]
            ratio = rate / (bare["nodes"] / bare["seconds"])
            triples = f"{r['triples'] / r['seconds']:>11,.0f}" if r["triples"] else f"{'-':>11}"
            output = f"{r['bytes'] / 2**20:>7,.0f}MB" if r["bytes"] else f"{'-':>9}"
            print(
                f"{label:28} {r['seconds']:>8.1f} {rate:>10,.0f} {triples} "
                f"{r['peak_kb'] / 1024:>7,.0f}MB {output} {ratio:>6.2f}"
            )
        print(
            f"\n{results['nt']['nodes']:,} nodes, {results['nt']['triples']:,} triples; "
            "ratio = export nodes/s ÷ bare read nodes/s"
        )


if __name__ == "__main__":
    main()
