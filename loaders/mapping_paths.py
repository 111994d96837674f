"""Paths a mapping reads: into the payload (with list indexes and filters), up to enclosing list
elements, or to a CloudEvents envelope attribute. Parsing and evaluation, no I/O.

Grammar (docs/sources.md, "Paths"):

- ``a.b``: from the current list element (the payload outside ``each``); ``/a.b`` from the
  payload root; ``../a`` from the enclosing element (``../../a`` two up); ``.`` the element itself;
- a step may select in a list: ``items[0]``, ``items[-1]`` (index), ``items[kind=packer]``
  (elements whose member ``kind`` reads as that text; for a value, the first of them);
- ``$time``, ``$source``, ``$subject``, ``$id``, ``$type``: the event's envelope attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

#: The CloudEvents attributes a mapping may read as values (``$time``...).
ENVELOPE_ATTRIBUTES = ("id", "source", "type", "time", "subject")
_STEP = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<selector>[^\[\]]+)\])?$")
_INDEX = re.compile(r"^-?[0-9]+$")

#: One spread list on the way to an element: the step names up to the list, and the position.
ChainLink = tuple[tuple[str, ...], int]


class PathSyntaxError(ValueError):
    """A path that does not follow the grammar; the message says how it should look."""


@dataclass(frozen=True)
class Step:
    """One member name, optionally selecting in the list it holds (an index or a filter)."""

    name: str
    index: int | None = None
    filter: tuple[str, str] | None = None  # (member, value as text)

    plain: bool = field(init=False, repr=False, compare=False)  # selects nothing (the hot path)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", self.index is None and self.filter is None)

    def select(self, value: Any) -> list[tuple[int, Any]]:
        """The (position, element) pairs this step's selector keeps of ``value``; no selector: the
        value itself (a list spread by the caller when it iterates)."""
        if self.index is None and self.filter is None:
            return [(0, value)]
        items = value if isinstance(value, list) else ([] if value is None else [value])
        if self.index is not None:
            at = self.index if self.index >= 0 else len(items) + self.index
            return [(at, items[at])] if 0 <= at < len(items) else []
        member, wanted = self.filter or ("", "")
        return [
            (i, e) for i, e in enumerate(items) if isinstance(e, Mapping) and _text(e.get(member)) == wanted
        ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class ValuePath:
    """A parsed path. ``up``: how many enclosing elements to climb (``from_root``: all of them)."""

    text: str
    steps: tuple[Step, ...] = ()
    from_root: bool = False
    up: int = 0
    attribute: str | None = None  # an envelope attribute instead of a payload path

    @cached_property
    def followable(self) -> bool:
        """Whether a payload contract can follow it: payload members from the root or the current
        element, no list selectors (``[0]``, ``[kind=x]``), no climbing (``../``), no envelope
        attribute."""
        return (
            self.attribute is None
            and not self.up
            and all(step.index is None and step.filter is None for step in self.steps)
        )

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The member names along the path, selectors left out (what a payload shape talks about)."""
        return tuple(step.name for step in self.steps)

    @cached_property
    def _prefixes(self) -> tuple[tuple[str, ...], ...]:
        """The names up to each step: what identifies a list spread there (see :data:`ChainLink`)."""
        return tuple(self.names[: at + 1] for at in range(len(self.steps)))

    def read(self, root: Mapping[str, Any], chain: tuple[Any, ...], envelope: Any = None) -> Any:
        """The value at this path, or None. ``chain``: the enclosing list elements, outermost first."""
        if self.attribute is not None:
            return envelope_value(envelope, self.attribute)
        if self.from_root or self.up >= len(chain):  # no chain: the payload is the element
            current: Any = root
        else:
            current = chain[-1 - self.up]
        for step in self.steps:
            if type(current) is not dict and not isinstance(current, Mapping):
                return None
            current = current.get(step.name)
            if step.plain:  # the hot path: most steps select nothing
                continue
            selected = step.select(current)
            if not selected:
                return None
            current = selected[0][1]
        return current

    def elements(self, root: Mapping[str, Any]) -> Iterator[tuple[tuple[ChainLink, ...], tuple[Any, ...]]]:
        """Every element this path reaches from the payload root, spreading each list on the way:
        per element, the spread lists it sits in (for pairing relations) and the elements
        themselves, outermost first (for ``../`` paths)."""
        yield from self._walk(root, 0, (), ())

    def _walk(
        self, current: Any, at: int, links: tuple[ChainLink, ...], chain: tuple[Any, ...]
    ) -> Iterator[tuple[tuple[ChainLink, ...], tuple[Any, ...]]]:
        if at == len(self.steps):
            yield links, chain
            return
        if not isinstance(current, Mapping):
            return
        step = self.steps[at]
        names = self._prefixes[at]
        for position, value in step.select(current.get(step.name)):
            if value is None:
                continue
            if step.index is None and step.filter is None and isinstance(value, list):
                for i, element in enumerate(value):
                    if element is not None:
                        yield from self._walk(element, at + 1, (*links, (names, i)), (*chain, element))
            else:
                yield from self._walk(value, at + 1, (*links, (names, position)), (*chain, value))


