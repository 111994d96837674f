"""``/sparql``: the SPARQL 1.1 Protocol (query operation) over the RDF view, role ``analyst``.

- ``GET /sparql?query=…``, ``POST`` form-encoded ``query=…`` or ``POST`` ``application/sparql-query``;
- SELECT/ASK answers as ``application/sparql-results+json`` (default), ``text/csv``,
  ``text/tab-separated-values`` or ``application/sparql-results+xml``, by ``Accept`` or a
  ``format`` parameter (``json``, ``csv``, ``tsv``, ``xml``); CONSTRUCT/DESCRIBE as Turtle
  (default) or N-Triples;
- SPARQL Update is refused (403): the view is read-only, the graph changes only through loaders;
- a syntax error is 400 with the parser's message and position;
- callers without ``personal-data`` query a dataset without the personal-data graph;
- ``SERVICE`` is refused (403) unless its endpoint is on DIGISPINE_SPARQL_SERVICE_ALLOWLIST;
- a query is stopped after DIGISPINE_SPARQL_TIMEOUT_S (504) or when its answer passes
  DIGISPINE_SPARQL_MAX_RESULT_BYTES (413); 503 when every slot stays busy that long.

``GET /sparql/status`` reports freshness; ``POST /sparql/refresh`` refreshes (``?full=true``
rebuilds). Every answer carries ``X-DigiSpine-RDF-Refreshed-At``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from graph_service.concurrency import to_thread_to_the_end
from graph_service.rdf.bounded import FrameWriter
from graph_service.rdf.errors import SparqlRefused
from graph_service.rdf.view import RdfView
from graph_service.security import ADMIN, ANALYST, Principal
from graph_service.security.dependencies import require_roles

log = logging.getLogger(__name__)

ANALYSTS_ONLY = Depends(require_roles(ANALYST))
RESULT_FORMATS = {
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv; charset=utf-8"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values; charset=utf-8"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
}
GRAPH_FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle; charset=utf-8"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
}
_ACCEPT = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/sparql-results+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
}


def make_sparql_router(view: RdfView) -> APIRouter:
    router = APIRouter(tags=["analysts"])

    @router.get("/sparql")
    async def sparql_get(request: Request, principal: Principal = ANALYSTS_ONLY) -> Response:
        """SPARQL query by GET (``query`` parameter)."""
        params = request.query_params
        if "update" in params:
            return _refused()
        return await _answer(view, params.get("query"), params.get("format"), request, principal)

    @router.post("/sparql")
    async def sparql_post(request: Request, principal: Principal = ANALYSTS_ONLY) -> Response:
        """SPARQL query by POST: form-encoded ``query=…`` or a body of type application/sparql-query."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        fmt = request.query_params.get("format")
        if kind == "application/sparql-update":
            return _refused()
        if kind == "application/sparql-query":
            text = (await request.body()).decode("utf-8", errors="replace")
        elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            if "update" in form:
                return _refused()
            text = form.get("query")  # type: ignore[assignment]
            fmt = fmt or form.get("format")  # type: ignore[assignment]
        else:
            return _problem(415, "send the query as application/sparql-query or form-encoded query=…", view)
        return await _answer(view, text, fmt, request, principal)

    @router.get("/sparql/status")
    async def status(principal: Principal = ANALYSTS_ONLY) -> dict[str, Any]:
        """How fresh the RDF view is: last refresh, watermark, triples, last error."""
        return view.status.as_dict()

    @router.post("/sparql/refresh")
    async def refresh(full: bool = False, principal: Principal = ANALYSTS_ONLY) -> JSONResponse:
        """Refresh the view now (incremental; ``full=true`` rebuilds it, for ``admin`` only: a
        rebuild reads the whole graph, which no analyst should be able to start at will)."""
        if full and not principal.has_role(ADMIN):
            return JSONResponse(
                {
                    "error": f"{principal.name} lacks the role `admin`, needed for a full rebuild "
                    "(`full=true`); an incremental refresh needs only `analyst`"
                },
                status_code=403,
            )
        try:
            result = await run_in_threadpool(view.refresh, full=full)
        except Exception as exc:  # reported, the view keeps serving what it had
            return JSONResponse({"error": str(exc), **view.status.as_dict()}, status_code=503)
        return JSONResponse(result.as_dict())

    return router


async def _answer(
    view: RdfView, text: str | None, fmt: str | None, request: Request, principal: Principal
) -> Response:
    if not text or not str(text).strip():
        return _problem(400, "missing `query`", view)
    graph_name = _choose(fmt, request, GRAPH_FORMATS, "turtle")
    results_name = _choose(fmt, request, RESULT_FORMATS, "json")

    def render(result: Any, out: FrameWriter) -> dict[str, Any]:
        # runs in the query's child: pyoxigraph results are serialised where they were made
        if isinstance(result, ox.QueryTriples):
            if graph_name is None:
                return {"notAcceptable": f"graphs come as {', '.join(GRAPH_FORMATS)}"}
            graph_format, media = GRAPH_FORMATS[graph_name]
            result.serialize(out, format=graph_format)  # type: ignore[arg-type]  # any object with write()
            return {"media": media}
        if results_name is None:
            return {"notAcceptable": f"results come as {', '.join(RESULT_FORMATS)}"}
        results_format, media = RESULT_FORMATS[results_name]
        result.serialize(out, format=results_format)
        return {"media": media}

    personal = principal.may_see_personal_data
    try:
        outcome = await run_in_threadpool(view.run, str(text), personal=personal, render=render)
    except SyntaxError as exc:
        return _problem(400, f"SPARQL syntax error: {exc}", view)
    except SparqlRefused as exc:
        log.info("SPARQL query refused for %s: %s", principal.name, exc)
        return _problem(exc.status, str(exc), view)
    if "notAcceptable" in outcome.meta:
        return _problem(406, outcome.meta["notAcceptable"], view)
    return Response(outcome.body, media_type=outcome.meta["media"], headers=_fresh_headers(view))


def _choose(fmt: str | None, request: Request, table: dict[str, Any], default: str) -> str | None:
    if fmt:
        return fmt if fmt in table else None
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        name = _ACCEPT.get(media)
        if name in table:
            return name
    return default


def _fresh_headers(view: RdfView) -> dict[str, str]:
    refreshed = view.status.refreshed_at
    return {"X-DigiSpine-RDF-Refreshed-At": refreshed.isoformat() if refreshed else "never"}


def _problem(status: int, message: str, view: RdfView) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_fresh_headers(view))


def _refused() -> JSONResponse:
    return JSONResponse(
        {
            "error": "SPARQL Update is refused: the RDF view is read-only; "
            "the graph changes through the loaders"
        },
        status_code=403,
    )


async def refresh_periodically(view: RdfView, interval_s: float) -> None:
    """Refresh the view now and then every ``interval_s`` seconds, until cancelled."""
    while True:
        with contextlib.suppress(Exception):  # logged by the view; tried again next time
            await to_thread_to_the_end(view.refresh)
        await asyncio.sleep(interval_s)
