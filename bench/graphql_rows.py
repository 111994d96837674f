"""What completing a 1,000-row page costs the GraphQL layer per row, without Neo4j.

Run: ``.venv/bin/python -m bench.graphql_rows [--rows 1000] [--rounds 30]`` (see docs/graphql.md,
"Cost per row"). The schema executes the benchmark's row page (``bench/graphql.py``'s
``PAGE_1000``) over a store that answers ``--rows`` sales orders shaped as Neo4j returns them,
and the answer is encoded with orjson as the server does; printed is the process's CPU per row,
in alternating turns, for the page's dates as the driver's date objects (as before the generated
statements asked Neo4j for their text) and as that text, each completed in one walk and field by
field. The driver's decoding of the record is not in these figures (``bench/graphql.py`` measures
the whole server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import neo4j.time
import orjson

from bench.common import REPO
from bench.graphql import PAGE_1000
from graph_service.api.graphql import make_schema
from graph_service.api.graphql.completion import CompiledExecutionContext, FieldByFieldExecutionContext
from graph_service.observability.statements import NO_OBSERVER
from graph_service.ontology.compiler import load_model


class _Record:
    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def items(self) -> list[tuple[str, Any]]:
        return list(self._values.items())


class RowsStore:
    """Answers every statement with one record holding ``rows`` (fresh dicts each time, as the
    driver's are: the executor renames keys in place)."""

    database = "neo4j"
    observer = NO_OBSERVER

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    @property
    def driver(self) -> RowsStore:
        return self

    def session(self, **_config: Any) -> RowsStore:
        return self

    def __enter__(self) -> RowsStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def run(self, _query: Any, _parameters: dict[str, Any]) -> list[_Record]:
        return [_Record({"nodes": [dict(row) for row in self.rows]})]

    def call(self, work: Callable[[], Any]) -> Any:
        return work()


def sales_orders(count: int, as_text: bool) -> list[dict[str, Any]]:
    """``count`` rows of the page's selection, with dates as text or as the driver's objects."""
    rows = []
    for i in range(count):
        ordered = neo4j.time.Date(2026, 1 + i % 12, 1 + i % 28)
        due = neo4j.time.Date(2026, 1 + i % 12, 1 + (i + 4) % 28)
        rows.append(
            {
                "salesOrderNumber": f"SO-{i:06d}",
                "orderDate": ordered.iso_format() if as_text else ordered,
                "requestedDeliveryDate": due.iso_format() if as_text else due,
                "status": "COMPLETED",
                "currency": "EUR",
                "totalNetAmount": 10500.0 + i,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30, help="pages per way and turn")
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    model = load_model(REPO / "ontology")
    query = PAGE_1000.replace("first: 1000", f"first: {args.rows}")
    ways: dict[str, tuple[Any, RowsStore]] = {}
    for as_text in (False, True):
        for context in (CompiledExecutionContext, FieldByFieldExecutionContext):
            store = RowsStore(sales_orders(args.rows, as_text))
            schema = make_schema(model, store)  # type: ignore[arg-type]
            schema.execution_context_class = context
            dates = "text" if as_text else "driver objects"
            label = f"dates as {dates}, {'walk' if context.walk else 'field by field'}"
            ways[label] = (schema, store)
    cpu = asyncio.run(measure({label: schema for label, (schema, _) in ways.items()}, query, args))
    load = os.getloadavg()
    pages = args.turns * args.rounds
    print(
        f"{args.rows} rows, {pages} pages per way; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    base = cpu[next(iter(cpu))]
    for label, seconds in cpu.items():
        print(f"{label:40s} {seconds / args.rows * 1e6:7.2f} µs/row (median page)  {seconds / base:5.2f}")


async def measure(schemas: dict[str, Any], query: str, args: argparse.Namespace) -> dict[str, float]:
    """The median CPU seconds of a page per way, the ways taking turns page by page (longer
    turns measured the second way of each turn up to 1.6x dearer, whichever it was: the first
    one's garbage); the answers compared first."""
    answers = {await page(schema, query) for schema in schemas.values()}
    if len(answers) != 1:
        raise SystemExit("the ways answer differently")
    times: dict[str, list[float]] = {label: [] for label in schemas}
    for _ in range(args.turns * args.rounds):
        for label, schema in schemas.items():
            started = time.process_time()
            await page(schema, query)
            times[label].append(time.process_time() - started)
    return {label: statistics.median(spent) for label, spent in times.items()}


async def page(schema: Any, query: str) -> bytes:
    result = await schema.execute(query)
    if result.errors:
        raise SystemExit(f"the page failed: {result.errors}")
    return orjson.dumps({"data": result.data})


if __name__ == "__main__":
    main()