def envelope_value(envelope: Any, attribute: str) -> Any:
    """An envelope attribute as a mapping reads it (``time`` as RFC 3339 text with its offset)."""
    if envelope is None:
        return None
    if attribute == "time":
        return envelope.time.isoformat()
    return getattr(envelope, attribute)


def parse_path(text: str) -> ValuePath:
    """Parse a path of the grammar above; raise :class:`PathSyntaxError` saying what is wrong."""
    if text.startswith("$"):
        attribute = text[1:]
        if attribute not in ENVELOPE_ATTRIBUTES:
            raise PathSyntaxError(
                f"{text!r}: unknown envelope attribute; use one of "
                + ", ".join("$" + a for a in ENVELOPE_ATTRIBUTES)
            )
        return ValuePath(text, attribute=attribute)
    rest, from_root, up = text, False, 0
    if rest.startswith("/"):
        rest, from_root = rest[1:], True
    while rest.startswith("../") or rest == "..":
        rest, up = rest[3:], up + 1
    if rest in {"", "."}:
        return ValuePath(text, (), from_root, up)
    return ValuePath(text, tuple(_step(text, part) for part in _split(text, rest)), from_root, up)


def _split(text: str, rest: str) -> list[str]:
    """``a[k=x.y].b`` → [``a[k=x.y]``, ``b``]: dots inside a selector do not split."""
    parts, depth, current = [], 0, ""
    for char in rest:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    if depth != 0 or any(not p for p in parts):
        raise PathSyntaxError(f"{text!r}: a path is member names joined by '.', e.g. items[0].quantity")
    return parts


def _step(text: str, part: str) -> Step:
    match = _STEP.match(part)
    if match is None:
        raise PathSyntaxError(f"{text!r}: {part!r} is no step; write name, name[0] or name[member=value]")
    name, selector = match["name"], match["selector"]
    if selector is None:
        return Step(name)
    if _INDEX.match(selector):
        return Step(name, index=int(selector))
    member, sep, wanted = selector.partition("=")
    if not sep or not member.strip():
        raise PathSyntaxError(
            f"{text!r}: selector [{selector}] is neither an index ([0], [-1]) nor a filter ([member=value])"
        )
    return Step(name, filter=(member.strip(), wanted.strip()))


def is_prefix(outer: tuple[ChainLink, ...], inner: tuple[ChainLink, ...]) -> bool:
    """Whether the element reached through ``inner`` sits in the one reached through ``outer``
    (or both are the same element, or ``outer`` is no list element at all)."""
    return len(outer) <= len(inner) and inner[: len(outer)] == outer
