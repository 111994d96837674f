"""Code lists: closed only when every write of a property is a constant or a shape's sh:in field."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from graph_service.ontology.compiler import load_model
from loaders.code_lists import by_queried_class, code_lists
from loaders.mapping import EntitySpec, EventMapping, Mapper, ValueSpec

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ds: <https://w3id.org/digispine/ontology#> .
@prefix dsp: <https://w3id.org/digispine/payload#> .
[] a sh:NodeShape ; sh:targetClass ds:Changed ;
   sh:property [ sh:path dsp:state ] , [ sh:path dsp:note ] .
# a hand-written addition to the generated shape: its list counts
[] a sh:NodeShape ; sh:targetClass ds:Changed ; sh:property [ sh:path dsp:state ; sh:in ( "A" "B" ) ] .
"""


def mapping(event: str, **props: ValueSpec) -> EventMapping:
    entity = EntitySpec("x", "Thing", "Thing", ("Thing",), (), tuple(props.items()), None)
    return EventMapping(f"t.{event}", event, (event,), "s", (entity,), (), "f.yaml", 1)


def lists(*mappings: EventMapping) -> dict:
    return code_lists(Mapper({m.type: m for m in mappings}), Graph().parse(data=SHAPES, format="turtle"))


def test_a_shape_list_and_constants_close_a_property_and_one_open_write_opens_it() -> None:
    shaped = mapping("Changed", state=ValueSpec(path=("state",)), other=ValueSpec(path=("note",)))
    created = mapping("Created", state=ValueSpec(const="NEW"))
    assert lists(shaped, created)[("Thing", "state")] == {"A", "B", "NEW"}
    assert lists(shaped, created)[("Thing", "other")] is None  # a field without sh:in is free text
    free = mapping("Other", state=ValueSpec(template="{a}-{b}"))
    assert lists(shaped, created, free)[("Thing", "state")] is None


def test_constants_alone_are_no_declared_code_list() -> None:
    assert lists(mapping("Created", state=ValueSpec(const="NEW")))[("Thing", "state")] is None


def test_a_superclass_query_meets_its_subclasses_codes() -> None:
    model = load_model(Path(__file__).resolve().parents[3] / "ontology")
    sub, sup = next((c.name, c.ancestors[0]) for c in model.entity_classes() if c.ancestors)
    table = {(sub, "status"): frozenset({"A"})}
    resolved = by_queried_class(model, table)
    assert resolved[(sub, "status")] == {"A"} and resolved[(sup, "status")] == {"A"}
    assert by_queried_class(model, {**table, (sup, "status"): None}).get((sup, "status")) is None
