"""Read-only Cypher (POST /cypher and `digispine query`) against the real Neo4j."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph_service.api.app import create_app
from graph_service.cli.main import app as cli
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_PASSWORD, auth, free_port, keyed
from tests.support.paths import REPO

COUNTS = (
    "MATCH (n) WITH count(n) AS nodes "
    "OPTIONAL MATCH ()-[r]->() WITH nodes, count(r) AS rels "
    "MATCH (m) UNWIND keys(m) AS k RETURN nodes, rels, count(k) AS props"
)

WRITES = [
    "CREATE (:Intruder {name: 'x'})",
    "MATCH (n:Lot) SET n.status = 'HACKED'",
    "MATCH (n:Lot) WITH n LIMIT 1 DETACH DELETE n",
    "MERGE (:Customer {customerNumber: 'C-EVIL'})",
    "MATCH (n:Lot) REMOVE n.status",
    "CREATE INDEX evil IF NOT EXISTS FOR (n:Lot) ON (n.evil)",
    "MATCH (a:Lot), (b:Lot) WITH a, b LIMIT 1 CREATE (a)-[:EVIL]->(b)",
    "CALL { CREATE (:Intruder) } RETURN 1",
    "FOREACH (i IN range(1, 3) | CREATE (:Intruder {i: i}))",
]


@pytest.fixture(scope="module")
def client(
    plant: list[dict[str, Any]], session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings
) -> Iterator[TestClient]:
    settings = keyed(neo4j_settings, cypher_max_rows=500, cypher_timeout_s=5.0)
    app = create_app(settings, session_store, model=model)
    with TestClient(app, headers=auth("analyst")) as test_client:
        yield test_client


def cypher(client: TestClient, **body: Any) -> Any:
    return client.post("/cypher", json=body)


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_the_graph_is_unchanged(
    client: TestClient, session_store: Neo4jStore, statement: str
) -> None:
    before = session_store.read(COUNTS)
    response = cypher(client, query=statement)
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["kind"] == "write" and "refused" in error["message"]
    assert session_store.read(COUNTS) == before
    assert session_store.read("SHOW INDEXES YIELD name WHERE name = 'evil' RETURN name") == []


def test_rows_match_the_graph_and_values_are_json(client: TestClient, session_store: Neo4jStore) -> None:
    expected = session_store.read("MATCH (l:Lot) RETURN l.lotNumber AS lot ORDER BY lot")
    body = cypher(client, query="MATCH (l:Lot) RETURN l.lotNumber AS lot, l ORDER BY lot").json()
    assert body["columns"] == ["lot", "l"] and not body["truncated"]
    assert [row[0] for row in body["rows"]] == [r["lot"] for r in expected]
    node = body["rows"][0][1]
    assert "Lot" in node["labels"] and node["properties"]["lotNumber"] == expected[0]["lot"]
    assert not [k for k in node["properties"] if k.startswith("_v")]  # loader internals stay hidden
    assert isinstance(node["properties"]["lastEventTime"], str)  # temporal values as ISO 8601 text


def test_parameters_are_parameters(client: TestClient) -> None:
    attack = "x' OR 1=1 //"
    body = cypher(
        client, query="MATCH (l:Lot {lotNumber: $n}) RETURN count(l) AS c", parameters={"n": attack}
    )
    assert body.json()["rows"] == [[0]]


def test_the_row_limit_truncates_and_a_request_may_only_lower_it(client: TestClient) -> None:
    big = cypher(client, query="UNWIND range(1, 2000) AS x RETURN x").json()
    assert big["rowCount"] == 500 and big["truncated"] is True
    small = cypher(client, query="UNWIND range(1, 2000) AS x RETURN x", limit=7).json()
    assert small["rows"] == [[i] for i in range(1, 8)] and small["truncated"] is True
    asked_more = cypher(client, query="UNWIND range(1, 2000) AS x RETURN x", limit=100000).json()
    assert asked_more["rowCount"] == 500
    exact = cypher(client, query="UNWIND range(1, 3) AS x RETURN x").json()
    assert exact["rowCount"] == 3 and exact["truncated"] is False


def test_a_slow_query_is_stopped_by_the_timeout(client: TestClient) -> None:
    slow = "UNWIND range(1, 400000000) AS x WITH x WHERE x = -1 RETURN count(x)"
    response = cypher(client, query=slow, timeoutS=0.5)
    assert response.status_code == 504
    assert response.json()["error"]["kind"] == "timeout" and "0.5 s" in response.json()["error"]["message"]


def test_a_syntax_error_comes_back_with_neo4j_message_and_position(client: TestClient) -> None:
    response = cypher(client, query="MATCH (n:Lot)\nRETRUN n")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["kind"] == "syntax" and error["code"].startswith("Neo.ClientError.Statement")
    assert error["position"] == {"line": 2, "column": 1, "offset": 14}
    assert "RETRUN" in error["message"]


def test_named_queries_run_with_typed_parameters(client: TestClient, session_store: Neo4jStore) -> None:
    lot = session_store.read("MATCH (l:Lot)<-[:SHIPS_LOT]-() RETURN l.lotNumber AS n LIMIT 1")[0]["n"]
    body = cypher(client, name="lotGenealogy", parameters={"lotNumber": lot}).json()
    text = (REPO / "queries" / "lotGenealogy" / "v1" / "query.cypher").read_text(encoding="utf-8")
    direct = session_store.read(text, {"lotNumber": lot, "maxDepth": 10})  # the declared default
    assert body["rowCount"] == len(direct) >= 1 and body["columns"] == list(direct[0])
    missing = cypher(client, name="lotGenealogy", parameters={})
    assert missing.status_code == 400 and "lotNumber" in missing.json()["error"]["message"]
    wrong_type = cypher(client, name="equipmentOEE", parameters={"from": 42})
    assert wrong_type.status_code == 400 and "from" in wrong_type.json()["error"]["message"]
    unknown = cypher(client, name="noSuchProduct")
    assert unknown.status_code == 400 and "noSuchProduct" in unknown.json()["error"]["message"]


def test_only_analysts_may_run_cypher(client: TestClient) -> None:
    query = {"query": "RETURN 1"}
    assert client.post("/cypher", json=query, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/cypher", json=query, headers=auth("reader")).status_code == 403
    assert client.post("/cypher", json=query, headers=auth("admin")).status_code == 200
    both = client.post("/cypher", json={"query": "RETURN 1", "name": "lotGenealogy"})
    assert both.status_code == 422


# -- the CLI --------------------------------------------------------------------------------------


@pytest.fixture()
def cli_env(neo4j_settings: Settings, plant: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password.get_secret_value())


def test_query_cli_formats(cli_env: None, session_store: Neo4jStore) -> None:
    runner = CliRunner()
    expected = session_store.read("MATCH (c:Customer) RETURN c.customerNumber AS n ORDER BY n")
    statement = "MATCH (c:Customer) WHERE c.customerNumber >= $from RETURN c.customerNumber AS n ORDER BY n"
    as_json = runner.invoke(cli, ["query", statement, "-p", 'from=""', "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert [r[0] for r in json.loads(as_json.stdout)["rows"]] == [r["n"] for r in expected]
    as_csv = runner.invoke(cli, ["query", statement, "-p", "from=C", "--format", "csv", "--limit", "2"])
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["n"] and [r[0] for r in rows[1:]] == [r["n"] for r in expected[:2]]
    table = runner.invoke(cli, ["query", "MATCH (c:Customer) RETURN count(c) AS customers"])
    assert table.exit_code == 0 and str(len(expected)) in table.stdout and "customers" in table.stdout


def test_query_cli_errors_show_the_position_and_exit_1(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["query", "MATCH (n) RETRUN n"])
    assert result.exit_code == 1
    assert "syntax error" in result.output and "^" in result.output
    write = CliRunner().invoke(cli, ["query", "CREATE (:Intruder)"])
    assert write.exit_code == 1 and "refused" in write.output


def test_query_cli_runs_named_queries(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["query", "--name", "orderFulfillment", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "salesOrderNumber" in json.loads(result.stdout)["columns"]


def test_an_unreachable_neo4j_is_503_naming_the_server(model: DomainModel) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    settings = keyed(load_settings(neo4j_uri=uri, neo4j_password=TEST_PASSWORD))
    with TestClient(
        create_app(settings, model=model, data_products=False), headers=auth("analyst")
    ) as client:
        response = client.post("/cypher", json={"query": "RETURN 1"})
    assert response.status_code == 503
    assert uri in response.json()["error"]["message"] and TEST_PASSWORD not in response.text
