"""Errors of the graph service that a user can act on. Messages say what, where, and what next."""

from __future__ import annotations


class DigiSpineError(Exception):
    """Base of every error DigiSpine reports to a user."""


class ConfigurationError(DigiSpineError):
    """A setting is missing or wrong."""


class StoreUnavailable(DigiSpineError):
    """Neo4j cannot be reached or refused us. Carries the URI, never the password."""

    def __init__(self, uri: str, reason: str) -> None:
        self.uri = uri
        self.reason = reason
        super().__init__(
            f"Neo4j is not reachable at {uri}: {reason}. Start the local server with "
            "`digispine neo4j start`, or set NEO4J_URI to a running Neo4j."
        )


class StoreAuthError(DigiSpineError):
    """Neo4j answered but refused the credentials."""

    def __init__(self, uri: str, user: str) -> None:
        self.uri = uri
        self.user = user
        super().__init__(
            f"Neo4j at {uri} refused the credentials of user {user!r}: check NEO4J_USER and NEO4J_PASSWORD."
        )


class LocalNeo4jError(DigiSpineError):
    """The local Neo4j could not be installed, started or stopped."""
