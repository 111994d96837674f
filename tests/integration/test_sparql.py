"""SPARQL over the RDF view of a simulated plant: counts equal Cypher's, the protocol, freshness."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.conftest import auth, keyed, reset_database
from tests.support.paths import REPO

BASE = "https://w3id.org/digispine/id/"
PREFIXES = (
    "PREFIX ds: <https://w3id.org/digispine/ontology#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
SPLIT = 0.8


@pytest.fixture(scope="module")
def loader(
    neo4j_settings: Settings, session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LoaderParts, list[Record]]:
    """An emptied database holding the first 80 % of a simulated plant; the rest to load later."""
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=tmp_path_factory.mktemp("sparql-loader"),
    )
    parts = load_parts(settings)
    reset_database(session_store)
    apply_schema(session_store, parts.model)
    records = [Record(orjson.dumps(e), f"sparql:{i}") for i, e in enumerate(simulate(seed=21, days=4))]
    cut = int(len(records) * SPLIT)
    assert build_pipeline(parts, session_store).run(records[:cut]).rejected_total == 0
    return parts, records[cut:]


@pytest.fixture(scope="module")
def client(
    loader: tuple[LoaderParts, list[Record]],
    session_store: Neo4jStore,
    model: DomainModel,
    neo4j_settings: Settings,
) -> Iterator[TestClient]:
    app = create_app(keyed(neo4j_settings), session_store, model=model, data_products=False)
    with TestClient(app, headers=auth("analyst")) as test_client:
        refreshed = test_client.post("/sparql/refresh", params={"full": "true"}, headers=auth("admin"))
        assert refreshed.status_code == 200 and refreshed.json()["state"] == "ready"
        yield test_client


def select(client: TestClient, query: str) -> list[dict[str, Any]]:
    response = client.get("/sparql", params={"query": PREFIXES + query})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    return response.json()["results"]["bindings"]


def count_per_class(client: TestClient, model: DomainModel) -> dict[str, int]:
    rows = select(
        client,
        f"""SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE {{
              ?x a/rdfs:subClassOf* ?c . FILTER(STRSTARTS(STR(?x), "{BASE}")) }} GROUP BY ?c""",
    )
    iris = {c.iri: c.name for c in model.classes.values()}
    return {iris[r["c"]["value"]]: int(r["n"]["value"]) for r in rows if r["c"]["value"] in iris}


def cypher_counts(store: Neo4jStore, model: DomainModel) -> dict[str, int]:
    counts = {}
    for cls in model.classes.values():
        n = store.read(f"MATCH (n:`{cls.neo4j_label}`) RETURN count(n) AS n")[0]["n"]
        if n:
            counts[cls.name] = n
    return counts


def test_sparql_counts_per_class_equal_cypher_counts(
    client: TestClient, session_store: Neo4jStore, model: DomainModel
) -> None:
    expected = cypher_counts(session_store, model)
    assert len(expected) > 30
    assert count_per_class(client, model) == expected


def test_class_hierarchy_queries_work_against_the_ontology(
    client: TestClient, session_store: Neo4jStore
) -> None:
    below = {
        r["c"]["value"].rsplit("#", 1)[1]
        for r in select(client, "SELECT ?c WHERE { ?c rdfs:subClassOf+ ds:Equipment }")
    }
    assert {"WorkCenter", "WorkUnit"} <= below
    rows = select(client, "SELECT (COUNT(?x) AS ?n) WHERE { ?x a/rdfs:subClassOf* ds:Equipment }")
    assert (
        int(rows[0]["n"]["value"]) == session_store.read("MATCH (n:Equipment) RETURN count(n) AS n")[0]["n"]
    )


def test_the_protocol_variants_and_result_formats(client: TestClient, session_store: Neo4jStore) -> None:
    query = PREFIXES + "SELECT ?lot WHERE { ?l a ds:Lot ; ds:lotNumber ?lot } ORDER BY ?lot"
    lots = [r["lot"] for r in session_store.read("MATCH (l:Lot) RETURN l.lotNumber AS lot ORDER BY lot")]
    as_form = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert as_form.headers["content-type"].startswith("text/csv")
    assert [row[0] for row in csv.reader(io.StringIO(as_form.text))] == ["lot", *lots]
    direct = client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert [b["lot"]["value"] for b in direct.json()["results"]["bindings"]] == lots
    tsv = client.get("/sparql", params={"query": query, "format": "tsv"})
    assert tsv.text.splitlines()[0] == "?lot" and len(tsv.text.splitlines()) == len(lots) + 1
    ask = client.get("/sparql", params={"query": PREFIXES + "ASK { ?x a ds:SalesOrder }"})
    assert ask.json()["boolean"] is True
    constructed = client.get(
        "/sparql",
        params={"query": PREFIXES + "CONSTRUCT { ?l ds:lotNumber ?n } WHERE { ?l ds:lotNumber ?n }"},
    )
    assert constructed.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=constructed.text, format="turtle")) == len(lots)
    assert constructed.headers["x-digispine-rdf-refreshed-at"] != "never"


def test_bad_queries_updates_and_callers_are_refused(client: TestClient) -> None:
    bad = client.get("/sparql", params={"query": "SELEC ?x WHERE { ?x ?p ?o }"})
    assert bad.status_code == 400 and "syntax" in bad.json()["error"].lower()
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    assert client.post("/sparql", data={"update": update}).status_code == 403
    assert (
        client.post(
            "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
        ).status_code
        == 403
    )
    assert client.get("/sparql", params={"query": update}).status_code == 400  # not a query
    assert (
        client.get("/sparql", params={"query": "ASK {}"}, headers={"Authorization": "Bearer no"}).status_code
        == 401
    )
    assert client.get("/sparql", params={"query": "ASK {}"}, headers=auth("reader")).status_code == 403
    # a full rebuild reads the whole graph: only an admin may start one
    refused = client.post("/sparql/refresh", params={"full": "true"})
    assert refused.status_code == 403 and "admin" in refused.json()["error"]


def test_an_incremental_refresh_picks_up_newly_loaded_events(
    client: TestClient,
    loader: tuple[LoaderParts, list[Record]],
    session_store: Neo4jStore,
    model: DomainModel,
) -> None:
    parts, rest = loader
    before = client.get("/sparql/status").json()
    assert build_pipeline(parts, session_store).run(rest).loaded == len(rest)
    assert count_per_class(client, model) != cypher_counts(session_store, model)  # stale until refreshed
    refreshed = client.post("/sparql/refresh").json()
    assert refreshed["state"] == "ready" and refreshed["lastChangedSubjects"] > 0
    assert refreshed["watermark"] > before["watermark"]
    assert count_per_class(client, model) == cypher_counts(session_store, model)
    # what changed in place (not only what is new) is current too
    statuses = select(
        client, "SELECT ?n ?s WHERE { ?o a ds:SalesOrder ; ds:salesOrderNumber ?n ; ds:status ?s }"
    )
    expected = {
        r["n"]: r["s"]
        for r in session_store.read("MATCH (o:SalesOrder) RETURN o.salesOrderNumber AS n, o.status AS s")
    }
    assert {b["n"]["value"]: b["s"]["value"] for b in statuses} == {
        k: v for k, v in expected.items() if v is not None
    }


# -- personal data ----------------------------------------------------------------------------------

PERSONAL_GRAPH = "urn:digispine:graph:personal-data"


def personal_values(store: Neo4jStore, model: DomainModel) -> set[str]:
    """Every value of every property the ontology marks personal data, read with Cypher."""
    values: set[str] = set()
    for prop in model.datatype_properties.values():
        if prop.personal_data:
            label = model.classes[prop.domain].neo4j_label
            rows = store.read(
                f"MATCH (n:`{label}`) WHERE n.`{prop.name}` IS NOT NULL "
                f"RETURN DISTINCT toString(n.`{prop.name}`) AS v"
            )
            values |= {r["v"] for r in rows}
    return values


DISGUISES = {
    "direct": "SELECT ?v WHERE { ?s ds:email ?v }",
    "every triple": "SELECT ?s ?p ?v WHERE { ?s a ds:Contact ; ?p ?v }",
    "any named graph": "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } }",
    "named graph by IRI": f"SELECT ?v WHERE {{ GRAPH <{PERSONAL_GRAPH}> {{ ?s ?p ?v }} }}",
    "FROM": f"SELECT ?v FROM <{PERSONAL_GRAPH}> WHERE {{ ?s ?p ?v }}",
    "FROM NAMED": f"SELECT ?v FROM NAMED <{PERSONAL_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?v }} }}",
    "alternative path": "SELECT ?v WHERE { ?s ds:email|ds:fullName|ds:contactRole ?v }",
    "negated path": "SELECT ?v WHERE { ?s a ds:Contact ; !(ds:contactId) ?v }",
    "filter on the predicate": "SELECT ?v WHERE { ?s ?p ?v FILTER(?p = ds:email || ?p = ds:fullName) }",
    "predicate from the ontology": (
        "SELECT ?v WHERE { { ?p ds:personalData true . ?s ?p ?v }"
        " UNION { ?p ds:personalData true . GRAPH ?g { ?s ?p ?v } } }"
    ),
    "aggregate": "SELECT (GROUP_CONCAT(STR(?v)) AS ?all) WHERE { ?s a ds:Contact ; ?p ?v }",
    "CONSTRUCT": "CONSTRUCT { ?s ?p ?v } WHERE { ?s a ds:Contact ; ?p ?v }",
    "CONSTRUCT from graphs": "CONSTRUCT { ?s ?p ?v } WHERE { GRAPH ?g { ?s ?p ?v } }",
    "DESCRIBE": "DESCRIBE ?s WHERE { ?s a ds:Contact }",
}


@pytest.mark.parametrize("query", DISGUISES.values(), ids=DISGUISES.keys())
def test_personal_data_never_reaches_an_analyst_without_personal_data(
    client: TestClient, session_store: Neo4jStore, model: DomainModel, query: str
) -> None:
    values = personal_values(session_store, model)
    assert values, "the simulated plant should have people with personal data"
    response = client.get("/sparql", params={"query": PREFIXES + query})
    assert response.status_code == 200, response.text
    assert not [v for v in values if v in response.text]


def test_an_ask_cannot_probe_personal_values(
    client: TestClient, session_store: Neo4jStore, model: DomainModel
) -> None:
    email = sorted(v for v in personal_values(session_store, model) if "@" in v)[0]
    probes = [
        f'ASK {{ ?s ?p ?v FILTER(REGEX(STR(?v), "^{email[:3]}")) FILTER(CONTAINS(STR(?v), "@")) }}',
        f'ASK {{ GRAPH ?g {{ ?s ?p "{email}" }} }}',
        f'ASK FROM <{PERSONAL_GRAPH}> {{ ?s ?p "{email}" }}',
    ]
    for probe in probes:
        analyst = client.get("/sparql", params={"query": PREFIXES + probe})
        assert analyst.status_code == 200 and analyst.json()["boolean"] is False, probe
    admin = client.get("/sparql", params={"query": PREFIXES + probes[0]}, headers=auth("admin"))
    assert admin.json()["boolean"] is True


def test_a_caller_with_personal_data_sees_all_of_it(
    client: TestClient, session_store: Neo4jStore, model: DomainModel
) -> None:
    emails = {
        r["e"] for r in session_store.read("MATCH (c:Contact) WHERE c.email IS NOT NULL RETURN c.email AS e")
    }
    response = client.get("/sparql", params={"query": PREFIXES + DISGUISES["direct"]}, headers=auth("admin"))
    assert {b["v"]["value"] for b in response.json()["results"]["bindings"]} == emails
