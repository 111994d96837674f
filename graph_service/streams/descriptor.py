"""Stream descriptors (``stream.yaml``): read, checked field by field, every problem with its line.

A descriptor names and documents one major version of an analytical stream: the operational
event types it reads, the business key it is partitioned by, its windows and emit mode, the
CloudEvents type and topic of its derived events, its SLAs and who may read it. This module
checks what a file can say on its own (fields, types, durations, folder and version); the
checks against the ontology, the mappings and the shapes are in :mod:`graph_service.streams.check`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from graph_service.ontology.namespaces import DS
from graph_service.products import naming
from graph_service.products.descriptor import DEFAULT_ACCESS_ROLES, DescriptorChecker, duration_seconds
from graph_service.streams.errors import Problem, StreamDefinitionError
from graph_service.yamllines import YamlSyntaxError, read_yaml

DESCRIPTOR_FILE = "stream.yaml"
#: Derived events' ``data`` shapes live in this namespace (prefix ``dss:`` in descriptors).
STREAMS_NS = "https://w3id.org/digispine/streams#"
STATUSES = ("active", "deprecated", "experimental")
#: revisions: every change of an open window, then a final one; final: only closed windows;
#: alert: an event when a rule fires; change: an event when the computed state changes.
EMIT_MODES = ("revisions", "final", "alert", "change")
WINDOWED_EMITS = frozenset({"revisions", "final"})
#: Window kinds and the fields each needs (besides ``name`` and ``kind``).
WINDOW_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "tumbling": ("size",),
        "hopping": ("size", "step"),
        "sliding": ("size",),
        "count": ("count",),
        "calendar": ("calendar",),
    }
)
_WINDOW_FIELDS = ("name", "kind", "size", "step", "count", "calendar")
_OPTIONAL_WINDOW_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType({"count": ("step",)})

_REQUIRED = (
    "name",
    "version",
    "title",
    "domain",
    "owner",
    "description",
    "inputs",
    "key",
    "emit",
    "outputType",
    "latencySla",
    "freshnessSla",
    "outputShape",
)
_OPTIONAL = (
    "status",
    "deprecationReason",
    "keyFrom",
    "windows",
    "grace",
    "topic",
    "accessRoles",
    "tags",
    "parameters",
    "processor",
)
_OUTPUT_TYPE = re.compile(r"^digispine\.stream\.[A-Z][A-Za-z0-9]*\.v(?P<major>[0-9]+)$")
#: Kafka's own rule for topic names.
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_ROLE = re.compile(r"^[a-z][a-z0-9_-]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PAYLOAD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_TERM = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Window:
    """One window of a stream. ``size``/``step`` for time windows, ``count`` for count windows,
    ``calendar`` (a class local name, e.g. ``Shift``) for windows given by entities of a class."""

    name: str
    kind: str
    size: dt.timedelta | None = None
    step: dt.timedelta | None = None
    count: int | None = None
    calendar: str | None = None


@dataclass(frozen=True)
class KeySource:
    """How the key of one input type's events is found.

    ``field``: the payload field (dotted when nested) holding the key value. ``join``: the payload
    field ``field`` names an entity whose key the events of input ``via`` carry (``via`` events
    have the same-named field, the last part of a dotted ``field``, and the key): the processor
    remembers the pairs from ``via``. ``broadcast``: the event concerns every key (reference data
    like a shift calendar); ``note`` says what it is.
    """

    kind: str  # field | join | broadcast
    field: str | None = None
    via: str | None = None
    note: str | None = None

    @classmethod
    def of_field(cls, path: str) -> KeySource:
        return cls("field", field=path)


@dataclass(frozen=True)
class StreamDescriptor:
    """What ``stream.yaml`` says about one major version of a stream (see docs/streams.md)."""

    name: str
    version: str
    title: str
    domain: str
    owner: str
    description: str
    #: Every input type the file declares; after the check, the ones the configured mappings map.
    inputs: tuple[str, ...]
    key: str
    emit: str
    output_type: str
    topic: str
    latency_sla: dt.timedelta
    freshness_sla: dt.timedelta
    shape_iri: str
    shape_path: Path
    file: Path
    status: str = "active"
    deprecation_reason: str | None = None
    windows: tuple[Window, ...] = ()
    grace: dt.timedelta = dt.timedelta(0)
    access_roles: tuple[str, ...] = DEFAULT_ACCESS_ROLES
    tags: tuple[str, ...] = ()
    #: Inputs declared ``optional: true``: read when a configured mapping maps them (a mapping
    #: pack), left out of the checked descriptor otherwise.
    optional_inputs: frozenset[str] = frozenset()
    #: ``keyFrom`` as written: input type → how its key is found.
    key_from: Mapping[str, KeySource] = field(default_factory=lambda: MappingProxyType({}))
    #: For every input type, how its key is found (set by the registry from ``keyFrom`` or the
    #: input's mapping).
    key_sources: Mapping[str, KeySource] = field(default_factory=lambda: MappingProxyType({}))
    parameters: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    processor: str | None = None
    #: The line of each key path in the file, for checks made later (against model and mappings).
    lines: Mapping[tuple[str, ...], int] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    def __hash__(self) -> int:  # the generated hash would fail on the read-only mappings
        return hash((self.name, self.version, self.file))

    def __reduce__(self) -> tuple[Any, ...]:  # mappingproxy does not pickle (processes get descriptors)
        values = {
            f.name: dict(v) if isinstance(v := getattr(self, f.name), MappingProxyType) else v
            for f in fields(self)
        }
        return (_rebuild, (values,))

    @property
    def major(self) -> int:
        return naming.major_of(self.version)

    @property
    def key_fields(self) -> Mapping[str, str]:
        """Input type → the payload field holding the key, for the inputs keyed by a field."""
        return MappingProxyType(
            {t: s.field for t, s in self.key_sources.items() if s.kind == "field" and s.field}
        )

    @property
    def key_iri(self) -> str:
        return str(DS) + self.key

    @property
    def folder(self) -> Path:
        return self.file.parent

    @property
    def deprecated(self) -> bool:
        return self.status == "deprecated"

    @property
    def qualified_name(self) -> str:
        """``equipmentOee/v1``."""
        return f"{self.name}/v{self.major}"

    @property
    def consumer_group(self) -> str:
        """The Kafka consumer group of its processors (one group per stream and major version)."""
        return f"digispine-stream-{self.name}-v{self.major}"

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of its derived events."""
        return f"digispine/streams/{self.name}/v{self.major}"

    def line(self, *where: str) -> int | None:
        """The line of a key path (``line("inputs", "0")``), else of the nearest enclosing key."""
        for end in range(len(where), -1, -1):
            found = self.lines.get(tuple(where[:end]))
            if found is not None:
                return found
        return None

    def problem(self, message: str, *where: str) -> Problem:
        """A problem located at ``where`` in this descriptor's file."""
        return Problem(self.file, self.line(*where), message)


