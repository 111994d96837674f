"""The one Neo4j driver of a process, with health checks, retries and clear errors."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j
from neo4j import AsyncGraphDatabase, GraphDatabase, NotificationDisabledClassification
from neo4j.exceptions import (
    AuthError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph_service.errors import StoreAuthError, StoreUnavailable
from graph_service.observability.statements import NO_OBSERVER, StatementObserver
from graph_service.settings import Settings
from graph_service.store.failures import CONNECTION_FAILURES, store_failure

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Errors worth another try: the server is restarting, a leader moved, a lock timed out.
RETRYABLE = (ServiceUnavailable, SessionExpired, TransientError)
#: What the driver catches of a failed unit of work; the rest of Neo4jError is raised as it is.
#: The driver's own connection failures (a socket deadline, no free pooled connection, a broken
#: Bolt exchange) become StoreUnavailable too, so no way in shows a client a bare driver error.
_CAUGHT: tuple[type[Exception], ...] = (Neo4jError, ServiceUnavailable, SessionExpired, *CONNECTION_FAILURES)
#: The server's codes for a refused login. The rate limit arrives as a plain ClientError, not an
#: AuthError, and must never be retried: every attempt extends Neo4j's lock.
UNAUTHORIZED = "Neo.ClientError.Security.Unauthorized"
RATE_LIMITED = "Neo.ClientError.Security.AuthenticationRateLimit"
#: Seconds between logins after Neo4j refused one: longer than its default lock (5 s after 3
#: failures, ``dbms.security.auth_lock_time``), so retries never keep the user locked.
AUTH_RETRY_AFTER_S = 10.0


def refused_login(exc: BaseException) -> bool:
    """Whether ``exc`` is Neo4j refusing the credentials (wrong user or password, or locked)."""
    if isinstance(exc, AuthError):
        return True
    return isinstance(exc, Neo4jError) and exc.code in (UNAUTHORIZED, RATE_LIMITED)


def timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is Neo4j stopping a transaction that ran past its timeout."""
    return isinstance(exc, Neo4jError) and (
        "TransactionTimedOut" in (exc.code or "") or "timed out" in (exc.message or "")
    )


