"""The ``ontology`` root field: the domain's language, in the language asked for."""

from __future__ import annotations

from fastapi.testclient import TestClient

from graph_service.ontology.model import DomainModel
from tests.integration.api.conftest import data

QUERY = """query($lang: String!) { ontology(lang: $lang) { language version boundedContexts
  classes { name label definition altLabels boundedContext superclasses subclasses key abstract neo4jLabels
    properties { name label graphqlType datatype personalData multiValued }
    relations { name label domain range relationshipType direction toMany inverse } }
  properties { name domain } relations { name } } }"""


def test_the_ontology_speaks_german(client: TestClient, model: DomainModel) -> None:
    ontology = data(client, QUERY, {"lang": "de"})["ontology"]
    assert ontology["language"] == "de"
    classes = {c["name"]: c for c in ontology["classes"]}
    assert set(classes) == set(model.classes)
    order = classes["SalesOrder"]
    assert order["label"] == model.cls("SalesOrder").labels["de"] != model.cls("SalesOrder").labels["en"]
    assert order["definition"] == model.cls("SalesOrder").definition("de")
    assert order["key"] == ["salesOrderNumber"] and order["superclasses"] == ["CommercialOrder"]
    assert order["neo4jLabels"] == ["SalesOrder", "CommercialOrder", "Entity"]
    props = {p["name"]: p for p in order["properties"]}
    assert (
        props["totalNetAmount"]["graphqlType"] == "Decimal"
        and props["totalNetAmount"]["datatype"] == "xsd:decimal"
    )
    assert props["totalNetAmount"]["label"] == model.datatype_properties["totalNetAmount"].labels["de"]
    assert props["sourceSystems"]["multiValued"] is True
    relations = {r["name"]: r for r in order["relations"]}
    assert relations["hasItem"]["direction"] == "IN" and relations["hasItem"]["relationshipType"] == "ITEM_OF"
    assert relations["hasItem"]["inverse"] == "itemOf"
    assert relations["orderedBy"]["direction"] == "OUT" and relations["orderedBy"]["range"] == "Customer"
    assert set(classes["Equipment"]["subclasses"]) == {"Area", "WorkCenter", "WorkUnit"}
    person = {p["name"]: p for p in classes["Person"]["properties"]}
    assert person["email"]["personalData"] is True and person["personId"]["personalData"] is False
    assert len(ontology["properties"]) == len(model.datatype_properties)
    assert len(ontology["relations"]) == len(model.relations)


def test_a_language_without_labels_falls_back_to_english(client: TestClient, model: DomainModel) -> None:
    ontology = data(client, QUERY, {"lang": "fr"})["ontology"]
    lot = next(c for c in ontology["classes"] if c["name"] == "Lot")
    assert lot["label"] == model.cls("Lot").labels["en"]
    assert lot["definition"] == model.cls("Lot").definition("en")
