"""Ingest benchmark: the full pipeline against a fair bare write of the same graph content.

Run: ``make bench-ingest`` (or ``.venv/bin/python -m bench.ingest [--days D]``). On one local
Neo4j, in one run, it prints events/s of

- the full pipeline (parse → map → validate → write, from JSON Lines bytes);
- the fair bare write (:func:`fair_statements`): the same events already mapped (outside the
  timing), written independently of the writer, one ``UNWIND … MERGE`` statement per label and
  per relationship shape per batch, every statement with ``CYPHER replan=skip``, dates and
  date-times sent as ISO text — and writing the same graph content as the pipeline: every node
  with its labels and properties, a version token per property, first/last event time and source
  systems on what an event affects, the source system nodes, to-one relations re-pointed with
  their version, event nodes with their payload and digest, ``AFFECTED`` links. The bench prints
  both graphs' node, relationship and property counts, which must be equal;
- cold (the first load after Neo4j started, plans and JIT cold) and warm (the same again), at
  batch 1,000 and 10,000;
- our writer alone (batches planned before the clock starts), pyshacl and our fast validator.

Options measure the rest of issue 16: ``--change-log`` (the pipeline with the graph change log on a
local Kafka against it off), ``--kafka N`` (the pipeline from a Kafka topic of N events against the
same events from a file), ``--growth NODES`` (events/s while the graph grows to NODES nodes, with
the bench process's peak memory), ``--adapters N`` (each adapter's rate on N wire records against
the same events as CloudEvents, bench/ingest_adapters.py). None of them runs by default.
"""

from __future__ import annotations

import argparse
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyshacl

from bench.common import PASSWORD, REPO, _free_port, empty_graph, timed
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j
from graph_service.store.schema import apply_schema
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.envelope import parse_line
from loaders.mapping import MappedEvent
from loaders.payload_rdf import payload_graph
from loaders.pipeline import Record
from loaders.simulation import simulate

NO_REPLAN = "CYPHER replan=skip "
SOURCE_LABELS = ("SourceSystem", "Entity")


def q(name: str) -> str:
    return "`" + name + "`"


