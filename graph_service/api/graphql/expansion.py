"""The size of a GraphQL document with every fragment spread expanded, counted before validation.

A few fragments that each spread the next one twice describe a selection of 2^n fields in a
document of a few hundred bytes. Validation rules (depth, aliases, overlapping fields) and the
planner walk that expanded form, so it is measured first, cheaply: each definition's own
selections are counted once, and a fragment's expanded size is computed once and reused
wherever it is spread. Counting saturates at ``limit + 1``, so a 2^30 expansion costs as
much as the document's text. Fragments are evaluated with an explicit stack (a chain of
thousands of fragments needs no recursion), and a cycle or an unknown fragment counts as
nothing here: validation reports both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True)
class _Shape:
    """One definition before expansion: its own selections and the fragments it spreads."""

    own: int
    spreads: Counter[str]


def expanded_size(document: DocumentNode, limit: int) -> int:
    """Selections (fields, inline fragments and fragment spreads) of all operations of
    ``document``, fragments expanded where spread; ``limit + 1`` stands for "more than limit"."""
    cap = limit + 1
    fragments = {
        d.name.value: _shape(d.selection_set)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    sizes = _fragment_sizes(fragments, cap)
    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total = min(cap, total + _size_of(_shape(definition.selection_set), sizes, cap))
            if total >= cap:
                break
    return total


def _shape(selection_set: SelectionSetNode) -> _Shape:
    own = 0
    spreads: Counter[str] = Counter()
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            own += 1
            if isinstance(selection, FragmentSpreadNode):
                spreads[selection.name.value] += 1
            elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                pending.append(selection.selection_set)
    return _Shape(own, spreads)


def _fragment_sizes(fragments: dict[str, _Shape], cap: int) -> dict[str, int]:
    """Each fragment's expanded size, dependencies first (post-order on an explicit stack)."""
    sizes: dict[str, int] = {}
    for root in fragments:
        if root in sizes:
            continue
        # each frame: a fragment and an iterator over the fragments it spreads still to size
        stack = [(root, iter(fragments[root].spreads))]
        on_path = {root}
        while stack:
            name, spread = stack[-1]
            following = next((n for n in spread if n in fragments and n not in sizes), None)
            if following is not None and following not in on_path:
                stack.append((following, iter(fragments[following].spreads)))
                on_path.add(following)
            elif following is None:
                # a spread back onto the path is a cycle: it counts as nothing (sizes.get below)
                sizes[name] = _size_of(fragments[name], sizes, cap)
                on_path.discard(name)
                stack.pop()
    return sizes


def _size_of(shape: _Shape, sizes: dict[str, int], cap: int) -> int:
    total = shape.own
    for name, times in shape.spreads.items():
        total += times * sizes.get(name, 0)
        if total >= cap:
            return cap
    return min(total, cap)
