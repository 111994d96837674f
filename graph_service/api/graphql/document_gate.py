"""Parsing and validation with bounded cost, mostly off the event loop.

One :class:`DocumentGate` per schema (built with the default extensions) replaces strawberry's
parser and validation caches. Before anything reads a document it refuses one larger than
``max_document_bytes``; the parser stops after ``max_tokens``; the selection with every fragment
expanded (:mod:`expansion`) must stay within ``max_selections`` before validation runs, since
validation rules and the planner walk that expanded form; and the overlapping-fields rule works
within a budget of comparisons. Under those bounds parsing and validating the worst document
still takes tens of milliseconds, so documents not already cached are parsed and validated in
the gate's own worker thread (one: the event loop competes with at most one busy thread for the
GIL), except small ones, which are cheaper than the hop. docs/graphql.md has the measurements.

The worker takes one document per caller at a time (:class:`_Turns`): a caller who sends many
expensive documents at once waits behind its own, and anybody else waits behind at most one
document of each other caller; past :data:`MAX_WAITING_PER_CALLER` waiting documents the caller
is refused (``TOO_MANY_REQUESTS``), so waiting requests cannot pile up either.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema, GraphQLSyntaxError, parse
from graphql.validation import ASTValidationRule, OverlappingFieldsCanBeMergedRule, ValidationContext
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graph_service.api.graphql.errors import (
    DOCUMENT_TOO_LARGE,
    QUERY_TOO_COMPLEX,
    TOO_MANY_REQUESTS,
    client_error,
)
from graph_service.api.graphql.expansion import expanded_size
from graph_service.api.graphql.limits import Limits
from graph_service.security import current_principal

#: Documents up to this many bytes are parsed and validated on the event loop: the worst of them
#: takes about as long as the hop to the worker thread and back (docs/graphql.md).
INLINE_DOCUMENT_BYTES = 512
#: Budget of the overlapping-fields rule (graphql-core's unit: about one field comparison);
#: graphql-core's own default (500,000) is several seconds of work on a busy core.
OVERLAP_BUDGET = 50_000
#: Parsed and validated documents kept per schema (clients repeat the same queries).
CACHE_SIZE = 512
#: Documents one caller (API key) may have waiting for or in the worker thread at once.
MAX_WAITING_PER_CALLER = 8

_TOKENS = re.compile(r"more than \d+ tokens")
_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    """A small least-recently-used map; used from the event loop's thread only."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)


