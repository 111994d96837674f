"""Names that collide once mapped to Neo4j and GraphQL, or that those systems reserve."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.ontology import compile_ontology
from graph_service.ontology.naming import is_identifier, reserved_reason, upper_snake

from .conftest import append, codes, klass, prop, relation


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("producedFrom", "PRODUCED_FROM"),
        ("hasISA95Level", "HAS_ISA95_LEVEL"),
        ("partOf", "PART_OF"),
        ("produced_from", "PRODUCED_FROM"),
        ("HTTPEndpoint", "HTTP_ENDPOINT"),
    ],
)
def test_relationship_types_are_upper_snake_case(name: str, expected: str) -> None:
    assert upper_snake(name) == expected


def test_identifiers_and_reserved_names() -> None:
    assert is_identifier("WorkCenter") and not is_identifier("Work-Center")
    assert reserved_reason("__typename", is_type=False)
    assert reserved_reason("Query", is_type=True)
    assert reserved_reason("query", is_type=False) is None


def test_two_relations_with_the_same_relationship_type_clash(onto: Path) -> None:
    append(onto, "production", relation("produced_from", "Lot", "Lot"))
    result = compile_ontology(onto)
    assert ("name-clash", "ds:produced_from") in codes(result.errors)
    clash = next(p for p in result.errors if p.code == "name-clash")
    assert "PRODUCED_FROM" in clash.message and "producedFrom" in clash.message


def test_one_iri_declared_as_two_kinds_of_term_clashes(onto: Path) -> None:
    append(onto, "production", "ds:lotNumber a owl:ObjectProperty .")
    assert ("name-clash", "ds:lotNumber") in codes(compile_ontology(onto).errors)


def test_a_class_named_like_a_graphql_built_in_type_is_reserved(onto: Path) -> None:
    append(onto, "production", klass("Query", parent="Equipment"))
    assert codes(compile_ontology(onto).errors) == {("reserved-name", "ds:Query")}


def test_a_property_starting_with_underscore_is_reserved(onto: Path) -> None:
    append(onto, "production", prop("_loadedAt", range_="xsd:dateTime"))
    assert codes(compile_ontology(onto).errors) == {("reserved-name", "ds:_loadedAt")}


def test_a_name_that_is_no_identifier_is_invalid(onto: Path) -> None:
    append(onto, "production", klass("Work-Cell", parent="Equipment"))
    assert codes(compile_ontology(onto).errors) == {("invalid-name", "ds:Work-Cell")}


def test_classes_differing_only_in_case_are_a_warning(onto: Path) -> None:
    append(onto, "production", klass("Workcenter", parent="Equipment"))
    result = compile_ontology(onto)
    assert result.errors == ()
    assert codes(result.problems) == {("case-clash", "ds:Workcenter")}


def test_a_field_colliding_by_case_with_an_inherited_one_is_a_warning(onto: Path) -> None:
    append(onto, "production", prop("Name", domain="Machine"))
    result = compile_ontology(onto)
    assert codes(result.problems) == {("case-clash", "ds:Name")}
    (problem,) = result.problems
    assert problem.severity == "warning"
    assert "'name' (from ds:Entity)" in problem.message
