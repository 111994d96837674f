"""The payload contracts of shapes/events/ are compiled from the ontology and the mappings.

Tested three ways, as every generator: key fragments (a facet of the ontology shows in the contract
of each event reading the property), the whole output (the committed files are what the generator
writes now), and a re-parse by the consumer (rdflib, and the fast validator compiling them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDF, SH, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from typer.testing import CliRunner

from graph_service.cli.main import app as cli
from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from loaders.contracts import (
    compiled_validator,
    event_table,
    generated_files,
    payload_contracts,
    stale_files,
    with_event_table,
)
from loaders.errors import MappingError
from loaders.mapping import Mapper, load_mappings
from loaders.payload_rdf import DSP, focus_iri
from loaders.validation import PayloadValidator
from tests.support.paths import EVENT_SHAPES_DIR, MAPPINGS_DIR, ONTOLOGY_DIR, REPO

DS = Namespace("https://w3id.org/digispine/ontology#")
DSS = Namespace("https://w3id.org/digispine/shapes/events#")


@pytest.fixture(scope="module")
def mapper(model: DomainModel) -> Mapper:
    return load_mappings(MAPPINGS_DIR, model)


def contract_graph(model: DomainModel, mapper: Mapper) -> Graph:
    graph = Graph()
    for text in payload_contracts(model, mapper).values():
        graph.parse(data=text, format="turtle")
    return graph


def member_shape(graph: Graph, node: URIRef, member: str) -> URIRef:
    [shape] = [p for p in graph.objects(node, SH.property) if graph.value(p, SH.path) == DSP[member]]
    return shape  # type: ignore[return-value]


# -- the whole output --------------------------------------------------------------------------
def test_the_committed_event_contracts_and_event_table_are_up_to_date(
    model: DomainModel, mapper: Mapper
) -> None:
    expected = generated_files(model, mapper, EVENT_SHAPES_DIR)
    assert stale_files(expected, EVENT_SHAPES_DIR) == [], "run `digispine ontology shapes` and commit"
    docs = (REPO / "docs" / "loaders.md").read_text(encoding="utf-8")
    assert with_event_table(docs, event_table(model, mapper)) == docs, "run `digispine ontology shapes`"


def test_shapes_check_passes_on_the_repository_and_fails_on_a_stale_copy(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shutil.copytree(REPO / "shapes", shapes)
    env = {"DIGISPINE_SHAPES_DIR": str(shapes), "DIGISPINE_ONTOLOGY_DIR": str(ONTOLOGY_DIR)}
    docs = ["--docs", str(REPO / "docs" / "loaders.md")]
    fresh = CliRunner().invoke(cli, ["ontology", "shapes", "--check", *docs], env=env)
    assert fresh.exit_code == 0, fresh.output
    erp = shapes / "events" / "erp.ttl"
    erp.write_text(erp.read_text(encoding="utf-8").replace("sh:minCount 1", "sh:minCount 0", 1))
    stale = CliRunner().invoke(cli, ["ontology", "shapes", "--check", *docs], env=env)
    assert stale.exit_code == 1 and f"{erp}: out of date" in stale.output


# -- key fragments: what the ontology and the mapping say ----------------------------------------
def test_an_enumeration_of_the_ontology_is_the_contract_of_every_member_reading_it(
    model: DomainModel, mapper: Mapper
) -> None:
    graph = contract_graph(model, mapper)
    allowed = model.datatype_properties["materialType"].facets.allowed
    assert allowed, "ds:materialType lists its values in the ontology"
    shape = member_shape(graph, DSS.MaterialMasterChangedShape, "materialType")
    assert sorted(str(v) for v in Collection(graph, graph.value(shape, SH["in"]))) == list(allowed)


def test_a_pattern_and_a_bound_of_the_ontology_reach_a_nested_list_member(
    model: DomainModel, mapper: Mapper
) -> None:
    graph = contract_graph(model, mapper)
    items = graph.value(member_shape(graph, DSS.SalesOrderCreatedShape, "items"), SH.node)
    material = member_shape(graph, items, "materialNumber")
    pattern = model.datatype_properties["materialNumber"].facets.pattern
    assert pattern is not None and graph.value(material, SH.pattern) == Literal(pattern)
    quantity = member_shape(graph, items, "quantity")
    bound = model.datatype_properties["orderedQuantity"].facets.min_exclusive
    assert bound is not None and float(graph.value(quantity, SH.minExclusive)) == float(bound)


def test_keys_of_entities_an_event_always_names_are_required_and_optional_ones_are_not(
    model: DomainModel, mapper: Mapper
) -> None:
    graph = contract_graph(model, mapper)
    movement = DSS.GoodsMovementPostedShape
    assert graph.value(member_shape(graph, movement, "documentNumber"), SH.minCount) == Literal(1)
    assert graph.value(member_shape(graph, movement, "storageLocation"), SH.minCount) is None


def test_every_contract_parses_and_compiles_for_the_fast_validator(
    model: DomainModel, mapper: Mapper, tmp_path: Path
) -> None:
    for path, text in generated_files(model, mapper, tmp_path).items():
        Graph().parse(data=text, format="turtle")
        path.write_text(text, encoding="utf-8")
    validator = PayloadValidator.from_directory(tmp_path)
    assert {m.event_class for m in mapper.by_type.values()} <= set(validator.by_class)


def test_every_node_shape_and_member_is_documented(model: DomainModel, mapper: Mapper) -> None:
    graph = contract_graph(model, mapper)
    for shape in set(graph.subjects(RDF.type, SH.NodeShape)):
        assert graph.value(shape, SH.name) and graph.value(shape, SH.description), shape
        for prop in graph.objects(shape, SH.property):
            assert graph.value(prop, SH.description), (shape, graph.value(prop, SH.path))


# -- a new event type: the ontology term and one mapping entry --------------------------------
NEW_EVENT = """
ds:LotRelabelled a owl:Class ;
    rdfs:subClassOf ds:DomainEvent ;
    rdfs:label "Lot relabelled"@en , "Charge umetikettiert"@de ;
    skos:definition "A lot got a new status label at the warehouse."@en ;
    ds:boundedContext "events" ;
    ds:affects ds:Lot ;
    ds:emittedBy "qms" .
