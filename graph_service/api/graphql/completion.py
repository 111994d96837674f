"""Completing a generated root field's result in one walk, without graphql-core's field resolution.

The statement of a root field already returns the response's shape (:mod:`cypher_builder`
projects every selected field, aliases renamed by the executor), so graphql-core's completion —
resolve info, a resolver call, awaitable checks and an error frame per field of every row — is
work whose answer is known. The root resolvers hand back :class:`Compiled` values; the execution
context here completes them by a walk prepared once per selection and type: each row becomes the
response dict with the same keys, in the same order, and each leaf is coerced by its scalar's
own ``coerce_output_value``, so the JSON is byte for byte what the field-by-field completion
gives. Whenever that walk meets anything it would have to decide differently (a null in a
non-null position, a value a scalar refuses, an unknown concrete type, ``@defer``), it gives up
and the value goes through graphql-core's completion, which reports it exactly as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import (
    GraphQLBoolean,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    Undefined,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph_service.api.graphql.concrete_types import always
from graph_service.api.graphql.executor import ALIAS, read_relation
from graph_service.api.graphql.selection_cache import SelectionCache, uses_variables

log = logging.getLogger(__name__)

#: strawberry's back-reference from a graphql-core field to its StrawberryField.
_DEFINITION = "strawberry-definition"
_TYPENAME = "__typename"

Complete = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A root field's result whose shape is the response's (see the module docstring)."""

    value: Any


class _Fallback(Exception):
    """The walk cannot decide this value as graphql-core would: complete it field by field."""


class CompiledExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing :class:`Compiled` results in one walk."""

    #: False: complete them field by field too (the equivalence test and the benchmark compare).
    walk: ClassVar[bool] = True
    #: Walks of variable-free selections without interfaces, by (return type, the root field's
    #: nodes): the next request of the same cached document completes with the first one's walk.
    walks: ClassVar[SelectionCache[Complete]] = SelectionCache()

    @classmethod
    def with_cache(cls, size: int) -> type[CompiledExecutionContext]:
        """This context with a walk cache of its own, of ``size`` entries (one per schema)."""
        return type(cls.__name__, (cls,), {"walks": SelectionCache(size), "__module__": cls.__module__})

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if type(result) is Compiled:
            if not self.walk:
                return self.complete_value(
                    return_type, field_details_list, info, path, result.value, position_context
                )
            try:
                return self._prepared(return_type, field_details_list, info)(result.value)
            except _Fallback:
                log.debug("%s completed field by field", info.field_name)
                result = result.value
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def _prepared(self, return_type: GraphQLOutputType, fields: Any, info: Any) -> Complete:
        """The walk of this root field's selection, made for an earlier request of the same cached
        document when it can be: no variable below the field (``@skip``/``@include`` could differ),
        no ``@defer`` or fragment arguments on it, and no interface (whose completer reads the
        request's resolve info)."""
        nodes = [f.node for f in fields]
        plain = all(
            f.defer_usage is None and getattr(f, "fragment_variable_values", None) is None for f in fields
        )
        if plain:
            kept = self.walks.get(id(return_type), nodes)
            if kept is not None:
                return kept
        walk = _Walk(self, info)
        complete = walk.completer(return_type, fields)
        if plain and not walk.reads_info and not uses_variables(nodes, info.fragments):
            self.walks.put(id(return_type), nodes, complete)
        return complete


class FieldByFieldExecutionContext(CompiledExecutionContext):
    """Completes every result field by field, as graphql-core does (for comparisons)."""

    walk = False


class _Walk:
    """The completers of one root field's selection, each made once and reused for every row."""

    def __init__(self, context: StrawberryGraphQLCoreExecutionContext, info: Any) -> None:
        self._context = context
        self._info = info
        self._made: dict[tuple[Any, int], Complete] = {}
        self._keep: list[Any] = []  # field lists stay alive, so their ids are not reused
        self.reads_info = False  # whether a completer made reads the request's resolve info

    def completer(self, return_type: GraphQLOutputType, fields: Any) -> Complete:
        key = (return_type, id(fields))
        made = self._made.get(key)
        if made is None:
            self._keep.append(fields)
            made = self._made[key] = self._make(return_type, fields)
        return made

    def _make(self, return_type: Any, fields: Any) -> Complete:
        if is_non_null_type(return_type):
            return _non_null(self.completer(return_type.of_type, fields))
        if is_list_type(return_type):
            return _list(self.completer(return_type.of_type, fields))
        if is_leaf_type(return_type):
            return _leaf(return_type.coerce_output_value)
        if is_abstract_type(return_type):
            return self._abstract(return_type, fields)
        return self._object(return_type, fields)

    def _object(self, object_type: GraphQLObjectType, fields: Any) -> Complete:
        if object_type.is_type_of not in (None, always):
            raise _Fallback
        grouped, deferred, _forbidden = self._context.collect_subfields(object_type, fields)
        if deferred:
            raise _Fallback
        name = object_type.name
        steps: list[_Step] = []
        for response_key, group in grouped.items():
            field_name = group[0].node.name.value
            if field_name == _TYPENAME:
                steps.append((response_key, None, None, False, None))
                continue
            definition = object_type.fields[field_name]
            if definition.resolve is read_relation:
                source = response_key if response_key == field_name else ALIAS + response_key
            else:
                strawberry_field = (definition.extensions or {}).get(_DEFINITION)
                if strawberry_field is None:
                    raise _Fallback
                source = strawberry_field.python_name
            steps.append(self._step(response_key, source, definition.type, group))
        return _object(name, steps)

    def _step(self, response_key: str, source: str, field_type: Any, group: Any) -> _Step:
        """A field of an object: a scalar is coerced in the object's own loop (a call less per
        field of every row), anything else by its completer."""
        required = is_non_null_type(field_type)
        leaf = field_type.of_type if required else field_type
        if is_leaf_type(leaf):
            return (response_key, source, _IDENTITY.get(leaf, leaf.coerce_output_value), required, None)
        return (response_key, source, None, False, self.completer(field_type, group))

    def _abstract(self, abstract: Any, fields: Any) -> Complete:
        self.reads_info = True
        schema = self._context.schema
        info = self._info
        by_type: dict[str, Complete] = {}

        def complete(row: Any) -> Any:
            if row is None:
                return None
            type_name = abstract.resolve_type(row, info, abstract)
            sub = by_type.get(type_name) if isinstance(type_name, str) else None
            if sub is None:
                runtime = schema.get_type(type_name) if isinstance(type_name, str) else None
                if not isinstance(runtime, GraphQLObjectType) or not schema.is_sub_type(abstract, runtime):
                    raise _Fallback
                sub = by_type[type_name] = self.completer(runtime, fields)
            return sub(row)

        return complete


#: An object's field: response key, key in the row (None: ``__typename``), the scalar's coercion
#: (None: not a scalar), whether it is non-null, and the completer of anything else.
_Step = tuple[str, str | None, Callable[[Any], Any] | None, bool, Complete | None]


def _same_string(value: Any) -> Any:
    """``String``'s coercion of a ``str`` is the value itself; anything else as ``String`` does."""
    return value if type(value) is str else GraphQLString.serialize(value)


def _same_boolean(value: Any) -> Any:
    return value if type(value) is bool else GraphQLBoolean.serialize(value)


#: Scalars whose coercion has a shortcut for the type they nearly always get.
_IDENTITY: dict[Any, Callable[[Any], Any]] = {GraphQLString: _same_string, GraphQLBoolean: _same_boolean}


def _object(name: str, steps: list[_Step]) -> Complete:
    def complete(row: Any) -> dict[str, Any] | None:
        if row is None:
            return None
        if type(row) is not dict:
            raise _Fallback
        out: dict[str, Any] = {}
        try:
            for response_key, source, coerce, required, sub in steps:
                if source is None:
                    out[response_key] = name
                    continue
                value = row[source]
                if coerce is None:
                    out[response_key] = sub(value)  # type: ignore[misc]
                elif type(value) is str and coerce is _same_string:
                    out[response_key] = value
                elif value is None:
                    if required:
                        raise _Fallback
                    out[response_key] = None
                else:
                    try:
                        coerced = coerce(value)
                    except Exception:  # the scalar refuses it: graphql-core reports the field error
                        raise _Fallback from None
                    if coerced is None or coerced is Undefined:
                        raise _Fallback
                    out[response_key] = coerced
        except KeyError:
            raise _Fallback from None
        return out

    return complete


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise _Fallback
        return completed

    return complete


def _list(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not list:
            raise _Fallback
        return [inner(item) for item in value]

    return complete


def _leaf(coerce: Callable[[Any], Any]) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        try:
            coerced = coerce(value)
        except Exception:  # the scalar refuses it: graphql-core reports the field error
            raise _Fallback from None
        if coerced is None or coerced is Undefined:
            raise _Fallback
        return coerced

    return complete
