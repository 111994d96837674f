"""Per-operation bookkeeping of the generated schema: the estimated cost spent so far and the
personal-data fields masked for the caller, reported in the response's ``extensions``.

The extension sets a fresh :class:`OperationState` around each operation; the planner (which
runs inside the resolvers of that operation) adds to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from strawberry.extensions import SchemaExtension

MASKED_KEY = "maskedFields"
COST_KEY = "cost"


@dataclass
class OperationState:
    cost: int = 0
    masked: set[str] = field(default_factory=set)


_state: ContextVar[OperationState | None] = ContextVar("digispine_operation_state", default=None)


def operation_state() -> OperationState:
    """The state of the operation being executed (a throw-away one outside an operation)."""
    return _state.get() or OperationState()


class OperationStateExtension(SchemaExtension):
    """Adds ``extensions.cost`` (the estimated nodes read) and ``extensions.maskedFields``."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._state = OperationState()

    def on_operation(self) -> Iterator[None]:
        token = _state.set(self._state)
        try:
            yield
        finally:
            _state.reset(token)

    def get_results(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        if self._state.cost:
            results[COST_KEY] = self._state.cost
        if self._state.masked:
            results[MASKED_KEY] = sorted(self._state.masked)
        return results
