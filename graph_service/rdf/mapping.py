"""The graph as RDF, in the ontology's own terms.

A node becomes a resource ``<base><KeyClass>/<key>``: ``KeyClass`` is the class whose business key
identifies it (its most specific class, or the ancestor that declares the key), the key value
percent-encoded, so the same entity always has the same IRI. It is typed with its most specific
class; its properties become literals typed by the property's XSD range; its stored relationships
become the ontology's object properties. Domain events are ``prov:Activity`` instances (the
ontology says so) and their lineage is also stated in PROV-O terms: ``prov:used`` for what they
affected, ``prov:wasAssociatedWith`` for the reporting system, ``prov:startedAtTime`` /
``prov:endedAtTime`` for the event time. A lineage link's role (a mapping's ``role:``) makes it
a qualified usage: ``<event> prov:qualifiedUsage <u>``, ``<u> a prov:Usage; prov:entity
<entity>; prov:hadRole <role>`` (``<role> a prov:Role``, labelled with the qualifier); the values
a link kept (``history: true``) are the entity as of that event: ``<v> prov:specializationOf
<entity>; prov:wasGeneratedBy <event>``, with the properties' own predicates. Those IRIs derive
from the event's and the entity's, so every export says the same. Properties the model does not
know (the loaders' version tokens) are left out. Which predicates carry personal data is said by
:attr:`RdfMapper.personal_predicates`; the export and the SPARQL view decide what to do with them.

Triples are produced as N-Triples terms (strings), the cheapest form to stream.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import neo4j

from graph_service.ontology.model import ClassDef, DatatypeProperty, DomainModel, Relation
from graph_service.store.lineage import AFFECTED, EVENT_SOURCE_PROPERTY, REPORTED_BY

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
PROV_ACTIVITY = f"<{PROV}Activity>"
PROV_USED = f"<{PROV}used>"
PROV_ASSOCIATED = f"<{PROV}wasAssociatedWith>"
PROV_STARTED = f"<{PROV}startedAtTime>"
PROV_ENDED = f"<{PROV}endedAtTime>"
PROV_QUALIFIED_USAGE = f"<{PROV}qualifiedUsage>"
PROV_USAGE = f"<{PROV}Usage>"
PROV_ENTITY = f"<{PROV}entity>"
PROV_HAD_ROLE = f"<{PROV}hadRole>"
PROV_ROLE = f"<{PROV}Role>"
PROV_SPECIALIZATION = f"<{PROV}specializationOf>"
PROV_GENERATED_BY = f"<{PROV}wasGeneratedBy>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
#: The property of a lineage link that holds its qualifier (the others are kept values).
LINK_ROLE = "role"
DEFAULT_BASE = "https://w3id.org/digispine/id/"

Triple = tuple[str, str, str]


def iri(value: str) -> str:
    return f"<{value}>"


def literal(text: str, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"' + (f"^^<{XSD}{datatype}>" if datatype and datatype != "string" else "")


@dataclass(frozen=True)
class NodeRecord:
    """What the exporter reads of one node: labels, properties, outgoing relationships as
    ``(type, target labels, target key values aligned with RdfMapper.key_properties)``, optionally
    with the relationship's properties as a fourth item."""

    labels: Sequence[str]
    properties: Mapping[str, Any]
    out: Sequence[Sequence[Any]]