"""

NEW_MAPPING = """
  - type: digispine.qms.LotRelabelled.v1
    event: LotRelabelled
    entities:
      lot:
        class: Lot
        key: {lotNumber: lot}
        set: {lotQuantity: quantity}
"""


def new_event_type(tmp_path: Path) -> tuple[DomainModel, Mapper]:
    ontology, mappings = tmp_path / "ontology", tmp_path / "mappings"
    shutil.copytree(ONTOLOGY_DIR, ontology)
    shutil.copytree(MAPPINGS_DIR, mappings)
    with (ontology / "events.ttl").open("a", encoding="utf-8") as events:
        events.write(NEW_EVENT)
    with (mappings / "qms.yaml").open("a", encoding="utf-8") as qms:
        qms.write(NEW_MAPPING)
    model = load_model(ontology)
    return model, load_mappings(mappings, model)


def test_a_new_event_type_gets_its_contract_from_the_ontology_term_and_one_mapping_entry(
    tmp_path: Path,
) -> None:
    model, mapper = new_event_type(tmp_path)
    shapes = tmp_path / "shapes"
    shutil.copytree(EVENT_SHAPES_DIR / "extra", shapes / "extra")
    for path, text in generated_files(model, mapper, shapes).items():
        path.write_text(text, encoding="utf-8")
    validator = PayloadValidator.from_directory(shapes)
    assert validator.validate("LotRelabelled", "e-1", {"lot": "L-1", "quantity": 4}) == []
    broken = validator.validate("LotRelabelled", "e-2", {"lot": "L 1", "quantity": -4})
    assert {(v.path, v.component) for v in broken} == {
        (str(DSP.lot), "PatternConstraintComponent"),
        (str(DSP.quantity), "MinExclusiveConstraintComponent"),
    }
    missing = validator.validate("LotRelabelled", "e-3", {"quantity": 4})
    assert [(v.focus, v.path, v.component) for v in missing] == [
        (focus_iri("e-3"), str(DSP.lot), "MinCountConstraintComponent")
    ]
    assert "| `digispine.qms.LotRelabelled.v1` | Lot relabelled (Charge umetikettiert) | qms | Lot |" in (
        event_table(model, mapper)
    )


def test_a_member_read_as_two_types_is_refused_naming_the_mapping(tmp_path: Path) -> None:
    model = load_model(ONTOLOGY_DIR)
    (tmp_path / "m.yaml").write_text(
        """\
source: erp
events:
  - type: digispine.erp.SalesOrderCreated.v1
    event: SalesOrderCreated
    entities:
      order:
        class: SalesOrder
        key: {salesOrderNumber: number}
        set: {totalNetAmount: number}
""",
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as caught:
        payload_contracts(model, load_mappings(tmp_path, model))
    message = str(caught.value)
    assert "m.yaml:3" in message and "number" in message and "xsd:decimal and xsd:string" in message


def test_the_loader_compiles_the_contract_of_a_mapped_class_no_shape_file_has(tmp_path: Path) -> None:
    model, mapper = new_event_type(tmp_path)
    validator = compiled_validator(EVENT_SHAPES_DIR, model, mapper)  # the repository's files only
    assert validator.has_shape("LotRelabelled") and validator.has_shape("SalesOrderCreated")
    found = {v.component for v in validator.validate("LotRelabelled", "e-1", {"quantity": 0})}
    assert found == {"MinCountConstraintComponent", "MinExclusiveConstraintComponent"}
