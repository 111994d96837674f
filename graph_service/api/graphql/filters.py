"""Input types of ``where`` and ``orderBy``, generated per class.

``<Class>Where`` has one operator input per scalar field (``StringFilter``, ``DateFilter``, …),
one ``<Target>RelationFilter`` (``some``/``none``/``every``) per relation field, and ``AND``,
``OR``, ``NOT``. ``<Class>Order`` is ``{field: <Class>OrderField!, direction: SortDirection}``.
The resolvers read the coerced argument values, not these classes: they only describe the schema.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Optional

import strawberry

from graph_service.api.graphql import naming
from graph_service.api.graphql.fields import ClassFields, PropertyField
from graph_service.api.graphql.operators import OPERATORS, operators_for
from graph_service.api.graphql.scalars import PYTHON_TYPES


@strawberry.enum(description="Sort direction. Nulls come last ascending and first descending.")
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


def operator_input_name(graphql_type: str, is_list: bool) -> str:
    return f"{graphql_type}{'List' if is_list else ''}Filter"


class InputTypes:
    """Builds and holds every input type of the generated schema (two phases: the classes first,
    then their fields, so that ``Where`` types can refer to each other in cycles)."""

    def __init__(self, fields: Mapping[str, ClassFields]) -> None:
        self._fields = fields
        self._operator_inputs: dict[str, type] = {}
        self.where: dict[str, type] = {}
        self.relation_filter: dict[str, type] = {}
        self.order: dict[str, type] = {}
        names = {name: f.cls.graphql_name for name, f in fields.items()}
        for name, type_name in names.items():
            self.where[name] = type(naming.where_type(type_name), (), {})
            self.relation_filter[name] = type(naming.relation_filter_type(type_name), (), {})
        for name, class_fields in fields.items():
            self._fill_where(name, class_fields)
            self._fill_relation_filter(name, class_fields)
            self.order[name] = self._order_input(class_fields)
        for name in fields:
            strawberry.input(self.where[name], description=self._where_doc(fields[name]))
            strawberry.input(
                self.relation_filter[name],
                description=f"Conditions on the {names[name]} nodes one relation away.",
            )

    def operator_input(self, field: PropertyField) -> type:
        graphql_type, is_list = field.prop.graphql_type, field.is_list
        name = operator_input_name(graphql_type, is_list)
        if name not in self._operator_inputs:
            python = PYTHON_TYPES[graphql_type]
            namespace: dict[str, Any] = {"__annotations__": {}}
            for op in operators_for(graphql_type, is_list):
                operand = OPERATORS[op].operand
                value: Any = python
                if operand == "values":
                    value = list[python]  # type: ignore[valid-type]
                elif operand == "flag":
                    value = bool
                attr = naming.python_name(op)
                namespace["__annotations__"][attr] = Optional[value]  # noqa: UP045 - runtime type
                namespace[attr] = strawberry.field(
                    name=op, description=OPERATORS[op].doc, default=strawberry.UNSET
                )
            self._operator_inputs[name] = strawberry.input(
                type(name, (), namespace),
                description=f"Conditions on a {graphql_type}{' list' * is_list} field; all must hold.",
            )
        return self._operator_inputs[name]

    def _fill_where(self, name: str, class_fields: ClassFields) -> None:
        cls = self.where[name]
        annotations: dict[str, Any] = {}
        for prop in class_fields.properties.values():
            annotations[prop.key] = Optional[self.operator_input(prop)]  # noqa: UP045
            setattr(cls, prop.key, strawberry.field(name=prop.name, default=strawberry.UNSET))
        for rel in class_fields.relations.values():
            attr = naming.python_name(rel.name)
            annotations[attr] = Optional[self.relation_filter[rel.target]]  # noqa: UP045
            setattr(cls, attr, strawberry.field(name=rel.name, default=strawberry.UNSET))
        for attr, gql, doc, many in (
            ("and_", "AND", "All of these hold.", True),
            ("or_", "OR", "At least one of these holds.", True),
            ("not_", "NOT", "This does not hold.", False),
        ):
            annotations[attr] = Optional[list[cls] if many else cls]  # type: ignore[valid-type]  # noqa: UP045
            setattr(cls, attr, strawberry.field(name=gql, description=doc, default=strawberry.UNSET))
        cls.__annotations__ = annotations

    def _fill_relation_filter(self, name: str, class_fields: ClassFields) -> None:
        cls = self.relation_filter[name]
        where = self.where[name]
        docs = {
            "some": "At least one related node matches (an empty filter: at least one exists).",
            "none": "No related node matches (an empty filter: none exists).",
            "every": "Every related node matches (true when there is none).",
        }
        cls.__annotations__ = {q: Optional[where] for q in docs}  # noqa: UP045
        for q, doc in docs.items():
            setattr(cls, q, strawberry.field(name=q, description=doc, default=strawberry.UNSET))

    def _order_input(self, class_fields: ClassFields) -> type:
        type_name = class_fields.cls.graphql_name
        sortable = [p.name for p in class_fields.properties.values() if not p.is_list]
        members = enum.Enum(naming.order_field_enum(type_name), {n: n for n in sortable})  # type: ignore[misc]
        field_enum = strawberry.enum(members, description=f"Fields a {type_name} list can be ordered by.")
        namespace: dict[str, Any] = {
            "__annotations__": {"field": field_enum, "direction": SortDirection},
            "field": strawberry.field(name="field"),
            "direction": strawberry.field(name="direction", default=SortDirection.ASC),
        }
        return strawberry.input(
            type(naming.order_type(type_name), (), namespace),
            description=f"One sort key of a {type_name} list; later keys break ties of earlier ones.",
        )

    @staticmethod
    def _where_doc(class_fields: ClassFields) -> str:
        return (
            f"Conditions on {class_fields.cls.graphql_name} nodes. All given conditions must hold; "
            "combine with AND, OR and NOT."
        )
