"""What the loader refuses however valid the event: too large, strings too long, dated too far ahead.

Pure checks (the clock is an argument); the pipeline applies them between parsing and mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph_service.settings import Settings
from loaders.envelope import Envelope
from loaders.errors import EventRejected

#: How much of a too-large event its dead letter keeps: enough to see what it was.
PREVIEW_BYTES = 1024


@dataclass(frozen=True)
class Limits:
    """The loader's limits; the defaults are those of :class:`~graph_service.settings.Settings`."""

    max_event_bytes: int = 1_048_576
    max_string_chars: int = 10_000
    max_clock_skew_s: float = 86_400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_event_bytes=settings.loader_max_event_bytes,
            max_string_chars=settings.loader_max_string_chars,
            max_clock_skew_s=settings.loader_max_clock_skew_s,
        )

    def check_size(self, size: int) -> None:
        """Refuse an event of ``size`` bytes when it is larger than the limit."""
        if size > self.max_event_bytes:
            raise EventRejected(
                "too-large",
                f"the event is {size:,} bytes; the limit is {self.max_event_bytes:,} bytes "
                f"(DIGISPINE_LOADER_MAX_EVENT_BYTES); its dead letter keeps the first {PREVIEW_BYTES:,}",
            )

    def check_strings(self, envelope: Envelope) -> None:
        """Refuse an event with a string (attribute, payload value or object key) over the limit."""
        limit = self.max_string_chars
        for name in ("source", "type", "subject"):
            value = getattr(envelope, name)
            if value is not None and len(value) > limit:
                raise _too_long(name, len(value), limit)
        where = _long_string(envelope.data, limit)
        if where is not None:
            raise _too_long(*where, limit)

    def check_time(self, envelope: Envelope, now: datetime) -> None:
        """Refuse an event dated further ahead of ``now`` than the clock skew allows: it would win
        every later update of what it affects (the newest event's value stays)."""
        ahead = (envelope.time - now).total_seconds()
        if ahead > self.max_clock_skew_s:
            raise EventRejected(
                "future-event",
                f"time {envelope.time_text} is {ahead:,.0f} s ahead of the loader's clock "
                f"({now.isoformat(timespec='seconds')}); the limit is {self.max_clock_skew_s:,.0f} s "
                "(DIGISPINE_LOADER_MAX_CLOCK_SKEW_S)",
            )


def _too_long(where: str, length: int, limit: int) -> EventRejected:
    return EventRejected(
        "too-large",
        f"{where} is a string of {length:,} characters; the limit is {limit:,} "
        "(DIGISPINE_LOADER_MAX_STRING_CHARS)",
    )


def _long_string(data: dict[str, Any], limit: int) -> tuple[str, int] | None:
    """The path and length of a string in ``data`` longer than ``limit``, if any."""
    if not _any_long(data, limit):  # the common case, without building a path per value
        return None
    stack: list[tuple[str, Any]] = [("data", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if len(value) > limit:
                return path, len(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if len(key) > limit:
                    return f"{path} (a key)", len(key)
                stack.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _any_long(data: dict[str, Any], limit: int) -> bool:
    stack: list[Any] = [data]
    while stack:  # iterative: payloads may nest as deep as the JSON parser allows
        value = stack.pop()
        if isinstance(value, str):
            if len(value) > limit:
                return True
        elif isinstance(value, dict):
            if any(len(key) > limit for key in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
