"""Errors of the GraphQL layer: start-up problems, and what a client sees when a query fails."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from neo4j.exceptions import ClientError, Neo4jError

from graph_service.errors import DigiSpineError

log = logging.getLogger(__name__)

BAD_USER_INPUT = "BAD_USER_INPUT"
QUERY_TIMEOUT = "QUERY_TIMEOUT"
GRAPH_UNAVAILABLE = "GRAPH_UNAVAILABLE"
GRAPH_QUERY_FAILED = "GRAPH_QUERY_FAILED"
FORBIDDEN = "FORBIDDEN"
COST_LIMIT = "COST_LIMIT_EXCEEDED"
#: The document is larger than the byte or token limit (refused before or while parsing).
DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
#: The document's expanded selection is larger than the limit (refused before validation).
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
#: The caller already has as many documents waiting for the document worker as it may.
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"


class SchemaBuildError(DigiSpineError):
    """The model cannot be turned into a GraphQL schema (a name clash); says which terms."""


def client_error(message: str, code: str, **details: Any) -> GraphQLError:
    """A GraphQL error with a machine-readable ``extensions.code``."""
    return GraphQLError(message, extensions={"code": code, **details})


def bad_input(message: str, **details: Any) -> GraphQLError:
    return client_error(message, BAD_USER_INPUT, **details)


def graph_failure(
    exc: Neo4jError | DigiSpineError, *, cypher: str, timed_out: str, **details: Any
) -> GraphQLError:
    """The GraphQL error a failed read becomes: ``QUERY_TIMEOUT`` (with ``timed_out`` as the
    message), ``GRAPH_UNAVAILABLE`` (the store's message: URI, never the password) or
    ``GRAPH_QUERY_FAILED``, whose statement and Neo4j error are logged, never shown."""
    if isinstance(exc, ClientError) and (
        "TransactionTimedOut" in (exc.code or "") or "timed out" in (exc.message or "")
    ):
        return client_error(timed_out, QUERY_TIMEOUT, **details)
    if isinstance(exc, Neo4jError):
        log.error("graph query failed: %s", exc, extra={"cypher": cypher, "neo4j_code": exc.code})
        return client_error(
            "the graph query failed; the error is logged on the server", GRAPH_QUERY_FAILED, **details
        )
    log.error("neo4j unavailable for a GraphQL query: %s", exc)  # StoreUnavailable, StoreAuthError
    return client_error(str(exc), GRAPH_UNAVAILABLE, **details)
