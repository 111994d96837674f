"""Derived events: the CloudEvent a stream emits, its deterministic id, its lineage, its validation.

A derived event is built from what the processor computed (``data``), the descriptor and the input
that triggered it. Its id is a digest of the stream, the key and the processor's ``id_parts`` (a
window and its revision, or an alert rule and the triggering input), so the same inputs in the same
order give the same ids: a replay or an at-least-once duplicate is the same event, not a new one.

Its ``data`` is validated against the stream's output shape before it is produced: by the shape
compiled to plain Python when it is flat (:mod:`graph_service.streams.output_check`, as the
shipped ones are), else by the general validator (:mod:`graph_service.streams.shacl_check`, which
needs rdflib; this module does not import it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from graph_service.errors import DigiSpineError as StreamError  # streams.errors imports products: a cycle

if TYPE_CHECKING:
    from graph_service.streams.shacl_check import OutputValidator as OutputValidator
    from graph_service.streams.shacl_check import read_shape_file as read_shape_file
    from graph_service.streams.shacl_check import shape_check as shape_check

#: How many source events a derived event names; the rest are counted in ``lineage.truncated``.
LINEAGE_CAP = 50
STREAMS_NS = "https://w3id.org/digispine/streams#"


class StreamShapeError(StreamError):
    """A stream's output shape cannot be read or compiled."""


class OriginLike(Protocol):
    """What lineage needs of the input an output came from (runtime.Origin, a frozen dataclass:
    read-only members)."""

    @property
    def source(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


def derived_id(parts: Sequence[Any]) -> str:
    """blake2b-16 hex of the JSON array of ``parts``: the same parts, the same id."""
    return hashlib.blake2b(orjson.dumps(list(parts)), digest_size=16).hexdigest()


def window_id_parts(window_name: str, window_start: str, revision: int) -> list[Any]:
    """``id_parts`` of a window's revision (the runtime prefixes stream, major and key)."""
    return [window_name, window_start, revision]


def alert_id_parts(rule: str, source: str, event_id: str) -> list[Any]:
    """``id_parts`` of an alert: the rule and the triggering input's source and id."""
    return [rule, source, event_id]


def utc_text(when: dt.datetime) -> str:
    """ISO 8601 UTC with ``Z``, milliseconds only when there are any."""
    if when.tzinfo is not dt.UTC:
        when = when.astimezone(dt.UTC)
    # isoformat, not strftime: the same text (milliseconds truncated), several times faster, and
    # a processor formats a time for every input and every keyed message.
    spec = "milliseconds" if when.microsecond else "seconds"
    return when.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


@dataclass
class LineageTracker:
    """The source events of one output, JSON-able so a processor keeps it in its state.

    ``events`` are the first :data:`LINEAGE_CAP` distinct ``(source, id)``; later ones are only
    counted. ``offsets`` keeps, per input topic partition, the lowest and highest offset seen."""

    events: list[list[str]] = field(default_factory=list)
    truncated: int = 0
    offsets: dict[str, list[int]] = field(default_factory=dict)
    last: str = ""

    @classmethod
    def from_state(cls, value: Mapping[str, Any] | None) -> LineageTracker:
        if not value:
            return cls()
        return cls(
            events=[list(e) for e in value.get("e", [])],
            truncated=int(value.get("t", 0)),
            offsets={k: list(v) for k, v in value.get("o", {}).items()},
            last=str(value.get("l", "")),
        )

    def to_state(self) -> dict[str, Any]:
        return {"e": self.events, "t": self.truncated, "o": self.offsets, "l": self.last}

    def add(self, origin: OriginLike) -> None:
        pair = [origin.source, origin.id]
        if pair not in self.events:
            if len(self.events) < LINEAGE_CAP:
                self.events.append(pair)
            else:
                self.truncated += 1
        where = f"{origin.topic}/{origin.partition}"
        span = self.offsets.get(where)
        if span is None:
            self.offsets[where] = [origin.offset, origin.offset]
        else:
            span[0], span[1] = min(span[0], origin.offset), max(span[1], origin.offset)
        self.last = where

    def merge(self, other: LineageTracker) -> None:
        """Add ``other``'s events and offsets (an output built from several trackers)."""
        for pair in other.events:
            if pair not in self.events:
                if len(self.events) < LINEAGE_CAP:
                    self.events.append(pair)
                else:
                    self.truncated += 1
        self.truncated += other.truncated
        for where, (low, high) in other.offsets.items():
            span = self.offsets.setdefault(where, [low, high])
            span[0], span[1] = min(span[0], low), max(span[1], high)
        self.last = self.last or other.last

    def lineage(self) -> dict[str, Any]:
        """The ``lineage`` member: events, truncated count, the newest input partition's offset range."""
        offsets: dict[str, Any] = {}
        if self.last and self.last in self.offsets:
            topic, _, partition = self.last.rpartition("/")
            low, high = self.offsets[self.last]
            offsets = {"topic": topic, "partition": int(partition), "from": low, "to": high}
        return {
            "events": [{"source": s, "id": i} for s, i in self.events],
            "truncated": self.truncated,
            "offsets": offsets,
        }


@dataclass(frozen=True)
class StreamIdentity:
    """What of the descriptor goes into every derived event."""

    name: str
    major: int
    version: str
    output_type: str
    source: str
    shape_iri: str

    @classmethod
    def of(cls, descriptor: Any) -> StreamIdentity:
        return cls(
            name=descriptor.name,
            major=descriptor.major,
            version=descriptor.version,
            output_type=descriptor.output_type,
            source=descriptor.source,
            shape_iri=descriptor.shape_iri,
        )


def build_event(
    stream: StreamIdentity,
    *,
    subject: str,
    data: Mapping[str, Any],
    time: dt.datetime,
    id_parts: Sequence[Any],
    lineage: Mapping[str, Any],
    inputts: int,
) -> dict[str, Any]:
    """The derived CloudEvent (structured mode) of one output."""
    return {
        "specversion": "1.0",
        "id": derived_id([stream.name, stream.major, subject, *id_parts]),
        "source": stream.source,
        "type": stream.output_type,
        "subject": subject,
        "time": utc_text(time),
        "datacontenttype": "application/json",
        "dataschema": stream.shape_iri,
        "inputts": inputts,
        "lineage": dict(lineage),
        "data": dict(data),
    }


def violation_record(
    stream: StreamIdentity, event: Mapping[str, Any], report: list[dict[str, Any]]
) -> dict[str, Any]:
    """What goes to the violations topic instead of an event that fails its shape."""
    return {"stream": stream.name, "version": stream.version, "event": dict(event), "report": report}


class ShapeCheck(Protocol):
    """What checks a derived event's ``data``: a compiled flat shape or the general validator."""

    def validate(self, data: Mapping[str, Any], focus: str = ...) -> list[dict[str, Any]]: ...


#: The general validator lives in :mod:`graph_service.streams.shacl_check` (it needs rdflib); a
#: processor whose shape is flat never imports it. Its names are read from here as before.
_SHACL_NAMES = frozenset({"OutputValidator", "read_shape_file", "shape_check"})


def __getattr__(name: str) -> Any:
    if name in _SHACL_NAMES:
        from graph_service.streams import shacl_check

        return getattr(shacl_check, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
