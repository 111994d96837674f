"""diff: what changed between two ontologies, and which changes break existing users."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_service.ontology import DomainModel, compile_ontology, diff_models
from graph_service.ontology.datatypes import DATATYPES
from graph_service.ontology.diff import ModelDiff
from graph_service.ontology.diff_text import format_diff
from graph_service.ontology.model import ClassDef, DatatypeProperty, Relation

from .conftest import GOOD, append, klass, prop


def _model(directory: Path) -> DomainModel:
    result = compile_ontology(directory)
    assert result.model is not None, result.problems
    return result.model


@pytest.fixture(scope="module")
def good() -> DomainModel:
    return _model(GOOD)


def _edit(directory: Path, module: str, old: str, new: str) -> None:
    path = directory / f"{module}.ttl"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _remove_statement(directory: Path, module: str, subject: str) -> None:
    """Drop the statement starting with ``subject`` (up to its closing ' .')."""
    path = directory / f"{module}.ttl"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(subject)} a .*?\s\.\n", re.MULTILINE | re.DOTALL)
    assert pattern.search(text), subject
    path.write_text(pattern.sub("", text, count=1), encoding="utf-8")


def _only(diff: ModelDiff) -> tuple[str, str, str | None, str]:
    (change,) = diff.changes
    return change.name, change.change, change.aspect, change.impact


def test_an_unchanged_ontology_has_no_differences(good: DomainModel) -> None:
    diff = diff_models(good, good)
    assert diff.is_empty and not diff.is_breaking


def test_removing_a_keyed_class_is_breaking(onto: Path, good: DomainModel) -> None:
    append(onto, "production", klass("Crate", key="lotNumber", parent="Lot"))
    with_crate = _model(onto)
    diff = diff_models(with_crate, good)
    assert _only(diff) == ("Crate", "removed", None, "breaking")


def test_adding_a_class_is_compatible(onto: Path, good: DomainModel) -> None:
    append(onto, "production", klass("Crate", key="lotNumber", parent="Lot"))
    diff = diff_models(good, _model(onto))
    assert _only(diff) == ("Crate", "added", None, "compatible")
    assert not diff.is_breaking


def test_changing_the_range_of_a_property_is_breaking(onto: Path, good: DomainModel) -> None:
    _edit(onto, "production", "rdfs:range xsd:integer", "rdfs:range xsd:decimal")
    diff = diff_models(good, _model(onto))
    assert _only(diff) == ("pieceCount", "changed", "type", "breaking")
    assert (diff.changes[0].old, diff.changes[0].new) == ("integer", "decimal")


def test_changing_the_range_of_a_relation_is_breaking(onto: Path, good: DomainModel) -> None:
    _edit(onto, "production", "rdfs:range ds:Person", "rdfs:range ds:Party")
    assert _only(diff_models(good, _model(onto))) == ("operator", "changed", "range", "breaking")


def test_narrowing_a_relation_to_one_value_is_breaking(onto: Path, good: DomainModel) -> None:
    _edit(
        onto,
        "production",
        "ds:producedFrom a owl:ObjectProperty ;",
        "ds:producedFrom a owl:ObjectProperty , owl:FunctionalProperty ;",
    )
    narrowed = _model(onto)
    assert _only(diff_models(good, narrowed)) == ("producedFrom", "changed", "cardinality", "breaking")
    assert _only(diff_models(narrowed, good)) == ("producedFrom", "changed", "cardinality", "compatible")


def test_changing_a_key_is_breaking(onto: Path, good: DomainModel) -> None:
    _edit(onto, "production", "owl:hasKey ( ds:lotNumber )", "owl:hasKey ( ds:lotNumber ds:producedAt )")
    assert _only(diff_models(good, _model(onto))) == ("Lot", "changed", "key", "breaking")


def test_changing_labels_and_definitions_is_compatible(onto: Path, good: DomainModel) -> None:
    _edit(onto, "production", '"Los"@de', '"Fertigungslos"@de')
    change = diff_models(good, _model(onto)).changes[0]
    assert (change.name, change.aspect, change.impact) == ("Lot", "labels", "compatible")
    assert change.new is not None and "Fertigungslos" in change.new


def test_moving_a_property_up_to_a_superclass_is_compatible(onto: Path, good: DomainModel) -> None:
    _edit(onto, "production", "rdfs:domain ds:Machine", "rdfs:domain ds:Equipment")
    assert _only(diff_models(good, _model(onto))) == ("temperature", "changed", "domain", "compatible")


def test_moving_a_property_to_an_unrelated_class_is_breaking(onto: Path, good: DomainModel) -> None:
    _edit(onto, "production", "rdfs:domain ds:Machine", "rdfs:domain ds:Lot")
    assert _only(diff_models(good, _model(onto))) == ("temperature", "changed", "domain", "breaking")


def test_unmarking_personal_data_is_breaking_and_marking_it_compatible(onto: Path, good: DomainModel) -> None:
    _edit(onto, "core", "    ds:personalData true ;\n", "")
    unmarked = _model(onto)
    assert _only(diff_models(good, unmarked)) == ("email", "changed", "personal data", "breaking")
    assert _only(diff_models(unmarked, good))[3] == "compatible"


def test_losing_a_superclass_is_breaking(onto: Path, good: DomainModel) -> None:
    _edit(
        onto,
        "production",
        "ds:WorkCenter a owl:Class ;\n    rdfs:subClassOf ds:Equipment ;",
        "ds:WorkCenter a owl:Class ;\n    rdfs:subClassOf ds:Entity ;\n    owl:hasKey ( ds:name ) ;",
    )
    diff = diff_models(good, _model(onto))
    aspects = {(c.name, c.aspect): c.impact for c in diff.changes}
    assert aspects[("WorkCenter", "superclasses")] == "breaking"
    assert aspects[("WorkCenter", "key")] == "breaking"


def test_a_removed_term_with_the_label_of_an_added_one_hints_a_rename(onto: Path, good: DomainModel) -> None:
    _remove_statement(onto, "production", "ds:temperature")
    append(
        onto,
        "production",
        prop("operatingTemperature", domain="Machine", range_="xsd:double").replace(
            '"operatingTemperature"@en', '"temperature"@en'
        ),
    )
    removed = next(c for c in diff_models(good, _model(onto)).changes if c.change == "removed")
    assert removed.hint == "renamed to operatingTemperature?"


def test_the_text_report_groups_breaking_changes_first_with_labels(onto: Path, good: DomainModel) -> None:
    _remove_statement(onto, "production", "ds:Machine")
    _remove_statement(onto, "production", "ds:temperature")
    append(onto, "production", klass("Crate", key="lotNumber", parent="Lot"))
    text = format_diff(diff_models(good, _model(onto)), old_name="main", new_name="work")
    assert text.splitlines()[0] == (
        "Ontology main (1.0.0) -> work (1.0.0): 2 breaking changes, 1 compatible change"
    )
    assert text.index("BREAKING") < text.index("COMPATIBLE")
    assert '- Machine ("Machine" / "Maschine"): removed' in text
    assert '+ Crate ("Crate label" / "Crate Bezeichnung"): added' in text


# -- properties over generated models ---------------------------------------------------------

_CLASS_NAMES = ("Lot", "Order", "Machine", "Customer", "Plant", "Batch")
_texts = st.text(alphabet="abcdefgh äöü", min_size=1, max_size=8)


@st.composite
def models(draw: st.DrawFn) -> DomainModel:
    names = draw(st.lists(st.sampled_from(_CLASS_NAMES), min_size=1, max_size=5, unique=True))
    classes = {
        name: ClassDef(
            iri=f"https://w3id.org/digispine/ontology#{name}",
            name=name,
            neo4j_label=name,
            graphql_name=name,
            labels=draw(st.dictionaries(st.sampled_from(["en", "de"]), _texts)),
            key=draw(st.sampled_from([(), (f"{name.lower()}Id",)])),
            abstract=draw(st.booleans()),
        )
        for name in names
    }
    properties = {}
    for name in names:
        for suffix in draw(st.lists(st.sampled_from(["Id", "Code", "Size"]), unique=True)):
            xsd = draw(st.sampled_from(sorted(DATATYPES)))
            row = DATATYPES[xsd]
            properties[f"{name.lower()}{suffix}"] = DatatypeProperty(
                iri=f"https://w3id.org/digispine/ontology#{name.lower()}{suffix}",
                name=f"{name.lower()}{suffix}",
                domain=name,
                xsd=xsd,
                neo4j_type=row.neo4j_type,
                python_type=row.python_type,
                graphql_type=row.graphql_type,
                functional=draw(st.booleans()),
                personal_data=draw(st.booleans()),
            )
    relations = {}
    for source, target in draw(
        st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=3, unique=True)
    ):
        name = f"{source.lower()}To{target}"
        relations[name] = Relation(
            iri=f"https://w3id.org/digispine/ontology#{name}",
            name=name,
            rel_type=name.upper(),
            domain=source,
            range=target,
            to_many=draw(st.booleans()),
        )
    return DomainModel(
        classes=classes,
        datatype_properties=properties,
        relations=relations,
        namespace="https://w3id.org/digispine/ontology#",
        version=draw(st.sampled_from(["1.0.0", "1.1.0"])),
    )


@given(models())
@settings(max_examples=60, deadline=None)
def test_a_model_compared_with_itself_has_no_differences(model: DomainModel) -> None:
    assert diff_models(model, model).is_empty


@given(models(), models())
@settings(max_examples=80, deadline=None)
def test_what_one_direction_adds_the_other_removes(old: DomainModel, new: DomainModel) -> None:
    forward, backward = diff_models(old, new), diff_models(new, old)

    def names(diff: ModelDiff, change: str) -> set[tuple[str, str]]:
        return {(c.term_kind, c.name) for c in diff.changes if c.change == change}

    assert names(forward, "added") == names(backward, "removed")
    assert names(forward, "removed") == names(backward, "added")
    changed = {(c.term_kind, c.name, c.aspect) for c in forward.changes if c.change == "changed"}
    assert changed == {(c.term_kind, c.name, c.aspect) for c in backward.changes if c.change == "changed"}
    assert all(c.breaking for c in forward.changes if c.change == "removed")
    assert not any(c.breaking for c in forward.changes if c.change == "added")


def _with_facets(model: DomainModel, name: str, **facets: object) -> DomainModel:
    import dataclasses

    from graph_service.ontology.facets import ValueFacets

    prop = dataclasses.replace(model.datatype_properties[name], facets=ValueFacets(**facets))  # type: ignore[arg-type]
    return dataclasses.replace(model, datatype_properties={**model.datatype_properties, name: prop})


@pytest.mark.parametrize(
    ("before", "after", "impact"),
    [
        ({"allowed": ("A", "B")}, {"allowed": ("A", "B", "C")}, "compatible"),
        ({"allowed": ("A", "B")}, {}, "compatible"),
        ({"allowed": ("A", "B")}, {"allowed": ("A",)}, "breaking"),
        ({}, {"allowed": ("A",)}, "breaking"),
        ({"pattern": "^[A-Z]+$"}, {}, "compatible"),
        ({}, {"pattern": "^[A-Z]+$"}, "breaking"),
        ({"pattern": "^[A-Z]+$"}, {"pattern": "^[A-Z]{3}$"}, "breaking"),
        ({"min_exclusive": 0}, {}, "compatible"),
    ],
)
def test_a_value_facet_widened_is_compatible_and_narrowed_is_breaking(
    good: DomainModel, before: dict[str, object], after: dict[str, object], impact: str
) -> None:
    name = next(iter(good.datatype_properties))
    old, new = _with_facets(good, name, **before), _with_facets(good, name, **after)
    assert _only(diff_models(old, new)) == (name, "changed", "value facets", impact)
