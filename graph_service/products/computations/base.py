"""The types a computation step is written against."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

Row = dict[str, Any]


class ProductCalls(Protocol):
    """How a computation reads other products (same store, timeout and model values)."""

    def run(self, name: str, version: str, values: Mapping[str, Any]) -> list[Row]: ...


#: (the query's rows, the bound parameters, the product calls) → the product's rows.
Computation = Callable[[list[Row], Mapping[str, Any], ProductCalls], list[Row]]
