"""Runs a product's Cypher with typed parameters and returns plain Python rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import neo4j
import neo4j.time

from graph_service.products.errors import ParameterError, ProductRefusedToStep
from graph_service.products.parameters import coerce
from graph_service.products.registry import DataProduct, ProductRegistry
from graph_service.store import LoopReader, Neo4jStore

log = logging.getLogger(__name__)

Row = dict[str, Any]


def bind_parameters(product: DataProduct, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every declared parameter with its value: given, else its default, else null; and the
    model values the query reads (``DataProduct.model_values``).

    Unknown names, missing required values and values of the wrong type are a
    :class:`ParameterError` naming the product and the parameter.
    """
    values = dict(values or {})
    declared = {p.name: p for p in product.descriptor.parameters}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ParameterError(
            product.key,
            f"unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(declared) or 'none'}",
        )
    bound: dict[str, Any] = {}
    for name, parameter in declared.items():
        value = values.get(name)
        if value is None:
            value = parameter.default
        if value is None and parameter.required:
            raise ParameterError(product.key, f"parameter {name!r} ({parameter.type}) is required")
        try:
            bound[name] = coerce(parameter.type, value)
        except ValueError as exc:
            raise ParameterError(product.key, f"parameter {name!r}: {exc}") from None
    bound.update(product.model_values)
    return bound


def to_native(value: Any) -> Any:
    """Neo4j temporal values as ``datetime``/``date``/``time``; durations as ISO 8601 text."""
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        return value.to_native()
    if isinstance(value, neo4j.time.Duration):
        return value.iso_format()
    if isinstance(value, list):
        return [to_native(item) for item in value]
    if isinstance(value, dict):
        return {key: to_native(item) for key, item in value.items()}
    return value


class ProductRunner:
    """Executes products against Neo4j (read transactions, the store's retry policy)."""

    def __init__(
        self, store: Neo4jStore, timeout_s: float | None = None, registry: ProductRegistry | None = None
    ) -> None:
        self.store = store
        #: Neo4j stops a product query that runs longer (None: no limit).
        self.timeout_s = timeout_s
        #: The products a computed product may read (None: no computed products).
        self.registry = registry
        self._reader: LoopReader | None = None

    def use_async(self, reader: LoopReader | None) -> None:
        """:meth:`run_async` reads through ``reader`` when on its event loop (its owner closes it)."""
        self._reader = reader

    async def run_async(self, product: DataProduct, values: Mapping[str, Any] | None = None) -> list[Row]:
        """:meth:`run` without blocking the event loop: through the reader, else in a thread."""
        # A computed product's step reads other products with blocking calls: in a thread.
        if self._reader is None or not self._reader.here or product.computation is not None:
            return await asyncio.to_thread(self.run, product, values)
        query = neo4j.Query(product.query, timeout=self.timeout_s)
        records = await self._reader.read(query, bind_parameters(product, values))
        return [to_native(record.data()) for record in records]

    def run(self, product: DataProduct, values: Mapping[str, Any] | None = None) -> list[Row]:
        parameters = bind_parameters(product, values)
        log.debug("running data product", extra={"product": product.key, "parameters": parameters})
        rows = [
            to_native(row) for row in self.store.read(product.query, parameters, timeout_s=self.timeout_s)
        ]
        if product.computation is None:
            return rows
        return product.computation(rows, parameters, StepCalls(self, product))

    def sample_parameters(self, product: DataProduct) -> list[dict[str, Any]]:
        """Parameter sets to validate with: the rows of ``validation.cypher``, else the defaults."""
        if product.validation_query is None:
            return [{}]
        return [to_native(row) for row in self.store.read(product.validation_query)]


class StepCalls:
    """The product calls of a computed product: other products by name and major version."""

    def __init__(self, runner: ProductRunner, caller: DataProduct) -> None:
        self.runner = runner
        self.caller = caller

    def run(self, name: str, version: str, values: Mapping[str, Any]) -> list[Row]:
        if self.runner.registry is None:
            raise ParameterError(self.caller.key, "this runner has no registry to read other products from")
        product = self.runner.registry.get(name, version)
        if product.name == self.caller.name:
            raise ParameterError(self.caller.key, "a computed product may not read itself")
        # The step reads below the API, without the caller's roles: a role that may read the
        # computed product must also be allowed to read what it is computed from.
        wider = sorted(set(self.caller.descriptor.access_roles) - set(product.descriptor.access_roles))
        if wider:
            raise ProductRefusedToStep(self.caller.key, product.key, wider)
        return self.runner.run(product, values)
