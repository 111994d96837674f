"""CloudEvents 1.0 envelopes in structured JSON mode: parsing and checking, no I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import orjson

from loaders.errors import EventRejected

REQUIRED = ("specversion", "id", "source", "type")
#: ``digispine.<system>.<EventClass>.v<version>``
TYPE_RX = re.compile(r"^digispine\.(?P<system>[a-z]+)\.(?P<event>[A-Z][A-Za-z0-9]*)\.v(?P<version>[0-9]+)$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
#: RFC 3339 allows offsets up to ±23:59, but Neo4j (like java.time) stores only ±18:00: a larger one
#: would pass here and fail in the write, so it is refused with the envelope.
MAX_ZONE_OFFSET = timedelta(hours=18)


@dataclass(frozen=True)
class Envelope:
    """A checked CloudEvent. ``version_token`` orders updates: UTC time, then event id.

    ``key`` is its identity: CloudEvents makes ``source`` + ``id`` unique, not ``id`` alone.
    """

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

    @cached_property
    def time_text(self) -> str:
        # Cached: the writer, the change log and the sorts by version token ask for it ~7 times an
        # event, ~9 us of strftime each time.
        return self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @cached_property
    def version_token(self) -> str:
        return f"{self.time_text}|{self.id}"

    @property
    def key(self) -> tuple[str, str]:
        """``(source, id)``: what makes an event the same event again."""
        return (self.source, self.id)

    @cached_property
    def payload_json(self) -> bytes:
        """``data`` as canonical JSON: compact, object keys sorted. The writer keeps it on the
        event node (``_payload``), so a later conflicting duplicate's letter can show it."""
        return orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS)

    @cached_property
    def payload_hash(self) -> str:
        """A digest of what the event says (type, UTC time, subject, data; keys sorted): two events
        with one key and different digests are a conflict, not a duplicate.

        The digested text is ``orjson.dumps([type, time, subject, data], OPT_SORT_KEYS)``, the
        form digests stored before :attr:`payload_json` existed were made of; it is assembled
        around :attr:`payload_json` so the payload is serialised once for both."""
        head = orjson.dumps([self.type, self.time_text, self.subject])
        canonical = head[:-1] + b"," + self.payload_json + b"]"
        return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def parse_line(raw: str | bytes) -> Envelope:
    """Parse one JSON Lines record into an :class:`Envelope`, or raise :class:`EventRejected`."""
    text = decode_utf8(raw) if isinstance(raw, bytes) else raw
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise EventRejected("malformed-json", f"not valid JSON: {exc}") from None
    return check_envelope(doc, text)


def decode_utf8(raw: bytes) -> str:
    """``raw`` as text; invalid UTF-8 is malformed input (never replaced by U+FFFD and loaded)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventRejected(
            "malformed-utf8",
            f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} ({exc.reason})",
        ) from None


def zone_offset_problem(value: datetime) -> str | None:
    """Why Neo4j cannot store ``value``'s zone offset, or None when it can."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_ZONE_OFFSET:
        sign = "-" if offset < timedelta(0) else "+"
        minutes = int(abs(offset).total_seconds()) // 60
        zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        return f"zone offset {zone} is beyond ±18:00, the most Neo4j stores"
    return None


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
    problem = zone_offset_problem(when)
    if problem:
        raise EventRejected("envelope", f"time {time_text!r}: {problem}")
    try:
        when.astimezone(UTC)
    except OverflowError:
        raise EventRejected("envelope", f"time {time_text!r} is out of range once converted to UTC") from None
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
