"""Reports data product violations in a GraphQL response's ``extensions``.

A resolver of a product whose latest validation found violations (and whose descriptor says
``onViolation: report``) adds a notice; this extension collects the notices of one operation
and returns them as ``extensions.dataProductViolations``. Install it on the schema:
``strawberry.Schema(query=..., extensions=[ProductViolationsExtension])``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from strawberry.extensions import SchemaExtension

EXTENSIONS_KEY = "dataProductViolations"

#: The notices of the operation being executed (set by the extension around each operation;
#: resolvers run in the same context, or in a copy of it that shares the list).
_notices: ContextVar[list[dict[str, Any]] | None] = ContextVar("digispine_product_notices", default=None)


def add_notice(notice: dict[str, Any]) -> bool:
    """Record ``notice`` for the current operation; False when the extension is not installed."""
    notices = _notices.get()
    if notices is None:
        return False
    if notice not in notices:  # the same field under two aliases reports once
        notices.append(notice)
    return True


class ProductViolationsExtension(SchemaExtension):
    """Adds ``extensions.dataProductViolations`` to responses that served non-conforming products."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._collected: list[dict[str, Any]] = []

    def on_operation(self) -> Iterator[None]:
        token = _notices.set(self._collected)
        try:
            yield
        finally:
            _notices.reset(token)

    def get_results(self) -> dict[str, Any]:
        return {EXTENSIONS_KEY: list(self._collected)} if self._collected else {}
