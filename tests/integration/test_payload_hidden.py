"""An event node keeps its payload (``_payload``, for conflicting-duplicate letters); no read path
shows it: not read-only Cypher (unless the caller has ``personal-data``), not the Explore API, not
GraphQL, not SPARQL, not the RDF export. The event here is a contact update with an e-mail address
and a name in its payload."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.rdf.export import export
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import auth, keyed
from tests.support.loading import load_fresh

EMAIL = "lea.moretti@example.com"
NAME = "Lea Moretti"
CONTACT_UPDATED = {
    "specversion": "1.0",
    "id": "payload-hidden-1",
    "source": "crm/main",
    "type": "digispine.crm.ContactUpdated.v1",
    "time": "2026-01-05T05:00:00Z",
    "subject": "CT-0001",
    "datacontenttype": "application/json",
    "data": {
        "contactId": "CT-0001",
        "customerNumber": "C-1001",
        "fullName": NAME,
        "email": EMAIL,
        "phone": "+49 237 483275",
        "role": "PURCHASING",
    },
}
EVENT_MATCH = "MATCH (e:ContactUpdated {eventId: 'payload-hidden-1'}) "


@pytest.fixture(scope="module")
def graph(
    neo4j_settings: Settings, session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory
) -> Neo4jStore:
    """An emptied database holding the contact update, loaded through the pipeline."""
    data_dir = tmp_path_factory.mktemp("payload-hidden")
    stats = load_fresh(neo4j_settings, session_store, data_dir, [CONTACT_UPDATED], "hidden")
    assert stats.loaded == 1, stats.summary()
    # the premise: the event node does hold the payload, e-mail included
    (row,) = session_store.read(EVENT_MATCH + "RETURN e._payload AS p")
    assert orjson.loads(row["p"]) == CONTACT_UPDATED["data"]
    return session_store


@pytest.fixture(scope="module")
def client(graph: Neo4jStore, model: DomainModel, neo4j_settings: Settings) -> Iterator[TestClient]:
    app = create_app(keyed(neo4j_settings), graph, model=model, data_products=False)
    with TestClient(app) as test_client:
        refreshed = test_client.post("/sparql/refresh", params={"full": "true"}, headers=auth("admin"))
        assert refreshed.status_code == 200 and refreshed.json()["state"] == "ready"
        yield test_client


def cypher(client: TestClient, query: str, who: str) -> Any:
    return client.post("/cypher", json={"query": query}, headers=auth(who))


def without_payload(text: str) -> None:
    assert EMAIL not in text and NAME not in text and "_payload" not in text, text


def test_cypher_returns_event_nodes_without_internal_properties(client: TestClient) -> None:
    for who in ("analyst", "admin"):  # hidden for everyone: ask for the property to read it
        response = cypher(client, EVENT_MATCH + "RETURN e", who)
        assert response.status_code == 200, response.text
        (row,) = response.json()["rows"]
        properties = row[0]["properties"]
        assert properties["eventId"] == "payload-hidden-1"
        assert not [k for k in properties if k.startswith("_")], properties
        without_payload(response.text)
    path = cypher(client, "MATCH p = (e:ContactUpdated)-[:AFFECTED]->() RETURN p", "analyst")
    assert path.status_code == 200, path.text
    without_payload(path.text)


@pytest.mark.parametrize(
    "query",
    [
        EVENT_MATCH + "RETURN e._payload",
        EVENT_MATCH + "RETURN e.`_payload`",
        EVENT_MATCH + "RETURN e['_payload']",
        EVENT_MATCH + "WHERE e._payload CONTAINS 'example.com' RETURN count(*)",
    ],
)
def test_cypher_refuses_the_payload_without_personal_data(client: TestClient, query: str) -> None:
    response = cypher(client, query, "analyst")
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["kind"] == "refused" and "_payload is personal data" in error["message"], error
    without_payload(response.text.replace("_payload is personal data", ""))


def test_cypher_gives_the_payload_to_a_caller_with_personal_data(client: TestClient) -> None:
    response = cypher(client, EVENT_MATCH + "RETURN e._payload AS p", "admin")
    assert response.status_code == 200, response.text
    assert orjson.loads(response.json()["rows"][0][0]) == CONTACT_UPDATED["data"]


def test_the_explore_api_shows_no_payload(client: TestClient) -> None:
    node = "id class key label properties { name value masked }"
    hood = f"{{ center {{ {node} }} nodes {{ {node} }} }}"
    query = f"""{{
      entityEvents(class: "Contact", key: "CT-0001") {{ id type time source label }}
      contact: neighbourhood(class: "Contact", key: "CT-0001") {hood}
      event: neighbourhood(class: "ContactUpdated", key: "crm/main") {hood}
    }}"""
    for who in ("reader", "hr"):
        response = client.post("/graphql", json={"query": query}, headers=auth(who))
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body
        assert [e["id"] for e in body["data"]["entityEvents"]] == ["payload-hidden-1"]
        if who == "hr":  # the contact's own e-mail is shown to hr; the event's payload never
            response_text = response.text.replace(EMAIL, "", 1).replace(NAME, "", 1)
            contact = {p["name"]: p["value"] for p in body["data"]["contact"]["center"]["properties"]}
            assert contact["email"] == EMAIL
        else:
            response_text = response.text
        without_payload(response_text)
        assert body["data"]["event"] is None  # an event is no centre: events are left out
        centre = body["data"]["contact"]["center"]
        assert not [p for p in centre["properties"] if p["name"].startswith("_")]


def test_graphql_event_types_have_only_ontology_fields(client: TestClient) -> None:
    fields = client.post(
        "/graphql",
        json={
            "query": '{ __type(name: "ContactUpdated") { fields { name type { kind ofType { kind } } } } }'
        },
        headers=auth("admin"),
    ).json()["data"]["__type"]["fields"]
    assert not [f["name"] for f in fields if f["name"].startswith("_")]
    scalars = [
        f["name"] for f in fields if "SCALAR" in (f["type"]["kind"], (f["type"]["ofType"] or {}).get("kind"))
    ]
    response = client.post(
        "/graphql",
        json={"query": f"{{ contactUpdatedEvents(first: 5) {{ nodes {{ {' '.join(scalars)} }} }} }}"},
        headers=auth("admin"),
    )
    assert response.status_code == 200 and not response.json().get("errors"), response.text
    assert response.json()["data"]["contactUpdatedEvents"]["nodes"][0]["eventId"] == "payload-hidden-1"
    without_payload(response.text)


def test_sparql_over_the_event_shows_no_payload(client: TestClient) -> None:
    query = (
        "PREFIX ds: <https://w3id.org/digispine/ontology#>\n"
        "SELECT ?p ?o WHERE { GRAPH ?g { ?e a ds:ContactUpdated ; ?p ?o } }"
    )
    plain = query.replace("GRAPH ?g { ", "").replace("} }", "}")
    for who in ("analyst", "admin"):  # SPARQL is for analysts; admin has personal-data too
        for text in (query, plain):  # the default graph, and every named graph the caller may see
            response = client.get("/sparql", params={"query": text}, headers=auth(who))
            assert response.status_code == 200, response.text
            predicates = {b["p"]["value"] for b in response.json()["results"]["bindings"]}
            assert predicates or text is query
            assert not [p for p in predicates if "payload" in p.lower()]
            without_payload(response.text)


def test_the_export_has_no_payload(graph: Neo4jStore, model: DomainModel) -> None:
    for fmt in ("ttl", "nt", "jsonld"):
        out = io.StringIO()
        stats = export(graph, model, out, fmt=fmt, class_name="ContactUpdated", include_personal_data=True)
        assert stats.entities == 1
        without_payload(out.getvalue())
        everything = io.StringIO()
        export(graph, model, everything, fmt=fmt)  # the default: personal data left out
        without_payload(everything.getvalue())
