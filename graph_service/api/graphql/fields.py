"""Which GraphQL fields each class has, read from the DomainModel (pure: no strawberry, no I/O).

A class's fields are its own and inherited datatype properties (scalar fields) and relation
fields: every object property whose domain is the class or an ancestor (stored ones forwards,
declared inverses backwards), plus every stored relation without a declared inverse whose range is
the class or an ancestor, read backwards under a derived name (see :mod:`naming`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from graph_service.api.graphql import naming
from graph_service.api.graphql.errors import SchemaBuildError
from graph_service.ontology.model import ClassDef, DatatypeProperty, DomainModel, Relation

Direction = Literal["out", "in"]


@dataclass(frozen=True)
class PropertyField:
    """A scalar field: one node property named as the ontology's datatype property."""

    name: str  # GraphQL field name = the property's name
    key: str  # key in result dicts (the Python attribute name)
    owner: str  # class that declares it
    prop: DatatypeProperty

    @property
    def is_list(self) -> bool:
        return not self.prop.functional


@dataclass(frozen=True)
class RelationField:
    """A relation field: one hop along a relationship type, in a direction, to a class."""

    name: str
    owner: str  # class the field is declared on
    relation: Relation  # the object property (for a derived reverse: the stored relation)
    rel_type: str
    direction: Direction
    target: str  # class of the nodes at the other end
    to_many: bool
    derived_reverse: bool = False


@dataclass(frozen=True)
class ClassFields:
    """All fields of one class (own and inherited), by GraphQL name, in a stable order."""

    cls: ClassDef
    properties: Mapping[str, PropertyField]
    relations: Mapping[str, RelationField]

    def own_properties(self) -> tuple[PropertyField, ...]:
        return tuple(f for f in self.properties.values() if f.owner == self.cls.name)

    def own_relations(self) -> tuple[RelationField, ...]:
        return tuple(f for f in self.relations.values() if f.owner == self.cls.name)

    @property
    def key_fields(self) -> tuple[PropertyField, ...]:
        return tuple(self.properties[name] for name in self.cls.key if name in self.properties)


@dataclass(frozen=True)
class TypeIndex:
    """How GraphQL type names and classes relate in the generated schema."""

    type_classes: Mapping[str, str]  # GraphQL object or interface type name → class name
    node_types: Mapping[str, str]  # class name → the type its fields return (interface or object)
    interfaces: frozenset[str]  # classes with subclasses (their fields return an interface)

    @classmethod
    def of(cls, model: DomainModel) -> TypeIndex:
        type_classes: dict[str, str] = {}
        node_types: dict[str, str] = {}
        interfaces = set()
        for name in sorted(model.classes):
            graphql_name = model.cls(name).graphql_name
            has_subclasses = bool(model.subclasses(name))
            if has_subclasses:
                interfaces.add(name)
                type_classes[graphql_name] = name
                node_types[name] = graphql_name
            if not model.cls(name).abstract:
                object_name = naming.other_type(graphql_name) if has_subclasses else graphql_name
                type_classes[object_name] = name
                node_types.setdefault(name, object_name)
        return cls(MappingProxyType(type_classes), MappingProxyType(node_types), frozenset(interfaces))


def class_fields(model: DomainModel, class_name: str) -> ClassFields:
    """The fields of ``class_name``; a :class:`SchemaBuildError` when two would share a name."""
    cls = model.cls(class_name)
    properties = {
        prop.name: PropertyField(prop.name, naming.python_name(prop.name), prop.domain, prop)
        for prop in model.properties_of(class_name)
    }
    relations: dict[str, RelationField] = {}
    for owner in model.lineage(class_name):
        for rel in _declared(model, owner):
            _add(relations, properties, class_name, _declared_field(model, rel))
        for rel in model.relations_to(owner):
            if rel.range == owner and rel.inverse is None:
                _add(relations, properties, class_name, _reverse_field(model, rel))
    return ClassFields(cls, MappingProxyType(properties), MappingProxyType(relations))


def all_class_fields(model: DomainModel) -> Mapping[str, ClassFields]:
    """Fields of every class, by class name."""
    return MappingProxyType({name: class_fields(model, name) for name in sorted(model.classes)})


def _declared(model: DomainModel, owner: str) -> list[Relation]:
    return sorted((r for r in model.relations.values() if r.domain == owner), key=lambda r: r.name)


def _declared_field(model: DomainModel, rel: Relation) -> RelationField:
    if rel.stored:
        return RelationField(rel.name, rel.domain, rel, rel.rel_type, "out", rel.range, rel.to_many)
    stored = model.relations[rel.inverse_of or ""]
    return RelationField(rel.name, rel.domain, rel, stored.rel_type, "in", rel.range, rel.to_many)


def _reverse_field(model: DomainModel, rel: Relation) -> RelationField:
    domain = model.cls(rel.domain)
    name = naming.reverse_field(domain.graphql_name, rel.name, is_event=domain.is_event)
    return RelationField(name, rel.range, rel, rel.rel_type, "in", rel.domain, True, derived_reverse=True)


def _add(
    relations: dict[str, RelationField],
    properties: Mapping[str, PropertyField],
    class_name: str,
    field: RelationField,
) -> None:
    clash = properties.get(field.name) or relations.get(field.name)
    if clash is not None and clash != field:
        raise SchemaBuildError(
            f"class {class_name}: the relation field {field.name!r} ({field.relation.name}) clashes with "
            f"another field of the same name; rename one of the terms in the ontology"
        )
    relations.setdefault(field.name, field)
