"""CloudEvents 1.0 envelopes in structured JSON mode: parsing and checking, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from loaders.errors import EventRejected

REQUIRED = ("specversion", "id", "source", "type")
#: ``digispine.<system>.<EventClass>.v<version>``
TYPE_RX = re.compile(r"^digispine\.(?P<system>[a-z]+)\.(?P<event>[A-Z][A-Za-z0-9]*)\.v(?P<version>[0-9]+)$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Envelope:
    """A checked CloudEvent. ``version_token`` orders updates: UTC time, then event id."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None
    data: dict[str, Any]
    raw: str

    @property
    def source_system(self) -> str:
        """``erp/s4-plant-1000`` → ``erp``."""
        return self.source.split("/", 1)[0]

    @property
    def time_text(self) -> str:
        return self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def version_token(self) -> str:
        return f"{self.time_text}|{self.id}"


def parse_line(raw: str | bytes) -> Envelope:
    """Parse one JSON Lines record into an :class:`Envelope`, or raise :class:`EventRejected`."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise EventRejected("malformed-json", f"not valid JSON: {exc}") from None
    return check_envelope(doc, text)


def check_envelope(doc: Any, raw: str) -> Envelope:
    if not isinstance(doc, dict):
        raise EventRejected("envelope", f"a CloudEvent must be a JSON object, got {type(doc).__name__}")
    missing = [name for name in REQUIRED if not isinstance(doc.get(name), str) or not doc.get(name)]
    if missing:
        raise EventRejected("envelope", f"missing or empty CloudEvents attribute(s): {', '.join(missing)}")
    if doc["specversion"] != "1.0":
        raise EventRejected("envelope", f"specversion must be '1.0', got {doc['specversion']!r}")
    content_type = doc.get("datacontenttype", "application/json")
    if content_type != "application/json":
        raise EventRejected("envelope", f"datacontenttype must be application/json, got {content_type!r}")
    time_text = doc.get("time")
    if not isinstance(time_text, str) or not RFC3339.match(time_text):
        raise EventRejected("envelope", f"time must be an RFC 3339 timestamp, got {time_text!r}")
    try:
        when = datetime.fromisoformat(time_text.replace("Z", "+00:00"))
    except ValueError:
        raise EventRejected("envelope", f"time is not a valid timestamp: {time_text!r}") from None
    data = doc.get("data")
    if not isinstance(data, dict):
        raise EventRejected("envelope", "data must be a JSON object (structured mode)")
    subject = doc.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise EventRejected("envelope", "subject must be a string when present")
    if len(doc["id"]) > 200:
        raise EventRejected("envelope", "id is longer than 200 characters")
    return Envelope(
        id=doc["id"],
        source=doc["source"],
        type=doc["type"],
        time=when,
        subject=subject,
        data=data,
        raw=raw,
    )
