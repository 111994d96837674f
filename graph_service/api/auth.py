"""API keys, roles and the caller of the current request.

Keys come from configuration (``DIGISPINE_API_KEYS`` and/or ``DIGISPINE_API_KEYS_FILE``) as
``name:sha256:role,role`` entries: only the SHA-256 of a key is ever stored, and a presented key
is hashed and compared in constant time. ``digispine apikey create`` makes a key and its entry.

:class:`AuthMiddleware` authenticates every HTTP request (``Authorization: Bearer <key>`` or
``X-API-Key: <key>``): a missing or wrong key on a protected path is answered 401 before any
route runs. The caller is kept in a context variable for the request, so GraphQL resolvers, data
products and routes read it with :func:`current_principal` (or ``Depends(require_roles(...))``).
Code that runs outside a request (CLI, scheduler, tests executing the schema directly) acts as
:data:`SYSTEM`.

Roles: ``reader`` (entity queries, explore), ``analyst`` (read-only Cypher, SPARQL; implies
``reader``), ``personal-data`` (sees properties the ontology marks ``ds:personalData``), ``metrics``
(``GET /metrics`` only: a scraper's key), ``admin`` (every role); data products name their own
access roles in their descriptors.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from graph_service.errors import ConfigurationError as ConfigError
from graph_service.settings import Settings

READER = "reader"
ANALYST = "analyst"
PERSONAL_DATA = "personal-data"
ADMIN = "admin"
#: Reads ``GET /metrics`` and nothing else: the key a Prometheus scraper presents.
METRICS = "metrics"
#: Roles that include others.
IMPLIED: dict[str, frozenset[str]] = {ANALYST: frozenset({READER})}
#: The roles of the service itself; data products add the access roles their descriptors name.
BUILTIN_ROLES = frozenset({READER, ANALYST, PERSONAL_DATA, ADMIN, METRICS})

_ROLE = re.compile(r"[a-z][a-z0-9_-]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*")
_DIGEST = re.compile(r"[0-9a-f]{64}")
KEY_PREFIX = "dsk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name and its roles."""

    name: str
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        if ADMIN in self.roles or role in self.roles:
            return True
        return any(role in IMPLIED.get(held, ()) for held in self.roles)

    def has_any(self, roles: Iterable[str]) -> bool:
        return any(self.has_role(role) for role in roles)

    @property
    def may_see_personal_data(self) -> bool:
        return self.has_role(PERSONAL_DATA)


#: The caller outside any HTTP request: the process itself.
SYSTEM = Principal("system", frozenset({ADMIN}))
#: A websocket opened without a key (browsers cannot send headers on one): it holds no role
#: until its ``connection_init`` presents a key (:func:`connection_principal`).
UNAUTHENTICATED = Principal("unauthenticated", frozenset())

_current: ContextVar[Principal] = ContextVar("digispine_principal", default=SYSTEM)


def current_principal() -> Principal:
    """The caller of the request being served (:data:`SYSTEM` outside a request)."""
    return _current.get()


def principal_of(_obj: Any = None) -> Principal:
    """The caller of the current request; takes a Request or GraphQL ``info`` for readability."""
    return _current.get()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random API key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: str
    roles: frozenset[str]

    def entry(self) -> str:
        return f"{self.name}:{self.digest}:{','.join(sorted(self.roles))}"


class KeyRing:
    """The configured keys and the roles of callers without one."""

    def __init__(self, keys: Iterable[ApiKey], anonymous_roles: Iterable[str] = ()) -> None:
        self.keys = tuple(keys)
        self.anonymous_roles = frozenset(anonymous_roles)
        names = [k.name for k in self.keys]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(f"API key name(s) configured twice: {', '.join(twice)}")

    @classmethod
    def from_settings(cls, settings: Settings, known: Collection[str] | None = None) -> KeyRing:
        """The keys and anonymous roles of ``settings``; a role outside ``known`` (default:
        :func:`known_roles`) is refused, naming the entry, as a typo would silently grant nothing."""
        known = known_roles(settings) if known is None else known
        configured = settings.api_keys.get_secret_value() if settings.api_keys else ""
        keys = list(parse_entries(configured, "DIGISPINE_API_KEYS", known))
        if settings.api_keys_file is not None:
            path = settings.api_keys_file
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"DIGISPINE_API_KEYS_FILE {path}: cannot read it ({exc.strerror})") from exc
            keys += parse_entries(text, str(path), known)
        anonymous = [r.strip() for r in settings.anonymous_roles.split(",") if r.strip()]
        for role in anonymous:
            if not _ROLE.fullmatch(role):
                raise ConfigError(f"DIGISPINE_ANONYMOUS_ROLES: {role!r} is not a role name (a-z, 0-9, -, _)")
        _check_known("DIGISPINE_ANONYMOUS_ROLES", anonymous, known)
        return cls(keys, anonymous)

    @property
    def open(self) -> bool:
        """True when nothing is protected (no keys and anonymous callers have roles)."""
        return not self.keys and bool(self.anonymous_roles)

    def lookup(self, key: str) -> Principal | None:
        """The principal of a presented key; None when no configured key matches."""
        digest = hash_key(key)
        found: ApiKey | None = None
        for candidate in self.keys:  # compare with every entry, in constant time each
            if hmac.compare_digest(candidate.digest, digest):
                found = candidate
        return Principal(found.name, found.roles) if found else None

    def anonymous(self) -> Principal:
        return Principal("anonymous", self.anonymous_roles)


