"""Product descriptors (``product.yaml``): loaded, checked field by field, every problem reported.

A descriptor names and documents one major version of a data product. Loading collects all
problems of a file (with their lines) before failing, so an author fixes them in one go.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_service.products import naming
from graph_service.products.errors import Problem, ProductDefinitionError
from graph_service.products.parameters import PARAMETER_TYPES, Parameter, coerce
from graph_service.yamllines import YamlSyntaxError, read_yaml

STATUSES = ("active", "deprecated")
ON_VIOLATION = ("report", "refuse")
DEFAULT_ACCESS_ROLES = ("analyst", "planner")

_REQUIRED = ("name", "version", "title", "domain", "owner", "description", "freshnessSla", "outputShape")
_OPTIONAL = ("status", "deprecationReason", "accessRoles", "tags", "onViolation", "parameters", "computation")
_PARAMETER_KEYS = ("type", "required", "default", "description")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_SHAPE_PREFIXES = {"dsq:": naming.PRODUCTS_NS}


@dataclass(frozen=True)
class Descriptor:
    """What ``product.yaml`` says about one version of a data product."""

    name: str
    version: str
    title: str
    domain: str
    owner: str
    description: str
    freshness_sla: str
    output_shape: str
    status: str = "active"
    deprecation_reason: str | None = None
    access_roles: tuple[str, ...] = DEFAULT_ACCESS_ROLES
    tags: tuple[str, ...] = ()
    on_violation: str = "report"
    parameters: tuple[Parameter, ...] = ()
    #: The Python step that turns the query's rows into the product's rows (``computations/``);
    #: None: the query's rows are the product's.
    computation: str | None = None
    file: Path = Path("product.yaml")

    @property
    def deprecated(self) -> bool:
        return self.status == "deprecated"

    @property
    def major(self) -> int:
        return naming.major_of(self.version)

    @property
    def key(self) -> str:
        """``orderFulfillment/2.0.0``."""
        return f"{self.name}/{self.version}"

    @property
    def freshness_sla_seconds(self) -> float:
        return duration_seconds(self.freshness_sla)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def duration_seconds(text: str) -> float:
    """Seconds of an ISO 8601 duration in days, hours, minutes and seconds (``PT15M``, ``P1D``)."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not an ISO 8601 duration in days, hours, minutes or seconds "
            "(for example PT15M, PT1H, P1D); years and months have no fixed length"
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    factors = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
    return sum(parts.get(k, 0.0) * f for k, f in factors.items())


def load_descriptor(path: Path) -> Descriptor:
    """Read and check ``path``; :class:`ProductDefinitionError` lists every problem found."""
    document, lines = _read(path)
    checker = DescriptorChecker(path, lines)
    descriptor = checker.descriptor(document)
    if checker.problems or descriptor is None:
        raise ProductDefinitionError(checker.problems)
    return descriptor


# -- reading -------------------------------------------------------------------------------------


def _read(path: Path) -> tuple[Any, Mapping[tuple[str, ...], int]]:
    """The YAML document and the line of each key path (``("parameters", "asOf")`` → 12)."""
    try:
        document, lines = read_yaml(path)
    except YamlSyntaxError as exc:
        raise ProductDefinitionError([Problem(path, exc.line, exc.message)]) from None
    return document, lines.lines


# -- checking ------------------------------------------------------------------------------------


