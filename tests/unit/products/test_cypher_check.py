"""Static checks of product queries against the descriptor and the ontology."""

from __future__ import annotations

from pathlib import Path

from graph_service.ontology.model import DomainModel
from graph_service.products.cypher_check import check_query, parameters_used
from graph_service.products.descriptor import Descriptor
from graph_service.products.parameters import Parameter

DESCRIPTOR = Descriptor(
    name="sample",
    version="1.0.0",
    title="t",
    domain="production",
    owner="o",
    description="d",
    freshness_sla="PT1M",
    output_shape="urn:x",
    parameters=(Parameter("lotNumber", "String"), Parameter("unused", "Int")),
    file=Path("queries/sample/v1/product.yaml"),
)


def messages(cypher: str, model: DomainModel) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in check_query(cypher, Path("q.cypher"), DESCRIPTOR, model)]


def test_labels_and_relationship_types_must_be_in_the_ontology(model: DomainModel) -> None:
    cypher = """MATCH (l:Lot {lotNumber: $lotNumber})
// comments and 'strings' are not code: (:Nothing) [:NOPE]
MATCH (l)<-[:SHIP_LOT]-(:ShipmentItem)-[r:ITEM_OF_SHIPMENT|SHIPS_TOO]->(s:Shipmnt)
WHERE l:Lott AND s.note = '(:Fake)'
RETURN l"""
    found = messages(cypher, model)
    assert (3, "relationship type SHIP_LOT is not in the ontology; did you mean SHIPS_LOT?") in found
    assert (3, "relationship type SHIPS_TOO is not in the ontology; did you mean SHIPS_TO?") in found
    assert (3, "label Shipmnt is not in the ontology; did you mean Shipment?") in found
    assert (4, "label Lott is not in the ontology; did you mean Lot?") in found
    assert not any("Nothing" in m or "NOPE" in m or "Fake" in m for _, m in found)


def test_parameters_must_be_declared_and_used(model: DomainModel) -> None:
    found = messages("MATCH (l:Lot) WHERE l.lotNumber = $lotNumber OR l.lotNumber = $other RETURN l", model)
    assert (
        1,
        "$other is not a parameter of sample/1.0.0; declare it under parameters in product.yaml",
    ) in found
    assert (1, "parameter 'unused' is declared but never used in the query") in found
    assert parameters_used("RETURN $a, '$b', $c // $d") == {"a", "c"}


def test_queries_are_read_only(model: DomainModel) -> None:
    found = messages("MATCH (l:Lot {lotNumber: $lotNumber}) SET l.x = $unused RETURN l", model)
    assert (1, "SET: data product queries are read-only") in found
