"""Object types and interfaces generated per class, with their connection and edge types.

A class with subclasses is an interface (its direct instances are ``Other<Class>``); the others
are object types implementing their ancestors' interfaces. Each type declares its own fields and
inherits the rest through the interfaces, as the ontology's classes inherit properties.
Field values are read from result dicts (see :func:`schema_builder.read_field`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import strawberry
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.arguments import StrawberryArgument

from graph_service.api.graphql import naming
from graph_service.api.graphql.concrete_types import ConcreteTypes, always, object_type_name
from graph_service.api.graphql.fields import ClassFields, PropertyField, RelationField
from graph_service.api.graphql.filters import InputTypes
from graph_service.api.graphql.limits import DEFAULT_NESTED_LIMIT, MAX_PAGE_SIZE
from graph_service.api.graphql.lineage_links import LINKED_RELATION, LINKS_FIELD, link_type
from graph_service.api.graphql.scalars import PYTHON_TYPES
from graph_service.ontology.model import DomainModel


@strawberry.type(description="Where a page is in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(description="Rows come before this page.")
    start_cursor: Optional[str] = strawberry.field(description="Cursor of the first row.")  # noqa: UP045
    end_cursor: Optional[str] = strawberry.field(  # noqa: UP045
        description="Cursor of the last row: pass it as `after` for the next page."
    )


class OutputTypes:
    """Builds every output type: per class its interface and/or object type, connection, edge."""

    def __init__(self, model: DomainModel, fields: Mapping[str, ClassFields], inputs: InputTypes) -> None:
        self._model = model
        self._fields = fields
        self._inputs = inputs
        self._concrete = ConcreteTypes(model)
        self.interface: dict[str, type] = {}  # class name → interface (classes with subclasses)
        self.object: dict[str, type] = {}  # class name → object type of its direct instances
        self.connection: dict[str, type] = {}
        self.type_classes: dict[str, str] = {}  # GraphQL type name → class name
        ordered = sorted(model.classes, key=lambda name: (len(model.cls(name).ancestors), name))
        for name in ordered:
            self._create(name)
        for name in ordered:
            self._fill(name)
        for name in ordered:
            self._decorate(name)
        for name in ordered:
            if self.of(name) is not None:
                self.connection[name] = self._connection(name)

    def of(self, class_name: str) -> type | None:
        """The type a field of this class returns: its interface, else its object type."""
        return self.interface.get(class_name) or self.object.get(class_name)

    def object_types(self) -> list[type]:
        return [self.object[name] for name in sorted(self.object)]

    # -- phases ---------------------------------------------------------------------------------

    def _create(self, name: str) -> None:
        cls = self._model.cls(name)
        bases = tuple(self.interface[parent] for parent in cls.parents if parent in self.interface)
        if self._model.subclasses(name):
            self.interface[name] = type(cls.graphql_name, bases, {})
            bases = (self.interface[name],)
            self.type_classes[cls.graphql_name] = name
        type_name = object_type_name(self._model, name)
        if type_name is not None:
            self.object[name] = type(type_name, bases, {})
            self.type_classes[type_name] = name

    def _fill(self, name: str) -> None:
        target = self.interface.get(name) or self.object.get(name)
        if target is None:
            return
        annotations: dict[str, Any] = {}
        for prop in self._fields[name].own_properties():
            annotations[prop.key] = self._scalar_type(prop)
            setattr(target, prop.key, strawberry.field(name=prop.name, description=_property_doc(prop)))
        for rel in self._fields[name].own_relations():
            attr = naming.python_name(rel.name)
            annotations[attr] = self._relation_type(rel)
            setattr(target, attr, self._relation_field(rel))
            if rel.name == LINKED_RELATION and rel.to_many and not rel.derived_reverse:
                links = naming.python_name(LINKS_FIELD)
                annotations[links] = list[link_type(self.of(rel.target))]  # type: ignore[misc]
                setattr(target, links, self._links_field(rel))
        target.__annotations__ = annotations

    def _decorate(self, name: str) -> None:
        cls = self._model.cls(name)
        description = _class_doc(cls.definition("en"), cls.label("en"))
        if name in self.interface:
            interface = self.interface[name]
            interface.resolve_type = staticmethod(self._concrete.resolver(name))  # type: ignore[attr-defined]
            strawberry.interface(interface, description=description)
        if name in self.object:
            obj = self.object[name]
            obj.is_type_of = staticmethod(always)  # type: ignore[attr-defined]
            if name in self.interface:
                others = ", ".join(self._model.cls(s).graphql_name for s in self._model.subclasses(name))
                description = f"A {cls.graphql_name} that is none of its subclasses ({others}). {description}"
            strawberry.type(obj, description=description)

    # -- fields ---------------------------------------------------------------------------------

    @staticmethod
    def _scalar_type(prop: PropertyField) -> Any:
        python = PYTHON_TYPES[prop.prop.graphql_type]
        return Optional[list[python]] if prop.is_list else Optional[python]  # type: ignore[valid-type]  # noqa: UP045

    def _relation_type(self, rel: RelationField) -> Any:
        target = self.of(rel.target)
        return list[target] if rel.to_many else Optional[target]  # type: ignore[valid-type]  # noqa: UP045

    def _relation_field(self, rel: RelationField) -> Any:
        field = strawberry.field(name=rel.name, description=_relation_doc(self._model, rel))
        if rel.to_many:
            field.arguments = relation_arguments(self._inputs, rel.target)
        return field

    def _links_field(self, rel: RelationField) -> Any:
        field = strawberry.field(
            name=LINKS_FIELD,
            description=f"The `{rel.name}` links themselves: each entity with the link's role and the "
            "values it kept (same arguments as `" + rel.name + "`).",
        )
        field.arguments = relation_arguments(self._inputs, rel.target)
        return field

    def _connection(self, name: str) -> type:
        type_name = self._model.cls(name).graphql_name
        node = self.of(name)
        edge = strawberry.type(
            type(
                naming.edge_type(type_name),
                (),
                {
                    "__annotations__": {"cursor": str, "node": node},
                    "cursor": strawberry.field(description="Opaque position: pass it as `after`."),
                    "node": strawberry.field(),
                },
            ),
            description=f"A {type_name} in a page, with its cursor.",
        )
        return strawberry.type(
            type(
                naming.connection_type(type_name),
                (),
                {
                    "__annotations__": {
                        "total_count": int,
                        "page_info": PageInfo,
                        "edges": list[edge],  # type: ignore[valid-type]
                        "nodes": list[node],  # type: ignore[valid-type]
                    },
                    "total_count": strawberry.field(
                        name="totalCount", description="How many match the filter, on all pages."
                    ),
                    "page_info": strawberry.field(name="pageInfo"),
                    "edges": strawberry.field(),
                    "nodes": strawberry.field(description="The page's nodes (the edges without cursors)."),
                },
            ),
            description=f"A page of {type_name} nodes (Relay connection).",
        )


def relation_arguments(inputs: InputTypes, target: str) -> list[StrawberryArgument]:
    """``first``, ``where`` and ``orderBy`` of a to-many relation field."""
    return [
        argument(
            "first",
            Optional[int],  # noqa: UP045
            f"At most this many (default {DEFAULT_NESTED_LIMIT}, at most {MAX_PAGE_SIZE}).",
        ),
        argument("where", Optional[inputs.where[target]], "Only related nodes matching this."),  # noqa: UP045
        argument(
            "orderBy",
            Optional[list[inputs.order[target]]],  # type: ignore[name-defined]  # noqa: UP045
            "Sort keys; by business key when not given.",
        ),
    ]


def argument(name: str, annotation: Any, description: str) -> StrawberryArgument:
    return StrawberryArgument(
        python_name=naming.python_name(name),
        graphql_name=name,
        type_annotation=StrawberryAnnotation(annotation),
        description=description,
    )


def _class_doc(definition: str, label: str) -> str:
    return f"{label}: {definition}" if definition else label


def _property_doc(field: PropertyField) -> str:
    prop = field.prop
    text = prop.definition("en") or prop.label("en")
    notes = [f"xsd:{prop.xsd.rsplit('#', 1)[-1]}"]
    if prop.personal_data:
        notes.append("personal data")
    return f"{text} ({', '.join(notes)})"


def _relation_doc(model: DomainModel, rel: RelationField) -> str:
    definition = rel.relation.definition("en") or rel.relation.label("en")
    if rel.derived_reverse:
        domain = model.cls(rel.relation.domain).graphql_name
        name = rel.relation.name
        return f"The {domain} nodes whose `{name}` is this node. ({name}: {definition})"
    return definition