def _rebuild(values: dict[str, Any]) -> StreamDescriptor:
    frozen: dict[str, Any] = {k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in values.items()}
    return StreamDescriptor(**frozen)


def iso_duration(value: dt.timedelta) -> str:
    """``timedelta(minutes=15)`` → ``PT15M``: the form descriptors are written in."""
    seconds = value.total_seconds()
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    date = f"{int(days)}D" if days else ""
    clock = "".join(
        f"{n:g}{unit}" for n, unit in ((int(hours), "H"), (int(minutes), "M"), (round(seconds, 6), "S")) if n
    )
    if not date and not clock:
        return "PT0S"
    return f"P{date}" + (f"T{clock}" if clock else "")


def default_topic(name: str, major: int) -> str:
    return f"digispine.stream.{name}.v{major}"


def load_descriptor(path: Path, shapes_dir: Path) -> StreamDescriptor:
    """Read and check ``path`` on its own; :class:`StreamDefinitionError` lists every problem.
    ``shapes_dir`` is where its ``<name>-v<major>.ttl`` shape file is expected."""
    try:
        document, lines = read_yaml(path)
    except YamlSyntaxError as exc:
        raise StreamDefinitionError([Problem(path, exc.line, exc.message)]) from None
    checker = _StreamChecker(path, lines.lines)
    descriptor = checker.stream(document, shapes_dir)
    if checker.problems or descriptor is None:
        raise StreamDefinitionError(checker.problems)
    return descriptor