class RdfMapper:
    """Turns node records into triples with the model's IRIs."""

    def __init__(self, model: DomainModel, base: str = DEFAULT_BASE) -> None:
        self.model = model
        self.base = base if base.endswith(("/", "#")) else base + "/"
        self._by_label = {c.neo4j_label: c for c in model.classes.values()}
        self._props: dict[str, DatatypeProperty] = dict(model.datatype_properties)
        self._relations: dict[str, Relation] = {r.rel_type: r for r in model.relations.values() if r.stored}
        #: Every property that is part of some class's key; a target's values come aligned with it.
        self.key_properties: tuple[str, ...] = tuple(
            sorted({p for c in model.classes.values() for p in c.key})
        )
        self._key_index = {p: i for i, p in enumerate(self.key_properties)}
        self._class_cache: dict[tuple[str, ...], ClassDef | None] = {}
        self._owner_cache: dict[str, str] = {}
        self._prop_terms = {name: (iri(p.iri), p.xsd) for name, p in self._props.items()}
        #: Predicates of the properties the ontology marks ``ds:personalData``, as N-Triples terms:
        #: what a caller without the ``personal-data`` role must never receive.
        self.personal_predicates: frozenset[str] = frozenset(
            iri(p.iri) for p in self._props.values() if p.personal_data
        )
        #: ``Class.property`` of each datatype predicate, to name what was left out.
        self.property_names: dict[str, str] = {
            iri(p.iri): f"{p.domain}.{p.name}" for p in self._props.values()
        }
        self._rel_terms = {t: iri(r.iri) for t, r in self._relations.items()}
        self._affected = model.relations[AFFECTED].rel_type if AFFECTED in model.relations else None
        # ds:reportedBy is the event's ``source`` property (the source system's key), not a
        # relationship: graph_service/store/lineage.py. Its term and the source system's class.
        reported = model.relations.get(REPORTED_BY)
        self._reported = reported.rel_type if reported is not None else None
        self._reported_term = iri(reported.iri) if reported is not None else None
        self._source_class = model.classes.get(reported.range) if reported is not None else None

    # -- identity -----------------------------------------------------------------------------

    def class_of(self, labels: Sequence[str]) -> ClassDef | None:
        """The most specific class among a node's labels (memoised per label set)."""
        key = tuple(labels)
        try:
            return self._class_cache[key]
        except KeyError:
            found = self._class_cache[key] = self._most_specific(key)
            return found

    def _most_specific(self, labels: Sequence[str]) -> ClassDef | None:
        best: ClassDef | None = None
        for label in labels:
            cls = self._by_label.get(label)
            if cls is not None and (best is None or len(cls.ancestors) > len(best.ancestors)):
                best = cls
        return best

    def subject(self, cls: ClassDef, key_values: Sequence[Any]) -> str | None:
        if not cls.key or any(v is None for v in key_values):
            return None
        owner = self._owner_cache.get(cls.name)
        if owner is None:
            owner = self._owner_cache[cls.name] = self._key_owner(cls)
        key = "|".join(_key_text(v) for v in key_values)
        return f"<{self.base}{owner}/{quote(key, safe='')}>"

    def _key_owner(self, cls: ClassDef) -> str:
        """The class that declares ``cls``'s key (so a subclass shares its ancestor's IRIs)."""
        for name in self.model.lineage(cls.name):
            candidate = self.model.classes[name]
            if candidate.key_declared and candidate.key == cls.key:
                return name
        return cls.name

    def target(self, labels: Sequence[str], key_values: Sequence[Any]) -> str | None:
        cls = self.class_of(labels)
        if cls is None:
            return None
        return self.subject(cls, [key_values[self._key_index[p]] for p in cls.key])

    # -- triples ------------------------------------------------------------------------------

    def triples(self, record: NodeRecord) -> Iterator[Triple]:
        cls = self.class_of(record.labels)
        if cls is None:
            return
        s = self.subject(cls, [record.properties.get(p) for p in cls.key])
        if s is None:
            return
        yield s, RDF_TYPE, iri(cls.iri)
        is_event = cls.is_event
        if is_event:
            yield s, RDF_TYPE, PROV_ACTIVITY
        for name, value in sorted(record.properties.items()):
            term = self._prop_terms.get(name)
            if term is None or value is None:
                continue
            p, xsd = term
            for item in value if isinstance(value, list) else (value,):
                o = typed_literal(item, xsd)
                if o is not None:
                    yield s, p, o
            if is_event and name == "eventTime":
                o = typed_literal(value, "dateTime")
                if o is not None:
                    yield s, PROV_STARTED, o
                    yield s, PROV_ENDED, o
        if is_event:
            yield from self._reported_by(s, record.properties.get(EVENT_SOURCE_PROPERTY))
        for rel_type, labels, key_values, *link in record.out:
            rel = self._rel_terms.get(rel_type)
            if rel is None or rel_type == self._reported:  # a graph not yet migrated: said above
                continue
            o = self.target(labels, key_values)
            if o is None:
                continue
            yield s, rel, o
            if rel_type == self._affected:
                yield s, PROV_USED, o
                if link and link[0]:
                    yield from self._qualified_usage(s, o, link[0])

    def _qualified_usage(self, s: str, o: str, link: Mapping[str, Any]) -> Iterator[Triple]:
        """A lineage link's role (a qualified usage) and kept values (the entity as of the event)."""
        role = link.get(LINK_ROLE)
        kept = sorted((k, v) for k, v in link.items() if k != LINK_ROLE and k in self._prop_terms)
        if isinstance(role, str) and role:
            u = _derived(s, "usage", o, role)
            r = f"<{self.base}role/{quote(role, safe='')}>"
            yield s, PROV_QUALIFIED_USAGE, u
            yield u, RDF_TYPE, PROV_USAGE
            yield u, PROV_ENTITY, o
            yield u, PROV_HAD_ROLE, r
            yield r, RDF_TYPE, PROV_ROLE
            yield r, RDFS_LABEL, literal(role)
        if kept:
            v = _derived(o, "as-of", s, "")
            yield v, PROV_SPECIALIZATION, o
            yield v, PROV_GENERATED_BY, s
            for name, value in kept:
                p, xsd = self._prop_terms[name]
                literal_value = typed_literal(value, xsd)
                if literal_value is not None:
                    yield v, p, literal_value

    def _reported_by(self, s: str, source: Any) -> Iterator[Triple]:
        if self._reported_term is None or self._source_class is None or not isinstance(source, str):
            return
        o = self.subject(self._source_class, [source])
        if o is not None:
            yield s, self._reported_term, o
            yield s, PROV_ASSOCIATED, o


def typed_literal(value: Any, xsd: str) -> str | None:
    """``value`` as an N-Triples literal of XSD type ``xsd``; None when it cannot be one."""
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        value = value.to_native()
    if xsd == "dateTime":
        if isinstance(value, dt.datetime):
            text = value.isoformat()
            return literal(text[:-6] + "Z" if text.endswith("+00:00") else text, "dateTime")
        return literal(str(value), "dateTime") if isinstance(value, str) else None
    if xsd == "date":
        if isinstance(value, dt.datetime):
            value = value.date()
        return literal(value.isoformat(), "date") if isinstance(value, dt.date) else None
    if xsd == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        text = format(number, "f")
        if "." not in text:
            text += ".0"
        return literal(text, "decimal")
    if xsd == "integer":
        return (
            literal(str(int(value)), "integer")
            if isinstance(value, int) and not isinstance(value, bool)
            else None
        )
    if xsd == "boolean":
        return literal("true" if value else "false", "boolean") if isinstance(value, bool) else None
    if xsd == "anyURI":
        return literal(str(value), "anyURI")
    return literal(value if isinstance(value, str) else str(value), xsd)


def _derived(owner: str, kind: str, other: str, qualifier: str) -> str:
    """An IRI below ``owner`` for what it says about ``other``: the same inputs, the same IRI."""
    digest = hashlib.sha256(f"{other}\x00{qualifier}".encode()).hexdigest()[:20]
    return f"{owner[:-1]}/{kind}/{digest}>"


def _key_text(value: Any) -> str:
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date):
        return value.iso_format()
    return str(value)