def _key(props: tuple[str, ...], var: str) -> str:
    return "{" + ", ".join(f"{q(k)}: {var}[{i}]" for i, k in enumerate(props)) + "}"


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Plain values, date-times and dates (as ISO text, parsed by the statement)."""
    import datetime as dt

    plain, times, dates = {}, {}, {}
    for k, v in values.items():
        if isinstance(v, dt.datetime):
            times[k] = v.isoformat()
        elif isinstance(v, dt.date):
            dates[k] = v.isoformat()
        else:
            plain[k] = v
    return plain, times, dates


# -- the fair bare write -------------------------------------------------------------------------

_SET_VALUES = (
    "SET n += r.p, n:$(r.labels)\n"
    "FOREACH (k IN keys(r.t) | SET n[k] = datetime(r.t[k]))\n"
    "FOREACH (k IN keys(r.d) | SET n[k] = date(r.d[k]))\n"
)
# Lineage on what an event affects: event-time bounds and the systems that reported it.
_SET_LINEAGE = (
    "WITH n, r WHERE r.src IS NOT NULL\n"
    "WITH n, r, datetime(r.time) AS t\n"
    "SET n.firstEventTime = CASE WHEN n.firstEventTime <= t THEN n.firstEventTime ELSE t END,\n"
    "    n.lastEventTime = CASE WHEN n.lastEventTime >= t THEN n.lastEventTime ELSE t END,\n"
    "    n.sourceSystems = CASE WHEN r.src IN coalesce(n.sourceSystems, []) THEN n.sourceSystems\n"
    "                      ELSE coalesce(n.sourceSystems, []) + r.src END"
)


def fair_statements(events: list[MappedEvent]) -> list[tuple[str, list[dict[str, Any]]]]:
    """One batch as a fair bare write: the pipeline's graph content, written the plain way (one
    statement per label and relationship shape, rows in event order, so the newest event's value
    is written last). Built before the clock starts."""
    nodes: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    to_many: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    to_one: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    affected: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    sources: dict[str, None] = {}
    event_rows = []
    for event in events:
        env = event.envelope
        sources[env.source] = None
        event_rows.append(
            {
                "id": env.id,
                "type": env.type,
                "time": env.time.isoformat(),
                "source": env.source,
                "subject": env.subject,
                "hash": env.payload_hash,
                "payload": env.payload_json.decode(),
                "labels": [x for x in event.event_labels if x != "DomainEvent"],
            }
        )
        for w in event.entities:
            plain, times, dates = _split(dict(w.properties))
            versions = {"_v_" + p: env.version_token for p in w.properties}
            lineage = w.affected
            nodes[(w.ref.label, w.ref.key_props)].append(
                {
                    "k": list(w.ref.key),
                    "p": {**plain, **versions},
                    "t": times,
                    "d": dates,
                    "labels": list(w.labels),
                    "time": env.time.isoformat() if lineage else None,
                    "src": env.source if lineage else None,
                }
            )
            if lineage:
                affected[(w.ref.label, w.ref.key_props)].append(
                    {"s": env.source, "e": env.id, "k": list(w.ref.key)}
                )
        for r in event.relations:
            shape = (r.rel_type, r.source.label, r.source.key_props, r.target.label, r.target.key_props)
            row = {"a": list(r.source.key), "b": list(r.target.key)}
            if r.to_many:
                to_many[shape].append(row)
            else:
                to_one[shape].append({**row, "v": env.version_token})
    statements: list[tuple[str, list[dict[str, Any]]]] = [
        (
            f"UNWIND $rows AS s MERGE (n:{':'.join(q(x) for x in SOURCE_LABELS)} {{sourceSystemId: s}})",
            list(sources),
        )
    ]
    for (label, keys), rows in nodes.items():
        statements.append(
            (f"UNWIND $rows AS r MERGE (n:{q(label)} {_key(keys, 'r.k')})\n{_SET_VALUES}{_SET_LINEAGE}", rows)
        )
    for (rel, la, ka, lb, kb), rows in to_many.items():
        statements.append(
            (
                f"UNWIND $rows AS r MATCH (a:{q(la)} {_key(ka, 'r.a')}) MATCH (b:{q(lb)} {_key(kb, 'r.b')}) "
                f"MERGE (a)-[:{q(rel)}]->(b)",
                rows,
            )
        )
    for (rel, la, ka, lb, kb), rows in to_one.items():
        # a to-one relation keeps only the newest target: other links of the type go
        statements.append(
            (
                f"UNWIND $rows AS r MATCH (a:{q(la)} {_key(ka, 'r.a')}) MATCH (b:{q(lb)} {_key(kb, 'r.b')})\n"
                f"OPTIONAL MATCH (a)-[o:{q(rel)}]->(x) WHERE x <> b DELETE o\n"
                f"MERGE (a)-[l:{q(rel)}]->(b) SET l._v = r.v",
                rows,
            )
        )
    statements.append(
        (
            "UNWIND $rows AS r MERGE (e:DomainEvent {source: r.source, eventId: r.id})\n"
            "ON CREATE SET e.eventType = r.type, e.eventTime = datetime(r.time), e.subject = r.subject,\n"
            "  e.ingestedAt = datetime(), e._payloadHash = r.hash, e._payload = r.payload, e:$(r.labels)",
            event_rows,
        )
    )
    for (label, keys), rows in affected.items():
        statements.append(
            (
                "UNWIND $rows AS r MATCH (e:DomainEvent {source: r.s, eventId: r.e}) "
                f"MATCH (n:{q(label)} {_key(keys, 'r.k')}) MERGE (e)-[:AFFECTED]->(n)",
                rows,
            )
        )
    return [(NO_REPLAN + cypher, rows) for cypher, rows in statements]


def bare_statements(events: list[MappedEvent]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The plain ``UNWIND … MERGE`` load ``bench/graphql.py`` builds its plant with (no versions, no
    lineage properties); not a baseline any more: :func:`fair_statements` is."""
    nodes: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    rels: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    affected: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    event_rows = []
    for event in events:
        env = event.envelope
        event_rows.append(
            {
                "id": env.id,
                "type": env.type,
                "time": env.time,
                "source": env.source,
                "subject": env.subject,
                "payload": env.payload_json.decode(),
                "labels": list(event.event_labels),
            }
        )
        for w in event.entities:
            nodes[(w.ref.label, w.ref.key_props)].append(
                {"k": list(w.ref.key), "p": w.properties, "labels": list(w.labels)}
            )
            if w.affected:
                affected[(w.ref.label, w.ref.key_props)].append(
                    {"s": env.source, "e": env.id, "k": list(w.ref.key)}
                )
        for r in event.relations:
            rels[(r.rel_type, r.source.label, r.source.key_props, r.target.label, r.target.key_props)].append(
                {"a": list(r.source.key), "b": list(r.target.key)}
            )
    statements = []
    for (label, keys), rows in nodes.items():
        statements.append(
            (f"UNWIND $rows AS r MERGE (n:{q(label)} {_key(keys, 'r.k')}) SET n += r.p, n:$(r.labels)", rows)
        )
    for (rel, la, ka, lb, kb), rows in rels.items():
        statements.append(
            (
                f"UNWIND $rows AS r MATCH (a:{q(la)} {_key(ka, 'r.a')}) MATCH (b:{q(lb)} {_key(kb, 'r.b')}) "
                f"MERGE (a)-[:{q(rel)}]->(b)",
                rows,
            )
        )
    statements.append(
        (
            "UNWIND $rows AS r MERGE (e:DomainEvent {source: r.source, eventId: r.id}) "
            "SET e.eventType = r.type, e.eventTime = r.time, e.subject = r.subject, "
            "e._payload = r.payload, e:$(r.labels)",
            event_rows,
        )
    )
    for (label, keys), rows in affected.items():
        statements.append(
            (
                "UNWIND $rows AS r MATCH (e:DomainEvent {source: r.s, eventId: r.e}) "
                f"MATCH (n:{q(label)} {_key(keys, 'r.k')}) MERGE (e)-[:AFFECTED]->(n)",
                rows,
            )
        )
    return statements


