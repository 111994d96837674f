"""Rows as RDF: each value keeps its own type, so validation sees what the query returned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, Literal, Namespace, URIRef

from graph_service.products.rows_rdf import describe_node, rows_to_graph, to_literal
from tests.unit.products.test_shape_types import sample_shape

DSQ = Namespace("https://w3id.org/digispine/products#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ROW0 = URIRef("urn:digispine:row:0")


def test_rows_are_typed_nodes_with_one_triple_per_value(tmp_path: Path) -> None:
    shape = sample_shape(tmp_path).row
    graph = rows_to_graph(
        [
            {
                "lotNumber": "L-1",
                "ratio": 0.25,
                "count": 2,
                "day": dt.date(2026, 3, 2),
                "ok": True,
                "tags": ["a", "b"],
                "shipments": [{"shipmentNumber": "D-1", "quantity": 3}],
                "missing": None,
                "extra": "x",
            }
        ],
        shape,
    )
    assert (ROW0, RDF.type, DSQ.SampleV1Row) in graph
    assert (ROW0, DSQ.lotNumber, Literal("L-1")) in graph
    assert (ROW0, DSQ.ratio, Literal(Decimal("0.25"), datatype=XSD.decimal)) in graph
    assert (ROW0, DSQ["count"], Literal(2)) in graph  # DSQ.count would be str.count
    assert (ROW0, DSQ.day, Literal(dt.date(2026, 3, 2))) in graph
    assert (ROW0, DSQ.ok, Literal(True)) in graph
    assert set(graph.objects(ROW0, DSQ.tags)) == {Literal("a"), Literal("b")}
    assert (ROW0, DSQ.extra, Literal("x")) in graph  # an unknown column stays visible to sh:closed
    assert not list(graph.objects(ROW0, DSQ.missing))
    shipment = URIRef("urn:digispine:row:0/shipments/0")
    assert (ROW0, DSQ.shipments, shipment) in graph
    assert (shipment, DSQ.quantity, Literal(Decimal(3), datatype=XSD.decimal)) in graph


def test_values_keep_their_type_and_only_numbers_widen() -> None:
    decimal = str(XSD.decimal)
    assert to_literal(5, decimal).datatype == XSD.decimal
    assert to_literal(0.1, decimal) == Literal(Decimal("0.1"), datatype=XSD.decimal)
    assert to_literal("0.1", decimal).datatype is None  # text stays text: a datatype violation
    assert to_literal(float("nan"), decimal).datatype == XSD.double
    assert to_literal(3.0, str(XSD.integer)).datatype == XSD.double  # a float is no integer
    assert to_literal(True, decimal).datatype == XSD.boolean
    assert to_literal(dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC), str(XSD.dateTime)).datatype == XSD.dateTime
    assert to_literal(dt.timedelta(minutes=5), None) == Literal("0:05:00")


def test_node_iris_tell_the_row_and_the_path_inside_it() -> None:
    assert describe_node("urn:digispine:row:3") == (3, "")
    assert describe_node("urn:digispine:row:3/shipments/0") == (3, "shipments[0]")
    assert describe_node("urn:digispine:row:3/a/1/b/2") == (3, "a[1].b[2]")
    assert describe_node("_:b0") == (None, "")
