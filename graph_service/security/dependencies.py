"""Role checks a route declares (``Depends(require_roles(ANALYST))``), for every package's routes.

Here rather than in :mod:`graph_service.api.auth` so that the RDF, Cypher and product routes
check roles without importing the API; it needs only FastAPI's request and error types.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

from graph_service.security.caller import current_principal
from graph_service.security.roles import Principal


def require_roles(*roles: str) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller, or 403 when it has none of ``roles``."""

    def dependency(request: Request) -> Principal:
        principal = current_principal()
        if roles and not principal.has_any(roles):
            raise HTTPException(
                403, f"{principal.name} lacks the role needed here (one of: {', '.join(roles)})"
            )
        return principal

    return dependency
