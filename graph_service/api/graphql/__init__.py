"""The GraphQL API generated from the DomainModel: ``make_schema(model, store)``. See docs/graphql.md."""

from graph_service.api.graphql.limits import Limits
from graph_service.api.graphql.schema_builder import default_extensions, make_schema

__all__ = ["Limits", "default_extensions", "make_schema"]
