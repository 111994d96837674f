"""For each ontology class, the GraphQL root fields that read it and an example query: what the
glossary shows beside each class, named by the same rules the generated schema uses
(:mod:`graph_service.api.graphql.naming`).

Pure (model in, text out), so the glossary served at ``/glossary/`` and the one written by
``digispine ontology docs`` say the same; a test runs every example against the real schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import get_named_type

from graph_service.api.graphql import naming
from graph_service.ontology.docs import ClassQueries
from graph_service.ontology.model import DomainModel

#: Scalar fields an example selects besides the key: enough to see what a node holds.
EXAMPLE_FIELDS = 4
EXAMPLE_PAGE = 5


def class_queries(model: DomainModel, served: Mapping[str, str] | None = None) -> dict[str, ClassQueries]:
    """Class name → its root fields and example, for every class of the model. ``served``: the
    served schema's root fields (name → the named type it returns); a class whose list field is
    not there, or is another type's (the data products' ``dataProducts`` replaces the generated
    one), is left out, so the glossary names no field the server does not have."""
    found = {name: _queries(model, name) for name in sorted(model.classes)}
    if served is None:
        return found
    return {
        name: queries
        for name, queries in found.items()
        if served.get(queries.list_field) == naming.connection_type(model.classes[name].graphql_name)
    }


def served_root_fields(schema: Any) -> dict[str, str]:
    """Root query fields of a strawberry schema and the named type each returns."""
    fields = schema._schema.query_type.fields
    return {name: get_named_type(field.type).name for name, field in fields.items()}


def _queries(model: DomainModel, name: str) -> ClassQueries:
    cls = model.classes[name]
    props = [p for p in model.properties_of(name) if not p.personal_data]
    keys = [p for p in props if p.name in cls.key]
    others = [p.name for p in props if p.name not in cls.key][:EXAMPLE_FIELDS]
    selection = " ".join([*(p.name for p in keys), *others]) or "__typename"
    list_name = naming.list_field(cls.graphql_name, is_event=cls.is_event)
    key_name = naming.key_field(cls.graphql_name) if keys and len(keys) == len(cls.key) else None
    example = (
        f"{{\n  {list_name}(first: {EXAMPLE_PAGE}) {{\n    totalCount\n"
        f"    nodes {{ {selection} }}\n  }}\n}}\n"
    )
    return ClassQueries(list_field=list_name, key_field=key_name, example=example)
