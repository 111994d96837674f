"""A spy on the real Neo4j drivers: counts the statements the GraphQL executor sends, through the
store's driver (worker threads) or the asyncio driver the API's lifespan asks it for."""

from __future__ import annotations

from typing import Any

import neo4j

from graph_service.store import Neo4jStore


class CountingStore:
    """The real store; every statement run through ``driver.session().run`` is recorded."""

    def __init__(self, store: Neo4jStore) -> None:
        self._store = store
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def driver(self) -> _CountingDriver:
        return _CountingDriver(self._store.driver, self.statements)

    def async_driver(self) -> _CountingAsyncDriver:
        return _CountingAsyncDriver(self._store.async_driver(), self.statements)


class _CountingDriver:
    def __init__(self, driver: neo4j.Driver, log: list[tuple[str, dict[str, Any]]]) -> None:
        self._driver, self._log = driver, log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def session(self, **config: Any) -> _CountingSession:
        return _CountingSession(self._driver.session(**config), self._log)

    def execute_query(self, query: Any, parameters: Any = None, **kwargs: Any) -> Any:
        self._log.append((getattr(query, "text", query), dict(parameters or {})))
        return self._driver.execute_query(query, parameters, **kwargs)


class _CountingSession:
    def __init__(self, session: neo4j.Session, log: list[tuple[str, dict[str, Any]]]) -> None:
        self._session, self._log = session, log

    def __enter__(self) -> _CountingSession:
        self._session.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._session.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def run(self, query: Any, parameters: Any = None, **kwargs: Any) -> Any:
        self._log.append((getattr(query, "text", query), dict(parameters or {})))
        return self._session.run(query, parameters, **kwargs)


class _CountingAsyncDriver:
    def __init__(self, driver: neo4j.AsyncDriver, log: list[tuple[str, dict[str, Any]]]) -> None:
        self._driver, self._log = driver, log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def session(self, **config: Any) -> _CountingAsyncSession:
        return _CountingAsyncSession(self._driver.session(**config), self._log)


class _CountingAsyncSession:
    def __init__(self, session: neo4j.AsyncSession, log: list[tuple[str, dict[str, Any]]]) -> None:
        self._session, self._log = session, log

    async def __aenter__(self) -> _CountingAsyncSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def run(self, query: Any, parameters: Any = None, **kwargs: Any) -> Any:
        self._log.append((getattr(query, "text", query), dict(parameters or {})))
        return await self._session.run(query, parameters, **kwargs)
