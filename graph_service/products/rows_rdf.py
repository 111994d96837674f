"""Output rows as RDF, so pySHACL can check them against the product's output shape.

Each row becomes ``<urn:digispine:row:N> a <row class>``; a nested object becomes
``<urn:digispine:row:N/field/M>``. Values keep their Python type: a number stays a number
(an integer may stand for a decimal, as every integer is one), a text stays a text, so a
column of the wrong type is a ``sh:datatype`` violation. Columns the shape does not name are
kept too, under the products namespace, so a closed shape reports them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from rdflib import RDF, XSD, Graph, Literal, URIRef

from graph_service.products.naming import PRODUCTS_NS
from graph_service.products.shape import DECIMAL_TYPES, NodeShape, ShapeField

ROW_PREFIX = "urn:digispine:row:"
_NODE = re.compile(r"^urn:digispine:row:(\d+)((?:/\w+/\d+)*)$")


def rows_to_graph(rows: Iterable[Mapping[str, Any]], shape: NodeShape) -> Graph:
    """The data graph of ``rows``, each typed with the shape's target class."""
    graph = Graph()
    row_class = URIRef(shape.target_class) if shape.target_class else None
    for index, row in enumerate(rows):
        node = URIRef(f"{ROW_PREFIX}{index}")
        if row_class is not None:
            graph.add((node, RDF.type, row_class))
        _add_object(graph, node, row, shape)
    return graph


def describe_node(iri: str) -> tuple[int | None, str]:
    """``urn:digispine:row:3/shipments/0`` → ``(3, "shipments[0]")``: the row and where inside it."""
    match = _NODE.match(iri)
    if match is None:
        return None, ""
    steps = re.findall(r"/(\w+)/(\d+)", match[2])
    return int(match[1]), ".".join(f"{name}[{index}]" for name, index in steps)


def to_literal(value: Any, datatype: str | None) -> Literal:
    """``value`` as a literal of its own type; numbers are widened to the field's numeric type."""
    expected = URIRef(datatype) if datatype else None
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int | float) and expected in DECIMAL_TYPES:
        return _decimal_literal(value, expected)
    if isinstance(value, int) and expected in (XSD.int, XSD.long):
        return Literal(value, datatype=expected)
    if isinstance(value, int | float | str | dt.date | dt.datetime | Decimal):
        return Literal(value)
    return Literal(str(value))


def _decimal_literal(value: int | float, datatype: URIRef | None) -> Literal:
    if isinstance(value, float) and not math.isfinite(value):
        return Literal(value)  # NaN and infinities are doubles: a datatype violation for decimals
    if datatype == XSD.decimal:
        return Literal(
            Decimal(repr(value)) if isinstance(value, float) else Decimal(value), datatype=XSD.decimal
        )
    return Literal(float(value), datatype=datatype)


def _add_object(graph: Graph, node: URIRef, values: Mapping[str, Any], shape: NodeShape) -> None:
    for key, value in values.items():
        field = shape.field(key)
        predicate = URIRef(field.path) if field else URIRef(PRODUCTS_NS + key)
        items = value if isinstance(value, list) else [value]
        for position, item in enumerate(items):
            if item is None:
                continue
            graph.add((node, predicate, _value(graph, node, key, position, item, field)))


def _value(
    graph: Graph, parent: URIRef, key: str, position: int, item: Any, field: ShapeField | None
) -> URIRef | Literal:
    if isinstance(item, Mapping):
        child = URIRef(f"{parent}/{key}/{position}")
        nested = field.node if field and field.node else NodeShape(iri="", fields=())
        _add_object(graph, child, item, nested)
        return child
    return to_literal(item, field.datatype if field else None)
