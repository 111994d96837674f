"""The schema generated from the repository's ontology: types, fields, descriptions, names."""

from __future__ import annotations

import re

import pytest
import strawberry
from graphql import GraphQLInterfaceType, GraphQLObjectType, build_schema

from graph_service.api.graphql import make_schema
from graph_service.api.graphql.fields import TypeIndex, all_class_fields
from graph_service.ontology.model import DomainModel
from tests.unit.api.fakes import FakeStore


@pytest.fixture(scope="module")
def schema(model: DomainModel) -> strawberry.Schema:
    return make_schema(model, FakeStore())


def test_the_sdl_reparses_with_graphql_cores_own_parser(schema: strawberry.Schema) -> None:
    reparsed = build_schema(schema.as_str())
    assert reparsed.query_type is not None and "salesOrders" in reparsed.query_type.fields


def test_every_class_has_a_type_and_every_property_a_field(
    schema: strawberry.Schema, model: DomainModel
) -> None:
    core = schema._schema
    fields = all_class_fields(model)
    for name, type_name in TypeIndex.of(model).node_types.items():
        graphql_type = core.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType), name
        assert set(fields[name].properties) <= set(graphql_type.fields), name
        assert set(fields[name].relations) <= set(graphql_type.fields), name


def test_classes_with_subclasses_are_interfaces_their_subclasses_implement(schema: strawberry.Schema) -> None:
    core = schema._schema
    equipment = core.get_type("Equipment")
    assert isinstance(equipment, GraphQLInterfaceType)
    implementations = {t.name for t in core.get_possible_types(equipment)}
    assert implementations == {"Area", "WorkCenter", "WorkUnit", "OtherEquipment"}
    work_center = core.get_type("WorkCenter")
    assert {i.name for i in work_center.interfaces} == {"Equipment", "Entity"}  # type: ignore[union-attr]


def test_descriptions_come_from_the_ontologys_definitions(
    schema: strawberry.Schema, model: DomainModel
) -> None:
    core = schema._schema
    sales_order = core.get_type("SalesOrder")
    assert model.cls("SalesOrder").definition("en") in (sales_order.description or "")
    field = sales_order.fields["requestedDeliveryDate"]  # type: ignore[union-attr]
    assert model.datatype_properties["requestedDeliveryDate"].definition("en") in (field.description or "")
    email = core.get_type("Person").fields["email"]  # type: ignore[union-attr]
    assert "personal data" in (email.description or "")


def test_scalars_follow_the_xsd_table(schema: strawberry.Schema) -> None:
    sdl = schema.as_str()
    for field, scalar in [
        ("totalNetAmount", "Decimal"),
        ("orderDate", "Date"),
        ("lastEventTime", "DateTime"),
        ("itemNumber", "Int"),
        ("batchManaged", "Boolean"),
        ("sourceSystems", "[String!]"),
    ]:
        assert re.search(rf"\n  {field}: {re.escape(scalar)}\n", sdl), field


def test_relations_are_fields_both_ways(schema: strawberry.Schema) -> None:
    core = schema._schema
    assert str(core.get_type("SalesOrder").fields["hasItem"].type) == "[SalesOrderItem!]!"  # type: ignore[union-attr]
    assert str(core.get_type("SalesOrderItem").fields["itemOf"].type) == "SalesOrder"  # type: ignore[union-attr]
    reverse = core.get_type("Customer").fields["salesOrdersViaOrderedBy"]  # type: ignore[union-attr]
    assert str(reverse.type) == "[SalesOrder!]!"
    assert set(reverse.args) == {"first", "where", "orderBy"}
    assert str(core.get_type("Operation").fields["performedOn"].type) == "Equipment"  # type: ignore[union-attr]


def test_root_fields_by_key_and_as_connections(schema: strawberry.Schema) -> None:
    query = schema._schema.query_type
    assert query is not None
    assert str(query.fields["salesOrder"].args["salesOrderNumber"].type) == "String!"
    assert set(query.fields["salesOrders"].args) == {"first", "after", "where", "orderBy"}
    assert str(query.fields["salesOrders"].type) == "SalesOrderConnection!"
    assert str(query.fields["equipmentList"].type) == "EquipmentConnection!"
    assert "lotProducedEvents" in query.fields and "ontology" in query.fields


def test_no_internal_property_is_exposed(schema: strawberry.Schema) -> None:
    assert "_v_" not in schema.as_str()


def test_extra_root_fields_join_and_win_name_clashes(model: DomainModel) -> None:
    @strawberry.type
    class Extra:
        @strawberry.field  # camel-cased by strawberry: dataProducts
        def data_products(self) -> list[str]:
            return ["catalog"]

        @strawberry.field
        def hello(self) -> str:
            return "hi"

    schema = make_schema(model, FakeStore(), extra_types=[Extra])
    query = schema._schema.query_type
    assert query is not None
    assert str(query.fields["dataProducts"].type) == "[String!]!"
    assert "hello" in query.fields and "dataProduct" in query.fields
    assert schema.execute_sync("{ hello dataProducts }").data == {"hello": "hi", "dataProducts": ["catalog"]}