class _Turns:
    """One turn in the worker per caller at a time; used from the event loop's thread only."""

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self._waiting: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, caller: str) -> AsyncIterator[None]:
        waiting = self._waiting.get(caller, 0)
        if waiting >= self.max_waiting:
            raise client_error(
                f"{caller} already has {waiting} documents waiting to be parsed or validated; "
                "send them one after the other (or repeat a document: checked ones are cached)",
                TOO_MANY_REQUESTS,
                limit=self.max_waiting,
            )
        self._waiting[caller] = waiting + 1
        lock = self._locks.setdefault(caller, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            self._waiting[caller] -= 1
            if not self._waiting[caller]:  # nobody holds or waits for it: forget the caller
                del self._waiting[caller]
                del self._locks[caller]


class BoundedOverlapRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's overlapping-fields rule with :data:`OVERLAP_BUDGET` instead of its global
    default; exhausting it aborts validation (reported as ``QUERY_TOO_COMPLEX``)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = OVERLAP_BUDGET


class DocumentGate:
    """The limits on documents of one schema, the caches of checked documents and the worker."""

    def __init__(self, limits: Limits, *, inline_bytes: int = INLINE_DOCUMENT_BYTES) -> None:
        self.limits = limits
        self.inline_bytes = inline_bytes
        self._parsed: _Lru[str, DocumentNode] = _Lru(CACHE_SIZE)
        self._validated: _Lru[tuple[str, tuple[type[ASTValidationRule], ...]], list[GraphQLError]] = _Lru(
            CACHE_SIZE
        )
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-documents")
        self._turns = _Turns(MAX_WAITING_PER_CALLER)
        weakref.finalize(self, self._worker.shutdown, wait=False)

    def extension(self) -> SchemaExtension:
        """The per-request extension (a factory for ``strawberry.Schema(extensions=...)``)."""
        return DocumentGuard(self)

    # -- the checks (pure; any thread) --------------------------------------------------------

    def check_size(self, query: str) -> None:
        limit = self.limits.max_document_bytes
        if len(query) > limit or len(query.encode("utf-8")) > limit:
            raise client_error(
                f"the document is larger than {limit} bytes (DIGISPINE_GRAPHQL_MAX_DOCUMENT_BYTES); "
                "send a smaller query, with values as variables",
                DOCUMENT_TOO_LARGE,
                limit=limit,
            )

    def parse(self, query: str) -> DocumentNode:
        """The document of ``query``, or a GraphQL error: a syntax error, too many tokens, or a
        selection too large once its fragments are expanded."""
        limit = self.limits.max_tokens
        try:
            document = parse(query, max_tokens=limit)
        except GraphQLSyntaxError as exc:
            if _TOKENS.search(exc.message):
                raise client_error(
                    f"the document has more than {limit} tokens (DIGISPINE_GRAPHQL_MAX_TOKENS)",
                    DOCUMENT_TOO_LARGE,
                    limit=limit,
                ) from None
            raise
        self.check_expansion(document)
        return document

    def check_expansion(self, document: DocumentNode) -> None:
        limit = self.limits.max_selections
        if expanded_size(document, limit) > limit:
            raise client_error(
                f"the query selects more than {limit} fields, fragments and spreads with its fragments "
                "expanded (DIGISPINE_GRAPHQL_MAX_SELECTIONS); ask for less or split the query",
                QUERY_TOO_COMPLEX,
                limit=limit,
            )

    def validate(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]
    ) -> list[GraphQLError]:
        bounded = tuple(BoundedOverlapRule if r is OverlappingFieldsCanBeMergedRule else r for r in rules)
        errors = validate_document(schema, document, bounded)
        return [_explained(error) for error in errors]

    # -- on the event loop --------------------------------------------------------------------

    async def parsed(self, query: str) -> DocumentNode:
        self.check_size(query)  # first: a cache lookup hashes the whole text
        document = self._parsed.get(query)
        if document is None:
            document = await self._run(query, self.parse, query)
            self._parsed.put(query, document)
        return document

    async def validated(
        self, schema: GraphQLSchema, query: str, document: DocumentNode, rules: Sequence[Any]
    ) -> list[GraphQLError]:
        key = (query, tuple(rules))
        errors = self._validated.get(key)
        if errors is None:
            errors = await self._run(query, self.validate, schema, document, key[1])
            self._validated.put(key, errors)
        return errors

    async def _run(self, query: str, work: Callable[..., _V], *args: Any) -> _V:
        if len(query) <= self.inline_bytes:
            return work(*args)
        async with self._turns.turn(current_principal().name):
            return await asyncio.get_running_loop().run_in_executor(self._worker, work, *args)

    # -- without an event loop (Schema.execute_sync) ----------------------------------------

    def parsed_sync(self, query: str) -> DocumentNode:
        self.check_size(query)
        document = self._parsed.get(query)
        if document is None:
            document = self.parse(query)
            self._parsed.put(query, document)
        return document

    def validated_sync(
        self, schema: GraphQLSchema, query: str, document: DocumentNode, rules: Sequence[Any]
    ) -> list[GraphQLError]:
        key = (query, tuple(rules))
        errors = self._validated.get(key)
        if errors is None:
            errors = self.validate(schema, document, key[1])
            self._validated.put(key, errors)
        return errors


def _explained(error: GraphQLError) -> GraphQLError:
    """graphql-core's bare "Validation aborted." (a work budget ran out) made into a clear error."""
    if error.message != "Validation aborted.":
        return error
    return client_error(
        "validation stopped: the query's fields overlap in too many ways to compare (repeated fields "
        "or fragments selecting the same names); remove the repetitions",
        QUERY_TOO_COMPLEX,
    )


class DocumentGuard(SchemaExtension):
    """Parses and validates the request's document through its :class:`DocumentGate`.

    A refusal is raised from the parsing hook (strawberry answers it as the request's only
    error); no other default extension has a parsing hook entered before this one.
    """

    def __init__(self, gate: DocumentGate) -> None:
        super().__init__()
        self.gate = gate

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            context.graphql_document = await self.gate.parsed(context.query)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.query is not None and context.graphql_document:
            context.pre_execution_errors = await self.gate.validated(
                context.schema._schema, context.query, context.graphql_document, context.validation_rules
            )
        yield

    def synchronous(self) -> SyncDocumentGuard:
        return SyncDocumentGuard(self.gate)


class SyncDocumentGuard(DocumentGuard):
    """The same checks for ``Schema.execute_sync``, all on the calling thread."""

    def on_parse(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            context.graphql_document = self.gate.parsed_sync(context.query)
        yield

    def on_validate(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.pre_execution_errors is None and context.query is not None and context.graphql_document:
            context.pre_execution_errors = self.gate.validated_sync(
                context.schema._schema, context.query, context.graphql_document, context.validation_rules
            )
        yield
