"""The compiled, immutable DomainModel: what every other part of DigiSpine knows about the domain.

Only the compiler builds it (from ``ontology/*.ttl``); everything else takes it as an argument.
All collections are tuples or read-only mappings, so a model can be shared freely.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from graph_service.ontology.errors import UnknownTermError
from graph_service.ontology.facets import ValueFacets

#: The abstract root of business entities and the root of domain events.
ENTITY_ROOT = "Entity"
EVENT_ROOT = "DomainEvent"


def _empty() -> Mapping[str, Any]:
    return {}  # frozen into a mappingproxy by _Frozen.__post_init__


def _frozen(value: object) -> object:
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _thawed(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _thawed(item) for key, item in value.items()}
    return value


def _rebuild(cls: type[Any], values: dict[str, Any]) -> Any:
    return cls(**values)


def _hashed_by(*names: str) -> Any:
    """Hash by identity fields: the generated hash would fail on the read-only mappings, and a
    model should be usable as a cache key (``functools.cache`` on a schema builder)."""

    def by_fields(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in names))

    def apply(cls: type[Any]) -> type[Any]:
        cls.__hash__ = by_fields  # type: ignore[assignment]
        return cls

    return apply


class _Frozen:
    """Freezes dicts/lists given to the constructor; pickles although mappingproxy does not."""

    def __post_init__(self) -> None:
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            frozen = _frozen(value)
            if frozen is not value:
                object.__setattr__(self, item.name, frozen)

    def __reduce__(self) -> tuple[Any, ...]:
        values = {item.name: _thawed(getattr(self, item.name)) for item in fields(self)}  # type: ignore[arg-type]
        return (_rebuild, (type(self), values))


@dataclass(frozen=True)
class SourceLocation:
    """Where a term is declared: the file as given to the compiler, and the 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@_hashed_by("iri")
@dataclass(frozen=True, kw_only=True)
class Term(_Frozen):
    """What classes, datatype properties and relations share: identity and ubiquitous language."""

    iri: str
    name: str
    labels: Mapping[str, str] = field(default_factory=_empty)
    definitions: Mapping[str, str] = field(default_factory=_empty)
    bounded_context: str = ""
    alignments: tuple[tuple[str, str], ...] = ()
    source: SourceLocation | None = None

    def label(self, lang: str = "en") -> str:
        """The label in ``lang``, else the English one, else the name."""
        return self.labels.get(lang) or self.labels.get("en") or self.name

    def definition(self, lang: str = "en") -> str:
        return self.definitions.get(lang) or self.definitions.get("en") or ""


@_hashed_by("iri")
@dataclass(frozen=True, kw_only=True)
class DatatypeProperty(Term):
    """A datatype property: a Neo4j node property and a scalar GraphQL field of ``domain``."""

    domain: str
    xsd: str
    neo4j_type: str
    python_type: type
    graphql_type: str
    functional: bool = True
    personal_data: bool = False
    #: Allowed values, pattern, bounds (ds:allowedValue, ds:pattern, ...): the event contracts' source.
    facets: ValueFacets = ValueFacets()


@_hashed_by("iri")
@dataclass(frozen=True, kw_only=True)
class Relation(Term):
    """An object property. Stored ones become relationship types; reverse ones only fields.

    ``inverse_of`` is set on a reverse (never stored) property and names the stored relation it
    reads backwards; ``inverse`` is set on a stored relation that has a declared reverse.
    """

    rel_type: str
    domain: str
    range: str
    to_many: bool = True
    inverse_of: str | None = None
    inverse: str | None = None

    @property
    def stored(self) -> bool:
        return self.inverse_of is None


@_hashed_by("iri")
@dataclass(frozen=True, kw_only=True)
class ClassDef(Term):
    """A class: a Neo4j label and a GraphQL type. ``key`` is the effective business key."""

    neo4j_label: str
    graphql_name: str
    parents: tuple[str, ...] = ()
    ancestors: tuple[str, ...] = ()
    abstract: bool = False
    key: tuple[str, ...] = ()
    key_declared: bool = False
    is_event: bool = False
    affects: tuple[str, ...] = ()
    emitted_by: str | None = None
    alt_labels: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)


@_hashed_by("iri")
@dataclass(frozen=True, kw_only=True)
class ModuleInfo(_Frozen):
    """One ontology module (one Turtle file with its owl:Ontology header)."""

    iri: str
    version_iri: str | None
    version_info: str | None
    file: str
    label: str
    description: str = ""
    #: rdfs:label and skos:altLabel (the bounded context's short name) by language.
    labels: Mapping[str, str] = field(default_factory=_empty)
    short_labels: Mapping[str, str] = field(default_factory=_empty)
    #: The module's Turtle as the compiler read it, for consumers that serve the ontology's own
    #: triples (the SPARQL view) without reading files themselves.
    turtle: str = ""

    def context_label(self, lang: str = "en") -> str:
        """The bounded context's name in ``lang``: its short label, else its label, else English."""
        return (
            self.short_labels.get(lang) or self.labels.get(lang) or self.short_labels.get("en") or self.label
        )

    @property
    def name(self) -> str:
        """``core`` for ``https://w3id.org/digispine/ontology/core``."""
        return self.iri.rstrip("/").rsplit("/", 1)[-1]