def run_bare(store: Neo4jStore, batches: list[list[tuple[str, list[dict[str, Any]]]]]) -> None:
    with store.driver.session(database=store.database) as session:
        for statements in batches:

            def work(tx: Any, statements: list[tuple[str, list[dict[str, Any]]]] = statements) -> None:
                for cypher, rows in statements:
                    tx.run(cypher, rows=rows).consume()

            session.execute_write(work)


# -- what a graph holds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    nodes: int
    node_properties: int
    relationships: int
    relationship_properties: int

    def __str__(self) -> str:
        return (
            f"{self.nodes:,} nodes ({self.node_properties:,} properties), {self.relationships:,} "
            f"relationships ({self.relationship_properties:,} properties)"
        )


def content(store: Neo4jStore) -> Content:
    n = store.read("MATCH (n) RETURN count(n) AS c, sum(size(keys(n))) AS p")[0]
    r = store.read("MATCH ()-[r]->() RETURN count(r) AS c, sum(size(keys(r))) AS p")[0]
    return Content(n["c"], n["p"] or 0, r["c"], r["p"] or 0)


# -- validators ----------------------------------------------------------------------------------


def pyshacl_rate(parts: LoaderParts, lines: list[bytes], sample: int) -> float:
    chosen = lines[:sample]
    envelopes = [parse_line(line) for line in chosen]
    shapes = parts.validator.shapes_graph

    def work() -> None:
        for env in envelopes:
            event_class = parts.mapper.mapping_for(env).event_class
            pyshacl.validate(
                payload_graph(event_class, env.id, env.data),
                shacl_graph=shapes,
                inference="none",
                advanced=False,
            )

    _, seconds = timed(work)
    return len(chosen) / seconds


def fast_rate(parts: LoaderParts, lines: list[bytes]) -> float:
    envelopes = [parse_line(line) for line in lines]

    def work() -> None:
        for env in envelopes:
            parts.validator.validate(parts.mapper.mapping_for(env).event_class, env.id, env.data)

    _, seconds = timed(work)
    return len(lines) / seconds


# -- a local Neo4j that can be restarted (cold loads) --------------------------------------------


