"""The dead-letter store: one JSON Lines record per rejected event, under the data dir."""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class DeadLetter:
    """A rejected event: the original text, why, and the SHACL report when there is one.

    ``original`` is the event as text. When its bytes are not valid UTF-8, ``original_base64`` holds
    them exactly (``original`` shows them with U+FFFD); when the event was too large to keep,
    ``original`` is only its beginning and ``original_size`` its size in bytes. A conflicting
    duplicate keeps what the graph holds of the event accepted first in ``stored``.
    """

    id: str
    at: str
    reason: str
    message: str
    event_id: str | None
    event_type: str | None
    origin: str | None
    original: str
    report: str | None = None
    retried: bool = False
    original_base64: str | None = None
    original_size: int | None = None
    stored: dict[str, Any] | None = None

    @property
    def original_bytes(self) -> bytes | None:
        """The event exactly as it arrived; None when the letter keeps only its beginning."""
        if self.original_size is not None:
            return None
        if self.original_base64 is not None:
            return base64.b64decode(self.original_base64)
        return self.original.encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None or k in _ALWAYS}


#: Fields every record has; the others are written only when they say something.
_ALWAYS = frozenset({"id", "at", "reason", "message", "event_id", "event_type", "origin", "original"})


class DeadLetterStore:
    """Append-only JSON Lines file; retries are recorded as ``retried`` markers, never deletions.

    An event rejected again from the same origin (a Kafka message redelivered after a crash, a
    file loaded twice) is recorded once: its letter is already there and not yet retried.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "deadletters.jsonl"
        self._lock = threading.Lock()
        self._held: set[tuple[str, str, str]] | None = None  # (origin, reason, digest) not retried

    def add(
        self,
        *,
        reason: str,
        message: str,
        original: str,
        event_id: str | None = None,
        event_type: str | None = None,
        origin: str | None = None,
        report: str | None = None,
        original_base64: str | None = None,
        original_size: int | None = None,
        stored: dict[str, Any] | None = None,
    ) -> DeadLetter | None:
        """Record a rejected event; ``None`` when the same event from the same origin is recorded
        already (and not yet retried)."""
        letter = DeadLetter(
            id=uuid.uuid4().hex[:12],
            at=datetime.now(UTC).isoformat(),
            reason=reason,
            message=message,
            event_id=event_id,
            event_type=event_type,
            origin=origin,
            original=original,
            report=report,
            original_base64=original_base64,
            original_size=original_size,
            stored=stored,
        )
        key = _held_key(letter)
        with self._lock:
            if key is not None:
                held = self._held_keys()
                if key in held:
                    return None
                held.add(key)
            self._append(letter.to_json())
        return letter

    def mark_retried(self, letter_ids: list[str]) -> None:
        with self._lock:
            for letter_id in letter_ids:
                self._append({"retried": letter_id, "at": datetime.now(UTC).isoformat()})
            self._held = None  # retried letters no longer hold their origin

    def _held_keys(self) -> set[tuple[str, str, str]]:
        if self._held is None:
            self._held = {key for letter in self.all() if (key := _held_key(letter)) is not None}
        return self._held

    def _append(self, record: dict[str, Any]) -> None:  # under self._lock
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as fh:
            fh.write(orjson.dumps(record) + b"\n")

    def all(self, *, include_retried: bool = False) -> list[DeadLetter]:
        letters: dict[str, DeadLetter] = {}
        retried: set[str] = set()
        for record in self._records():
            if "retried" in record and "reason" not in record:
                retried.add(record["retried"])
            else:
                letters[record["id"]] = DeadLetter(**record)
        return [
            DeadLetter(**{**letter.__dict__, "retried": letter.id in retried})
            for letter in letters.values()
            if include_retried or letter.id not in retried
        ]

    def get(self, letter_id: str) -> DeadLetter | None:
        return next((d for d in self.all(include_retried=True) if d.id == letter_id), None)

    def _records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield orjson.loads(line)


def _held_key(letter: DeadLetter) -> tuple[str, str, str] | None:
    """What makes a letter the same event again: origin, reason and the original's digest."""
    if letter.origin is None:
        return None
    exact = letter.original_base64 or letter.original
    digest = hashlib.blake2b(exact.encode("utf-8", errors="replace"), digest_size=16).hexdigest()
    return (letter.origin, letter.reason, digest)
