"""The export of a simulated plant: parses in every format and conforms to the shapes."""

from __future__ import annotations

import io
import json

import pyshacl
import pytest
from rdflib import RDF, Graph, URIRef

from graph_service.ontology.model import DomainModel
from graph_service.rdf.export import ExportError, export
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_PASSWORD, free_port
from tests.support.loading import load_simulated_plant
from tests.support.paths import REPO


@pytest.fixture(scope="module")
def plant(
    neo4j_settings: Settings, session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory
) -> Neo4jStore:
    data_dir = tmp_path_factory.mktemp("rdf-loader")
    load_simulated_plant(neo4j_settings, session_store, data_dir, seed=11, days=3, origin="rdf")
    return session_store


def exported(store: Neo4jStore, model: DomainModel, fmt: str, **options: object) -> tuple[str, object]:
    out = io.StringIO()
    stats = export(store, model, out, fmt=fmt, **options)  # type: ignore[arg-type]
    return out.getvalue(), stats


def test_the_turtle_export_parses_and_conforms_to_the_entity_shapes(
    plant: Neo4jStore, model: DomainModel
) -> None:
    text, stats = exported(plant, model, "ttl")
    data = Graph().parse(data=text, format="turtle")
    assert len(data) == stats.triples  # type: ignore[attr-defined]
    nodes = plant.read("MATCH (n) WHERE n:Entity OR n:DomainEvent RETURN count(n) AS n")[0]["n"]
    assert stats.entities == nodes  # type: ignore[attr-defined]
    shapes = Graph().parse(REPO / "shapes" / "entities" / "entities.ttl")
    ontology = Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        ontology.parse(path)
    conforms, _, report = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none")
    assert conforms, report[:3000]


def test_nt_and_jsonld_give_the_same_graph(plant: Neo4jStore, model: DomainModel) -> None:
    ttl = Graph().parse(data=exported(plant, model, "ttl")[0], format="turtle")
    nt = Graph().parse(data=exported(plant, model, "nt")[0], format="nt")
    jsonld_text = exported(plant, model, "jsonld")[0]
    json.loads(jsonld_text)  # one well-formed document
    jsonld = Graph().parse(data=jsonld_text, format="json-ld")
    assert len(nt) == len(ttl) == len(jsonld)
    assert nt.isomorphic(ttl) and jsonld.isomorphic(ttl)


def test_a_class_export_has_its_instances_and_subclasses(plant: Neo4jStore, model: DomainModel) -> None:
    text, stats = exported(plant, model, "nt", class_name="Equipment")
    graph = Graph().parse(data=text, format="nt")
    count = plant.read("MATCH (n:Equipment) RETURN count(n) AS n")[0]["n"]
    assert stats.entities == count > 0  # type: ignore[attr-defined]
    typed = {o for o in graph.objects(None, RDF.type)}
    assert {URIRef(model.classes[c].iri) for c in ("WorkCenter",)} & typed


def test_event_lineage_is_prov(plant: Neo4jStore, model: DomainModel) -> None:
    text, _ = exported(plant, model, "nt", class_name="DomainEvent")
    graph = Graph().parse(data=text, format="nt")
    prov = "http://www.w3.org/ns/prov#"
    affected = plant.read("MATCH (:DomainEvent)-[r:AFFECTED]->() RETURN count(r) AS n")[0]["n"]
    assert len(list(graph.triples((None, URIRef(prov + "used"), None)))) == affected
    events = plant.read("MATCH (e:DomainEvent) RETURN count(e) AS n")[0]["n"]
    assert len(list(graph.subjects(RDF.type, URIRef(prov + "Activity")))) == events
    assert len(list(graph.triples((None, URIRef(prov + "wasAssociatedWith"), None)))) == events


def test_unknown_class_and_format_are_named(plant: Neo4jStore, model: DomainModel) -> None:
    with pytest.raises(ExportError, match="Equipmnt"):
        export(plant, model, io.StringIO(), class_name="Equipmnt")
    with pytest.raises(ExportError, match="xml"):
        export(plant, model, io.StringIO(), fmt="xml")


def test_an_unreachable_neo4j_is_an_export_error_naming_it(model: DomainModel) -> None:
    settings = load_settings(neo4j_uri=f"bolt://127.0.0.1:{free_port()}", neo4j_password=TEST_PASSWORD)
    with Neo4jStore(settings) as store, pytest.raises(ExportError, match=settings.bolt_uri):
        export(store, model, io.StringIO())


# -- personal data ----------------------------------------------------------------------------------


def personal_values(store: Neo4jStore, model: DomainModel) -> dict[str, set[str]]:
    """``Class.property`` -> its values in the graph, for every personal-data property."""
    found: dict[str, set[str]] = {}
    for prop in model.datatype_properties.values():
        if prop.personal_data:
            label = model.classes[prop.domain].neo4j_label
            rows = store.read(
                f"MATCH (n:`{label}`) WHERE n.`{prop.name}` IS NOT NULL RETURN toString(n.`{prop.name}`) AS v"
            )
            if rows:
                found[f"{prop.domain}.{prop.name}"] = {r["v"] for r in rows}
    return found


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
def test_the_export_leaves_personal_data_out_and_counts_it(
    plant: Neo4jStore, model: DomainModel, fmt: str
) -> None:
    values = personal_values(plant, model)
    assert values, "the simulated plant should have people with personal data"
    text, stats = exported(plant, model, fmt, class_name="Contact")
    assert not [v for vs in values.values() for v in vs if v in text]
    counts = plant.read(
        "MATCH (c:Contact) RETURN count(c.email) AS email, count(c.fullName) AS name, count(c.phone) AS phone"
    )[0]
    assert stats.left_out == {  # type: ignore[attr-defined]
        name: n
        for name, n in [
            ("Person.email", counts["email"]),
            ("Person.fullName", counts["name"]),
            ("Person.phone", counts["phone"]),
        ]
        if n
    }
    assert "personal-data values" in stats.left_out_summary()  # type: ignore[attr-defined]


def test_the_export_includes_personal_data_when_asked(plant: Neo4jStore, model: DomainModel) -> None:
    values = personal_values(plant, model)
    text, stats = exported(plant, model, "nt", include_personal_data=True)
    assert all(v in text for vs in values.values() for v in vs)
    assert stats.left_out == {} and stats.left_out_summary() is None  # type: ignore[attr-defined]


def test_the_cli_says_what_it_left_out(
    plant: Neo4jStore, model: DomainModel, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from graph_service.cli.main import app as cli

    monkeypatch.setenv("NEO4J_URI", neo4j_settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password.get_secret_value())
    monkeypatch.setenv("DIGISPINE_ONTOLOGY_DIR", str(REPO / "ontology"))
    emails = personal_values(plant, model)["Person.email"]
    plain = CliRunner().invoke(cli, ["export", "--class", "Contact", "--format", "nt"])
    assert plain.exit_code == 0, plain.stderr
    assert not [e for e in emails if e in plain.stdout] and "<https://w3id.org/digispine/id/" in plain.stdout
    assert "left out" in plain.stderr and "Person.email" in plain.stderr
    assert "--include-personal-data" in plain.stderr
    asked = CliRunner().invoke(
        cli, ["export", "--class", "Contact", "--format", "nt", "--include-personal-data"]
    )
    assert asked.exit_code == 0 and all(e in asked.stdout for e in emails)
    assert "includes personal data" in asked.stderr