class BenchNeo4j:
    """The bench's own local Neo4j: ``restart`` gives a server with no plan cache and a cold JVM."""

    def __init__(self, home: Path) -> None:
        base = dict(ontology_dir=REPO / "ontology", shapes_dir=REPO / "shapes")
        self.local_settings = load_settings(
            data_dir=home, neo4j_bolt_port=_free_port(), neo4j_password=PASSWORD, neo4j_uri=None, **base
        )
        self.local = LocalNeo4j(self.local_settings)
        self.settings: Settings = self.local_settings

    def start(self) -> None:
        status = self.local.start(print)
        self.settings = load_settings(
            data_dir=self.local_settings.data_dir,
            neo4j_uri=self.local_settings.bolt_uri,
            neo4j_password=PASSWORD,
            ontology_dir=REPO / "ontology",
            shapes_dir=REPO / "shapes",
        )
        print(
            f"Neo4j {status.version} (heap {self.settings.neo4j_heap}, "
            f"page cache {self.settings.neo4j_pagecache})"
        )

    def stop(self) -> None:
        self.local.stop(echo=lambda _: None)

    def restart(self) -> None:
        self.stop()
        self.local.start(lambda _: None)


@contextmanager
def bench_neo4j() -> Iterator[BenchNeo4j]:
    with tempfile.TemporaryDirectory(prefix="digispine-bench-") as tmp:
        server = BenchNeo4j(Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()


# -- the runs ------------------------------------------------------------------------------------


class Runs:
    """The measured loads of one set of events on one Neo4j."""

    def __init__(self, server: BenchNeo4j, parts: LoaderParts, lines: list[bytes]) -> None:
        self.server = server
        self.parts = parts
        self.lines = lines
        self.mapped = [parts.mapper.map(parse_line(line)) for line in lines]

    def store(self) -> Neo4jStore:
        return Neo4jStore(self.server.settings)

    def pipeline(self, batch_size: int, *, fresh: bool = True) -> float:
        with self.store() as store:
            if fresh:
                empty_graph(store)
            pipeline = build_pipeline(self.parts, store, batch_size=batch_size)
            stats = pipeline.run(Record(line, "bench") for line in self.lines)
            assert stats.loaded == len(self.lines), stats.summary()
            return len(self.lines) / stats.seconds

    def bare(self, batch_size: int, *, fresh: bool = True) -> float:
        batches = [
            fair_statements(self.mapped[i : i + batch_size]) for i in range(0, len(self.mapped), batch_size)
        ]
        with self.store() as store:
            if fresh:
                empty_graph(store)
            _, seconds = timed(lambda: run_bare(store, batches))
        return len(self.lines) / seconds

    def writer(self, batch_size: int) -> float:
        """The writer alone: batches planned before the clock starts (where the time goes)."""
        with self.store() as store:
            empty_graph(store)
            writer = build_pipeline(self.parts, store, batch_size=batch_size).writer
            chunks = [self.mapped[i : i + batch_size] for i in range(0, len(self.mapped), batch_size)]
            plans = [(chunk, writer.plan(chunk)) for chunk in chunks]
            _, seconds = timed(lambda: [writer.write(chunk, plan) for chunk, plan in plans])
        return len(self.lines) / seconds

    def cold(self, run: Callable[[int], float], batch_size: int) -> float:
        """``run`` as the first load after Neo4j started on an empty graph with the schema."""
        with self.store() as store:
            empty_graph(store)
        self.server.restart()
        return run(batch_size)

    def contents(self) -> tuple[Content, Content]:
        self.pipeline(1000)
        with self.store() as store:
            piped = content(store)
        self.bare(1000)
        with self.store() as store:
            bare = content(store)
        return piped, bare


def paired(first: Callable[[], float], second: Callable[[], float], rounds: int) -> tuple[float, float]:
    """Alternate the two, several rounds; medians, so a GC or checkpoint hits both alike."""
    a, b = [], []
    for _ in range(rounds):
        a.append(first())
        b.append(second())
    return statistics.median(a), statistics.median(b)


def row(label: str, value: float, unit: str = "events/s") -> None:
    print(f"{label:48s} {value:>10,.0f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--days", type=int, default=40, help="simulated days (about 360 events/day at 8 orders/day)"
    )
    parser.add_argument("--orders-per-day", type=float, default=8.0)
    parser.add_argument("--pyshacl-sample", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per measurement (median)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold loads (Neo4j restarts)")
    parser.add_argument("--change-log", action="store_true", help="also: the change log on (a local Kafka)")
    parser.add_argument("--kafka", type=int, default=0, metavar="N", help="also: load N events from Kafka")
    parser.add_argument(
        "--growth", type=int, default=0, metavar="NODES", help="also: grow the graph to NODES"
    )
    parser.add_argument(
        "--growth-only", action="store_true", help="with --growth: only the growth run (no other loads)"
    )
    parser.add_argument(
        "--adapters", type=int, default=0, metavar="N", help="also: each adapter's rate on N wire records"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows as it happens
    # A TERM (a timeout, Ctrl-C's cousin) must still stop the bench's own Neo4j (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    events = simulate(5, args.days, orders_per_day=args.orders_per_day)
    lines = [orjson.dumps(e) for e in events]
    print(f"{len(lines):,} events ({args.days} simulated days)")
    with bench_neo4j() as server:
        parts = load_parts(server.settings)
        with Neo4jStore(server.settings) as store:
            apply_schema(store, parts.model)
        runs = Runs(server, parts, lines)
        if args.growth and args.growth_only:
            from bench.ingest_extra import growth

            growth(runs, args.growth, args.orders_per_day)
            return
        sizes = (1000, 10000)
        cold: dict[int, tuple[float, float]] = {}
        if not args.no_cold:
            for size in sizes:
                cold[size] = (runs.cold(runs.pipeline, size), runs.cold(runs.bare, size))
                print(
                    f"  cold, batch {size:,}: pipeline {cold[size][0]:,.0f}, "
                    f"bare {cold[size][1]:,.0f} events/s"
                )
        runs.pipeline(1000)  # warm-up: plans cached and JVM hot for both
        runs.bare(1000)
        print("  warm runs …")
        warm = {
            size: paired(lambda s=size: runs.pipeline(s), lambda s=size: runs.bare(s), args.rounds)
            for size in sizes
        }
        piped, bare = runs.contents()
        writer_alone = statistics.median(runs.writer(1000) for _ in range(args.rounds))
        reference = pyshacl_rate(parts, lines, args.pyshacl_sample)
        fast = fast_rate(parts, lines)

        print()
        print("what each writes (batch 1,000, same events):")
        print(f"  pipeline: {piped}")
        print(f"  fair bare write: {bare}" + ("  (equal)" if piped == bare else "  (DIFFERENT)"))
        print()
        print(
            f"{'batch':>8} {'':6} {'pipeline ev/s':>15} {'fair bare ev/s':>15} {'ratio':>7}"
            "  (goal: warm 2.0, cold 1.5)"
        )
        for size in sizes:
            if size in cold:
                p, b = cold[size]
                print(f"{size:>8,} {'cold':6} {p:>15,.0f} {b:>15,.0f} {p / b:>7.2f}")
            p, b = warm[size]
            print(f"{size:>8,} {'warm':6} {p:>15,.0f} {b:>15,.0f} {p / b:>7.2f}")
        print(f"(warm: medians of {args.rounds} alternating rounds; cold: first load after Neo4j started)")
        print()
        row("our writer alone, batches pre-planned (1,000)", writer_alone)
        row("pyshacl validation alone", reference)
        row("fast validator alone", fast)
        print(f"{'ratio pipeline / pyshacl':48s} {warm[1000][0] / reference:>10.2f}")
        print(f"{'ratio fast validator / pyshacl':48s} {fast / reference:>10.1f}")
        if args.change_log:
            from bench.ingest_extra import change_log_cost

            change_log_cost(runs)
        if args.kafka:
            from bench.ingest_extra import kafka_path

            kafka_path(runs, args.kafka, args.orders_per_day)
        if args.growth:
            from bench.ingest_extra import growth

            growth(runs, args.growth, args.orders_per_day)
        if args.adapters:
            from bench.ingest_adapters import adapter_rates

            adapter_rates(runs, args.adapters, args.rounds)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def elapsed(started: float) -> float:
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
