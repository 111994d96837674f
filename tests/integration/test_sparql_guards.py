"""The SPARQL endpoint's guards against a real Neo4j: SERVICE calls, runaway queries, oversized
answers, oversized values in the graph, and personal data across incremental refreshes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import auth, keyed
from tests.support.recorder import recording_server

PREFIXES = "PREFIX ds: <https://w3id.org/digispine/ontology#>\n"
#: Three copies of every triple of the view, counted: hours of work on the ontology alone.
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def app_client(settings: Settings, store: Neo4jStore, model: DomainModel, **updates: object) -> TestClient:
    app = create_app(keyed(settings, **updates), store, model=model, data_products=False)
    return TestClient(app, headers=auth("analyst"))


@pytest.fixture()
def client(neo4j_settings: Settings, store: Neo4jStore, model: DomainModel) -> Iterator[TestClient]:
    """The app over an empty graph, with a short query timeout; the view holds the ontology."""
    with app_client(neo4j_settings, store, model, sparql_timeout_s=2.0) as test_client:
        assert (
            test_client.post("/sparql/refresh", params={"full": "true"}, headers=auth("admin")).status_code
            == 200
        )
        yield test_client


def select(client: TestClient, query: str, **headers: str) -> list[dict[str, Any]]:
    response = client.get("/sparql", params={"query": PREFIXES + query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


# -- SERVICE ----------------------------------------------------------------------------------------


_ANSWER = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"uri","value":"urn:remote"}}]}}'


@pytest.fixture()
def endpoint() -> Iterator[tuple[str, list[str]]]:
    """A SPARQL endpoint that answers one binding and records the requests it gets."""
    with recording_server(_ANSWER, "application/sparql-results+json") as server:
        yield server.base_url + "/sparql", server.received


def federated(url: str) -> list[str]:
    host = url.rsplit("/", 1)[0] + "/"
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?x ?p ?o }} }}",
        f"select * where {{ sErViCe<{url}>{{?x ?p ?o}} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?x ?p ?o }} }}",
        f"PREFIX loc: <{host}> SELECT * WHERE {{ SERVICE loc:sparql {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ FILTER(true)SERVICE<{url}>{{ ?x ?p ?o }} }} # SERVICE in a comment",
        f"ASK {{ SERVICE <{url}> {{ ?x ?p ?o }} }}",
    ]


def test_service_calls_are_refused_and_nothing_is_sent(
    client: TestClient, endpoint: tuple[str, list[str]]
) -> None:
    url, received = endpoint
    for query in federated(url):
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 403, (query, response.text)
        assert "SERVICE" in response.json()["error"]
        admin = client.get("/sparql", params={"query": query}, headers=auth("admin"))
        assert admin.status_code == 403  # a rule of the server, not of a role
    assert received == []


def test_an_allow_listed_endpoint_is_called_and_only_that_one(
    neo4j_settings: Settings, store: Neo4jStore, model: DomainModel, endpoint: tuple[str, list[str]]
) -> None:
    url, received = endpoint
    with app_client(neo4j_settings, store, model, sparql_service_allowlist=url) as allowed:
        rows = select(allowed, f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }}")
        assert [r["x"]["value"] for r in rows] == ["urn:remote"] and len(received) == 1
        other = url.replace("/sparql", "/other")
        refused = allowed.get(
            "/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{other}> {{ ?x ?p ?o }} }}"}
        )
        assert refused.status_code == 403 and other in refused.json()["error"]
        variable = allowed.get(
            "/sparql",
            params={"query": f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?x ?p ?o }} }}"},
        )
        assert variable.status_code == 403
    assert len(received) == 1


# -- time and size ----------------------------------------------------------------------------------


def query_children() -> set[int]:
    """Processes forked from this one (same executable), i.e. running SPARQL queries."""
    me, exe = os.getpid(), os.readlink("/proc/self/exe")
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == me and os.readlink(entry / "exe") == exe:
                found.add(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/exe").exists(), reason="reads /proc")
def test_a_runaway_query_is_stopped_at_the_limit_and_the_server_answers_meanwhile(
    client: TestClient,
) -> None:
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = client.get("/sparql", params={"query": CARTESIAN})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    deadline = time.monotonic() + 20
    while not query_children() and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the condition: the runaway query's process is running
    assert query_children(), "the runaway query should be running in a child"
    quick = client.get("/sparql", params={"query": "ASK { ?s a <http://www.w3.org/2002/07/owl#Class> }"})
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    assert client.get("/sparql/status").status_code == 200
    thread.join(timeout=60)
    response = outcome["response"]
    assert response.status_code == 504, response.text
    assert "2 s" in response.json()["error"] and "DIGISPINE_SPARQL_TIMEOUT_S" in response.json()["error"]
    assert outcome["seconds"] < 2 + 30  # stopped at the limit (a generous margin for a busy machine)
    assert not query_children()  # the work is gone, not left running
    assert select(client, "SELECT ?c WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> } LIMIT 1")


def test_an_answer_over_the_size_limit_is_refused(
    neo4j_settings: Settings, store: Neo4jStore, model: DomainModel
) -> None:
    with app_client(neo4j_settings, store, model, sparql_max_result_bytes=4096) as small:
        assert (
            small.post("/sparql/refresh", params={"full": "true"}, headers=auth("admin")).status_code == 200
        )
        response = small.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert response.status_code == 413 and "DIGISPINE_SPARQL_MAX_RESULT_BYTES" in response.json()["error"]
        assert (
            small.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"}).status_code == 200
        )


# -- values in the graph ----------------------------------------------------------------------------


def write_contact(store: Neo4jStore, model: DomainModel, contact_id: str, **props: object) -> None:
    """A Contact written straight into Neo4j (not through the loaders), with an event that says so,
    as the loaders would leave it: the incremental refresh finds changes through events."""
    label = model.classes["Contact"].neo4j_label
    event = model.classes["ContactUpdated"].neo4j_label
    store.write(
        f"MERGE (c:Entity:`{label}` {{contactId: $id}}) SET c += $props "
        f"CREATE (e:DomainEvent:`{event}` {{eventId: randomUUID(), ingestedAt: datetime(), "
        "eventTime: datetime()})-[:AFFECTED]->(c)",
        {"id": contact_id, "props": props},
    )


def test_one_oversized_value_costs_only_itself_and_the_view_stays_fresh(
    client: TestClient, store: Neo4jStore, model: DomainModel
) -> None:
    write_contact(store, model, "C-1", contactRole="buyer")
    assert client.post("/sparql/refresh").json()["state"] == "ready"
    huge = "x" * (24 * 1024 * 1024)  # past pyoxigraph's 16 MiB token buffer
    write_contact(store, model, "C-1", contactRole=huge)
    write_contact(store, model, "C-2", contactRole="planner")
    for full in (False, False, True, False):  # later refreshes, incremental and full
        response = client.post("/sparql/refresh", params={"full": str(full).lower()}, headers=auth("admin"))
        assert response.status_code == 200, response.text
        status = response.json()
        assert status["state"] == "ready" and status["error"] is None
        assert status["skippedValues"] == 1 and status["skippedReasons"] == {"literal-too-large": 1}
        [skipped] = status["skipped"]
        assert skipped["property"] == "Contact.contactRole" and skipped["subject"].endswith("/C-1")
        assert "DIGISPINE_RDF_MAX_LITERAL_BYTES" in skipped["detail"]
    rows = select(
        client, "SELECT ?id ?role WHERE { ?c ds:contactId ?id OPTIONAL { ?c ds:contactRole ?role } }"
    )
    assert {r["id"]["value"]: r.get("role", {}).get("value") for r in rows} == {"C-1": None, "C-2": "planner"}
    write_contact(store, model, "C-1", contactRole="buyer again")  # mended: counted no more
    status = client.post("/sparql/refresh").json()
    assert status["skippedValues"] == 0 and status["state"] == "ready"
    assert client.get("/sparql/status").json()["skippedValues"] == 0


def test_an_incremental_refresh_replaces_personal_data_too(
    client: TestClient, store: Neo4jStore, model: DomainModel
) -> None:
    write_contact(store, model, "C-7", email="old@example.com", contactRole="buyer")
    assert client.post("/sparql/refresh").json()["state"] == "ready"
    admin = auth("admin")
    emails = "SELECT ?e WHERE { ?c ds:email ?e }"
    assert [r["e"]["value"] for r in select(client, emails, **admin)] == ["old@example.com"]
    write_contact(store, model, "C-7", email="new@example.com")
    assert client.post("/sparql/refresh").json()["state"] == "ready"
    assert [r["e"]["value"] for r in select(client, emails, **admin)] == ["new@example.com"]
    assert select(client, "SELECT ?e WHERE { GRAPH ?g { ?c ?p ?e } }") == []
    everything = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "csv"})
    assert "example.com" not in everything.text
