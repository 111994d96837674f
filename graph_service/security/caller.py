"""The caller of the work being done, kept in a context variable.

The API's middleware sets it per request or websocket (:func:`acting_as`); GraphQL resolvers,
data products, the RDF and Cypher routes read it with :func:`current_principal`. Code that runs
outside a request (CLI, scheduler, tests executing the schema directly) acts as
:data:`~graph_service.security.roles.SYSTEM`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from graph_service.security.roles import SYSTEM, Principal

_current: ContextVar[Principal] = ContextVar("digispine_principal", default=SYSTEM)


def current_principal() -> Principal:
    """The caller of the request being served (:data:`SYSTEM` outside a request)."""
    return _current.get()


def principal_of(_obj: Any = None) -> Principal:
    """The caller of the current request; takes a Request or GraphQL ``info`` for readability."""
    return _current.get()


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """``principal`` is the caller inside the block (and of the tasks started in it)."""
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)


def use_principal(principal: Principal) -> None:
    """Make ``principal`` the caller of the rest of the current task (a websocket that
    authenticated in its ``connection_init``), and of the tasks it starts from now on."""
    _current.set(principal)