class DescriptorChecker:
    """Collects problems while turning the YAML document into a :class:`Descriptor`; its field
    checks (names, versions against folders, text, choices, lists) serve stream descriptors too."""

    def __init__(self, path: Path, lines: Mapping[tuple[str, ...], int]) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, where: tuple[str, ...], message: str) -> None:
        line = self.lines.get(where) or self.lines.get(where[:1]) or self.lines.get(())
        self.problems.append(Problem(self.path, line, message))

    def descriptor(self, doc: Any) -> Descriptor | None:
        if not isinstance(doc, dict):
            self.problem((), "a descriptor is a YAML mapping with name, version, title, … (see docs)")
            return None
        self._unknown_keys(doc, (), (*_REQUIRED, *_OPTIONAL))
        for key in _REQUIRED:
            if doc.get(key) in (None, ""):
                self.problem((), f"missing required field {key!r}")
        name = self._name(doc.get("name"))
        version = self._version(doc.get("version"))
        status = self._choice(doc, "status", STATUSES, "active")
        reason = self._text(doc, "deprecationReason")
        if status == "deprecated" and not reason:
            self.problem(
                ("status",), "a deprecated product needs a deprecationReason telling consumers what to use"
            )
        if status == "active" and reason:
            self.problem(("deprecationReason",), "deprecationReason is set but status is not 'deprecated'")
        sla = self._text(doc, "freshnessSla") or ""
        if sla:
            try:
                duration_seconds(sla)
            except ValueError as exc:
                self.problem(("freshnessSla",), str(exc))
        values: dict[str, Any] = {
            "title": self._text(doc, "title") or "",
            "domain": self._text(doc, "domain") or "",
            "owner": self._text(doc, "owner") or "",
            "description": (self._text(doc, "description") or "").strip(),
            "output_shape": self._shape_iri(doc.get("outputShape")),
            "access_roles": self._strings(doc, "accessRoles", DEFAULT_ACCESS_ROLES),
            "tags": self._strings(doc, "tags", ()),
            "on_violation": self._choice(doc, "onViolation", ON_VIOLATION, "report"),
            "parameters": self._parameters(doc.get("parameters")),
            "computation": self._text(doc, "computation"),
        }
        if self.problems:
            return None
        return Descriptor(
            name=name,
            version=version,
            freshness_sla=sla,
            status=status,
            deprecation_reason=reason,
            file=self.path,
            **values,
        )

    def _unknown_keys(self, doc: dict[str, Any], where: tuple[str, ...], allowed: tuple[str, ...]) -> None:
        for key in doc:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
                self.problem((*where, str(key)), f"unknown field {key!r}{hint}")

    def _name(self, value: Any) -> str:
        if value is not None and not (isinstance(value, str) and naming.is_product_name(value)):
            self.problem(("name",), f"name {value!r} must be lowerCamelCase, like orderFulfillment")
        folder = self.path.parent.parent.name
        if isinstance(value, str) and value != folder:
            self.problem(("name",), f"name {value!r} differs from its folder {folder!r}")
        return str(value or "")

    def _version(self, value: Any) -> str:
        text = str(value) if value is not None else ""
        if value is None:
            return ""
        parsed = naming.parse_version(text) if isinstance(value, str) else None
        if parsed is None:
            self.problem(("version",), f'version {value!r} must be a quoted semantic version, like "1.0.0"')
            return text
        folder = self.path.parent.name
        if naming.folder_major(folder) != parsed[0]:
            self.problem(
                ("version",),
                f"version {text} belongs in folder v{parsed[0]}, not {folder!r} "
                "(one folder per major version)",
            )
        return text

    def _text(self, doc: dict[str, Any], key: str) -> str | None:
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            self.problem((key,), f"{key} must be text, got {value!r}")
            return None
        return value

    def _choice(self, doc: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
        value = doc.get(key, default)
        if value not in allowed:
            self.problem((key,), f"{key} must be one of {', '.join(allowed)}; got {value!r}")
            return default
        return str(value)

    def _strings(self, doc: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = doc.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem((key,), f"{key} must be a list of names, got {value!r}")
            return default
        return tuple(value)

    def _shape_iri(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        for prefix, namespace in _SHAPE_PREFIXES.items():
            if value.startswith(prefix):
                return namespace + value.removeprefix(prefix)
        if not value.startswith(("http://", "https://", "urn:")):
            self.problem(("outputShape",), f"outputShape {value!r} must be an IRI or dsq:LocalName")
        return value

    def _parameters(self, value: Any) -> tuple[Parameter, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.problem(("parameters",), "parameters must be a mapping from name to {type, required, …}")
            return ()
        return tuple(p for name, spec in value.items() if (p := self._parameter(str(name), spec)))

    def _parameter(self, name: str, spec: Any) -> Parameter | None:
        where = ("parameters", name)
        if not naming.is_product_name(name) or name in naming.RESERVED_PARAMETER_NAMES:
            self.problem(
                where,
                f"parameter {name!r} must be lowerCamelCase and not one of "
                f"{', '.join(sorted(naming.RESERVED_PARAMETER_NAMES))}",
            )
            return None
        if not isinstance(spec, dict):
            self.problem(where, f"parameter {name!r} needs a mapping with at least 'type'")
            return None
        self._unknown_keys(spec, where, _PARAMETER_KEYS)
        kind = spec.get("type")
        if kind not in PARAMETER_TYPES:
            self.problem(
                (*where, "type"),
                f"parameter {name!r}: type must be one of {', '.join(PARAMETER_TYPES)}; got {kind!r}",
            )
            return None
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.problem((*where, "required"), f"parameter {name!r}: required must be true or false")
            return None
        try:
            default = coerce(kind, spec.get("default"))
        except ValueError as exc:
            self.problem((*where, "default"), f"parameter {name!r}: default: {exc}")
            return None
        if required and default is not None:
            self.problem(
                (*where, "default"), f"parameter {name!r} is required, so a default would never be used"
            )
        description = spec.get("description", "")
        if not isinstance(description, str):
            self.problem((*where, "description"), f"parameter {name!r}: description must be text")
            description = ""
        return Parameter(name, kind, required, default, description.strip())
