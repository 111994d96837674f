"""The expanded size of a document: fragments counted where spread, cycles and early exit."""

from __future__ import annotations

import time

from graphql import parse

from graph_service.api.graphql.expansion import expanded_size

BIG = 10**30


def size(query: str, limit: int = BIG) -> int:
    return expanded_size(parse(query), limit)


def bomb(levels: int) -> str:
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ customers(first: 1) {{ totalCount }} }}")
    return "\n".join(parts)


def test_fields_at_every_level_count_once_each() -> None:
    assert size("{ a }") == 1
    assert size("{ a { b c { d } } e }") == 5


def test_inline_fragments_count_with_their_selections() -> None:
    assert size("{ ... on Query { a b } c }") == 4
    assert size("{ x { ... on T { ... { y } } } }") == 4


def test_a_fragment_counts_in_full_at_every_spread() -> None:
    # each spread: 1, plus the fragment's two fields (a, b { c } = 3) -> 4 per spread
    query = "{ ...F x { ...F } } fragment F on Q { a b { c } }"
    assert size(query) == 4 + 1 + 4


def test_the_fragment_bomb_is_counted_exactly_and_quickly() -> None:
    # F_n = 2 (customers, totalCount); F_i = 2 spreads + 2 * F_(i+1); the operation adds 1 spread
    expected = {3: 31, 10: 1 + 2 * (2**10 - 1) + 2 * 2**10}
    for levels, count in expected.items():
        assert size(bomb(levels)) == count
    assert size(bomb(30)) == 1 + 2 * (2**30 - 1) + 2**31
    start = time.perf_counter()
    assert size(bomb(60)) > 2**60  # no expansion: one pass over each fragment
    assert time.perf_counter() - start < 1


def test_counting_stops_at_one_above_the_limit() -> None:
    assert size(bomb(30), limit=2000) == 2001
    assert size("{ a b c }", limit=2) == 3
    assert size("{ a b c }", limit=3) == 3


def test_every_operation_of_the_document_counts() -> None:
    assert size("query A { a } query B { b c } fragment F on Q { z }") == 3


def test_cycles_and_unknown_fragments_count_as_nothing_more() -> None:
    # validation reports both; the counter must only terminate
    assert size("{ ...A } fragment A on Q { a ...A }") == 3
    assert size("{ ...A } fragment A on Q { a ...B } fragment B on Q { b ...A }") == 5
    assert size("{ ...Missing x }") == 2


def test_a_long_chain_of_fragments_needs_no_recursion() -> None:
    chain = 5000
    query = "{ ...F0 } " + " ".join(f"fragment F{i} on Q {{ ...F{i + 1} }}" for i in range(chain))
    query += f" fragment F{chain} on Q {{ a }}"
    assert size(query) == chain + 2
