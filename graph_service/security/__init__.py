"""Who may do what, below the API: API keys, roles, the current caller, personal-data rules.

Every layer reads it from here — products, RDF, analytics, the GraphQL resolvers and the
observability routes — while :mod:`graph_service.api.auth` binds it to HTTP and websockets
(the middleware, FastAPI dependencies). Nothing in this package imports the API or a
descriptor-reading module: the roles a deployment's products and streams declare are passed in.
"""

from graph_service.security.caller import acting_as, current_principal, principal_of, use_principal
from graph_service.security.keys import KEY_PREFIX, ApiKey, KeyRing, hash_key, new_key, parse_entries
from graph_service.security.personal import personal_properties
from graph_service.security.roles import (
    ADMIN,
    ANALYST,
    BUILTIN_ROLES,
    IMPLIED,
    METRICS,
    PERSONAL_DATA,
    READER,
    SYSTEM,
    UNAUTHENTICATED,
    Principal,
    check_known,
)

__all__ = [
    "ADMIN",
    "ANALYST",
    "BUILTIN_ROLES",
    "IMPLIED",
    "KEY_PREFIX",
    "METRICS",
    "PERSONAL_DATA",
    "READER",
    "SYSTEM",
    "UNAUTHENTICATED",
    "ApiKey",
    "KeyRing",
    "Principal",
    "acting_as",
    "check_known",
    "current_principal",
    "hash_key",
    "new_key",
    "parse_entries",
    "personal_properties",
    "principal_of",
    "use_principal",
]
