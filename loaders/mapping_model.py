"""The compiled form of a mapping (what :mod:`loaders.mapping_compile` makes of the YAML) and the
writes it produces. Immutable specs; reading a value from an event is here, the walk over an
event's entities and relations in :mod:`loaders.mapping`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from loaders.envelope import Envelope
from loaders.errors import EventRejected
from loaders.mapping_paths import ValuePath, parse_path
from loaders.mapping_values import CONVERTERS, NUMERIC, TEMPORAL, parse_formatted, scaled
from loaders.systems import SourceSystem, default_sources

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@lru_cache(maxsize=1024)
def template_paths(template: str) -> tuple[ValuePath, ...]:
    """The paths of a template's ``{placeholders}``, parsed once per template text."""
    return tuple(parse_path(text) for text in _PLACEHOLDER.findall(template))


@dataclass(frozen=True)
class ValueSpec:
    """Where a value comes from (a path, a constant or a template) and how it is converted.

    ``path``/``from_root`` are the member names of a payload path (what a payload shape talks
    about); ``ref`` is the whole parsed path (list selectors, ``../``, ``$time``). ``default``,
    ``value_map``, ``fmt`` and ``factor``/``offset`` apply in that order before ``convert``."""

    path: tuple[str, ...] | None = None
    from_root: bool = False
    const: Any = None
    template: str | None = None
    convert: str = "string"
    ref: ValuePath | None = None
    default: Any = None
    value_map: tuple[tuple[str, Any], ...] | None = None
    fmt: str | None = None
    factor: Decimal | None = None
    offset: Decimal = Decimal(0)
    history: bool = False  # each event's value is kept on its lineage link (``set:`` only)
    required: bool = False  # the payload contract requires the member (``set:`` only)
    #: Set once: the XSD converter when nothing else applies (the common case, taken directly).
    _direct: Callable[[Any], Any] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.ref is None and self.path is not None:
            text = ("/" if self.from_root else "") + (".".join(self.path) or ".")
            object.__setattr__(self, "ref", parse_path(text))
        if self.value_map is None and self.fmt is None and self.factor is None:
            object.__setattr__(self, "_direct", CONVERTERS[self.convert])

    def read(self, root: Mapping[str, Any], element: Any = None, envelope: Envelope | None = None) -> Any:
        """The raw value (before conversion) with ``element`` the current list element."""
        return self.read_in(root, () if element is None else (element,), envelope)

    def read_in(self, root: Mapping[str, Any], chain: tuple[Any, ...], envelope: Envelope | None) -> Any:
        """The raw value, ``chain`` the enclosing list elements (outermost first)."""
        if self.ref is not None:
            return self.ref.read(root, chain, envelope)
        if self.template is not None:
            parts: list[str] = []
            for ref in template_paths(self.template):
                value = ref.read(root, chain, envelope)
                if value is None:
                    return None
                parts.append(str(value))
            it = iter(parts)
            return _PLACEHOLDER.sub(lambda _m: next(it), self.template)
        return self.const

    def value_in(
        self, root: Mapping[str, Any], chain: tuple[Any, ...], envelope: Envelope, where: str
    ) -> Any:
        """The converted value, or None when the event gives none (and there is no default)."""
        raw = (
            self.ref.read(root, chain, envelope)
            if self.ref is not None
            else self.read_in(root, chain, envelope)
        )
        if raw is None:
            raw = self.default
            if raw is None:
                return None
        return self.finish(raw, where, envelope)

    def finish(self, raw: Any, where: str, envelope: Envelope) -> Any:
        """``raw`` through the map, format, scale and conversion; a failure is a ``mapping`` letter."""
        try:
            if self._direct is not None:
                return self._direct(raw)
            if self.value_map is not None:
                table = dict(self.value_map)
                key = str(raw).lower() if isinstance(raw, bool) else str(raw)
                if key not in table:
                    raise ValueError(f"not in the map ({', '.join(sorted(table))})")
                raw = table[key]
            if self.fmt is not None and self.convert in TEMPORAL:
                raw = parse_formatted(raw, self.fmt, self.convert)
            if self.factor is not None and self.convert in NUMERIC:
                raw = scaled(raw, self.factor, self.offset)
            return CONVERTERS[self.convert](raw)
        except (ValueError, TypeError, InvalidOperation, OverflowError) as exc:
            raise EventRejected(
                "mapping", f"event {envelope.id}: {where}: cannot convert {raw!r} to {self.convert} ({exc})"
            ) from None


