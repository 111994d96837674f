"""What the RDF view holds: personal data in its own graph, one bad value costs only itself."""

from __future__ import annotations

import pyoxigraph as ox

from graph_service.ontology.model import DomainModel
from graph_service.rdf.mapping import NodeRecord
from graph_service.rdf.view import PERSONAL_GRAPH, RdfView, Skipped, ViewLimits, _dataset


def view(model: DomainModel, max_literal_bytes: int = 4096) -> RdfView:
    # the Neo4j store is only used by refresh(), which these tests do not call
    return RdfView(None, model, limits=ViewLimits(max_literal_bytes=max_literal_bytes))  # type: ignore[arg-type]


def contact(model: DomainModel, **props: object) -> NodeRecord:
    return NodeRecord([model.classes["Contact"].neo4j_label], {"contactId": "C-1", **props}, [])


def test_personal_values_go_to_the_personal_graph_only(model: DomainModel) -> None:
    rdf = view(model)
    skipped: dict[str, list[Skipped]] = {}
    record = contact(model, email="ann@example.com", contactRole="buyer")
    lines = rdf._quad_lines(list(rdf.mapper.triples(record)), skipped)
    target = ox.Store()
    rdf._put(target, [lines], skipped, bulk=False)
    email = ox.NamedNode(model.datatype_properties["email"].iri)
    role = ox.NamedNode(model.datatype_properties["contactRole"].iri)
    assert [q.graph_name for q in target.quads_for_pattern(None, email, None, None)] == [
        ox.NamedNode(PERSONAL_GRAPH)
    ]
    assert [q.graph_name for q in target.quads_for_pattern(None, role, None, None)] == [ox.DefaultGraph()]
    assert not skipped


def test_the_dataset_of_a_caller_without_personal_data_has_no_personal_graph(model: DomainModel) -> None:
    rdf = view(model)
    target = ox.Store()
    record = contact(model, email="ann@example.com")
    rdf._put(target, [rdf._quad_lines(list(rdf.mapper.triples(record)), {})], {}, bulk=True)
    sneaky = (
        f"SELECT ?o FROM <{PERSONAL_GRAPH}> FROM NAMED <{PERSONAL_GRAPH}> "
        "WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    )
    hidden = {str(row["o"]) for row in target.query(sneaky, **_dataset(False))}
    shown = {str(row["o"]) for row in target.query(sneaky, **_dataset(True))}
    assert not any("ann@example.com" in value for value in hidden)
    assert any("ann@example.com" in value for value in shown)


def test_an_oversized_literal_is_left_out_with_its_reason(model: DomainModel) -> None:
    rdf = view(model, max_literal_bytes=4096)
    skipped: dict[str, list[Skipped]] = {}
    record = contact(model, contactRole="é" * 3000, email="ann@example.com")  # 6000 bytes, 3000 chars
    lines = rdf._quad_lines(list(rdf.mapper.triples(record)), skipped)
    assert not any("é" in line for line in lines) and any("ann@example.com" in line for line in lines)
    [entry] = skipped[next(iter(skipped))]
    assert entry.reason == "literal-too-large" and "6,002 bytes" in entry.detail
    assert entry.as_dict(rdf.mapper.property_names)["property"] == "Contact.contactRole"


def test_a_line_the_parser_refuses_costs_only_itself(model: DomainModel) -> None:
    rdf = view(model)
    good = ['<urn:a> <urn:p> "1" .\n', '<urn:a> <urn:q> "2" .\n']
    bad = ['<urn:b> <urn:p> "3" .\n', '<urn:b b> <urn:p> "broken IRI" .\n']
    others = ['<urn:c> <urn:p> "4" .\n']
    for bulk in (False, True):
        target = ox.Store()
        skipped: dict[str, list[Skipped]] = {}
        rdf._put(target, [good, bad, others], skipped, bulk=bulk)
        assert len(target) == 4, bulk
        assert [e.reason for e in skipped["<urn:b"]] == ["unloadable"]
