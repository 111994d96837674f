"""The Neo4j driver's own failures, as opposed to the server's answers (:class:`Neo4jError`).

Every way in (the store's retries, GraphQL, ``/cypher``) asks :func:`store_failure` which of them
mean that Neo4j is unreachable or not answering, so each becomes :class:`StoreUnavailable` /
:class:`StoreNotAnswering` with a message naming the URI (never the password) and a code on the
client's side, rather than a bare driver error. ``SocketDeadlineExceededError`` and ``BoltError``
live in the driver's private module and derive from neither ``DriverError`` nor ``OSError``.
"""

from __future__ import annotations

from neo4j.exceptions import ConnectionPoolError, ServiceUnavailable, SessionExpired

from graph_service.errors import StoreNotAnswering, StoreUnavailable

try:
    from neo4j._exceptions import BoltError, SocketDeadlineExceededError
except ImportError:  # a driver that moved them: the public classes below still cover the rest

    class BoltError(Exception):  # type: ignore[no-redef]
        """Stands in for the driver's class (never raised)."""

    class SocketDeadlineExceededError(RuntimeError):  # type: ignore[no-redef]
        """Stands in for the driver's class (never raised)."""


#: Neo4j did not answer in time: a socket read or write deadline, no free pooled connection.
NOT_ANSWERING: tuple[type[Exception], ...] = (SocketDeadlineExceededError, ConnectionPoolError)
#: Neo4j cannot be reached or the connection broke.
UNREACHABLE: tuple[type[Exception], ...] = (ServiceUnavailable, SessionExpired, BoltError, OSError)
#: Everything :func:`store_failure` translates.
CONNECTION_FAILURES = NOT_ANSWERING + UNREACHABLE


def store_failure(exc: BaseException, uri: str) -> StoreUnavailable | None:
    """``exc`` as the store's error when it is a failure of the connection to ``uri``; else None
    (a query's own error, or a bug, which the caller reports as it is)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, NOT_ANSWERING):
        return StoreNotAnswering(uri, _reason(exc))
    if isinstance(exc, UNREACHABLE):
        return StoreUnavailable(uri, _reason(exc))
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0]}"
