"""GraphQL object types generated from output shapes, and rows turned into their instances.

Field names are the ``sh:path`` local names; scalars follow ``sh:datatype`` (strings → String,
integers → Int, decimals and doubles → Float, booleans → Boolean, dates → Date, timestamps →
DateTime); ``sh:node`` gives a nested object type; ``sh:minCount 1`` makes a field non-null and a
field without ``sh:maxCount 1`` a non-null list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

import strawberry
from rdflib import XSD

from graph_service.products import naming
from graph_service.products.shape import NodeShape, ShapeField

SCALARS: dict[str, type] = {
    str(XSD.string): str,
    str(XSD.integer): int,
    str(XSD.int): int,
    str(XSD.long): int,
    str(XSD.decimal): float,
    str(XSD.double): float,
    str(XSD.float): float,
    str(XSD.boolean): bool,
    str(XSD.date): dt.date,
    str(XSD.dateTime): dt.datetime,
}

Builder = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class GeneratedType:
    """A strawberry type and the function that makes its instances from row dicts."""

    type: type
    build: Builder


def generate_type(shape: NodeShape, type_name: str, description: str = "") -> GeneratedType:
    """The object type of ``shape`` named ``type_name``; nested shapes get derived names."""
    return _Generator(type_name).object_type(shape, type_name, description)


class _Generator:
    def __init__(self, row_type_name: str) -> None:
        self.row_type_name = row_type_name
        self.done: dict[str, GeneratedType] = {}

    def object_type(self, shape: NodeShape, type_name: str, description: str) -> GeneratedType:
        if shape.iri in self.done:
            return self.done[shape.iri]
        annotations: dict[str, Any] = {}
        namespace: dict[str, Any] = {"__annotations__": annotations}
        converters: dict[str, tuple[str, Callable[[Any], Any]]] = {}
        for field in shape.fields:
            python = naming.python_name(field.name)
            annotation, convert = self.field_type(field)
            annotations[python] = annotation
            namespace[python] = strawberry.field(
                name=field.name,
                description=_field_description(field),
                default_factory=list if field.many else lambda: None,
            )
            converters[field.name] = (python, convert)
        cls = strawberry.type(
            type(type_name, (), namespace),
            name=type_name,
            description=description or shape.description or None,
        )

        def build(values: Mapping[str, Any]) -> Any:
            return cls(
                **{python: convert(values.get(name)) for name, (python, convert) in converters.items()}
            )

        generated = GeneratedType(cls, build)
        self.done[shape.iri] = generated
        return generated

    def field_type(self, field: ShapeField) -> tuple[Any, Callable[[Any], Any]]:
        if field.node is not None:
            nested = self.object_type(
                field.node, naming.nested_type_name(self.row_type_name, field.node.local_name), ""
            )
            base: Any = nested.type
            one: Callable[[Any], Any] = lambda v: nested.build(v) if isinstance(v, Mapping) else v  # noqa: E731
        else:
            base = SCALARS[str(field.datatype)]
            one = _identity
        if field.many:
            return list[base], lambda v: [
                one(i) for i in (v if isinstance(v, list) else [v]) if i is not None
            ]
        return (base if field.required else Optional[base]), one  # noqa: UP045 - a runtime type object


def _identity(value: Any) -> Any:
    return value


def _field_description(field: ShapeField) -> str | None:
    text = field.description
    if field.allowed:
        text = f"{text} One of: {', '.join(field.allowed)}.".strip()
    return text or None
