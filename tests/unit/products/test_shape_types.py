"""Output shapes read into fields, and the GraphQL types generated from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import strawberry

from graph_service.products.errors import Problem
from graph_service.products.graphql_types import generate_type
from graph_service.products.shape import OutputShape, ShapeLibrary
from tests.unit.products.conftest import PREFIXES, write_shapes

SHAPE = "https://w3id.org/digispine/products#SampleV1Shape"


def sample_shape(tmp_path: Path) -> OutputShape:
    library = ShapeLibrary.load([write_shapes(tmp_path)])
    problems: list[Problem] = []
    shape = library.output_shape(SHAPE, problems, tmp_path / "product.yaml")
    assert problems == [] and shape is not None
    return shape


def test_fields_come_in_sh_order_with_type_cardinality_and_nesting(tmp_path: Path) -> None:
    row = sample_shape(tmp_path).row
    assert row.target_class == "https://w3id.org/digispine/products#SampleV1Row"
    assert row.description == "A sample row."
    assert [f.name for f in row.fields] == [
        "lotNumber",
        "ratio",
        "count",
        "day",
        "at",
        "ok",
        "state",
        "tags",
        "shipments",
    ]
    lot, ratio, *_ = row.fields
    assert (lot.required, lot.many, lot.description) == (True, False, "The lot.")
    assert (ratio.required, ratio.many) == (False, False)
    assert row.field("state").allowed == ("A", "B")
    assert row.field("tags").many is True
    shipments = row.field("shipments")
    assert shipments.many and shipments.node is not None
    assert [f.name for f in shipments.node.fields] == ["shipmentNumber", "quantity"]


def test_shape_problems_are_collected(tmp_path: Path) -> None:
    turtle = (
        PREFIXES
        + """
dsq:BadShape a sh:NodeShape ;
    sh:property [ sh:path dsq:when ; sh:datatype xsd:duration ] ,
                [ sh:path ( dsq:a dsq:b ) ; sh:datatype xsd:string ] ,
                [ sh:path dsq:both ; sh:datatype xsd:string ; sh:node dsq:Other ] .
"""
    )
    library = ShapeLibrary.load([write_shapes(tmp_path, turtle, "bad.ttl")])
    problems: list[Problem] = []
    assert (
        library.output_shape("https://w3id.org/digispine/products#BadShape", problems, tmp_path / "p.yaml")
        is None
    )
    messages = " | ".join(p.message for p in problems)
    assert "datatype http://www.w3.org/2001/XMLSchema#duration is not supported" in messages
    assert "plain IRI as sh:path" in messages
    assert "needs exactly one of sh:datatype or sh:node" in messages
    assert "a row shape needs sh:targetClass" in messages
    missing: list[Problem] = []
    assert library.output_shape("urn:nope", missing, tmp_path / "p.yaml") is None
    assert "is not a sh:NodeShape in any shape file" in missing[0].message


def test_the_graphql_type_follows_the_shape(tmp_path: Path) -> None:
    generated = generate_type(sample_shape(tmp_path).row, "SampleV1Row", "A sample row.")

    def rows() -> list:
        return []

    rows.__annotations__ = {"return": list[generated.type]}  # a generated type, known only at run time
    query = strawberry.type(type("Query", (), {"rows": strawberry.field(resolver=rows)}))

    sdl = strawberry.Schema(query=query).as_str()
    assert '"""A sample row."""\ntype SampleV1Row {' in sdl
    for line in (
        '"""The lot."""\n  lotNumber: String!',
        "ratio: Float",
        "count: Int!",
        "day: Date",
        "at: DateTime",
        "ok: Boolean",
        '"""One of: A, B."""\n  state: String',
        "tags: [String!]!",
        "shipments: [SampleV1Shipment!]!",
        "type SampleV1Shipment {\n  shipmentNumber: String!\n  quantity: Float\n}",
    ):
        assert line in sdl, line


def test_rows_become_instances_with_nested_objects_and_lists(tmp_path: Path) -> None:
    generated = generate_type(sample_shape(tmp_path).row, "SampleV1Row")
    instance = generated.build(
        {
            "lotNumber": "L-1",
            "count": 3,
            "day": dt.date(2026, 3, 2),
            "tags": None,
            "shipments": [{"shipmentNumber": "D-1", "quantity": 2.0}, None],
            "unknown": "ignored",
        }
    )
    assert (instance.lotNumber, instance.count, instance.ratio, instance.tags) == ("L-1", 3, None, [])
    (shipment,) = instance.shipments
    assert (type(shipment).__name__, shipment.shipmentNumber, shipment.quantity) == (
        "SampleV1Shipment",
        "D-1",
        2.0,
    )
