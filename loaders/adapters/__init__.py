"""Adapters: decoders from a source's wire format to CloudEvents, selected by name.

An adapter turns one wire record — a Kafka message (value, key, headers, topic, partition,
offset), a line of a file, a message of another broker — into zero or more CloudEvents (dicts the
envelope check accepts), or raises :class:`AdapterError` naming what is wrong and where; the
pipeline then dead-letters the record with reason ``adapter`` (nothing is dropped unseen). Zero
events is an explicit answer (a Debezium tombstone): the record counts as read and skipped, and its
position is committed like any other.

The events an adapter yields go through the usual envelope check, mapping (by ``type``), payload
contract and write; the mapping pack of the format (``loaders/mappings/packs/<pack>/``, selected
with ``DIGISPINE_MAPPINGS_DIRS``) maps their types onto the ontology. Adapters are found by name
(:func:`get`): the built-in ones in :data:`BUILTIN` (imported on first use), others added with
:func:`register`. ``digispine load --adapter NAME`` (or ``DIGISPINE_LOAD_ADAPTER``) selects one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import orjson

from loaders.errors import EventRejected, LoaderError

if TYPE_CHECKING:
    from loaders.pipeline import Record

#: The reason code of a record an adapter cannot decode (``digispine deadletters list --reason adapter``).
ADAPTER_REASON = "adapter"

#: Built-in adapters: name → module. The module has ``create() -> Adapter``; imported on first use,
#: so an adapter's dependencies are needed only when it is selected.
BUILTIN: dict[str, str] = {
    "debezium": "loaders.adapters.debezium",
    "sap-events": "loaders.adapters.sap_events",
    "salesforce-cdc": "loaders.adapters.salesforce_cdc",
    "uns": "loaders.adapters.mqtt",
    "ocel": "loaders.adapters.ocel",
}


#: The mapping packs of the formats: ``<pack>/*.yaml`` and, when the core lacks terms, ``<pack>/ontology/``.
PACKS_DIR = Path(__file__).resolve().parents[1] / "mappings" / "packs"


def pack_dirs(pack: str) -> dict[str, tuple[Path, ...]]:
    """The settings that select mapping pack ``pack`` next to the shipped systems:
    ``mappings_dirs`` and ``ontology_dirs`` (for ``load_settings(**pack_dirs(...))``)."""
    from graph_service.settings import SHIPPED_MAPPINGS

    root = PACKS_DIR / pack
    if not root.is_dir():
        known = ", ".join(sorted(p.name for p in PACKS_DIR.iterdir() if p.is_dir()))
        raise LoaderError(f"no mapping pack {pack!r} in {PACKS_DIR}; packs: {known}")
    ontology = (root / "ontology",) if (root / "ontology").is_dir() else ()
    return {"mappings_dirs": (SHIPPED_MAPPINGS, root), "ontology_dirs": ontology}


class AdapterError(EventRejected):
    """A wire record the adapter cannot turn into events: says which adapter, where, and what."""

    def __init__(self, adapter: str, where: str, message: str) -> None:
        self.adapter = adapter
        self.where = where
        super().__init__(
            ADAPTER_REASON, f"{adapter}: {where}: {message}" if where else f"{adapter}: {message}"
        )


class UnknownAdapter(LoaderError):
    """No adapter of that name is registered."""


@dataclass(frozen=True)
class WireRecord:
    """One record as the source delivered it. ``value`` is None for a Kafka tombstone (no value)."""

    value: bytes | None
    origin: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: bytes | None = None
    headers: Mapping[str, bytes | None] = field(default_factory=dict)

    def json(self, adapter: str) -> Any:
        """``value`` parsed as JSON, or an :class:`AdapterError` saying where it stops parsing."""
        if self.value is None:
            raise AdapterError(adapter, "value", "the record has no value")
        try:
            return orjson.loads(self.value)
        except orjson.JSONDecodeError as exc:
            raise AdapterError(adapter, "value", f"not valid JSON: {exc}") from None

    def key_json(self) -> Any:
        """The key parsed as JSON (Debezium's and most connectors' keys are JSON), else its text,
        None when there is no key."""
        if not self.key:
            return None
        try:
            return orjson.loads(self.key)
        except orjson.JSONDecodeError:
            return self.key.decode("utf-8", errors="replace")


@runtime_checkable
class Adapter(Protocol):
    """Decodes wire records of one format. ``decode`` is pure: same record, same events."""

    name: str

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        """The CloudEvents the record stands for ([] for one that stands for none), or raise
        :class:`AdapterError`."""
        ...


@runtime_checkable
class FileAdapter(Adapter, Protocol):
    """An adapter whose files are not one record per line (a SQLite or JSON log): it reads a file
    into wire records itself; ``digispine load --adapter NAME FILE`` uses it instead of the lines."""

    def read_file(self, path: Path) -> Iterator[WireRecord]: ...


_registry: dict[str, Callable[[], Adapter]] = {}


def register(name: str, factory: Callable[[], Adapter]) -> None:
    """Make ``factory`` the adapter called ``name`` (replacing a built-in of that name)."""
    _registry[name] = factory


def names() -> list[str]:
    """Every adapter name that :func:`get` knows, sorted."""
    return sorted({*BUILTIN, *_registry})


def get(name: str) -> Adapter:
    """A new adapter called ``name``, or :class:`UnknownAdapter` listing the known names."""
    factory = _registry.get(name)
    if factory is None and name in BUILTIN:
        factory = importlib.import_module(BUILTIN[name]).create
    if factory is None:
        raise UnknownAdapter(f"no adapter called {name!r}; known adapters: {', '.join(names())}")
    return factory()


# -- between the pipeline's records and the adapters ------------------------------------------------


def wire_record(record: Record) -> WireRecord:
    """The wire view of a source's record (an empty value reads as none: Kafka gives b"" for null)."""
    raw = record.raw.encode("utf-8") if isinstance(record.raw, str) else record.raw
    topic = partition = offset = None
    position = record.position
    if isinstance(position, tuple) and len(position) == 3:
        topic, partition, offset = position
    return WireRecord(
        value=raw or None,
        origin=record.origin,
        topic=topic,
        partition=partition,
        offset=offset,
        key=getattr(record, "key", None),
        headers=dict(getattr(record, "headers", None) or ()),
    )


