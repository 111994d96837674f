"""Classes of the model: hierarchy (nearest ancestors first), business keys, events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Graph

from graph_service.ontology.declarations import Declarations, report_dangling
from graph_service.ontology.model import EVENT_ROOT, ClassDef, DatatypeProperty
from graph_service.ontology.namespaces import DS, OWL, RDFS, SKOS, curie, in_ds, local_name
from graph_service.ontology.rdfread import all_by_language, blank_objects, first_text, iris, is_true, rdf_list
from graph_service.ontology.reporting import Locate, Reporter
from graph_service.ontology.term_fields import term_fields

#: Suffixes of property names that usually hold a business key; used to suggest a key.
_KEY_HINTS = ("Id", "Number", "Code", "No", "Key")


@dataclass(frozen=True)
class _Hierarchy:
    """Direct parents and ancestors grouped by distance (level 0 = parents), all by name."""

    parents: Mapping[str, tuple[str, ...]]
    levels: Mapping[str, tuple[tuple[str, ...], ...]]

    def ancestors(self, name: str) -> tuple[str, ...]:
        return tuple(a for level in self.levels[name] for a in level)


def build_classes(
    graph: Graph,
    decl: Declarations,
    properties: Mapping[str, DatatypeProperty],
    report: Reporter,
    locate: Locate,
) -> dict[str, ClassDef]:
    """Every ds: class with its ancestors, effective key and event annotations."""
    iri_of = {local_name(iri): iri for iri in decl.classes}
    hierarchy = _hierarchy(graph, decl, iri_of, report)
    own_keys = {
        name: _own_key(graph, iri, (name, *hierarchy.ancestors(name)), decl, properties, report)
        for name, iri in sorted(iri_of.items())
    }
    built: dict[str, ClassDef] = {}
    for name, iri in sorted(iri_of.items()):
        ancestors = hierarchy.ancestors(name)
        abstract = is_true(graph, iri, DS.abstract)
        key = own_keys[name]
        if key is None:
            key = _inherited_key(iri, hierarchy.levels[name], own_keys, report)
        if not abstract and not key and own_keys[name] is None:
            report.error("missing-key", iri, _missing_key_message(name, properties))
        built[name] = ClassDef(
            **term_fields(graph, iri, report, locate),
            neo4j_label=name,
            graphql_name=name,
            parents=hierarchy.parents[name],
            ancestors=ancestors,
            abstract=abstract,
            key=key or (),
            key_declared=own_keys[name] is not None,
            is_event=EVENT_ROOT in (name, *ancestors),
            affects=_affects(graph, iri, decl, report),
            emitted_by=first_text(graph, iri, DS.emittedBy),
            alt_labels=all_by_language(graph, iri, SKOS.altLabel),
        )
    return built


def _hierarchy(graph: Graph, decl: Declarations, iri_of: Mapping[str, str], report: Reporter) -> _Hierarchy:
    parents = {name: _parents(graph, iri, decl, report) for name, iri in sorted(iri_of.items())}
    levels: dict[str, tuple[tuple[str, ...], ...]] = {}
    for name in parents:
        found, cyclic = _levels(name, parents)
        if cyclic:
            report.error(
                "subclass-cycle",
                iri_of[name],
                "is (indirectly) a subclass of itself; remove one rdfs:subClassOf of the cycle",
            )
        levels[name] = found
    return _Hierarchy(parents, levels)


def _parents(graph: Graph, iri: str, decl: Declarations, report: Reporter) -> tuple[str, ...]:
    found: list[str] = []
    for parent in iris(graph, iri, RDFS.subClassOf):
        if parent in decl.classes:
            found.append(local_name(parent))
        elif in_ds(parent) and parent not in decl.typed:
            report_dangling(parent, iri, "rdfs:subClassOf", decl, report)
    return tuple(found)


def _levels(name: str, parents: Mapping[str, tuple[str, ...]]) -> tuple[tuple[tuple[str, ...], ...], bool]:
    """Breadth-first ancestors, one tuple per distance, sorted within; and whether a cycle hit."""
    seen = {name}
    levels: list[tuple[str, ...]] = []
    frontier = parents.get(name, ())
    cyclic = False
    while frontier:
        cyclic = cyclic or name in frontier
        level = tuple(sorted({p for p in frontier if p not in seen}))
        if not level:
            break
        levels.append(level)
        seen.update(level)
        frontier = tuple(p for c in level for p in parents.get(c, ()))
    return tuple(levels), cyclic


def _own_key(
    graph: Graph,
    iri: str,
    lineage: tuple[str, ...],
    decl: Declarations,
    properties: Mapping[str, DatatypeProperty],
    report: Reporter,
) -> tuple[str, ...] | None:
    """The names in this class's own ``owl:hasKey``; None when it declares none."""
    heads = blank_objects(graph, iri, OWL.hasKey)
    if not heads:
        return None
    key: list[str] = []
    for member in (m for head in heads for m in rdf_list(graph, head)):
        name = _key_member(str(member), iri, lineage, decl, properties, report)
        if name is not None and name not in key:
            key.append(name)
    return tuple(key)


