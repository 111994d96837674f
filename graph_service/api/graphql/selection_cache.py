"""What was worked out from a selection, kept for the next request of the same document.

A document checked once is kept parsed (:mod:`document_gate`), so every request of it hands the
resolvers the very same AST nodes. Whatever depends only on those nodes (and on what the caller
adds to the key, such as whether it may see personal data) is the same for each of them: the
root field's projection, the completion walk. :class:`SelectionCache` keeps such values by the
identity of the nodes, in a bounded least-recently-used map; an entry holds its nodes, so their
ids cannot be reused by other nodes while it lives, and a lookup checks they are the same
objects. Only selections that use no variables may be kept (:func:`uses_variables`): a variable
in ``@skip``/``@include`` or in a nested field's arguments would make the value differ between
requests of one document.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, Node, VariableNode

_V = TypeVar("_V")

#: Selections kept per cache: a service's distinct documents times their root fields and roles.
DEFAULT_SIZE = 512


class SelectionCache(Generic[_V]):
    """Values by (a hashable key, the identity of a sequence of AST nodes); bounded LRU.

    Thread-safe: synchronous execution may run resolvers outside the event loop's thread."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[tuple[Node, ...], _V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, nodes: Sequence[Node]) -> _V | None:
        """The value kept for ``key`` and these very nodes, or None."""
        entry_key = (key, *map(id, nodes))
        with self._lock:
            entry = self._entries.get(entry_key)
            if entry is None:
                return None
            kept, value = entry
            if len(kept) != len(nodes) or any(a is not b for a, b in zip(kept, nodes, strict=True)):
                return None
            self._entries.move_to_end(entry_key)
            return value

    def put(self, key: Hashable, nodes: Sequence[Node], value: _V) -> None:
        """Keep ``value`` (the oldest entry goes when the cache is full)."""
        entry_key = (key, *map(id, nodes))
        with self._lock:
            self._entries[entry_key] = (tuple(nodes), value)
            self._entries.move_to_end(entry_key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


#: :func:`uses_variables` by the nodes scanned (per process: nodes are unique to their document).
_SCANNED: SelectionCache[bool] = SelectionCache(4 * DEFAULT_SIZE)


def uses_variables(fields: Iterable[FieldNode], fragments: Mapping[str, FragmentDefinitionNode]) -> bool:
    """Whether a variable occurs in the selection sets of ``fields`` (fragments spread there
    included). The fields' own arguments and directives are not looked at: they are read apart
    (a root field's arguments are the resolver's, its ``@skip`` is graphql-core's). Remembered
    per nodes, so a selection that cannot be kept is not scanned again at every request."""
    nodes = list(fields)
    known = _SCANNED.get(None, nodes)
    if known is None:
        known = _scan(nodes, fragments)
        _SCANNED.put(None, nodes, known)
    return known


def _scan(fields: list[FieldNode], fragments: Mapping[str, FragmentDefinitionNode]) -> bool:
    stack: list[Node] = [f.selection_set for f in fields if f.selection_set is not None]
    spread: set[str] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, VariableNode):
            return True
        if isinstance(node, FragmentSpreadNode) and node.name.value not in spread:
            spread.add(node.name.value)
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                stack.append(fragment)
        for name in node.keys:
            value = getattr(node, name, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(v for v in value if isinstance(v, Node))
    return False
