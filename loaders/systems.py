"""Source systems as data: each declared in a mapping file, with the CloudEvents sources it sends
from. No system is known to the code; the shipped erp, mes, crm and qms are declarations too.

A mapping file names its system (``system: erp``) or declares it::

    system:
      name: s4hana               # the system's name (the events' mapping belongs to it)
      kind: erp                  # the ontology's ds:emittedBy it stands for (default: its name)
      sources: ["/default/sap.s4.beh/*"]   # CloudEvents `source` patterns (default: name, name/*)

A source pattern is matched whole, ``*`` standing for any text (``/`` included). One system may be
declared once and named by any number of files; ``source: erp`` (the older form) is
``system: erp``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from loaders.errors import MappingError
from loaders.yamlsource import Located

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FIELDS = ("name", "kind", "sources", "description")


@dataclass(frozen=True)
class SourceSystem:
    """A declared system: its name, the ontology kind it stands for, its source patterns."""

    name: str
    kind: str
    sources: tuple[str, ...]
    description: str = ""
    file: str = ""
    line: int = 0
    declared: bool = False  # given as a block (not only named): two blocks of one name must agree
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        joined = "|".join(f"(?:{fnmatch.translate(p)})" for p in self.sources)
        object.__setattr__(self, "_pattern", re.compile(joined))

    def accepts(self, source: str) -> bool:
        """Whether an event with this CloudEvents ``source`` may come from this system."""
        return self._pattern.match(source) is not None

    @property
    def identity(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.name, self.kind, self.sources)


def default_sources(name: str) -> tuple[str, ...]:
    """What ``system: erp`` accepts: ``erp`` and ``erp/<anything>`` (the source's first segment)."""
    return (name, f"{name}/*")


def system_of(doc: Located, file: str, problems: list[MappingError]) -> SourceSystem | None:
    """The system a mapping file belongs to (its ``system:``, or the older ``source:``)."""
    key = "system" if "system" in doc else "source"
    value = doc.get(key)
    line = doc.key_lines.get(key, doc.line)
    if isinstance(value, str):
        if not _NAME.match(value):
            problems.append(MappingError(file, line, f"system name {value!r}: use letters, digits, . _ -"))
            return None
        return SourceSystem(value, value, default_sources(value), file=file, line=line)
    if not isinstance(value, Located):
        problems.append(
            MappingError(
                file,
                line,
                "a mapping file needs `system:` — a system's name, or a block with name, kind, "
                "sources — and `events:`",
            )
        )
        return None
    return _declared(value, file, problems)


def _declared(doc: Located, file: str, problems: list[MappingError]) -> SourceSystem | None:
    unknown = sorted(str(k) for k in set(doc) - set(_FIELDS))
    if unknown:
        problems.append(
            MappingError(
                file,
                doc.key_lines.get(unknown[0], doc.line),
                f"system: unknown field(s) {', '.join(unknown)}; use {', '.join(_FIELDS)}",
            )
        )
    name = doc.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(MappingError(file, doc.line, "system: `name:` must be letters, digits, . _ -"))
        return None
    kind = doc.get("kind", name)
    sources: Any = doc.get("sources", list(default_sources(name)))
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources):
        problems.append(
            MappingError(
                file,
                doc.key_lines.get("sources", doc.line),
                'system: `sources:` is a list of CloudEvents source patterns, e.g. ["erp/*"]',
            )
        )
        return None
    return SourceSystem(
        name,
        str(kind),
        tuple(sources),
        str(doc.get("description", "")),
        file=file,
        line=doc.line,
        declared=True,
    )


class SystemRegistry:
    """The systems of all mapping files: one declaration per name, named by any number of files."""

    def __init__(self) -> None:
        self.by_name: dict[str, SourceSystem] = {}

    def add(self, system: SourceSystem, problems: list[MappingError]) -> SourceSystem:
        """Register ``system``; a second, different declaration of the same name is a problem."""
        held = self.by_name.get(system.name)
        if held is None or (system.declared and not held.declared):
            self.by_name[system.name] = system
            return system
        if system.declared and held.declared and system.identity != held.identity:
            problems.append(
                MappingError(
                    system.file,
                    system.line,
                    f"system {system.name} is declared differently in {held.file}:{held.line}; "
                    "declare it once and name it (`system: " + system.name + "`) elsewhere",
                )
            )
        return held

    def resolve(self, system: SourceSystem) -> SourceSystem:
        """The declaration that holds for ``system``'s name once every file is read."""
        return self.by_name.get(system.name, system)
