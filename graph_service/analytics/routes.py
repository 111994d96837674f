"""``POST /cypher``: read-only Cypher over HTTP for the role ``analyst``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from graph_service.analytics.cypher import CypherError, ReadOnlyCypher
from graph_service.security import ANALYST, Principal
from graph_service.security.dependencies import require_roles

#: HTTP status per kind of refusal.
STATUS = {
    "syntax": 400,
    "parameter": 400,
    "failed": 400,
    "write": 403,
    "refused": 403,
    "too_large": 422,
    "memory": 422,
    "timeout": 504,
    "unavailable": 503,
}


class CypherRequest(BaseModel):
    """Either ``query`` (Cypher text) or ``name`` (a named query of ``queries/``), not both."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    query: str | None = Field(default=None, description="A Cypher statement; run read-only.")
    name: str | None = Field(default=None, description="A named query (data product), e.g. lotGenealogy.")
    version: str | None = Field(default=None, description="Version of the named query (default: latest).")
    parameters: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(default=None, ge=0, description="Fewer rows than the server's limit.")
    timeout_s: float | None = Field(
        default=None, gt=0, alias="timeoutS", description="A shorter timeout than the server's."
    )

    @model_validator(mode="after")
    def _one_of(self) -> CypherRequest:
        if (self.query is None) == (self.name is None):
            raise ValueError("give either `query` or `name`")
        return self


ANALYSTS_ONLY = Depends(require_roles(ANALYST))


def make_cypher_router(cypher: ReadOnlyCypher) -> APIRouter:
    router = APIRouter(tags=["analysts"])

    @router.post("/cypher")
    async def run_cypher(request: CypherRequest, principal: Principal = ANALYSTS_ONLY) -> JSONResponse:
        """Run a read-only Cypher statement or a named query; rows as JSON, with a row limit, a
        response-size limit and a timeout. The guard refuses what is not a read of the graph's
        data, and personal data without the role `personal-data`; writes are refused by Neo4j
        (read access mode) and nothing is committed."""
        try:
            if request.name is not None:
                result = await run_in_threadpool(
                    cypher.run_named,
                    request.name,
                    request.parameters,
                    version=request.version,
                    personal_data=principal.may_see_personal_data,
                    limit=request.limit,
                    timeout_s=request.timeout_s,
                )
            else:
                result = await run_in_threadpool(
                    cypher.run,
                    request.query or "",
                    request.parameters,
                    personal_data=principal.may_see_personal_data,
                    limit=request.limit,
                    timeout_s=request.timeout_s,
                )
        except CypherError as exc:
            return JSONResponse({"error": exc.as_dict()}, status_code=STATUS.get(exc.kind, 400))
        return JSONResponse(result.as_dict())

    return router
