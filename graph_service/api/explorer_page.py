"""``GET /explore``: the graph explorer page, bundled at build time (``explorer/``, ``make install``).

The page and its assets are static files served without a key (they hold no data); the page's
own GraphQL requests carry the key the user enters, or run with the anonymous roles.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "explorer_static"
BUILD_HINT = (
    "the explorer page is not built; run `make install` (or `cd explorer && npm ci && npm run build`)"
)


def mount_explorer(app: FastAPI, static: Path = STATIC) -> None:
    router = APIRouter(tags=["explorer"])

    @router.get("/explore", include_in_schema=False)
    async def page() -> Response:
        index = static / "index.html"
        if not index.is_file():
            return JSONResponse({"error": BUILD_HINT}, status_code=503)
        return FileResponse(index, media_type="text/html")

    app.include_router(router)
    app.mount("/explore/assets", StaticFiles(directory=static, check_dir=False), name="explorer-assets")
