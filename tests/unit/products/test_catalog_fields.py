"""The catalog's fields and example queries: every shipped product's example is a valid document of
the product schema, selects every field of the shape, and declares what must be filled in."""

from __future__ import annotations

import json

import strawberry
from graphql import parse, validate

from graph_service.ontology.model import DomainModel
from graph_service.products.catalog_fields import field_entries, product_example, stream_example, type_text
from graph_service.products.graphql import build_query_type
from graph_service.products.registry import ProductRegistry
from graph_service.products.shape import NodeShape, ShapeField
from tests.support.paths import REPO


class _Access:
    def __init__(self, registry: ProductRegistry) -> None:
        self.registry = registry

    timeout_s = None

    async def run_async(self, product: object, values: object) -> list[object]:
        return []

    def latest_result(self, product: object) -> None:
        return None


def _registry(model: DomainModel) -> ProductRegistry:
    return ProductRegistry.load([REPO / "queries"], [REPO / "shapes" / "products"], model)


def test_every_example_is_valid_against_the_product_schema(model: DomainModel) -> None:
    registry = _registry(model)
    schema = strawberry.Schema(query=build_query_type(_Access(registry)))
    for product in registry:
        example = product_example(product.field_name, product.shape.row, product.descriptor.parameters)
        errors = validate(schema._schema, parse(example.query))
        assert not errors, (product.key, example.query, errors)
        needed = [p.name for p in product.descriptor.parameters if p.required and p.default is None]
        assert sorted(json.loads(example.variables)) == sorted(needed)


def test_fields_follow_the_shape_and_name_their_ontology_term(model: DomainModel) -> None:
    for product in _registry(model):
        entries = field_entries(product.shape.row, model)
        top = [e.path for e in entries if "." not in e.path]
        assert top == [f.name for f in product.shape.row.fields]
        for entry in entries:
            name = entry.path.rsplit(".", 1)[-1]
            term = model.datatype_properties.get(name) or model.relations.get(name)
            assert entry.ontology_term == (f"ds:{name}" if term else None)
            if term is not None:
                assert entry.ontology_definition == (term.definition() or None)
                assert entry.glossary_href and entry.glossary_href.startswith("context-")


def test_types_read_as_graphql_writes_them() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    nested = NodeShape("urn:n", ())
    assert type_text(ShapeField("a", "urn:a", datatype=xsd + "string", required=True)) == "String!"
    assert type_text(ShapeField("b", "urn:b", datatype=xsd + "decimal")) == "Float"
    assert type_text(ShapeField("c", "urn:c", datatype=xsd + "integer", many=True)) == "[Int!]!"
    assert type_text(ShapeField("d", "urn:d", node=nested)) == "OBJECT"


def test_a_stream_example_subscribes_to_its_versioned_field() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    shape = NodeShape("urn:s", (ShapeField("oee", "urn:oee", datatype=xsd + "decimal"),))
    example = stream_example("equipmentOeeV1", shape)
    document = parse(example.query)
    assert document.definitions[0].operation.value == "subscription"
    assert "equipmentOeeV1 {" in example.query and "data {\n      oee" in example.query
