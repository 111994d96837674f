"""FastAPI application factory. The lifespan is the composition root of the service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from graph_service import __version__
from graph_service.errors import DigiSpineError
from graph_service.settings import Settings
from graph_service.store import Neo4jStore

log = logging.getLogger(__name__)


def create_app(settings: Settings, store: Neo4jStore | None = None) -> FastAPI:
    """Build the app. Pass ``store`` to share a driver (tests); else the lifespan owns one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store or Neo4jStore(settings, connection_timeout=3.0, max_attempts=2)
        app.state.settings = settings
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="DigiSpine",
        version=__version__,
        description="Knowledge graph and semantic layer for manufacturing.",
        lifespan=lifespan,
    )

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive (says nothing about Neo4j)."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        """Ready when Neo4j answers: 200 with its version, 503 with the reason otherwise."""
        current: Neo4jStore = request.app.state.store
        try:
            info = await run_in_threadpool(current.health)
        except DigiSpineError as exc:
            return JSONResponse(status_code=503, content={"status": "unavailable", "reason": str(exc)})
        return JSONResponse(
            content={
                "status": "ready",
                "neo4j": {
                    "version": info.version,
                    "edition": info.edition,
                    "uri": info.uri,
                    "database": info.database,
                },
            }
        )

    return app
