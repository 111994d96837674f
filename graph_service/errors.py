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


class StoreNotAnswering(StoreUnavailable):
    """Neo4j is reachable but did not answer in time: a socket deadline passed, or no pooled
    connection came free (an overloaded server or a slow network). Worth a later retry."""

    def __init__(self, uri: str, reason: str) -> None:
        self.uri = uri
        self.reason = reason
        DigiSpineError.__init__(
            self,
            f"Neo4j at {uri} did not answer in time ({reason}): it is overloaded or the network is "
            "slow; retry later",
        )


class StoreAuthError(DigiSpineError):
    """Neo4j answered but refused the credentials (or, after repeated failures, locked the user)."""

    def __init__(
        self, uri: str, user: str, *, locked: bool = False, retry_after_s: float | None = None
    ) -> None:
        self.uri = uri
        self.user = user
        self.locked = locked
        self.retry_after_s = retry_after_s
        why = (
            "locked the logins of user {user!r} after repeated failed attempts (Neo4j's "
            "dbms.security.auth_lock_time)"
            if locked
            else "refused the credentials of user {user!r}"
        ).format(user=user)
        # Failed logins are not retried at once: each one counts towards Neo4j's lock.
        later = f" DigiSpine tries again at most every {retry_after_s:g} s." if retry_after_s else ""
        super().__init__(
            f"Neo4j at {uri} {why}: the user name or password is wrong; set NEO4J_USER and "
            f"NEO4J_PASSWORD to those of the server.{later}"
        )


class LocalNeo4jError(DigiSpineError):
    """The local Neo4j could not be installed, started or stopped."""


class LocalNeo4jStillRecovering(LocalNeo4jError):
    """The local Neo4j is recovering after an unclean shutdown and was left running."""