def decoded_records(adapter: Adapter, record: Record) -> list[Record]:
    """The CloudEvents ``adapter`` decodes ``record`` into, each a record of its own with the
    source's position (``origin#n`` when there are several), or :class:`AdapterError`."""
    from loaders.pipeline import Record

    events = adapter.decode(wire_record(record))
    several = len(events) > 1
    return [
        Record(
            raw=orjson.dumps(event),
            origin=f"{record.origin}#{index}" if several else record.origin,
            position=record.position,
        )
        for index, event in enumerate(events)
    ]


def file_records(adapter: Adapter, path: Path) -> Iterator[Record]:
    """The records of a file a :class:`FileAdapter` reads itself (others read files line by line:
    :func:`loaders.sources.read_files`)."""
    from loaders.pipeline import Record

    if not isinstance(adapter, FileAdapter):
        raise LoaderError(f"adapter {adapter.name} reads files line by line")
    for wire in adapter.read_file(path):
        yield Record(raw=wire.value or b"", origin=wire.origin, position=None)


# -- helpers for adapters -----------------------------------------------------------------------------


def cloudevent(
    *,
    id: str,
    source: str,
    type: str,
    time: str,
    data: dict[str, Any],
    subject: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """A CloudEvents 1.0 event in structured JSON mode (extension attributes are lower-case names)."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": id,
        "source": source,
        "type": type,
        "time": time,
        "datacontenttype": "application/json",
    }
    if subject is not None:
        event["subject"] = subject
    event.update({k: v for k, v in extensions.items() if v is not None})
    event["data"] = data
    return event


def time_from_epoch_ms(adapter: str, where: str, value: Any) -> str:
    """Milliseconds since the epoch (UTC) as RFC 3339 text, or an :class:`AdapterError`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterError(adapter, where, f"expected milliseconds since the epoch, got {value!r}")
    try:
        moment = datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise AdapterError(adapter, where, f"{value!r} ms since the epoch is out of range") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
