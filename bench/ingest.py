"""Ingest benchmark: the full pipeline against the naive bare write of the same events.

Run: ``make bench-ingest`` (or ``.venv/bin/python -m bench.ingest [--days D]``). On one Neo4j,
in one run, it prints events/s of

- the full pipeline (parse → map → validate → write, from JSON Lines bytes);
- the naive bare write: the same events already mapped (outside the timing), written with one
  ``UNWIND … MERGE`` statement per label and relationship type per batch — plain MERGE and SET,
  no duplicate check, no versions, no lineage: what the mapping says and nothing else;
- pyshacl validating the same payloads (the reference validator), and our fast validator;
- our writer alone, sending batches planned before the clock starts (what the write costs without
  the preparation: tells which of the two limits the pipeline);

and the ratios, then sweeps the batch size (100, 1,000, 10,000) with the constraints on.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from typing import Any

import orjson
import pyshacl

from bench.common import empty_graph, neo4j_for_bench, timed
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.envelope import parse_line
from loaders.mapping import MappedEvent
from loaders.payload_rdf import payload_graph
from loaders.pipeline import Record
from loaders.simulation import simulate


def q(name: str) -> str:
    return "`" + name + "`"


def bare_statements(events: list[MappedEvent]) -> list[tuple[str, list[dict[str, Any]]]]:
    """What the mapping says, as plain UNWIND … MERGE statements (built before the clock starts)."""
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
            if w.affected:  # lineage for what the event affects, as the mapping says
                affected[(w.ref.label, w.ref.key_props)].append(
                    {"s": env.source, "e": env.id, "k": list(w.ref.key)}
                )
        for r in event.relations:
            rels[(r.rel_type, r.source.label, r.source.key_props, r.target.label, r.target.key_props)].append(
                {"a": list(r.source.key), "b": list(r.target.key)}
            )
    statements = []
    for (label, keys), rows in nodes.items():
        key = ", ".join(f"{q(k)}: r.k[{i}]" for i, k in enumerate(keys))
        statements.append(
            (f"UNWIND $rows AS r MERGE (n:{q(label)} {{{key}}}) SET n += r.p, n:$(r.labels)", rows)
        )
    for (rel, la, ka, lb, kb), rows in rels.items():
        a = ", ".join(f"{q(k)}: r.a[{i}]" for i, k in enumerate(ka))
        b = ", ".join(f"{q(k)}: r.b[{i}]" for i, k in enumerate(kb))
        statements.append(
            (
                f"UNWIND $rows AS r MATCH (a:{q(la)} {{{a}}}) MATCH (b:{q(lb)} {{{b}}}) "
                f"MERGE (a)-[:{q(rel)}]->(b)",
                rows,
            )
        )
    statements.append(
        (
            # the event's identity is its source and id (the ontology's key, a composite index)
            "UNWIND $rows AS r MERGE (e:DomainEvent {source: r.source, eventId: r.id}) "
            "SET e.eventType = r.type, e.eventTime = r.time, e.subject = r.subject, "
            "e._payload = r.payload, e:$(r.labels)",
            event_rows,
        )
    )
    for (label, keys), rows in affected.items():
        key = ", ".join(f"{q(k)}: r.k[{i}]" for i, k in enumerate(keys))
        statements.append(
            (
                f"UNWIND $rows AS r MATCH (e:DomainEvent {{source: r.s, eventId: r.e}}) "
                f"MATCH (n:{q(label)} {{{key}}}) "
                "MERGE (e)-[:AFFECTED]->(n)",
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--days", type=int, default=40, help="simulated days (about 360 events/day at 8 orders/day)"
    )
    parser.add_argument("--orders-per-day", type=float, default=8.0)
    parser.add_argument("--pyshacl-sample", type=int, default=1500)
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per measurement (median)")
    args = parser.parse_args()

    events = simulate(5, args.days, orders_per_day=args.orders_per_day)
    lines = [orjson.dumps(e) for e in events]
    print(f"{len(lines):,} events ({args.days} simulated days)")
    with neo4j_for_bench() as settings:
        parts = load_parts(settings)
        with Neo4jStore(settings) as store:
            apply_schema(store, parts.model)
            mapped = [parts.mapper.map(parse_line(line)) for line in lines]

            def pipeline_run(batch_size: int) -> float:
                empty_graph(store)
                pipeline = build_pipeline(parts, store, batch_size=batch_size)
                stats = pipeline.run(Record(line, "bench") for line in lines)
                assert stats.loaded == len(lines), stats.summary()
                return len(lines) / stats.seconds

            def writer_run(batch_size: int) -> float:
                """The writer alone: batches planned before the clock starts (where the time goes)."""
                empty_graph(store)
                writer = build_pipeline(parts, store, batch_size=batch_size).writer
                chunks = [mapped[i : i + batch_size] for i in range(0, len(mapped), batch_size)]
                plans = [(chunk, writer.plan(chunk)) for chunk in chunks]
                _, seconds = timed(lambda: [writer.write(chunk, plan) for chunk, plan in plans])
                return len(lines) / seconds

            def bare_run(batch_size: int) -> float:
                empty_graph(store)
                batches = [
                    bare_statements(mapped[i : i + batch_size]) for i in range(0, len(mapped), batch_size)
                ]
                _, seconds = timed(lambda: run_bare(store, batches))
                return len(lines) / seconds

            def paired(batch_size: int, rounds: int) -> tuple[float, float]:
                """Alternate the two, several rounds; medians, so a GC or checkpoint hits both alike."""
                pipes, bares = [], []
                for _ in range(rounds):
                    pipes.append(pipeline_run(batch_size))
                    bares.append(bare_run(batch_size))
                return statistics.median(pipes), statistics.median(bares)

            # Warm-up: plans cached and JVM hot for both, so neither pays for the other.
            pipeline_run(1000)
            bare_run(1000)
            pipe, bare = paired(1000, args.rounds)
            writer_alone = statistics.median(writer_run(1000) for _ in range(args.rounds))
            reference = pyshacl_rate(parts, lines, args.pyshacl_sample)
            fast = fast_rate(parts, lines)
            print()
            print(f"medians of {args.rounds} alternating rounds")
            print(f"{'full pipeline (batch 1,000)':42s} {pipe:>10,.0f} events/s")
            print(f"{'naive bare write (batch 1,000)':42s} {bare:>10,.0f} events/s")
            print(f"{'our writer alone, batches pre-planned':42s} {writer_alone:>10,.0f} events/s")
            print(f"{'pyshacl validation alone':42s} {reference:>10,.0f} events/s")
            print(f"{'fast validator alone':42s} {fast:>10,.0f} events/s")
            print(f"{'ratio pipeline / bare write':42s} {pipe / bare:>10.2f}   (bar 0.5, goal 0.8)")
            print(f"{'ratio pipeline / pyshacl':42s} {pipe / reference:>10.2f}")
            print(f"{'ratio fast validator / pyshacl':42s} {fast / reference:>10.1f}")
            if not args.no_sweep:
                print("\nbatch size sweep (uniqueness constraints on):")
                print(f"{'batch':>8} {'pipeline ev/s':>15} {'bare ev/s':>12} {'ratio':>7}")
                for size in (100, 1000, 10000):
                    p, b = paired(size, max(1, args.rounds - 1))
                    print(f"{size:>8,} {p:>15,.0f} {b:>12,.0f} {p / b:>7.2f}")


if __name__ == "__main__":
    main()
