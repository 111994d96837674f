"""The GraphQL benchmark's plant, written cheaply: the bare load's statements, each row once.

The simulated plant updates the same entities many times (an order is created, released,
shipped …) and links them again in every event that names them. ``bench/ingest.py``'s bare load
(:func:`bench.ingest.bare_statements`) writes all of that event batch by event batch, ~90
statements per 5,000 events, merging each entity again for every event; on a loaded machine the
one-million-node plant did not build within an hour. Here the same statements run once over the
whole plant, each node and relationship row once (an entity's properties merged in event order,
its labels joined, so the graph is the one the bare load builds), in transactions of
:data:`CHUNK` rows, with ``replan=skip`` so the growing graph does not make Neo4j plan them again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson

from bench.ingest import bare_statements
from graph_service.store import Neo4jStore
from loaders.envelope import parse_line

#: Rows per write transaction.
CHUNK = 10_000
#: Events mapped at a time (their statements are merged into the plant's before the next ones).
MAP_BATCH = 5_000


def _row_key(cypher: str, row: dict[str, Any]) -> Any:
    if "MERGE (n:" in cypher:
        return tuple(row["k"])
    if "MERGE (a)-" in cypher:
        return (tuple(row["a"]), tuple(row["b"]))
    if "MERGE (e:DomainEvent" in cypher:
        return (row["source"], row["id"])
    return (row["s"], row["e"], tuple(row["k"]))


def _merge(cypher: str, kept: dict[str, Any], row: dict[str, Any]) -> None:
    if "MERGE (n:" in cypher:  # later events' values win, as SET n += … in event order does
        kept["p"].update(row["p"])
        kept["labels"] = sorted({*kept["labels"], *row["labels"]})


def _order(cypher: str) -> int:
    """Nodes first, then events, then the relationships between them (they MATCH both ends)."""
    if "MERGE (n:" in cypher:
        return 0
    if "MERGE (e:DomainEvent" in cypher:
        return 1
    return 2


def write_plant(store: Neo4jStore, mapper: Any, events: Iterable[dict[str, Any]]) -> int:
    """Map ``events`` and write the plant; returns the rows written."""
    plant: dict[str, dict[Any, dict[str, Any]]] = {}
    batch: list[Any] = []

    def absorb() -> None:
        for cypher, rows in bare_statements(batch):
            kept = plant.setdefault(cypher, {})
            for row in rows:
                key = _row_key(cypher, row)
                if key in kept:
                    _merge(cypher, kept[key], row)
                else:
                    kept[key] = row
        batch.clear()

    started = time.perf_counter()
    for event in events:
        batch.append(mapper.map(parse_line(orjson.dumps(event))))
        if len(batch) >= MAP_BATCH:
            absorb()
    absorb()
    mapped = time.perf_counter() - started
    written = 0
    with store.driver.session(database=store.database) as session:
        for cypher in sorted(plant, key=_order):
            rows = list(plant.pop(cypher).values())
            for i in range(0, len(rows), CHUNK):
                chunk = rows[i : i + CHUNK]
                session.execute_write(
                    lambda tx, c=chunk, q=cypher: tx.run("CYPHER replan=skip " + q, rows=c).consume()
                )
                written += len(chunk)
    wrote = time.perf_counter() - started - mapped
    print(f"plant: mapped in {mapped:.0f} s, {written:,} rows written in {wrote:.0f} s")
    return written
