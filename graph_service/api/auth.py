"""The security module bound to HTTP: authentication of every request and websocket.

Keys, roles, the current caller and the personal-data rules live below the API in
:mod:`graph_service.security`; this module is the binding: :class:`AuthMiddleware` reads the key
a request presents (``Authorization: Bearer <key>`` or ``X-API-Key: <key>``), answers 401 before
any route runs when a protected path has no valid one, and makes the caller current for the
request (:func:`~graph_service.security.acting_as`); :func:`connection_principal` does the same
for a websocket's ``connection_init``; :func:`served_keyring` builds the key ring the server
checks, with the access roles its products and streams declare. Routes check roles with
:func:`graph_service.security.dependencies.require_roles`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from graph_service.api.ratelimit import (
    CALLER_SCOPE_KEY,
    WEBSOCKET_WAY,
    CallerLimits,
    caller_of,
    response_parts,
    send_refusal,
    way_of,
)
from graph_service.security import (
    BUILTIN_ROLES,
    UNAUTHENTICATED,
    KeyRing,
    Principal,
    acting_as,
)
from graph_service.settings import Settings


def known_roles(settings: Settings) -> frozenset[str]:
    """The built-in roles and the access roles the data product and stream descriptors name."""
    # Imported here: the products' service reaches the API's GraphQL modules, and the websocket
    # transport among them imports this module.
    from graph_service.products.registry import declared_access_roles
    from graph_service.products.service import ProductPaths
    from graph_service.streams import declared_access_roles as stream_roles

    products = declared_access_roles(ProductPaths.from_settings(settings).queries_dirs)
    return BUILTIN_ROLES | products | stream_roles(settings)


def served_keyring(settings: Settings) -> KeyRing:
    """The keys and anonymous roles of ``settings``, every role checked against :func:`known_roles`."""
    return KeyRing.from_settings(settings, known_roles(settings))


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The key of ``Authorization: Bearer`` or ``X-API-Key``; None when neither is sent."""
    for name, value in headers:
        if name == b"x-api-key":
            return value.decode("latin-1").strip()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


def _unauthorized(message: str) -> JSONResponse:
    return JSONResponse(
        {"error": "unauthorized", "detail": message},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="digispine"'},
    )


class AuthMiddleware:
    """Authenticates each HTTP request and websocket handshake and sets the caller's principal.

    ``open_paths`` answer without a key (health checks, API docs, the GraphiQL and explorer
    pages, whose own requests carry the key). A websocket presents its key in the same headers
    at the handshake (never in the URL, which lands in access logs) or, since a browser cannot
    set them, in its ``connection_init`` payload: a wrong key in the headers is refused at the
    handshake (401, or closed before it is accepted: the client sees 403); without one the
    socket opens as :data:`UNAUTHENTICATED` (no role) and the GraphQL websocket handler closes it
    (4403) unless ``connection_init`` brings a valid key (:func:`connection_principal`). The
    principal stays set for the whole connection, so whatever serves it reads the caller with
    :func:`current_principal`, as an HTTP route does.
    """

    def __init__(
        self,
        app: ASGIApp,
        keyring: KeyRing,
        open_paths: Callable[[str, str], bool],
        limits: CallerLimits | None = None,
    ) -> None:
        self.app = app
        self.keyring = keyring
        self.open_paths = open_paths
        # the one place every keyed request passes, so the rate limit holds on every way in
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        key = presented_key(scope.get("headers") or ())
        path = scope.get("path", "")
        is_open = self.open_paths(scope.get("method", "GET"), path)
        principal: Principal | None
        keyed = False
        if key is not None:
            principal = self.keyring.lookup(key)
            keyed = principal is not None
            if principal is None and not is_open:
                await _unauthorized("the API key is not valid")(scope, receive, send)
                return
        elif self.keyring.anonymous_roles or is_open:
            principal = self.keyring.anonymous()
        else:
            principal = None
        if principal is None:
            if not is_open:
                await _unauthorized(
                    "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`"
                )(scope, receive, send)
                return
            principal = self.keyring.anonymous()
        if self.limits is not None and not is_open:
            caller = caller_of(principal.name if keyed else None, scope.get("client"))
            refusal = self.limits.check(caller, way_of(path))
            if refusal is not None:
                await send_refusal(send, refusal, path)
                return
        with acting_as(principal):
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = presented_key(scope.get("headers") or ())
        principal: Principal | None
        if key is not None:
            principal = self.keyring.lookup(key)
        else:  # the key may come in the connection_init message (a browser cannot set headers)
            principal = self.keyring.anonymous() if self.keyring.anonymous_roles else UNAUTHENTICATED
        if principal is None:
            await _refuse_websocket(scope, receive, send, _unauthorized("the API key is not valid"))
            return
        caller = caller_of(principal.name if key is not None else None, scope.get("client"))
        scope[CALLER_SCOPE_KEY] = caller  # the subscribe messages spend the same bucket
        if self.limits is not None:
            refusal = self.limits.check(caller, WEBSOCKET_WAY)
            if refusal is not None:
                body, headers = response_parts(refusal, "/")  # a handshake is no GraphQL request
                await _refuse_websocket(scope, receive, send, Response(body, 429, _headers(headers)))
                return
        with acting_as(principal):
            await self.app(scope, receive, send)


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in raw if name != b"content-length"}


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    """Answer the handshake with ``response`` (401, 429) where the server can (the
    ``websocket.http.response`` extension), else close it before accepting (the server answers 403)."""
    if (await receive())["type"] != "websocket.connect":
        return  # the client left during the handshake
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        reason = "unauthorized" if response.status_code == 401 else "rate limited"
        await send({"type": "websocket.close", "code": 1008, "reason": reason})
        return
    await send(
        {
            "type": "websocket.http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "websocket.http.response.body", "body": response.body})


def connection_principal(
    keyring: KeyRing, handshake: Principal, payload: Mapping[str, Any]
) -> tuple[Principal | None, str]:
    """The caller of a websocket after its ``connection_init``: the key of the payload
    (``{"Authorization": "Bearer <key>"}`` or ``{"apiKey": "<key>"}``) when it has one, else the
    handshake's caller; None and the reason when the key is wrong or there is none at all."""
    key: object = None
    for name in ("apiKey", "x-api-key", "X-API-Key"):
        key = key or payload.get(name)
    authorization = payload.get("Authorization") or payload.get("authorization")
    if key is None and isinstance(authorization, str):
        scheme, _, token = authorization.partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    if key is not None:
        found = keyring.lookup(key) if isinstance(key, str) and key else None
        return (found, "") if found else (None, "the API key in connection_init is not valid")
    if handshake is UNAUTHENTICATED:
        return None, 'an API key is required: connection_init payload {"apiKey": "<key>"}'
    return handshake, ""
