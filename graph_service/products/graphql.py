"""The GraphQL face of the data products: one field per product version, and the catalog.

``build_query_type`` returns a strawberry type (``DataProductsQuery``) to merge into the root
query: ``orderFulfillmentV1``/``orderFulfillmentV2`` per major version (deprecated versions carry
their deprecation reason), ``orderFulfillment`` for the latest one, and ``dataProducts`` (the
catalog: the batch products and the declared streams as real-time data products, ``kind: STREAM``).
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional, Protocol

import strawberry
from graphql import GraphQLError
from neo4j.exceptions import Neo4jError

from graph_service.api.graphql.errors import graph_failure
from graph_service.errors import DigiSpineError
from graph_service.ontology.model import DomainModel
from graph_service.products import naming
from graph_service.products.catalog_fields import FieldEntry, field_entries, product_example, stream_example
from graph_service.products.errors import ParameterError, ProductRefused
from graph_service.products.extension import add_notice
from graph_service.products.graphql_types import GeneratedType, generate_type
from graph_service.products.parameters import PARAMETER_TYPES
from graph_service.products.registry import DataProduct, ProductRegistry
from graph_service.products.runner import Row
from graph_service.products.stream_types import DataProductKind, ProductKind, StreamEntry, stream_entry
from graph_service.products.validation import ValidationResult, ValidationStatus, Violation, status_of
from graph_service.security import current_principal

if TYPE_CHECKING:  # the stream modules import this package: only names here
    from graph_service.streams.catalog import StreamCatalog
    from graph_service.streams.descriptor import StreamDescriptor

log = logging.getLogger(__name__)

QUERY_TYPE_NAME = "DataProductsQuery"
CATALOG_FIELD = "dataProducts"


class ProductAccess(Protocol):
    """What the resolvers need: the registry, running a product, its latest validation."""

    registry: ProductRegistry

    async def run_async(self, product: DataProduct, values: dict[str, Any]) -> list[Row]: ...

    @property
    def timeout_s(self) -> float | None: ...

    def latest_result(self, product: DataProduct) -> ValidationResult | None: ...


# -- catalog types ------------------------------------------------------------------------------


@strawberry.type(name="DataProductParameter", description="A parameter of a data product field.")
class ParameterEntry:
    name: str
    type: str
    required: bool
    default: str | None
    description: str


@strawberry.type(name="DataProductViolation", description="One violation of a product's output shape.")
class ViolationEntry:
    row: int | None = strawberry.field(description="Index of the offending row in the validated output.")
    row_key: str = strawberry.field(description="The row's first field and value, to find it.")
    field: str = strawberry.field(description="The field, with the path inside nested objects.")
    constraint: str = strawberry.field(description="The SHACL constraint, e.g. MaxInclusive.")
    message: str
    value: str | None


ValidationStatusType = strawberry.enum(
    ValidationStatus,
    name="DataProductValidationStatus",
    description="CONFORMS or NONCONFORMING once the output was checked; TIMED_OUT or FAILED when the "
    "validation could not check it; NOT_CHECKED before the first validation.",
)


@strawberry.type(name="DataProductValidation", description="The latest validation of a product's output.")
class ValidationEntry:
    status: ValidationStatusType  # type: ignore[valid-type]
    conforms: bool | None = strawberry.field(description="Null when the output was not checked.")
    checked_at: dt.datetime
    violation_count: int | None = strawberry.field(description="Null when the output was not checked.")
    sample_violations: list[ViolationEntry]
    row_count: int
    parameter_sets: int = strawberry.field(description="How many sample parameter sets were run.")
    error: str | None = strawberry.field(description="Why the validation could not run, if it could not.")


@strawberry.type(name="DataProductEntry", description="A data product version in the catalog.")
class DataProductEntry:
    name: str
    version: str
    title: str
    domain: str = strawberry.field(description="The bounded context of the ontology it belongs to.")
    owner: str
    description: str
    status: str = strawberry.field(description="active or deprecated.")
    deprecation_reason: str | None
    freshness_sla: str = strawberry.field(description="ISO 8601 duration: the data is at most this old.")
    access_roles: list[str]
    tags: list[str]
    output_shape: str = strawberry.field(description="IRI of the SHACL shape of one output row.")
    on_violation: str = strawberry.field(description="report (serve with violations) or refuse.")
    graphql_field: str
    latest: bool = strawberry.field(description="Served under the unversioned field name too.")
    parameters: list[ParameterEntry]
    validation_status: ValidationStatusType = strawberry.field(  # type: ignore[valid-type]
        description="The latest validation's status; NOT_CHECKED until first validated."
    )
    validation: ValidationEntry | None = strawberry.field(description="Null until first validated.")
    kind: DataProductKind = strawberry.field(  # type: ignore[valid-type]
        default=ProductKind.BATCH, description="BATCH (a query over the graph) or STREAM (real-time)."
    )
    stream: StreamEntry | None = strawberry.field(
        default=None, description="For a STREAM: its inputs, windows, distributions and measured freshness."
    )
    fields: list[FieldEntry] = strawberry.field(
        default_factory=list,
        description="The output row's fields (a stream's: its events' data), with their ontology terms.",
    )
    example_query: str = strawberry.field(
        default="", description="A runnable document reading it: a query, or a subscription for a STREAM."
    )
    example_variables: str = strawberry.field(
        default="{}", description="Variables of the example (JSON): required parameters, to fill in."
    )


def catalog_entry(
    product: DataProduct, latest: bool, result: ValidationResult | None, model: DomainModel | None = None
) -> DataProductEntry:
    d = product.descriptor
    example = product_example(product.field_name, product.shape.row, d.parameters)
    return DataProductEntry(
        name=d.name,
        version=d.version,
        title=d.title,
        domain=d.domain,
        owner=d.owner,
        description=d.description,
        status=d.status,
        deprecation_reason=d.deprecation_reason,
        freshness_sla=d.freshness_sla,
        access_roles=list(d.access_roles),
        tags=list(d.tags),
        output_shape=d.output_shape,
        on_violation=d.on_violation,
        graphql_field=product.field_name,
        latest=latest,
        parameters=[
            ParameterEntry(
                name=p.name,
                type=p.type,
                required=p.required,
                default=_text(p.default),
                description=p.description,
            )
            for p in d.parameters
        ],
        validation_status=status_of(result),
        validation=_validation_entry(result) if result else None,
        fields=field_entries(product.shape.row, model) if model else [],
        example_query=example.query,
        example_variables=example.variables,
    )


def stream_catalog_entry(
    streams: StreamCatalog, d: StreamDescriptor, model: DomainModel | None = None
) -> DataProductEntry:
    """A stream as a real-time data product. It has no batch validation: every derived event is
    validated against its shape before it is produced, a failing one is withheld (``onViolation``
    refuse) and reported on the violations topic; ``stream.freshness.conformanceRate`` measures it."""
    from graph_service.streams.descriptor import iso_duration

    shapes = getattr(streams.registry, "shape", None)
    row = shapes(d).row if shapes is not None else None
    example = stream_example(streams.field_name(d), row) if row is not None else None
    return DataProductEntry(
        name=d.name,
        version=d.version,
        title=d.title,
        domain=d.domain,
        owner=d.owner,
        description=d.description,
        status=d.status,
        deprecation_reason=d.deprecation_reason,
        freshness_sla=iso_duration(d.freshness_sla),
        access_roles=list(d.access_roles),
        tags=list(d.tags),
        output_shape=d.shape_iri,
        on_violation="refuse",
        graphql_field=streams.field_name(d),
        latest=streams.is_latest(d),
        parameters=[],
        validation_status=ValidationStatus.NOT_CHECKED,
        validation=None,
        kind=ProductKind.STREAM,
        stream=stream_entry(streams, d),
        fields=field_entries(row, model) if model and row is not None else [],
        example_query=example.query if example else "",
        example_variables=example.variables if example else "{}",
    )


def _validation_entry(result: ValidationResult) -> ValidationEntry:
    return ValidationEntry(
        status=result.status,
        conforms=result.conforms,
        checked_at=result.checked_at,
        violation_count=result.violation_count,
        sample_violations=[_violation_entry(v) for v in result.sample_violations],
        row_count=result.row_count,
        parameter_sets=result.parameter_sets,
        error=result.error,
    )


def _violation_entry(v: Violation) -> ViolationEntry:
    return ViolationEntry(
        row=v.row, row_key=v.row_key, field=v.field, constraint=v.constraint, message=v.message, value=v.value
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the query type -------------------------------------------------------------------------------


def build_query_type(access: ProductAccess, name: str = QUERY_TYPE_NAME) -> type:
    """A strawberry type with every product field and ``dataProducts``."""
    registry = access.registry
    namespace: dict[str, Any] = {"__annotations__": {}}
    generated = {
        p.key: generate_type(p.shape.row, naming.row_type_name(p.name, p.version), _row_description(p))
        for p in registry
    }
    fields = []
    for product_name in registry.names():
        latest = registry.latest(product_name)
        fields.append((product_name, latest, latest.descriptor.deprecation_reason))
        fields += [
            (p.field_name, p, p.descriptor.deprecation_reason) for p in registry.versions(product_name)
        ]
    for field_name, product, deprecation in fields:
        namespace[field_name] = strawberry.field(
            resolver=_product_resolver(access, product, generated[product.key], field_name),
            name=field_name,
            description=_field_description(product, alias=field_name == product.name),
            deprecation_reason=deprecation,
        )
    namespace["data_products"] = strawberry.field(
        resolver=_catalog_resolver(access),
        name=CATALOG_FIELD,
        description="The data product catalog: every version with its descriptor and latest validation.",
    )
    return strawberry.type(type(name, (), namespace), name=name)


def _row_description(product: DataProduct) -> str:
    shape = product.shape.row
    text = shape.description or shape.label or product.descriptor.title
    return f"{text} (row of data product {product.name} {product.version})"


def _field_description(product: DataProduct, *, alias: bool) -> str:
    d = product.descriptor
    which = f"latest version, same as {product.field_name}" if alias else f"version {d.version}"
    return (
        f"{d.title} — data product {d.name} ({which}); owner {d.owner}; domain {d.domain}; "
        f"freshness {d.freshness_sla}; output shape {d.output_shape}.\n\n{d.description}"
    )


def _product_resolver(
    access: ProductAccess, product: DataProduct, generated: GeneratedType, field_name: str
) -> Callable[..., Any]:
    parameters = product.descriptor.parameters

    async def resolve(**arguments: Any) -> list[Any]:
        check_access(product)
        _check_trust(access, product, field_name)
        values = {p.name: arguments.get(naming.python_name(p.name)) for p in parameters}
        try:
            rows = await access.run_async(product, values)
        except ParameterError as exc:
            raise GraphQLError(
                str(exc), extensions={"code": "BAD_USER_INPUT", "product": product.key}
            ) from exc
        except (Neo4jError, DigiSpineError) as exc:
            limit = f"{access.timeout_s:g} s" if access.timeout_s else "Neo4j allows"
            raise graph_failure(
                exc,
                cypher=product.query,
                timed_out=f"data product {product.key} ran longer than {limit} and was stopped; "
                "narrow its parameters",
                product=product.key,
            ) from exc
        return [generated.build(row) for row in rows]

    signature: list[inspect.Parameter] = []
    for p in parameters:
        python_type: Any = PARAMETER_TYPES[p.type]
        annotation = python_type if p.required else Optional[python_type]  # noqa: UP045 - runtime type
        argument = strawberry.argument(name=p.name, description=p.description or None)
        signature.append(
            inspect.Parameter(
                naming.python_name(p.name),
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[annotation, argument],
                default=inspect.Parameter.empty if p.required else p.default,
            )
        )
    # Nullable, so a refused or failing product nulls its own field, not the whole response.
    returns = Optional[list[generated.type]]  # type: ignore[name-defined]  # noqa: UP045 - runtime type
    resolve.__signature__ = inspect.Signature(signature, return_annotation=returns)  # type: ignore[attr-defined]
    resolve.__annotations__ = {**{p.name: p.annotation for p in signature}, "return": returns}
    resolve.__name__ = f"resolve_{field_name}"
    return resolve


def check_access(product: DataProduct) -> None:
    """Refuse a caller without one of the product's access roles: an error naming the product."""
    principal = current_principal()
    roles = product.descriptor.access_roles
    if not principal.has_any(roles):
        raise GraphQLError(
            f"access to data product {product.name} {product.version} is denied: {principal.name} "
            f"needs one of the roles {', '.join(roles)}",
            extensions={"code": "FORBIDDEN", "product": product.name, "version": product.version},
        )


