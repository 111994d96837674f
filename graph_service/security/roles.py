"""Roles and the caller holding them (:class:`Principal`).

Built-in roles: ``reader`` (entity queries, explore), ``analyst`` (read-only Cypher, SPARQL;
implies ``reader``), ``personal-data`` (sees properties the ontology marks ``ds:personalData``),
``metrics`` (``GET /metrics`` only: a scraper's key), ``admin`` (every role). Data products and
streams name their own access roles in their descriptors; whoever composes the service passes
those in (as the ``known`` roles of :meth:`KeyRing.from_settings`), so this package reads no
descriptor.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from graph_service.errors import ConfigurationError as ConfigError

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

ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]*")


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
        """The one rule for personal data on every path (:mod:`graph_service.security.personal`)."""
        return self.has_role(PERSONAL_DATA)


#: The caller outside any HTTP request: the process itself.
SYSTEM = Principal("system", frozenset({ADMIN}))
#: A websocket opened without a key (browsers cannot send headers on one): it holds no role
#: until its ``connection_init`` presents a key.
UNAUTHENTICATED = Principal("unauthenticated", frozenset())


def check_known(where: str, roles: Iterable[str], known: Collection[str]) -> None:
    """Refuse a role outside ``known``, naming ``where``: a typo would silently grant nothing."""
    unknown = sorted({role for role in roles if role not in known})
    if unknown:
        raise ConfigError(
            f"{where}: unknown role(s) {', '.join(unknown)}; known roles: {', '.join(sorted(known))} "
            "(reader, analyst, personal-data, admin, and the accessRoles of the data products)"
        )
