"""The compiler turns the fixture ontology into the DomainModel others code against."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import pickle
from pathlib import Path

import pytest

from graph_service.ontology import (
    DomainModel,
    OntologyError,
    UnknownTermError,
    compile_ontology,
    load_model,
)
from graph_service.ontology.compiler import compile_sources
from graph_service.ontology.sources import parse_sources

from .conftest import GOOD, append, klass, prop, relation


@pytest.fixture(scope="module")
def model() -> DomainModel:
    result = compile_ontology(GOOD)
    assert result.problems == ()
    assert result.model is not None
    return result.model


# -- types ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "xsd", "neo4j", "python", "graphql"),
    [
        ("lotNumber", "string", "STRING", str, "String"),
        ("pieceCount", "integer", "INTEGER", int, "Int"),
        ("quantity", "decimal", "FLOAT", decimal.Decimal, "Decimal"),
        ("temperature", "double", "FLOAT", float, "Float"),
        ("released", "boolean", "BOOLEAN", bool, "Boolean"),
        ("expiryDate", "date", "DATE", datetime.date, "Date"),
        ("producedAt", "dateTime", "ZONED DATETIME", datetime.datetime, "DateTime"),
        ("cycleTime", "duration", "DURATION", str, "String"),
        ("specification", "anyURI", "STRING", str, "String"),
    ],
)
def test_each_xsd_range_maps_to_neo4j_python_and_graphql_types(
    model: DomainModel, name: str, xsd: str, neo4j: str, python: type, graphql: str
) -> None:
    prop_ = model.datatype_properties[name]
    assert (prop_.xsd, prop_.neo4j_type, prop_.python_type, prop_.graphql_type) == (
        xsd,
        neo4j,
        python,
        graphql,
    )


def test_unsupported_xsd_range_is_reported_and_the_property_left_out(onto: Path) -> None:
    append(onto, "production", prop("weightInGrams", range_="xsd:float"))
    result = compile_ontology(onto)
    (problem,) = result.errors
    assert (problem.code, problem.term) == ("unknown-datatype", "ds:weightInGrams")
    assert "xsd:decimal" in problem.message  # says what to use instead
    assert result.model is not None
    assert "weightInGrams" not in result.model.datatype_properties


def test_functional_and_multi_valued_datatype_properties(model: DomainModel) -> None:
    assert model.datatype_properties["lotNumber"].functional
    assert not model.datatype_properties["serialNumbers"].functional


def test_personal_data_flag_comes_from_the_annotation(model: DomainModel) -> None:
    assert model.datatype_properties["email"].personal_data
    assert not model.datatype_properties["personId"].personal_data


# -- classes and keys -------------------------------------------------------------------------


def test_a_class_declaring_owl_has_key_has_that_key(model: DomainModel) -> None:
    lot = model.cls("Lot")
    assert lot.key == ("lotNumber",)
    assert lot.key_declared


def test_a_subclass_inherits_the_key_of_its_nearest_keyed_superclass(model: DomainModel) -> None:
    work_center = model.cls("WorkCenter")
    assert work_center.key == ("equipmentId",)
    assert not work_center.key_declared


def test_events_inherit_the_event_id_key(model: DomainModel) -> None:
    assert model.cls("LotProduced").key == ("eventId",)


def test_keyed_classes_are_those_declaring_a_key(model: DomainModel) -> None:
    assert [c.name for c in model.keyed_classes()] == [
        "DomainEvent",
        "Equipment",
        "Lot",
        "Person",
    ]


def test_a_concrete_class_without_any_key_is_an_error_suggesting_one(onto: Path) -> None:
    append(onto, "production", klass("Batch") + prop("batchNumber", domain="Batch"))
    result = compile_ontology(onto)
    (problem,) = result.errors
    assert (problem.code, problem.term) == ("missing-key", "ds:Batch")
    assert "owl:hasKey ( ds:batchNumber )" in problem.message


def test_an_abstract_class_needs_no_key(onto: Path) -> None:
    append(onto, "production", klass("Resource", abstract=True))
    result = compile_ontology(onto)
    assert result.errors == ()
    assert result.model is not None and result.model.cls("Resource").abstract


def test_a_key_on_a_property_of_another_class_is_reported(onto: Path) -> None:
    append(onto, "production", klass("Tool", key="lotNumber"))
    result = compile_ontology(onto)
    assert {(p.code, p.term) for p in result.errors} == {("key-not-property", "ds:Tool")}


def test_hierarchy_lists_parents_and_ancestors_nearest_first(model: DomainModel) -> None:
    work_center = model.cls("WorkCenter")
    assert work_center.parents == ("Equipment",)
    assert work_center.ancestors == ("Equipment", "Entity")
    assert model.subclasses("Equipment") == ("Machine", "WorkCenter")
    assert model.subclasses("Entity") == ("Equipment", "Lot", "Machine", "Party", "Person", "WorkCenter")


def test_neo4j_labels_include_every_ancestor_up_to_the_root(model: DomainModel) -> None:
    assert model.labels_for("WorkCenter") == ("WorkCenter", "Equipment", "Entity")
    assert model.labels_for("LotProduced") == ("LotProduced", "DomainEvent")


def test_a_subclass_cycle_is_reported(onto: Path) -> None:
    append(onto, "production", klass("Tool", parent="Fixture", key="equipmentId"))
    append(onto, "production", klass("Fixture", parent="Tool", key="equipmentId"))
    result = compile_ontology(onto)
    assert {("subclass-cycle", "ds:Tool"), ("subclass-cycle", "ds:Fixture")} <= {
        (p.code, p.term) for p in result.errors
    }


def test_entity_and_event_classes_are_told_apart(model: DomainModel) -> None:
    assert [c.name for c in model.event_classes()] == ["LotProduced"]
    assert [c.name for c in model.event_classes(include_abstract=True)] == [
        "DomainEvent",
        "LotProduced",
    ]
    assert [c.name for c in model.entity_classes()] == ["Equipment", "Lot", "Machine", "Person", "WorkCenter"]


def test_events_name_what_they_affect_and_who_emits_them(model: DomainModel) -> None:
    event = model.cls("LotProduced")
    assert event.is_event
    assert event.affects == ("Lot", "WorkCenter")
    assert event.emitted_by == "mes"


def test_external_superclasses_and_matches_are_alignments_not_parents(model: DomainModel) -> None:
    assert model.cls("DomainEvent").parents == ()
    assert model.cls("DomainEvent").alignments == (("rdfs:subClassOf", "http://www.w3.org/ns/prov#Activity"),)
    assert model.cls("Equipment").alignments == (("skos:closeMatch", "https://w3id.org/isa95/Equipment"),)


# -- language ---------------------------------------------------------------------------------


def test_labels_definitions_and_alt_labels_are_kept_per_language(model: DomainModel) -> None:
    lot = model.cls("Lot")
    assert dict(lot.labels) == {"en": "Lot", "de": "Los"}
    assert lot.definitions["de"] == "Eine gemeinsam hergestellte Materialmenge."
    assert dict(lot.alt_labels) == {"de": ("Charge",), "en": ("Batch",)}
    assert lot.label("de") == "Los"
    assert lot.label("fr") == "Lot"  # falls back to English
    assert lot.bounded_context == "production"


def test_two_labels_in_one_language_are_an_error(onto: Path) -> None:
    append(onto, "production", 'ds:Lot rdfs:label "Charge"@de .')
    result = compile_ontology(onto)
    assert {(p.code, p.term) for p in result.errors} == {("duplicate-label", "ds:Lot")}


# -- relations --------------------------------------------------------------------------------


def test_relations_get_upper_snake_types_and_cardinality(model: DomainModel) -> None:
    produced_from = model.relations["producedFrom"]
    assert (produced_from.rel_type, produced_from.to_many) == ("PRODUCED_FROM", True)
    assert (produced_from.domain, produced_from.range) == ("Lot", "Lot")
    produced_on = model.relations["producedOn"]
    assert (produced_on.rel_type, produced_on.to_many) == ("PRODUCED_ON", False)


def test_a_reverse_property_is_not_stored_and_names_what_it_inverts(model: DomainModel) -> None:
    reverse = model.relations["producedLots"]
    assert reverse.inverse_of == "producedOn"
    assert not reverse.stored
    assert reverse.rel_type == "PRODUCED_ON"  # read against the arrow
    assert (reverse.domain, reverse.range) == ("WorkCenter", "Lot")
    assert model.relations["producedOn"].inverse == "producedLots"


def test_relations_from_and_to_list_stored_relations_including_inherited(
    model: DomainModel,
) -> None:
    assert [r.name for r in model.relations_from("WorkCenter")] == ["operator"]
    assert [r.name for r in model.relations_from("Lot")] == ["producedFrom", "producedOn"]
    assert [r.name for r in model.relations_to("WorkCenter")] == ["producedOn"]
    assert [r.name for r in model.relations_to("Person")] == ["operator"]


def test_properties_of_lists_own_then_inherited(model: DomainModel) -> None:
    assert [p.name for p in model.properties_of("Machine")] == [
        "temperature",
        "equipmentId",
        "name",
    ]


def test_a_reverse_property_with_wrong_ends_is_reported(onto: Path) -> None:
    append(
        onto,
        "production",
        relation("lotsOfMachine", "Machine", "Lot", extra="owl:inverseOf ds:producedOn"),
    )
    result = compile_ontology(onto)
    assert {(p.code, p.term) for p in result.errors} == {("inverse-mismatch", "ds:lotsOfMachine")}


def test_inverse_of_a_reverse_property_is_reported(onto: Path) -> None:
    append(
        onto,
        "production",
        relation("workCenterOfLot", "Lot", "WorkCenter", extra="owl:inverseOf ds:producedLots"),
    )
    result = compile_ontology(onto)
    assert ("inverse-target", "ds:workCenterOfLot") in {(p.code, p.term) for p in result.errors}


def test_a_relation_to_an_undeclared_class_is_a_dangling_reference(onto: Path) -> None:
    append(onto, "production", relation("storedIn", "Lot", "Warehous"))
    result = compile_ontology(onto)
    (problem,) = result.errors
    assert (problem.code, problem.term) == ("dangling-reference", "ds:Warehous")


# -- model behaviour --------------------------------------------------------------------------


def test_unknown_class_names_close_matches(model: DomainModel) -> None:
    with pytest.raises(UnknownTermError) as caught:
        model.cls("Workcenter")
    assert "WorkCenter" in str(caught.value)
    assert isinstance(caught.value, KeyError)


def test_term_finds_classes_properties_and_relations(model: DomainModel) -> None:
    assert model.term("Lot").name == "Lot"
    assert model.term("lotNumber").name == "lotNumber"
    assert model.term("producedOn").name == "producedOn"
    with pytest.raises(UnknownTermError):
        model.term("nothingLikeThis")


def test_the_model_is_immutable(model: DomainModel) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.cls("Lot").key = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        model.classes["Other"] = model.cls("Lot")  # type: ignore[index]
    with pytest.raises(TypeError):
        model.cls("Lot").labels["fr"] = "Lot"  # type: ignore[index]


def test_the_model_and_its_terms_can_be_cache_keys(model: DomainModel) -> None:
    assert {model: 1}[compile_ontology(GOOD).model] == 1  # type: ignore[index]
    assert len({model.cls("Lot"), model.cls("Lot"), model.cls("WorkCenter")}) == 2


def test_the_model_survives_pickling(model: DomainModel) -> None:
    assert pickle.loads(pickle.dumps(model)) == model


def test_modules_version_and_source_locations(model: DomainModel) -> None:
    assert [m.name for m in model.modules] == ["core", "events", "production"]
    assert model.version == "1.0.0"
    assert model.namespace == "https://w3id.org/digispine/ontology#"
    source = model.cls("Lot").source
    assert source is not None and source.file.endswith("production.ttl")
    lines = (GOOD / "production.ttl").read_text(encoding="utf-8").splitlines()
    assert lines[source.line - 1].startswith("ds:Lot a owl:Class")


def test_content_hash_follows_the_bytes_not_the_location(onto: Path) -> None:
    first = compile_ontology(GOOD).model
    copy = compile_ontology(onto).model
    assert first is not None and copy is not None
    assert first.content_hash == copy.content_hash
    append(onto, "production", "# a comment changes the bytes")
    changed = compile_ontology(onto).model
    assert changed is not None and changed.content_hash != first.content_hash


def test_compiling_parsed_sources_is_the_same_as_compiling_the_directory() -> None:
    assert compile_sources(parse_sources(GOOD)) == compile_ontology(GOOD)


# -- load_model and its cache -----------------------------------------------------------------


def test_load_model_raises_with_every_error_listed(onto: Path) -> None:
    append(onto, "production", klass("Batch") + klass("Crate"))
    with pytest.raises(OntologyError) as caught:
        load_model(onto)
    assert {(p.code, p.term) for p in caught.value.problems} == {
        ("missing-key", "ds:Batch"),
        ("missing-key", "ds:Crate"),
    }
    assert "ds:Batch" in str(caught.value) and "ds:Crate" in str(caught.value)


def test_load_model_uses_the_cache_until_the_ontology_changes(
    onto: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = load_model(onto, cache_dir=cache)
    assert list((cache / "ontology").glob("model-*.pickle"))

    def no_compiling(directory: Path) -> None:
        raise AssertionError("compiled although cached")

    monkeypatch.setattr("graph_service.ontology.compiler.compile_ontology", no_compiling)
    assert load_model(onto, cache_dir=cache) == first
    monkeypatch.undo()
    append(onto, "production", klass("Crate", key="lotNumber", parent="Lot"))
    assert "Crate" in load_model(onto, cache_dir=cache).classes


def test_a_corrupt_cache_entry_is_compiled_again(onto: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_model(onto, cache_dir=cache)
    for entry in (cache / "ontology").glob("model-*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert load_model(onto, cache_dir=cache) == first
