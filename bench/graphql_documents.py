"""What the worst GraphQL documents cost to parse and validate under the document limits.

Run: ``.venv/bin/python -m bench.graphql_documents`` (no Neo4j needed; see docs/graphql.md). For
each shape of document it grows the document to the largest one the limits let through (bytes,
tokens, expanded selections; the defaults unless ``DIGISPINE_GRAPHQL_*`` say otherwise) and
prints how long parsing (with the expansion count) and validation take, best of ``--rounds``.
Then the refusals: how long it takes to say no to the fragment bomb and to a 1 MB document.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from graphql.validation import specified_rules
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from graph_service.api.graphql import Limits, make_schema
from graph_service.api.graphql.document_gate import DocumentGate
from graph_service.api.graphql.schema_builder import MAX_ALIASES
from graph_service.ontology.compiler import load_model
from graph_service.settings import load_settings

REPO = Path(__file__).resolve().parents[1]

#: Shapes of document, each grown by repeating a part ``k`` times.
SHAPES: dict[str, Callable[[int], str]] = {
    "one field repeated": lambda k: "{ " + " ".join(["__typename"] * k) + " }",
    "distinct aliases cut at 64, rest repeated": lambda k: (
        "{ "
        + " ".join(f"a{i}: __typename" for i in range(min(k, MAX_ALIASES)))
        + " __typename" * max(0, k - MAX_ALIASES)
        + " }"
    ),
    "a root field with arguments repeated": lambda k: (
        "{ " + " ".join(["customers(first: 1) { totalCount }"] * k) + " }"
    ),
    "nested selection repeated": lambda k: (
        "{ " + " ".join(["customers(first: 1) { nodes { name } pageInfo { hasNextPage } }"] * k) + " }"
    ),
    "distinct fragments spread at the root": lambda k: (
        "{ "
        + " ".join(f"...F{i}" for i in range(k))
        + " } "
        + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(k))
    ),
    "inline fragments repeated": lambda k: "{ " + " ".join(["... on Query { __typename }"] * k) + " }",
    "variables": lambda k: (
        "query("
        + " ".join(f"$v{i}: Int" for i in range(k))
        + ") { "
        + " ".join(f"customers(first: $v{i}) {{ totalCount }}" for i in range(k))
        + " }"
    ),
    "operations": lambda k: " ".join(f"query Q{i} {{ __typename }}" for i in range(k)),
}


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels fields from a document of a kilobyte."""
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ customers(first: 1) {{ totalCount }} }}")
    return "\n".join(parts)


def largest(gate: DocumentGate, shape: Callable[[int], str]) -> int:
    """The largest ``k`` whose document the gate parses (a binary search)."""
    low, high = 1, 1
    while _passes(gate, shape(high)):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _passes(gate, shape(middle)) else (low, middle)
    return low


def _passes(gate: DocumentGate, query: str) -> bool:
    try:
        gate.check_size(query)
        gate.parse(query)
    except GraphQLError:
        return False
    return True


def best(work: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            result = work()
        except GraphQLError as exc:
            result = exc
        times.append(time.perf_counter() - start)
    return min(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    limits = Limits.from_settings(load_settings())
    gate = DocumentGate(limits)
    schema = make_schema(load_model(REPO / "ontology"), store=None)  # type: ignore[arg-type]
    rules = [
        *specified_rules,
        *QueryDepthLimiter(max_depth=limits.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    print(
        f"limits: {limits.max_document_bytes} bytes, {limits.max_tokens} tokens, "
        f"{limits.max_selections} selections expanded"
    )
    print(f"{'document':44} {'k':>5} {'bytes':>6} {'parse ms':>9} {'validate ms':>12}  outcome")
    for name, shape in SHAPES.items():
        k = largest(gate, shape)
        query = shape(k)
        parse_ms, document = best(lambda q=query: gate.parse(q), args.rounds)
        validate_ms, errors = best(lambda d=document: gate.validate(schema._schema, d, rules), args.rounds)
        outcome = errors[0].message[:50] if errors else "valid"
        print(f"{name:44} {k:5} {len(query):6} {parse_ms:9.2f} {validate_ms:12.2f}  {outcome}")
    for name, query in [
        ("fragment bomb, 30 levels", fragment_bomb(30)),
        ("100,000 x __typename (1.1 MB)", "{ " + " ".join(["__typename"] * 100_000) + " }"),
    ]:
        refuse_ms, error = best(lambda q=query: (gate.check_size(q), gate.parse(q)), args.rounds)
        print(f"{name:44} {'':5} {len(query):6} {refuse_ms:9.3f} {'-':>12}  {str(error)[:60]}")


if __name__ == "__main__":
    main()
