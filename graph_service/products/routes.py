"""HTTP routes of the data products: the DCAT catalog and on-demand validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from graph_service.products.errors import UnknownProduct
from graph_service.security import current_principal

if TYPE_CHECKING:
    from graph_service.products.service import DataProducts

JSONLD = "application/ld+json"


def make_products_router(products: DataProducts) -> APIRouter:
    """``GET /catalog.jsonld``, ``POST /products/{name}/{version}/validate`` and
    ``GET /products/{name}/{version}/validation`` (the latest result)."""
    router = APIRouter(tags=["data products"])

    @router.get("/catalog.jsonld", response_class=JSONResponse)
    async def catalog(request: Request) -> JSONResponse:
        """The DCAT 3 catalog of the data products with their validation status, as JSON-LD."""
        base = products.public_base_url or str(request.base_url)
        document = await run_in_threadpool(products.catalog, base)
        return JSONResponse(document, media_type=JSONLD)

    @router.post("/products/{name}/{version}/validate")
    async def validate(name: str, version: str) -> dict[str, Any]:
        """Validate one product version now (runs its query); answers the result."""
        product = _product(products, name, version)
        result = await run_in_threadpool(products.validate_product, product)
        return result.as_dict()

    @router.get("/products/{name}/{version}/validation")
    async def latest(name: str, version: str) -> dict[str, Any]:
        """The latest validation result of one product version (404 until validated)."""
        result = products.latest_result(_product(products, name, version))
        if result is None:
            raise HTTPException(404, f"{name} {version} has not been validated yet")
        return result.as_dict()

    return router


def _product(products: DataProducts, name: str, version: str) -> Any:
    try:
        product = products.registry.get(name, version)
    except UnknownProduct as exc:
        raise HTTPException(404, str(exc)) from exc
    principal = current_principal()
    if not principal.has_any(product.descriptor.access_roles):
        raise HTTPException(
            403,
            f"access to data product {product.name} {product.version} is denied: {principal.name} needs "
            f"one of the roles {', '.join(product.descriptor.access_roles)}",
        )
    return product
