"""Relations pair entities by where they were read, for any nesting of lists (property-based)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.mapping import _pairs, _Row
from loaders.mapping_model import EntityRef, EntityWrite
from loaders.mapping_paths import is_prefix, parse_path

#: orders, each with items, each with marks: sizes drawn per list
payloads = st.lists(
    st.lists(st.lists(st.just({}), max_size=3).map(lambda marks: {"marks": marks}), max_size=3).map(
        lambda items: {"items": items}
    ),
    max_size=3,
).map(lambda orders: {"orders": orders})

PATHS = ("", "orders", "orders.items", "orders.items.marks")


def rows(path: str, payload: dict[str, Any], tag: str) -> list[_Row]:
    scopes = [((), ())] if not path else list(parse_path("/" + path).elements(payload))
    found = []
    for n, (links, chain) in enumerate(scopes):
        write = EntityWrite("X", EntityRef("X", ("k",), (f"{tag}{n}",)), ("X",))
        found.append(_Row(write, links, chain))
    return found


@settings(max_examples=150, deadline=None)
@given(payloads, st.sampled_from(PATHS), st.sampled_from(PATHS))
def test_pairs_are_exactly_the_rows_one_inside_the_other(
    payload: dict[str, Any], left: str, right: str
) -> None:
    a, b = rows(left, payload, "a"), rows(right, payload, "b")
    expected = {
        (x.write.ref.key, y.write.ref.key)
        for x in a
        for y in b
        if is_prefix(x.links, y.links) or is_prefix(y.links, x.links)
    }
    got = [(x.write.ref.key, y.write.ref.key) for x, y in _pairs(a, b)]
    assert len(got) == len(set(got))  # no pair twice
    assert set(got) == expected


def test_each_spreads_every_list_on_the_way_and_keeps_the_enclosing_elements() -> None:
    payload = {"orders": [{"no": 1, "items": [{"p": "a"}, {"p": "b"}]}, {"no": 2, "items": [{"p": "c"}]}]}
    path = parse_path("/orders.items")
    reached = [(chain[0]["no"], chain[-1]["p"]) for _, chain in path.elements(payload)]
    assert reached == [(1, "a"), (1, "b"), (2, "c")]
    assert parse_path("../no").read(payload, (payload["orders"][1], payload["orders"][1]["items"][0])) == 2
