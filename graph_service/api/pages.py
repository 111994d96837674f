"""The pages people open in a browser, every asset served from the package so they work offline.

GraphiQL (``GET /graphql``, rendered by the GraphQL app through :func:`graphiql_html`), Swagger UI
(``/docs``; ``/redoc`` leads there), the catalog (``/catalog``) and the plant dashboard
(``/dashboard``) and the object-centric process view (``/process``) are bundled from npm at install time
(``pages/``, ``make install``) into ``pages_static/``; the glossary (``/glossary/``) is rendered
from the compiled model. The pages and their assets need no key: they hold no plant data, and the
requests they make carry the key typed into the page (or run with the anonymous roles).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "pages_static"
ASSETS = "/pages/assets"
GLOSSARY = "/glossary"
BUILD_HINT = "the pages are not built; run `make install` (or `cd pages && npm ci && npm run build`)"

#: Paths of the pages (GET without a key); their assets are under ASSETS and GLOSSARY.
PAGE_PATHS = frozenset(
    {"/docs", "/docs/oauth2-redirect", "/redoc", "/catalog", "/catalog/", "/dashboard", "/process", GLOSSARY}
)
PAGE_PREFIXES = (ASSETS + "/", GLOSSARY + "/")


def is_page(path: str) -> bool:
    """A page or one of its assets (served to GET without a key)."""
    return path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)


def graphiql_html(static: Path = STATIC) -> str:
    """The bundled GraphiQL page, or a page saying how to build it."""
    index = static / "graphiql.html"
    if index.is_file():
        return index.read_text(encoding="utf-8")
    return f"<!doctype html><title>GraphiQL</title><p>{BUILD_HINT}</p>"


def mount_pages(app: FastAPI, static: Path = STATIC) -> None:
    """Mount ``/docs``, ``/catalog``, ``/glossary/`` and the assets. Build the app with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN-loading pages are not mounted too."""
    router = APIRouter(include_in_schema=False)
    title = f"{app.title} API"

    @router.get("/docs")
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @router.get("/docs/oauth2-redirect")
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/redoc")
    async def redoc() -> RedirectResponse:
        # ReDoc's bundle loads its logo from its CDN: the API docs are Swagger UI's, served offline
        return RedirectResponse("/docs")

    @router.get("/catalog")
    async def catalog() -> Response:
        return _page(static, "catalog.html")

    @router.get("/dashboard")
    async def dashboard() -> Response:
        return _page(static, "dashboard.html")

    @router.get("/process")
    async def process() -> Response:
        return _page(static, "process.html")

    @router.get(GLOSSARY)
    async def glossary_root() -> RedirectResponse:
        return RedirectResponse(GLOSSARY + "/")

    @router.get(GLOSSARY + "/")
    @router.get(GLOSSARY + "/{name}")
    async def glossary(request: Request, name: str = "index.html") -> HTMLResponse:
        pages = await _glossary(request.app)
        if name not in pages:
            raise HTTPException(404, f"no glossary page {name!r}; the index is {GLOSSARY}/")
        return HTMLResponse(pages[name])

    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=static, check_dir=False), name="page-assets")


def _page(static: Path, name: str) -> Response:
    index = static / name
    if not index.is_file():
        return JSONResponse({"error": BUILD_HINT}, status_code=503)
    return FileResponse(index, media_type="text/html")


async def _glossary(app: FastAPI) -> dict[str, str]:
    """The glossary of the served model, rendered once (in a worker thread: it is a few MB of HTML)."""
    pages: dict[str, str] | None = getattr(app.state, "glossary", None)
    if pages is None:
        from graph_service.api.class_queries import class_queries, served_root_fields
        from graph_service.ontology.docs import render_docs

        model = getattr(app.state, "model", None)
        schema = getattr(app.state, "schema", None)
        if model is None or schema is None:
            raise HTTPException(503, "the ontology is not loaded yet")
        queries = class_queries(model, served_root_fields(schema))
        pages = await asyncio.to_thread(lambda: render_docs(model, queries=queries, graphiql="/graphql"))
        app.state.glossary = pages
    return pages
