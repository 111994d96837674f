"""API keys: only their SHA-256 is configured, a presented key is hashed and compared in constant time.

Keys come from configuration (``DIGISPINE_API_KEYS`` and/or ``DIGISPINE_API_KEYS_FILE``) as
``name:sha256:role,role`` entries; ``digispine apikey create`` makes a key and its entry.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from graph_service.errors import ConfigurationError as ConfigError
from graph_service.security.roles import ROLE_NAME, Principal, check_known
from graph_service.settings import Settings

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*")
_DIGEST = re.compile(r"[0-9a-f]{64}")
KEY_PREFIX = "dsk_"


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
    def from_settings(cls, settings: Settings, known: Collection[str]) -> KeyRing:
        """The keys and anonymous roles of ``settings``; a role outside ``known`` is refused,
        naming the entry, as a typo would silently grant nothing."""
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
            if not ROLE_NAME.fullmatch(role):
                raise ConfigError(f"DIGISPINE_ANONYMOUS_ROLES: {role!r} is not a role name (a-z, 0-9, -, _)")
        check_known("DIGISPINE_ANONYMOUS_ROLES", anonymous, known)
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
        bad = [r for r in roles if not ROLE_NAME.fullmatch(r)]
        if not roles or bad:
            raise ConfigError(
                f"{where}: entry {number} ({name}): roles must be a comma-separated list of names; "
                f"got {roles_text!r}"
            )
        if known is not None:
            check_known(f"{where}: entry {number} ({name})", roles, known)
        keys.append(ApiKey(name, digest.lower(), frozenset(roles)))
    return keys


def _shown(chunk: str) -> str:
    return chunk if len(chunk) <= 24 else chunk[:12] + "…"