@dataclass(frozen=True)
class EntitySpec:
    alias: str
    class_name: str
    merge_label: str
    labels: tuple[str, ...]
    key: tuple[tuple[str, ValueSpec], ...]
    properties: tuple[tuple[str, ValueSpec], ...]
    each: tuple[str, ...] | None  # the member names of the list path (see each_path)
    when: tuple[tuple[ValueSpec, Any], ...] = ()
    optional: bool = False
    affected: bool = True  # the event's class declares ds:affects for it: it may set properties
    #: The event gets a lineage link to it (``AFFECTED``); None: when it is affected (the default).
    lineage: bool | None = None
    role: ValueSpec | None = None  # the link's qualifier (packer, shipper...), kept as its ``role``
    each_path: ValuePath | None = None  # the whole ``each:`` path; None: built from ``each``
    required: bool = False  # the contract requires the ``each`` list, with one element at least

    def __post_init__(self) -> None:
        if self.each_path is None and self.each is not None:
            object.__setattr__(self, "each_path", parse_path("/" + ".".join(self.each)))

    @property
    def linked(self) -> bool:
        return self.affected if self.lineage is None else self.lineage


@dataclass(frozen=True)
class RelationSpec:
    source: str
    relation: str
    rel_type: str
    target: str
    to_many: bool
    #: ``join:`` by key: the target's key properties read in the source's element (relations between
    #: elements of two lists). Empty: paired by position (same element, or one inside the other).
    join: tuple[tuple[str, ValueSpec], ...] = ()


def _legacy_system(kind: str) -> SourceSystem:
    return SourceSystem(kind, kind, default_sources(kind))


@dataclass(frozen=True)
class EventMapping:
    type: str
    event_class: str
    event_labels: tuple[str, ...]
    source_kind: str  # the system's name
    entities: tuple[EntitySpec, ...]
    relations: tuple[RelationSpec, ...]
    file: str
    line: int
    system: SourceSystem | None = None  # None: ``source_kind`` with its default source patterns

    def __post_init__(self) -> None:
        if self.system is None:
            object.__setattr__(self, "system", _legacy_system(self.source_kind))

    def accepts(self, source: str) -> bool:
        return self.system is not None and self.system.accepts(source)


@dataclass(frozen=True)
class EntityRef:
    """Identity of a node: the label carrying its uniqueness constraint and the key values."""

    label: str
    key_props: tuple[str, ...]
    key: tuple[Any, ...]


@dataclass
class EntityWrite:
    class_name: str
    ref: EntityRef
    labels: tuple[str, ...]
    properties: dict[str, Any] = field(default_factory=dict)
    affected: bool = True  # its values and lineage bookkeeping are written
    lineage: bool | None = None  # the event links to it; None: when affected
    role: str | None = None  # the lineage link's qualifier
    history: dict[str, Any] = field(default_factory=dict)  # values kept on the lineage link

    def __post_init__(self) -> None:
        if self.lineage is None:
            self.lineage = self.affected

    @property
    def link_properties(self) -> dict[str, Any] | None:
        """What the lineage link holds besides its ends (role, kept values), None when nothing."""
        if self.role is None and not self.history:
            return None
        props = dict(self.history)
        if self.role is not None:
            props["role"] = self.role
        return props


@dataclass(frozen=True)
class RelationWrite:
    rel_type: str
    to_many: bool
    source: EntityRef
    target: EntityRef


@dataclass
class MappedEvent:
    envelope: Envelope
    event_class: str
    event_labels: tuple[str, ...]
    entities: list[EntityWrite]
    relations: list[RelationWrite]
