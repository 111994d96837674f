"""The RDF reading of an event payload, which the payload shapes in ``shapes/events/`` describe.

A payload (JSON object) becomes a focus node ``urn:digispine:event:<id>`` typed with its event
class; each key ``k`` becomes the property ``dsp:k``; strings are plain literals, numbers
``xsd:decimal``, booleans ``xsd:boolean``; nested objects become nodes
``<focus>/<key>/<index>``; arrays give one value per element; ``null`` gives no value.
The fast validator (:mod:`loaders.validation`) implements exactly this reading without building
the graph; pyshacl on this graph is the reference it is tested against.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

DS = Namespace("https://w3id.org/digispine/ontology#")
DSP = Namespace("https://w3id.org/digispine/payload#")


def focus_iri(event_id: str) -> str:
    return f"urn:digispine:event:{quote(event_id, safe='')}"


def child_iri(parent: str, key: str, index: int) -> str:
    return f"{parent}/{quote(key, safe='')}/{index}"


def json_values(value: Any) -> list[Any]:
    """The RDF values of one JSON member: arrays spread, null vanishes."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return [value]


def literal_for(value: Any) -> Literal:
    if isinstance(value, bool):
        return Literal(value, datatype=XSD.boolean)
    if isinstance(value, int | float):
        return Literal(Decimal(str(value)), datatype=XSD.decimal)
    return Literal(str(value))


def payload_graph(
    event_class: str, event_id: str, payload: dict[str, Any], graph: Graph | None = None
) -> Graph:
    """Add the RDF reading of ``payload`` to ``graph`` (a new one by default) and return it."""
    graph = graph if graph is not None else Graph()
    root = focus_iri(event_id)
    graph.add((URIRef(root), RDF.type, DS[event_class]))
    _add_object(graph, root, payload)
    return graph


def _add_object(graph: Graph, node: str, obj: dict[str, Any]) -> None:
    subject = URIRef(node)
    for key, raw in obj.items():
        for index, value in enumerate(json_values(raw)):
            if isinstance(value, dict):
                child = child_iri(node, key, index)
                graph.add((subject, DSP[key], URIRef(child)))
                _add_object(graph, child, value)
            elif isinstance(value, list):
                graph.add((subject, DSP[key], Literal(str(value))))
            else:
                graph.add((subject, DSP[key], literal_for(value)))