class _LoginGate:
    """After a refused login, at most one new login per ``retry_after_s`` for the whole store:
    every other caller in between gets the :class:`StoreAuthError` at once, without a connection.
    An accepted login opens the gate again (the password was fixed on the server)."""

    def __init__(self, retry_after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.retry_after_s = retry_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._refused: tuple[str, str, bool] | None = None  # uri, user, locked
        self._next_login = 0.0

    def check(self) -> None:
        """Raise the remembered refusal unless a new login is due; a due login is claimed by
        this caller alone."""
        if self._refused is None:
            return
        with self._lock:
            if self._refused is None:
                return
            now = self._clock()
            if now < self._next_login:
                uri, user, locked = self._refused
                raise StoreAuthError(uri, user, locked=locked, retry_after_s=self.retry_after_s)
            self._next_login = now + self.retry_after_s

    def refuse(self, uri: str, user: str, locked: bool) -> StoreAuthError:
        with self._lock:
            self._refused = (uri, user, locked)
            self._next_login = self._clock() + self.retry_after_s
        return StoreAuthError(uri, user, locked=locked, retry_after_s=self.retry_after_s)

    def accept(self) -> None:
        if self._refused is not None:
            with self._lock:
                self._refused = None


@dataclass(frozen=True)
class ServerInfo:
    """What `CALL dbms.components()` says about the server."""

    version: str
    edition: str
    uri: str
    database: str


class Neo4jStore:
    """Owns the driver. Build one per process in the composition root and pass it down."""

    def __init__(
        self,
        settings: Settings,
        *,
        connection_timeout: float = 10.0,
        max_attempts: int = 4,
        base_delay: float = 0.25,
        auth_retry_after_s: float = AUTH_RETRY_AFTER_S,
    ) -> None:
        self.uri = settings.bolt_uri
        self.user = settings.neo4j_user
        self.database = settings.neo4j_database
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
        self._logins = _LoginGate(auth_retry_after_s)
        self._config: dict[str, Any] = dict(
            connection_timeout=connection_timeout,
            connection_acquisition_timeout=connection_timeout * 2,
            # The generated API and the products query labels and properties that a partly loaded
            # graph may not hold yet; Neo4j's "unknown label/property" notifications for them are
            # routine, not warnings. Performance and deprecation notifications still come through.
            notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
        )
        self._driver = GraphDatabase.driver(self.uri, auth=self._auth, **self._config)
        #: Told of every statement this store and its readers run (metrics, spans); see :meth:`observe`.
        self.observer: StatementObserver = NO_OBSERVER

    def observe(self, observer: StatementObserver) -> StatementObserver:
        """Report statements to ``observer`` from now on; returns the one it replaces."""
        previous, self.observer = self.observer, observer
        return previous

    @property
    def driver(self) -> neo4j.Driver:
        return self._driver

    def close(self) -> None:
        self._driver.close()

    def async_driver(self) -> neo4j.AsyncDriver:
        """A new asyncio driver to the same server with the same settings (see :class:`LoopReader`,
        which reads through it)."""
        return AsyncGraphDatabase.driver(self.uri, auth=self._auth, **self._config)

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, work: Callable[[], T]) -> T:
        """Run ``work``, retrying transient failures with exponential backoff.

        Unreachable servers and refused credentials become :class:`StoreUnavailable` and
        :class:`StoreAuthError`, which name the URI and never the password. A refused login is
        never retried: until :data:`AUTH_RETRY_AFTER_S` have passed, every call fails at once.
        """
        attempt = 0
        while True:
            attempt += 1
            self._logins.check()
            try:
                result = work()
            except _CAUGHT as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise
                time.sleep(delay)
            else:
                self._logins.accept()
                return result

    async def _call_async(self, work: Callable[[], Awaitable[T]]) -> T:
        """:meth:`call` for coroutines: the same retries and errors, waiting with asyncio."""
        attempt = 0
        while True:
            attempt += 1
            self._logins.check()
            try:
                result = await work()
            except _CAUGHT as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
            else:
                self._logins.accept()
                return result

    def _retry_delay(self, exc: Exception, attempt: int) -> float | None:
        """How long to wait before trying again after ``exc``; None to raise ``exc`` as it is;
        or the error to raise instead."""
        if refused_login(exc):
            locked = isinstance(exc, Neo4jError) and exc.code == RATE_LIMITED
            raise self._logins.refuse(self.uri, self.user, locked) from exc
        if isinstance(exc, RETRYABLE):
            if attempt >= self.max_attempts:
                raise StoreUnavailable(self.uri, _reason(exc)) from exc
            delay: float = self.base_delay * (2 ** (attempt - 1))
            log.warning(
                "neo4j transient failure, retrying",
                extra={"uri": self.uri, "attempt": attempt, "delay": delay},
            )
            return delay
        if isinstance(exc, Neo4jError):
            return None  # the query's own error (syntax, constraint, timeout): the caller's to see
        # OSError: DNS failures and refused sockets before Bolt starts; socket deadlines, no
        # free connection: StoreNotAnswering
        raise (store_failure(exc, self.uri) or StoreUnavailable(self.uri, _reason(exc))) from exc

    def read(
        self, cypher: str, parameters: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        """Run a read query (routed to readers in a cluster); return the records as dicts. With
        ``timeout_s``, Neo4j stops the transaction after that long (a ``ClientError``)."""
        query = neo4j.Query(cypher, timeout=timeout_s) if timeout_s else cypher
        return self.call(lambda: self._run(query, parameters, neo4j.READ_ACCESS)[0])

    def write(self, cypher: str, parameters: Mapping[str, Any] | None = None) -> neo4j.SummaryCounters:
        """Run an idempotent write query; return its counters."""
        return self.call(lambda: self._run(cypher, parameters, neo4j.WRITE_ACCESS)[1].counters)

    def _run(
        self, cypher: str | neo4j.Query, parameters: Mapping[str, Any] | None, mode: str
    ) -> tuple[list[dict[str, Any]], neo4j.ResultSummary]:
        # One auto-commit transaction; retries are ours (``call``), so there is one retry policy.
        text = cypher.text if isinstance(cypher, neo4j.Query) else cypher
        with (
            self.observer.statement(text, "read" if mode == neo4j.READ_ACCESS else "write"),
            self._driver.session(database=self.database, default_access_mode=mode) as session,
        ):
            result = session.run(cypher, dict(parameters or {}))
            records = [record.data() for record in result]
            return records, result.consume()

    def health(self) -> ServerInfo:
        """Version and edition of the server; raises StoreUnavailable when it does not answer."""
        rows = self.read("CALL dbms.components() YIELD name, versions, edition RETURN *")
        kernel = next((r for r in rows if r["name"] == "Neo4j Kernel"), rows[0])
        return ServerInfo(
            version=kernel["versions"][0],
            edition=kernel["edition"],
            uri=self.uri,
            database=self.database,
        )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class LoopReader:
    """Read queries on the event loop that made it, through an asyncio driver: no hop to a worker
    thread per query (the GraphQL resolvers). The driver's connections belong to that loop, so on
    any other loop :attr:`here` is False and callers read through the store in a thread instead.
    Make it in the loop's lifespan and :meth:`close` it there."""

    def __init__(self, store: Neo4jStore) -> None:
        self._store = store
        self._driver = store.async_driver()
        self._loop = asyncio.get_running_loop()

    @property
    def driver(self) -> neo4j.AsyncDriver:
        return self._driver

    @property
    def here(self) -> bool:
        """Whether the running event loop is this reader's."""
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def read(
        self, query: neo4j.Query, parameters: Mapping[str, Any], **session: Any
    ) -> list[neo4j.Record]:
        """The records of ``query`` in one auto-commit read transaction, retried as the store's."""

        async def work() -> list[neo4j.Record]:
            with self._store.observer.statement(query.text, "read"):
                async with self._driver.session(
                    database=self._store.database, default_access_mode=neo4j.READ_ACCESS, **session
                ) as result_session:
                    result = await result_session.run(query, dict(parameters))
                    return [record async for record in result]

        return await self._store._call_async(work)

    async def close(self) -> None:
        await self._driver.close()
