"""Errors of the GraphQL layer: start-up problems, and what a client sees when a query fails."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from neo4j.exceptions import ClientError, Neo4jError

from graph_service.errors import DigiSpineError
from graph_service.store.failures import store_failure

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
#: graphql-core's own errors, which come without a code: the document does not parse, does not
#: validate against the schema; anything else unexpected (a bug: the stack trace is logged).
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


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


def ensure_code(error: GraphQLError, uri: str | None = None) -> None:
    """Give ``error`` an ``extensions.code`` when it has none, in place, so that every error a
    client sees has one: a failure of the connection to Neo4j that reached GraphQL as a bare
    driver error is ``GRAPH_UNAVAILABLE`` (its message replaced by the store's, naming ``uri``);
    graphql-core's own errors are ``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED`` or,
    for a variable's value, ``BAD_USER_INPUT``; anything else ``INTERNAL_SERVER_ERROR``."""
    original = error.original_error
    if (error.extensions or {}).get("code"):
        return
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), **(original.extensions or {})}
        return
    code = INTERNAL_SERVER_ERROR
    if original is not None and not isinstance(original, GraphQLError):
        failure = store_failure(original, uri or "the configured URI")
        if failure is not None:
            code = GRAPH_UNAVAILABLE
            error.message = str(failure)
    elif isinstance(error, GraphQLSyntaxError):
        code = GRAPHQL_PARSE_FAILED
    elif not error.path:  # before execution: the document or the variables' values
        variable = error.message.startswith("Variable '$")
        code = BAD_USER_INPUT if variable else GRAPHQL_VALIDATION_FAILED
    error.extensions = {**(error.extensions or {}), "code": code}