def _check_trust(access: ProductAccess, product: DataProduct, field_name: str) -> None:
    """Refuse, or note the violations of, a product whose latest validation did not conform."""
    result = access.latest_result(product)
    if result is None or result.status is ValidationStatus.CONFORMS:
        return
    # Only violations found refuse a product; a validation that could not run is a notice.
    if (
        product.descriptor.on_violation == "refuse"
        and result.status is ValidationStatus.NONCONFORMING
        and result.violation_count
    ):
        refused = ProductRefused(
            product.name, product.version, result.violation_count, result.checked_at.isoformat()
        )
        raise GraphQLError(
            str(refused),
            extensions={
                "code": "DATA_PRODUCT_NONCONFORMING",
                "product": product.name,
                "version": product.version,
                "violationCount": result.violation_count,
            },
        )
    notice = {"field": field_name, **result.as_dict()}
    if not add_notice(notice):
        log.warning(
            "data product served with violations, but ProductViolationsExtension is not installed",
            extra={"product": product.key},
        )


def _catalog_resolver(access: ProductAccess) -> Callable[..., list[DataProductEntry]]:
    def data_products(
        name: Annotated[Optional[str], strawberry.argument(description="Only this product.")] = None,  # noqa: UP045
        domain: Annotated[Optional[str], strawberry.argument(description="Only this domain.")] = None,  # noqa: UP045
        include_deprecated: bool = True,
        kind: Annotated[
            Optional[DataProductKind],  # type: ignore[valid-type]  # noqa: UP045
            strawberry.argument(description="Only batch products or only streams (default: both)."),
        ] = None,
    ) -> list[DataProductEntry]:
        def wanted(entry_name: str, entry_domain: str, deprecated: bool, entry_kind: ProductKind) -> bool:
            return (
                (name is None or entry_name == name)
                and (domain is None or entry_domain == domain)
                and (include_deprecated or not deprecated)
                and (kind is None or kind is entry_kind)
            )

        registry = access.registry
        model: DomainModel | None = getattr(access, "model", None)
        entries = [
            catalog_entry(
                product, registry.latest(product.name) is product, access.latest_result(product), model
            )
            for product in registry
            if wanted(
                product.name, product.descriptor.domain, product.descriptor.deprecated, ProductKind.BATCH
            )
        ]
        streams: StreamCatalog | None = getattr(access, "streams", None)
        if streams is not None:
            entries += [
                stream_catalog_entry(streams, d, model)
                for d in streams
                if wanted(d.name, d.domain, d.deprecated, ProductKind.STREAM)
            ]
        return entries

    return data_products
