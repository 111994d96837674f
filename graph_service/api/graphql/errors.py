"""Errors of the GraphQL layer: start-up problems, and what a client sees when a query fails."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from graph_service.errors import DigiSpineError

BAD_USER_INPUT = "BAD_USER_INPUT"
QUERY_TIMEOUT = "QUERY_TIMEOUT"
GRAPH_UNAVAILABLE = "GRAPH_UNAVAILABLE"
GRAPH_QUERY_FAILED = "GRAPH_QUERY_FAILED"
FORBIDDEN = "FORBIDDEN"
COST_LIMIT = "COST_LIMIT_EXCEEDED"


class SchemaBuildError(DigiSpineError):
    """The model cannot be turned into a GraphQL schema (a name clash); says which terms."""


def client_error(message: str, code: str, **details: Any) -> GraphQLError:
    """A GraphQL error with a machine-readable ``extensions.code``."""
    return GraphQLError(message, extensions={"code": code, **details})


def bad_input(message: str, **details: Any) -> GraphQLError:
    return client_error(message, BAD_USER_INPUT, **details)
