"""GraphQL metrics and spans: per root field its count, latency and a span; per operation its
errors by code and root field.

:func:`instrument_root_fields` wraps the resolvers of the root ``Query`` fields of a built schema
(nested fields only read the root's result dicts, so they are left unwrapped and cost nothing
more). :func:`errors_extension` makes the strawberry extension that counts each response's errors.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    default_field_resolver,
)
from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    import strawberry
    from opentelemetry.trace import Span, Tracer

    from graph_service.observability.metrics import ServiceMetrics

#: ``root_field`` of errors no field raised (the document was refused before execution).
NO_FIELD = "-"
#: ``code`` of an error without ``extensions.code`` (graphql-core's own: parse and validation).
NO_CODE = "GRAPHQL_ERROR"

Resolve = Callable[..., Any]


def instrument_root_fields(schema: strawberry.Schema, metrics: ServiceMetrics, tracer: Tracer | None) -> None:
    """Count, time and (with ``tracer``) trace every root query field of ``schema``, in place."""
    query = schema._schema.query_type  # the graphql-core schema strawberry built
    if query is None:
        return
    for name, field in query.fields.items():
        field.resolve = _RootField(name, field.resolve or default_field_resolver, metrics, tracer)


class _RootField:
    """A root field's resolver with its count, latency and span around it."""

    def __init__(self, name: str, inner: Resolve, metrics: ServiceMetrics, tracer: Tracer | None) -> None:
        self._name = name
        self._inner = inner
        self._requests = metrics.graphql_requests.labels(name)
        self._latency = metrics.graphql_latency.labels(name)
        self._tracer = tracer

    def __call__(self, source: Any, info: Any, /, **arguments: Any) -> Any:
        # Positional-only: a root field may take an argument named `source` (an event's key).
        self._requests.inc()
        started = time.perf_counter()
        if self._tracer is None:
            try:
                result = self._inner(source, info, **arguments)
            except BaseException:
                self._latency.observe(time.perf_counter() - started)
                raise
            if isawaitable(result):
                return self._timed(result, started)
            self._latency.observe(time.perf_counter() - started)
            return result
        return self._traced(source, info, arguments, started)

    async def _timed(self, result: Awaitable[Any], started: float) -> Any:
        try:
            return await result
        finally:
            self._latency.observe(time.perf_counter() - started)

    def _traced(self, source: Any, info: Any, arguments: dict[str, Any], started: float) -> Any:
        from opentelemetry import context, trace

        assert self._tracer is not None
        span = self._tracer.start_span(f"graphql {self._name}", attributes=_attributes(self._name, info))
        current = trace.set_span_in_context(span)
        token = context.attach(current)  # the statements it runs are its children
        try:
            result = self._inner(source, info, **arguments)
        except BaseException as exc:
            self._end(span, started, exc)
            raise
        finally:
            context.detach(token)
        if isawaitable(result):
            return self._traced_async(result, span, current, started)
        self._end(span, started, None)
        return result

    async def _traced_async(self, result: Awaitable[Any], span: Span, current: Any, started: float) -> Any:
        from opentelemetry import context

        token = context.attach(current)  # a coroutine's body runs when awaited: here
        try:
            value = await result
        except BaseException as exc:
            self._end(span, started, exc)
            raise
        finally:
            context.detach(token)
        self._end(span, started, None)
        return value

    def _end(self, span: Span, started: float, exc: BaseException | None) -> None:
        from opentelemetry.trace import Status, StatusCode

        self._latency.observe(time.perf_counter() - started)
        if exc is not None:
            code = _code(exc) if isinstance(exc, GraphQLError) else type(exc).__name__
            span.set_attribute("graphql.error.code", code)
            span.set_status(Status(StatusCode.ERROR, code))
        span.end()


def _attributes(name: str, info: Any) -> dict[str, str]:
    operation = info.operation
    return {
        "graphql.field.name": name,
        "graphql.operation.type": operation.operation.value,
        "graphql.operation.name": operation.name.value if operation.name else "",
    }


def errors_extension(metrics: ServiceMetrics) -> type[SchemaExtension]:
    """A strawberry extension counting each operation's errors by root field and code."""

    class GraphQLErrorMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            yield
            context = self.execution_context
            result = getattr(context, "result", None)
            errors = (result.errors if result is not None else None) or context.pre_execution_errors or []
            if not errors:
                return
            roots = _root_names(context)
            for error in errors:
                key = error.path[0] if error.path else None
                root = roots.get(str(key), NO_FIELD) if key is not None else NO_FIELD
                metrics.graphql_errors.labels(root, _code(error)).inc()

    return GraphQLErrorMetrics


def _root_names(context: Any) -> dict[str, str]:
    """Response key (alias or name) → field name of the operation's root selections, through
    fragments: a label value is always a field of the schema, never a caller's alias."""
    document = getattr(context, "graphql_document", None)
    if document is None:
        return {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: dict[str, str] = {}

    def walk(selections: Any, seen: frozenset[str]) -> None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                names[key] = selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set.selections, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set.selections, seen | {selection.name.value})

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk(definition.selection_set.selections, frozenset())
    return names


def _code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    original = getattr(error, "original_error", None)
    if code is None and isinstance(original, GraphQLError):
        code = (original.extensions or {}).get("code")
    return str(code) if code else NO_CODE