AnyTerm = ClassDef | DatatypeProperty | Relation


@_hashed_by("content_hash", "version")
@dataclass(frozen=True, kw_only=True)
class DomainModel(_Frozen):
    """All classes, datatype properties and relations, keyed by local name."""

    classes: Mapping[str, ClassDef]
    datatype_properties: Mapping[str, DatatypeProperty]
    relations: Mapping[str, Relation]
    namespace: str
    version: str
    modules: tuple[ModuleInfo, ...] = ()
    content_hash: str = ""

    # -- lookup -------------------------------------------------------------------------------

    def cls(self, name: str) -> ClassDef:
        """The class called ``name``; an error naming close matches when there is none."""
        found = self.classes.get(name)
        if found is None:
            raise UnknownTermError("class", name, _close(name, self.classes))
        return found

    def term(self, name: str) -> AnyTerm:
        """The class, datatype property or relation called ``name``."""
        for table in (self.classes, self.datatype_properties, self.relations):
            if name in table:
                return table[name]
        names = [*self.classes, *self.datatype_properties, *self.relations]
        raise UnknownTermError("term", name, _close(name, names))

    # -- hierarchy ----------------------------------------------------------------------------

    def lineage(self, class_name: str) -> tuple[str, ...]:
        """The class followed by its ancestors, nearest first."""
        return (class_name, *self.cls(class_name).ancestors)

    def subclasses(self, name: str) -> tuple[str, ...]:
        """All direct and indirect subclasses of ``name``, sorted."""
        self.cls(name)
        return tuple(sorted(c.name for c in self.classes.values() if name in c.ancestors))

    def labels_for(self, name: str) -> tuple[str, ...]:
        """Neo4j labels of a node of class ``name``: its own, then every ancestor's, nearest first.

        The abstract roots are included, so every business entity carries ``:Entity`` and every
        event ``:DomainEvent``; a WorkCenter node is ``(:WorkCenter:Equipment:Entity)``.
        """
        return tuple(self.classes[c].neo4j_label for c in self.lineage(name))

    # -- members ------------------------------------------------------------------------------

    def properties_of(self, class_name: str) -> tuple[DatatypeProperty, ...]:
        """Own and inherited datatype properties; own first, then nearest ancestor's; by name."""
        return tuple(
            prop
            for owner in self.lineage(class_name)
            for prop in sorted(self.datatype_properties.values(), key=_by_name)
            if prop.domain == owner
        )

    def relations_from(self, class_name: str) -> tuple[Relation, ...]:
        """Stored relations whose domain is the class or one of its ancestors (nearest first)."""
        return self._relations(class_name, lambda rel: rel.domain)

    def relations_to(self, class_name: str) -> tuple[Relation, ...]:
        """Stored relations whose range is the class or one of its ancestors (reverse fields)."""
        return self._relations(class_name, lambda rel: rel.range)

    def _relations(self, class_name: str, end: Any) -> tuple[Relation, ...]:
        stored = sorted((r for r in self.relations.values() if r.stored), key=_by_name)
        return tuple(rel for owner in self.lineage(class_name) for rel in stored if end(rel) == owner)

    # -- kinds --------------------------------------------------------------------------------

    def keyed_classes(self) -> tuple[ClassDef, ...]:
        """Classes that declare ``owl:hasKey`` themselves (one uniqueness constraint each)."""
        return tuple(c for c in self._sorted_classes() if c.key_declared)

    def event_classes(self, *, include_abstract: bool = False) -> tuple[ClassDef, ...]:
        """Event classes (``ds:DomainEvent`` and below), sorted by name."""
        return tuple(c for c in self._sorted_classes() if c.is_event and (include_abstract or not c.abstract))

    def entity_classes(self, *, include_abstract: bool = False) -> tuple[ClassDef, ...]:
        """Business entity classes (``ds:Entity`` and below, not events), sorted by name."""
        return tuple(
            c for c in self._sorted_classes() if not c.is_event and (include_abstract or not c.abstract)
        )

    def bounded_contexts(self) -> tuple[str, ...]:
        """Bounded contexts that own at least one term, sorted."""
        return tuple(sorted({t.bounded_context for t in self.terms() if t.bounded_context}))

    def terms(self) -> Iterator[AnyTerm]:
        """Every term: classes, then datatype properties, then relations, each sorted by name."""
        tables: tuple[Mapping[str, AnyTerm], ...] = (self.classes, self.datatype_properties, self.relations)
        for table in tables:
            yield from sorted(table.values(), key=_by_name)

    def _sorted_classes(self) -> list[ClassDef]:
        return sorted(self.classes.values(), key=_by_name)


def _by_name(term: Term) -> str:
    return term.name


def _close(name: str, names: Any) -> list[str]:
    return difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