def known_roles(settings: Settings) -> frozenset[str]:
    """:data:`BUILTIN_ROLES` and the access roles the data product and stream descriptors name."""
    # Imported here: the products package imports this module.
    from graph_service.products.registry import declared_access_roles
    from graph_service.products.service import ProductPaths
    from graph_service.streams import declared_access_roles as stream_roles

    products = declared_access_roles(ProductPaths.from_settings(settings).queries_dirs)
    return BUILTIN_ROLES | products | stream_roles(settings)


def parse_entries(text: str, where: str, known: Collection[str] | None = None) -> list[ApiKey]:
    """``name:sha256:role,role`` entries separated by ``;`` or new lines; ``#`` starts a comment.
    With ``known``, an entry naming another role is refused."""
    keys = []
    chunks = [c for line in text.splitlines() for c in line.split("#", 1)[0].split(";")]
    for number, chunk in enumerate((c.strip() for c in chunks if c.strip()), start=1):
        parts = chunk.split(":")
        if len(parts) != 3:
            raise ConfigError(
                f"{where}: entry {number} ({_shown(chunk)}) must be name:sha256:role,role "
                "(create one with `digispine apikey create`)"
            )
        name, digest, roles_text = (p.strip() for p in parts)
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: entry {number}: {name!r} is not a key name (letters, digits, _.@-)")
        if not _DIGEST.fullmatch(digest.lower()):
            raise ConfigError(
                f"{where}: entry {number} ({name}): the hash must be the 64 hex digits of the key's "
                "SHA-256, not the key itself"
            )
        roles = [r.strip() for r in roles_text.split(",") if r.strip()]
        bad = [r for r in roles if not _ROLE.fullmatch(r)]
        if not roles or bad:
            raise ConfigError(
                f"{where}: entry {number} ({name}): roles must be a comma-separated list of names; "
                f"got {roles_text!r}"
            )
        if known is not None:
            _check_known(f"{where}: entry {number} ({name})", roles, known)
        keys.append(ApiKey(name, digest.lower(), frozenset(roles)))
    return keys


def _check_known(where: str, roles: Iterable[str], known: Collection[str]) -> None:
    unknown = sorted({role for role in roles if role not in known})
    if unknown:
        raise ConfigError(
            f"{where}: unknown role(s) {', '.join(unknown)}; known roles: {', '.join(sorted(known))} "
            "(reader, analyst, personal-data, admin, and the accessRoles of the data products)"
        )


def _shown(chunk: str) -> str:
    return chunk if len(chunk) <= 24 else chunk[:12] + "…"


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

    def __init__(self, app: ASGIApp, keyring: KeyRing, open_paths: Callable[[str, str], bool]) -> None:
        self.app = app
        self.keyring = keyring
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        key = presented_key(scope.get("headers") or ())
        is_open = self.open_paths(scope.get("method", "GET"), scope.get("path", ""))
        principal: Principal | None
        if key is not None:
            principal = self.keyring.lookup(key)
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
        token = _current.set(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = presented_key(scope.get("headers") or ())
        principal: Principal | None
        if key is not None:
            principal = self.keyring.lookup(key)
        else:  # the key may come in the connection_init message (a browser cannot set headers)
            principal = self.keyring.anonymous() if self.keyring.anonymous_roles else UNAUTHENTICATED
        if principal is None:
            await _refuse_websocket(scope, receive, send, "the API key is not valid")
            return
        token = _current.set(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    """Answer the handshake 401 where the server can (the ``websocket.http.response`` extension),
    else close it before accepting, which the server answers 403."""
    if (await receive())["type"] != "websocket.connect":
        return  # the client left during the handshake
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        await send({"type": "websocket.close", "code": 1008, "reason": "unauthorized"})
        return
    response = _unauthorized(message)
    await send({"type": "websocket.http.response.start", "status": 401, "headers": response.raw_headers})
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


def use_principal(principal: Principal) -> None:
    """Make ``principal`` the caller of the rest of the current task (a websocket that
    authenticated in its ``connection_init``), and of the tasks it starts from now on."""
    _current.set(principal)


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