class _StreamChecker(DescriptorChecker):
    """The product descriptor's field checks, with the fields of a stream."""

    def problem(self, where: tuple[str, ...], message: str) -> None:
        line = None
        for end in range(len(where), -1, -1):
            line = self.lines.get(where[:end])
            if line is not None:
                break
        self.problems.append(Problem(self.path, line, message))

    def stream(self, doc: Any, shapes_dir: Path) -> StreamDescriptor | None:
        if not isinstance(doc, dict):
            self.problem(
                (), "a stream descriptor is a YAML mapping with name, version, inputs, key, … (see docs)"
            )
            return None
        self._unknown_keys(doc, (), (*_REQUIRED, *_OPTIONAL))
        for key in _REQUIRED:
            if doc.get(key) in (None, "", []):
                self.problem((), f"missing required field {key!r}")
        name = self._name(doc.get("name"))
        version = self._version(doc.get("version"))
        major = naming.folder_major(self.path.parent.name) or 0
        status, reason = self._status(doc)
        emit = self._choice(doc, "emit", EMIT_MODES, "revisions") if doc.get("emit") else ""
        windows = self._windows(doc.get("windows"), emit)
        output_type = self._output_type(doc.get("outputType"), major)
        inputs, optional_inputs = self._inputs(doc.get("inputs"))
        values: dict[str, Any] = {
            "title": self._text(doc, "title") or "",
            "domain": self._text(doc, "domain") or "",
            "owner": self._text(doc, "owner") or "",
            "description": (self._text(doc, "description") or "").strip(),
            "inputs": inputs,
            "optional_inputs": optional_inputs,
            "key": self._key(doc.get("key")),
            "key_from": MappingProxyType(self._key_from(doc.get("keyFrom"))),
            "topic": self._topic(doc.get("topic"), name, major),
            "latency_sla": self._duration(doc, "latencySla"),
            "freshness_sla": self._duration(doc, "freshnessSla"),
            "grace": self._duration(doc, "grace") if "grace" in doc else dt.timedelta(0),
            "shape_iri": self._stream_shape_iri(doc.get("outputShape")),
            "access_roles": self._roles(doc),
            "tags": self._strings(doc, "tags", ()),
            "parameters": MappingProxyType(self._processor_parameters(doc.get("parameters"))),
            "processor": self._processor(doc.get("processor")),
        }
        if self.problems:
            return None
        return StreamDescriptor(
            name=name,
            version=version,
            status=status,
            deprecation_reason=reason,
            emit=emit,
            windows=windows,
            output_type=output_type,
            shape_path=shapes_dir / f"{name}-v{major}.ttl",
            file=self.path,
            lines=MappingProxyType(dict(self.lines)),
            **values,
        )

    def _status(self, doc: dict[str, Any]) -> tuple[str, str | None]:
        status = self._choice(doc, "status", STATUSES, "active")
        reason = self._text(doc, "deprecationReason")
        if status == "deprecated" and not reason:
            self.problem(
                ("status",), "a deprecated stream needs a deprecationReason telling consumers what to use"
            )
        if status != "deprecated" and reason:
            self.problem(("deprecationReason",), "deprecationReason is set but status is not 'deprecated'")
        return status, reason

    def _duration(self, doc: dict[str, Any], key: str) -> dt.timedelta:
        value = doc.get(key)
        if value is None:
            return dt.timedelta(0)
        if not isinstance(value, str):
            self.problem((key,), f"{key} must be an ISO 8601 duration like PT15M, got {value!r}")
            return dt.timedelta(0)
        return self._duration_text(value, (key,), key)

    def _duration_text(self, value: Any, where: tuple[str, ...], what: str) -> dt.timedelta:
        try:
            return dt.timedelta(seconds=duration_seconds(str(value)))
        except ValueError as exc:
            self.problem(where, f"{what}: {exc}")
            return dt.timedelta(0)

    def _inputs(self, value: Any) -> tuple[tuple[str, ...], frozenset[str]]:
        """The input types, and those of them marked ``{type: T, optional: true}``."""
        if value is None:
            return (), frozenset()
        if not isinstance(value, list):
            self.problem(("inputs",), f"inputs must be a list of CloudEvents types, got {value!r}")
            return (), frozenset()
        types: list[str] = []
        optional: set[str] = set()
        for position, entry in enumerate(value):
            where = ("inputs", str(position))
            item = entry
            if isinstance(entry, dict):
                self._unknown_keys(entry, where, ("type", "optional"))
                item, flag = entry.get("type"), entry.get("optional", False)
                if not isinstance(flag, bool):
                    self.problem(where, f"optional must be true or false, got {flag!r}")
                elif flag and isinstance(item, str):
                    optional.add(item)
            if not isinstance(item, str) or not item:
                self.problem(
                    where,
                    f"input {position} must be a CloudEvents type or {{type: <type>, optional: true}}, "
                    f"got {entry!r}",
                )
                continue
            if item in types:
                self.problem(where, f"input {item} is listed twice")
            types.append(item)
        return tuple(types), frozenset(optional)

    def _key(self, value: Any) -> str:
        if value is None:
            return ""
        text = str(value)
        for prefix in ("ds:", str(DS)):
            if text.startswith(prefix) and _TERM.match(text.removeprefix(prefix)):
                return text.removeprefix(prefix)
        self.problem(("key",), f"key {value!r} must name an ontology property, like ds:equipmentId")
        return ""

    def _key_from(self, value: Any) -> dict[str, KeySource]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(("keyFrom",), "keyFrom must map an input type to the payload field holding the key")
            return {}
        result = {}
        for event_type, spec in value.items():
            source = self._key_source(str(event_type), spec)
            if source is not None:
                result[str(event_type)] = source
        return result

    def _key_source(self, event_type: str, spec: Any) -> KeySource | None:
        where = ("keyFrom", event_type)
        if isinstance(spec, str) and _PAYLOAD_PATH.match(spec):
            return KeySource.of_field(spec)
        if isinstance(spec, dict) and set(spec) == {"joinOn", "via"}:
            join_on, via = spec["joinOn"], spec["via"]
            if isinstance(join_on, str) and _PAYLOAD_PATH.match(join_on) and isinstance(via, str) and via:
                return KeySource("join", field=join_on, via=via)
        elif isinstance(spec, dict) and set(spec) == {"broadcast"} and str(spec["broadcast"]).strip():
            return KeySource("broadcast", note=str(spec["broadcast"]).strip())
        self.problem(
            where,
            f"keyFrom {event_type}: {spec!r} must be a payload field (dotted if nested: a.b), "
            "{joinOn: <payload field>, via: <input type>} or {broadcast: <what it is>}",
        )
        return None

    def _windows(self, value: Any, emit: str) -> tuple[Window, ...]:
        if value is None:
            value = []
        if not isinstance(value, list):
            self.problem(("windows",), "windows must be a list of {name, kind, …} (or [] for none)")
            return ()
        windows = tuple(w for i, spec in enumerate(value) if (w := self._window(i, spec)))
        names = [w.name for w in windows]
        for i, window in enumerate(windows):
            if names.index(window.name) != i:
                self.problem(("windows",), f"two windows are named {window.name!r}")
        if emit in WINDOWED_EMITS and not value:
            self.problem(
                ("emit",), f"emit {emit} revises windows, but the stream has none; use alert or change"
            )
        if emit and emit not in WINDOWED_EMITS and value:
            self.problem(
                ("windows",),
                f"emit {emit} emits per event, so windows would be ignored; use revisions or final",
            )
        return windows

    def _window(self, position: int, spec: Any) -> Window | None:
        where = ("windows", str(position))
        if not isinstance(spec, dict):
            self.problem(where, "a window is a mapping like {name: hour, kind: tumbling, size: PT1H}")
            return None
        self._unknown_keys(spec, where, _WINDOW_FIELDS)
        name, kind = spec.get("name"), spec.get("kind")
        if not isinstance(name, str) or not _TERM.match(name):
            self.problem((*where, "name"), f"window {position + 1}: name {name!r} must be a word like hour")
            return None
        if not isinstance(kind, str) or kind not in WINDOW_KINDS:
            self.problem(
                (*where, "kind"),
                f"window {name}: kind must be one of {', '.join(WINDOW_KINDS)}; got {kind!r}",
            )
            return None
        needed = WINDOW_KINDS[kind]
        allowed = (*needed, *_OPTIONAL_WINDOW_FIELDS.get(kind, ()))
        for key in ("size", "step", "count", "calendar"):
            if key in needed and spec.get(key) is None:
                self.problem(where, f"window {name}: a {kind} window needs {key}")
            elif key not in allowed and key in spec:
                self.problem((*where, key), f"window {name}: a {kind} window has no {key}")
        size = self._window_duration(spec, where, name, "size")
        step = self._window_duration(spec, where, name, "step") if kind != "count" else None
        count = spec.get("count")
        if kind == "count":
            step_value = spec.get("step")
            if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
                self.problem((*where, "count"), f"window {name}: count must be a whole number ≥ 1")
            if step_value is not None and (not isinstance(step_value, int) or step_value < 1):
                self.problem((*where, "step"), f"window {name}: step of a count window is a whole number ≥ 1")
        if size is not None and step is not None and not dt.timedelta(0) < step <= size:
            self.problem((*where, "step"), f"window {name}: step must be positive and at most the size")
        calendar = spec.get("calendar")
        if calendar is not None:
            calendar = str(calendar).removeprefix("ds:")
            if not _TERM.match(calendar):
                self.problem(
                    (*where, "calendar"), f"window {name}: calendar must name a class, like ds:Shift"
                )
        return Window(
            name,
            kind,
            size,
            step,
            count if isinstance(count, int) else None,
            calendar if kind == "calendar" else None,
        )

    def _window_duration(
        self, spec: dict[str, Any], where: tuple[str, ...], name: str, key: str
    ) -> dt.timedelta | None:
        if spec.get(key) is None:
            return None
        value = self._duration_text(spec[key], (*where, key), f"window {name}: {key}")
        if value <= dt.timedelta(0):
            self.problem((*where, key), f"window {name}: {key} must be longer than zero")
            return None
        return value

    def _output_type(self, value: Any, major: int) -> str:
        if value is None:
            return ""
        match = _OUTPUT_TYPE.match(str(value))
        if match is None:
            self.problem(
                ("outputType",), f"outputType {value!r} must look like digispine.stream.EquipmentOee.v{major}"
            )
        elif int(match["major"]) != major:
            self.problem(
                ("outputType",), f"outputType {value} must end in .v{major}, the stream's major version"
            )
        return str(value)

    def _topic(self, value: Any, name: str, major: int) -> str:
        if value is None:
            return default_topic(name, major)
        if not isinstance(value, str) or not _TOPIC.match(value):
            self.problem(
                ("topic",), f"topic {value!r} is not a Kafka topic name (letters, digits, '.', '_', '-')"
            )
        return str(value)

    def _stream_shape_iri(self, value: Any) -> str:
        if not isinstance(value, str):
            if value is not None:
                self.problem(("outputShape",), f"outputShape {value!r} must be an IRI or dss:LocalName")
            return ""
        if value.startswith("dss:"):
            return STREAMS_NS + value.removeprefix("dss:")
        if not value.startswith(("http://", "https://", "urn:")):
            self.problem(("outputShape",), f"outputShape {value!r} must be an IRI or dss:LocalName")
        return value

    def _roles(self, doc: dict[str, Any]) -> tuple[str, ...]:
        roles = self._strings(doc, "accessRoles", DEFAULT_ACCESS_ROLES)
        for role in roles:
            if not _ROLE.match(role):
                self.problem(("accessRoles",), f"access role {role!r} is not a role name (a-z, 0-9, -, _)")
        if "accessRoles" in doc and not roles:
            self.problem(("accessRoles",), "accessRoles is empty: nobody could read the stream")
        return roles

    def _processor_parameters(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(("parameters",), "parameters must be a mapping of processor settings (name: value)")
            return {}
        return {str(k): v for k, v in value.items()}

    def _processor(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _MODULE.match(value):
            self.problem(("processor",), f"processor {value!r} must be a dotted Python module name")
            return None
        return value
