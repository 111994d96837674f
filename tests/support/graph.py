"""Test helpers: a canonical snapshot of a whole graph, to compare graphs built different ways."""

from __future__ import annotations

from collections import Counter
from typing import Any

from graph_service.store import Neo4jStore

#: Properties that legitimately differ between two loads of the same events.
VOLATILE = {"ingestedAt"}


def _plain(value: Any) -> Any:
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _sig(labels: list[str], props: dict[str, Any]) -> str:
    clean = {k: _plain(v) for k, v in sorted(props.items()) if k not in VOLATILE}
    return repr((sorted(labels), clean))


def snapshot(store: Neo4jStore) -> tuple[Counter[str], Counter[str]]:
    """All nodes and relationships, by content (no internal ids), as multisets.

    A relationship is described by its type, its properties and the content of both of its nodes;
    each node's content is read once (by element id) rather than once per relationship it has:
    the events' many links made the per-relationship read the bulk of a snapshot's time."""
    signatures: dict[str, str] = {}
    for row in store.read("MATCH (n) RETURN elementId(n) AS id, labels(n) AS l, properties(n) AS p"):
        signatures[row["id"]] = _sig(row["l"], row["p"])
    nodes: Counter[str] = Counter(signatures.values())
    rels: Counter[str] = Counter()
    for row in store.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, elementId(a) AS a, elementId(b) AS b"
    ):
        rels[repr((row["t"], signatures[row["a"]], signatures[row["b"]], sorted(row["p"].items())))] += 1
    return nodes, rels


def counts_by_label(store: Neo4jStore) -> dict[str, int]:
    rows = store.read("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n")
    return {row["label"]: row["n"] for row in rows}


def explain_difference(
    actual: tuple[Counter[str], Counter[str]], expected: tuple[Counter[str], Counter[str]]
) -> str:
    """A short, readable account of how two snapshots differ (for assertion messages)."""
    lines = []
    for kind, a, e in (("node", actual[0], expected[0]), ("relationship", actual[1], expected[1])):
        missing, extra = e - a, a - e
        lines.append(f"{kind}s: {sum(missing.values())} missing, {sum(extra.values())} unexpected")
        lines += [f"  - {item[:400]}" for item in list(missing)[:3]]
        lines += [f"  + {item[:400]}" for item in list(extra)[:3]]
    return "\n".join(lines)
