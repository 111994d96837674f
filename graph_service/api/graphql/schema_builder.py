"""``make_schema``: the GraphQL schema generated from the DomainModel at start-up.

One object type (or interface) per class, input types for ``where``/``orderBy``, and root fields
per class (by business key, and a Relay connection), plus ``ontology``. Root and relation fields
are served by plain graphql-core resolvers (see :mod:`resolvers`, :func:`executor.read_relation`):
a root field runs one Cypher statement, and nested fields only read the dicts it returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import has_object_definition
from strawberry.utils.logging import StrawberryLogger

from graph_service.api.graphql import naming
from graph_service.api.graphql.completion import CompiledExecutionContext
from graph_service.api.graphql.document_gate import DocumentGate, DocumentGuard
from graph_service.api.graphql.errors import (
    DOCUMENT_TOO_LARGE,
    QUERY_TOO_COMPLEX,
    TOO_MANY_REQUESTS,
    SchemaBuildError,
    ensure_code,
)
from graph_service.api.graphql.executor import GraphExecutor, Store, read_relation
from graph_service.api.graphql.fields import ClassFields, TypeIndex, all_class_fields
from graph_service.api.graphql.filters import InputTypes
from graph_service.api.graphql.limits import Limits
from graph_service.api.graphql.lineage_links import LINKS_FIELD
from graph_service.api.graphql.object_types import OutputTypes, argument
from graph_service.api.graphql.ontology_field import OntologyView
from graph_service.api.graphql.operation import OperationStateExtension
from graph_service.api.graphql.planner import Planner
from graph_service.api.graphql.resolvers import Resolver, RootResolvers
from graph_service.api.graphql.scalars import PYTHON_TYPES, scalar_overrides

if TYPE_CHECKING:  # imported when used: the streams package imports products, which import this
    from graph_service.api.graphql.subscriptions import Subscriptions
from graph_service.ontology.model import DomainModel
from graph_service.store import LoopReader

log = logging.getLogger(__name__)

QUERY_TYPE = "Query"
ONTOLOGY_FIELD = "ontology"
#: Most aliases one query may use (each one can add a subquery to the statement).
MAX_ALIASES = 64

#: A strawberry schema extension: its class, or a factory that makes one per request.
Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


def default_extensions(limits: Limits) -> list[Extension]:
    """Depth and alias limits (a selection compiles to one statement, so they bound its size),
    and the document gate: size, token and expanded-selection limits checked before validation,
    parsing and validation cached and done off the event loop (see :mod:`document_gate`)."""
    # The rule classes are made once: the validation cache is keyed by them, so rules made per
    # request (as a per-request QueryDepthLimiter does) would never hit it.
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    gate = DocumentGate(limits)
    return [gate.extension, OperationStateExtension, lambda: AddValidationRules(rules)]


def make_schema(
    model: DomainModel,
    store: Store,
    *,
    extensions: Sequence[Extension] | None = None,
    extra_types: Sequence[type] = (),
    limits: Limits | None = None,
    reader: LoopReader | None = None,
    subscriptions: Subscriptions | None = None,
    codes: Mapping[tuple[str, str], frozenset[str]] | None = None,
) -> strawberry.Schema:
    """The GraphQL schema of ``model``, reading from ``store``.

    ``extensions``: strawberry schema extensions (default: :func:`default_extensions`).
    ``extra_types``: strawberry types whose fields join the root ``Query`` (the data products'
    ``DataProductsQuery``); where a name is taken by both, theirs wins and the generated field
    is left out (logged as a warning).
    ``reader``: read through it on its event loop; without it, reads run in worker threads.
    ``subscriptions``: the ``Subscription`` type's builder (:mod:`subscriptions`); None: no
    subscriptions.
    ``codes``: (class, property) → its closed code list; a filter value outside it is an error
    naming the allowed codes (:func:`loaders.code_lists.by_queried_class`).
    """
    limits = limits or Limits()
    fields = all_class_fields(model)
    types = TypeIndex.of(model)
    inputs = InputTypes(fields)
    outputs = OutputTypes(model, fields, inputs)
    executor = GraphExecutor(store, limits.query_timeout_s)
    executor.use_async(reader)
    roots = RootResolvers(Planner(fields, types, limits, codes), executor)
    namespace, resolvers = _root_fields(fields, types, outputs, inputs, roots, limits)
    _drop_taken(namespace, resolvers, extra_types)
    namespace[ONTOLOGY_FIELD] = strawberry.field(
        resolver=OntologyView(model, fields).resolver(),
        name=ONTOLOGY_FIELD,
        description="The domain's classes, properties and relations with labels and definitions.",
    )
    generated = strawberry.type(type("GeneratedQuery", (), namespace), name="GeneratedQuery")
    query = strawberry.type(type(QUERY_TYPE, (*extra_types, generated), {}), name=QUERY_TYPE)
    subscription = subscriptions.build(fields, inputs, codes) if subscriptions is not None else None
    schema = _Schema(
        query=query,
        subscription=subscription,
        types=outputs.object_types(),
        extensions=list(default_extensions(limits) if extensions is None else extensions),
        scalar_overrides=scalar_overrides(),
        config=StrawberryConfig(default_resolver=read_attribute),
        execution_context_class=CompiledExecutionContext.with_cache(limits.selection_cache),
    )
    schema.store_uri = getattr(store, "uri", None)
    _route(schema, resolvers, fields, types)
    if subscriptions is not None:
        from graph_service.api.graphql.subscriptions import route_subscriptions

        route_subscriptions(schema, subscriptions.subscribers)
    return schema


def read_attribute(source: Any, name: str) -> Any:
    """Default resolver: generated types are result dicts; other types (data products) objects."""
    if type(source) is dict:
        return source[name]
    return getattr(source, name)


# -- root fields --------------------------------------------------------------------------------


def _root_fields(
    fields: Mapping[str, ClassFields],
    types: TypeIndex,
    outputs: OutputTypes,
    inputs: InputTypes,
    roots: RootResolvers,
    limits: Limits,
) -> tuple[dict[str, Any], dict[str, Resolver]]:
    namespace: dict[str, Any] = {"__annotations__": {}}
    resolvers: dict[str, Resolver] = {}

    def add(name: str, annotation: Any, field: Any, resolver: Resolver, what: str) -> None:
        if name in resolvers or name == ONTOLOGY_FIELD:
            raise SchemaBuildError(f"two root fields would be called {name!r} ({what}); rename a class")
        namespace["__annotations__"][name] = annotation
        namespace[name] = field
        resolvers[name] = resolver

    for class_name in sorted(types.node_types):
        class_fields = fields[class_name]
        cls = class_fields.cls
        node = outputs.of(class_name)
        if class_fields.key_fields:
            key_name = naming.key_field(cls.graphql_name)
            field = strawberry.field(
                name=key_name, description=f"The {cls.graphql_name} with this business key."
            )
            field.arguments = [
                argument(p.name, PYTHON_TYPES[p.prop.graphql_type], f"{p.name} (business key)")
                for p in class_fields.key_fields
            ]
            add(key_name, Optional[node], field, roots.key_lookup(class_name), f"{cls.name} by key")  # noqa: UP045
        list_name = naming.list_field(cls.graphql_name, is_event=cls.is_event)
        field = strawberry.field(name=list_name, description=_list_doc(class_fields, types))
        field.arguments = _page_arguments(inputs, class_name, limits)
        add(list_name, outputs.connection[class_name], field, roots.page(class_name), f"{cls.name} list")
    return namespace, resolvers


def _page_arguments(inputs: InputTypes, class_name: str, limits: Limits) -> list[StrawberryArgument]:
    return [
        argument(
            "first",
            Optional[int],  # noqa: UP045
            f"Page size (default {limits.default_page_size}, at most {limits.max_page_size}).",
        ),
        argument("after", Optional[str], "The `endCursor` of the previous page."),  # noqa: UP045
        argument("where", Optional[inputs.where[class_name]], "Only nodes matching this."),  # noqa: UP045
        argument(
            "orderBy",
            Optional[list[inputs.order[class_name]]],  # type: ignore[name-defined]  # noqa: UP045
            "Sort keys; the business key breaks ties (and is the order when none is given).",
        ),
    ]


def _list_doc(class_fields: ClassFields, types: TypeIndex) -> str:
    cls = class_fields.cls
    text = f"A page of {cls.graphql_name} nodes: filter with `where`, sort with `orderBy`."
    if class_fields.cls.name in types.interfaces:
        text += " Includes the instances of its subclasses (ask `__typename`)."
    return text


def _drop_taken(
    namespace: dict[str, Any], resolvers: dict[str, Resolver], extra_types: Sequence[type]
) -> None:
    names = NameConverter()
    for extra in extra_types:
        if not has_object_definition(extra):
            raise SchemaBuildError(f"{extra!r} is not a strawberry type; decorate it with @strawberry.type")
        definition = extra.__strawberry_definition__
        for field in definition.fields:
            name = names.get_graphql_name(field)
            if name in resolvers:
                log.warning("root field %s of %s replaces the generated one", name, definition.name)
                namespace["__annotations__"].pop(name, None)
                namespace.pop(name, None)
                resolvers.pop(name, None)


# -- wiring -------------------------------------------------------------------------------------

#: Error codes of requests the client can fix (or was refused on purpose): logged without a stack.
CLIENT_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "FORBIDDEN",
        "COST_LIMIT_EXCEEDED",
        "QUERY_TIMEOUT",
        "DATA_PRODUCT_NONCONFORMING",
        DOCUMENT_TOO_LARGE,
        QUERY_TOO_COMPLEX,
        TOO_MANY_REQUESTS,
    }
)


class _Schema(strawberry.Schema):
    """Gives every error a code (:func:`ensure_code`); logs clients' mistakes and refusals at INFO
    in one line, real failures as strawberry does."""

    #: The Neo4j URI a connection failure's message names.
    store_uri: str | None = None

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        # the document guard's hooks are asynchronous; execute_sync gets its synchronous twin
        extensions = super().get_extensions(sync)
        if not sync:
            return extensions
        return [e.synchronous() if isinstance(e, DocumentGuard) else e for e in extensions]

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            ensure_code(error, self.store_uri)  # before the metrics extension reads the codes
            original = error.original_error
            source = original if isinstance(original, GraphQLError) else error
            code = (source.extensions or {}).get("code")
            if original is None or code in CLIENT_CODES:
                log.info("graphql request refused (%s): %s", code or "INVALID", error.message)
            else:
                StrawberryLogger.error(error, execution_context)


def _route(
    schema: strawberry.Schema,
    resolvers: Mapping[str, Callable[..., Any]],
    fields: Mapping[str, ClassFields],
    types: TypeIndex,
) -> None:
    """Serve root fields by their resolvers and relation fields from the result dicts."""
    core = schema._schema  # the graphql-core schema strawberry built
    query = core.query_type
    assert query is not None
    for name, resolver in resolvers.items():
        query.fields[name].resolve = resolver
    for type_name, class_name in types.type_classes.items():
        graphql_type = core.get_type(type_name)
        for relation in fields[class_name].relations:
            graphql_type.fields[relation].resolve = read_relation  # type: ignore[union-attr]
        if LINKS_FIELD in graphql_type.fields:  # type: ignore[union-attr]
            graphql_type.fields[LINKS_FIELD].resolve = read_relation  # type: ignore[union-attr]
