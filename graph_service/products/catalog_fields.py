"""What the catalog says of a product's output: its fields with their ontology definitions, and an
example query.

Pure functions of the output shape and the compiled model (no I/O), read by the GraphQL catalog
(``dataProducts { fields exampleQuery }``) and through it by the ``/catalog`` page. A field is tied
to an ontology term when its name is the name of a datatype property or relation of the model
(``customerNumber`` is ``ds:customerNumber``): the shape's description says what the field holds in
this product, the term's definition what the word means in the plant.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import strawberry
from rdflib import XSD

from graph_service.ontology.docs import term_href
from graph_service.ontology.model import DomainModel
from graph_service.products.parameters import Parameter
from graph_service.products.shape import NodeShape, ShapeField

#: GraphQL scalar of each output datatype (the same mapping as :mod:`graphql_types`' SCALARS).
SCALAR_NAMES: dict[str, str] = {
    str(XSD.string): "String",
    str(XSD.integer): "Int",
    str(XSD.int): "Int",
    str(XSD.long): "Int",
    str(XSD.decimal): "Float",
    str(XSD.double): "Float",
    str(XSD.float): "Float",
    str(XSD.boolean): "Boolean",
    str(XSD.date): "Date",
    str(XSD.dateTime): "DateTime",
}
#: What a stream's subscription field returns around the derived event's ``data``.
STREAM_ENVELOPE = "key time revision final"
INDENT = "  "


@strawberry.type(
    name="DataProductField",
    description="A field of a data product's output row (or of an object nested in it).",
)
class FieldEntry:
    path: str = strawberry.field(description="The field, dotted inside nested objects (lots.lotNumber).")
    type: str = strawberry.field(description="Its GraphQL type; OBJECT for a nested object.")
    description: str = strawberry.field(description="What the field holds in this product (its shape).")
    allowed: list[str] = strawberry.field(description="The values it may take, when the shape lists them.")
    ontology_term: str | None = strawberry.field(description="The ontology term of the same name (ds:…).")
    ontology_definition: str | None = strawberry.field(description="That term's definition (English).")
    ontology_context: str | None = strawberry.field(description="The bounded context the term belongs to.")
    glossary_href: str | None = strawberry.field(
        description="The term's entry in the glossary, relative to /glossary/ (context-….html#…)."
    )


@dataclass(frozen=True)
class Example:
    """A runnable GraphQL document and its variables (JSON text, ``{}`` when none)."""

    query: str
    variables: str


def field_entries(shape: NodeShape, model: DomainModel) -> list[FieldEntry]:
    """Every field of ``shape``, nested ones after their object, in the shape's order."""
    return list(_entries(shape, model, prefix=""))


def _entries(shape: NodeShape, model: DomainModel, prefix: str) -> Iterator[FieldEntry]:
    for field in shape.fields:
        term = model.datatype_properties.get(field.name) or model.relations.get(field.name)
        yield FieldEntry(
            path=prefix + field.name,
            type=type_text(field),
            description=field.description,
            allowed=list(field.allowed),
            ontology_term=f"ds:{term.name}" if term else None,
            ontology_definition=(term.definition() or None) if term else None,
            ontology_context=term.bounded_context if term else None,
            glossary_href=term_href(model, term.name) if term else None,
        )
        if field.node is not None:
            yield from _entries(field.node, model, prefix=f"{prefix}{field.name}.")


def type_text(field: ShapeField) -> str:
    base = "OBJECT" if field.node is not None else SCALAR_NAMES.get(str(field.datatype), "String")
    if field.many:
        return f"[{base}!]!"
    return f"{base}!" if field.required else base


def product_example(field_name: str, shape: NodeShape, parameters: Iterable[Parameter]) -> Example:
    """A query of ``field_name`` selecting every field; parameters without a default become
    variables (to be filled in), the others keep their defaults."""
    needed = [p for p in parameters if p.required and p.default is None]
    declared = ", ".join(f"${p.name}: {p.type}!" for p in needed)
    arguments = ", ".join(f"{p.name}: ${p.name}" for p in needed)
    head = f"query Example({declared}) " if needed else ""
    call = f"{field_name}({arguments})" if needed else field_name
    body = _selection(shape, 2)
    query = f"{head}{{\n{INDENT}{call} {{\n{body}\n{INDENT}}}\n}}\n"
    variables = {p.name: _placeholder(p.type) for p in needed}
    return Example(query, json.dumps(variables, indent=2) if variables else "{}")


def stream_example(field_name: str, shape: NodeShape) -> Example:
    """A subscription of ``field_name``: each derived event's envelope and every field of its data."""
    body = _selection(shape, 3)
    query = (
        f"subscription {{\n{INDENT}{field_name} {{\n{INDENT * 2}{STREAM_ENVELOPE}\n"
        f"{INDENT * 2}data {{\n{body}\n{INDENT * 2}}}\n{INDENT}}}\n}}\n"
    )
    return Example(query, "{}")


def _selection(shape: NodeShape, depth: int) -> str:
    lines = []
    for field in shape.fields:
        if field.node is None:
            lines.append(INDENT * depth + field.name)
        else:
            nested = _selection(field.node, depth + 1)
            lines.append(f"{INDENT * depth}{field.name} {{\n{nested}\n{INDENT * depth}}}")
    return "\n".join(lines)


def _placeholder(type_name: str) -> object:
    return {"Int": 0, "Float": 0.0, "Boolean": False}.get(type_name, "")