def _key_member(
    member: str,
    iri: str,
    lineage: tuple[str, ...],
    decl: Declarations,
    properties: Mapping[str, DatatypeProperty],
    report: Reporter,
) -> str | None:
    if in_ds(member) and member not in decl.typed:
        report_dangling(member, iri, "owl:hasKey", decl, report)
        return None
    if member not in decl.datatype_properties:
        report.error(
            "key-not-property",
            iri,
            f"owl:hasKey names {curie(member)}, which is not a datatype property; a business key "
            "is made of datatype properties of the class",
        )
        return None
    prop = properties.get(local_name(member))
    if prop is None:  # the property itself is broken and already reported
        return None
    if prop.domain not in lineage:
        report.error(
            "key-not-property",
            iri,
            f"owl:hasKey names {curie(member)}, whose domain is ds:{prop.domain}, not this class "
            "or one of its superclasses; move the property or choose another key",
        )
        return None
    return prop.name


def _inherited_key(
    iri: str,
    levels: tuple[tuple[str, ...], ...],
    own_keys: Mapping[str, tuple[str, ...] | None],
    report: Reporter,
) -> tuple[str, ...] | None:
    for level in levels:
        keyed = [a for a in level if own_keys.get(a)]
        if not keyed:
            continue
        distinct = sorted({own_keys[a] or () for a in keyed})
        if len(distinct) > 1:
            report.warning(
                "ambiguous-key",
                iri,
                f"inherits different keys from {', '.join(f'ds:{a}' for a in keyed)}; "
                f"using ds:{keyed[0]}'s — declare owl:hasKey on this class to decide",
            )
        return own_keys[keyed[0]]
    return None


def _missing_key_message(name: str, properties: Mapping[str, DatatypeProperty]) -> str:
    candidates = sorted(
        p.name
        for p in properties.values()
        if p.domain == name and p.functional and p.name.endswith(_KEY_HINTS)
    )
    example = f"ds:{candidates[0]}" if candidates else "ds:someBusinessKey"
    return (
        f"entity class has no owl:hasKey (own or inherited); add owl:hasKey ( {example} ) "
        "or mark it ds:abstract true"
    )


def _affects(graph: Graph, iri: str, decl: Declarations, report: Reporter) -> tuple[str, ...]:
    found: list[str] = []
    for target in iris(graph, iri, DS.affects):
        if target in decl.classes:
            found.append(local_name(target))
        elif in_ds(target) and target not in decl.typed:
            report_dangling(target, iri, "ds:affects", decl, report)
        else:
            report.error(
                "affects-not-class",
                iri,
                f"ds:affects {curie(target)} is not a class of the ontology; name the entity "
                "class the event changes",
            )
    return tuple(found)
