"""YAML documents with the line of every key, so descriptor checks can say ``file:line: message``.

PyYAML's ``safe_load`` forgets where things were; its node tree remembers. One pass over the
nodes records the 1-based line of every key path (``("windows", "0", "size")`` → 12; list items
are indexed by position), and the document is loaded as plain Python values. Shared by the
data product and stream descriptors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str, ...]

#: libyaml's loader when PyYAML was built with it: the same documents and marks, about ten times
#: faster than the pure-Python one (the descriptors are read at every API start-up).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(ValueError):
    """The file is not YAML. ``line`` is 1-based, None when PyYAML gave no position."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


@dataclass(frozen=True)
class KeyLines:
    """The line of each key path of one document."""

    lines: Mapping[KeyPath, int]

    def line(self, where: KeyPath) -> int | None:
        """The line of ``where``, else of its nearest enclosing key, else the document's first."""
        for end in range(len(where), -1, -1):
            found = self.lines.get(where[:end])
            if found is not None:
                return found
        return None

    def get(self, where: KeyPath, default: int | None = None) -> int | None:
        return self.lines.get(where, default)


def read_yaml(path: Path) -> tuple[Any, KeyLines]:
    """The document in ``path`` and the lines of its keys; :class:`YamlSyntaxError` if it does not parse."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=_LOADER)
        document = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(path, line, f"YAML syntax: {exc.problem or exc}") from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _index(node, (), lines)
    return document, KeyLines(lines)


def _index(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _index(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*prefix, str(position)), lines)
