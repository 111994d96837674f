"""The read-only Cypher guard against the real Neo4j: only reads of the graph's data, no personal
data without the role, bounded answers, and runaway expressions refused so the timeout holds."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph_service.api.app import create_app
from graph_service.cli.main import app as cli
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import SEARCH_INDEX
from tests.conftest import auth, keyed
from tests.support.recorder import recording_server

TIMEOUT_S = 10.0
MAX_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def client(
    plant: list[dict[str, Any]], session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings
) -> Iterator[TestClient]:
    settings = keyed(
        neo4j_settings, cypher_max_rows=500, cypher_timeout_s=TIMEOUT_S, cypher_max_response_bytes=MAX_BYTES
    )
    app = create_app(settings, session_store, model=model)
    with TestClient(app, headers=auth("analyst")) as test_client:
        yield test_client


def cypher(client: TestClient, query: str, who: str = "analyst", **body: Any) -> Any:
    return client.post("/cypher", json={"query": query, **body}, headers=auth(who))


def assert_refused(response: Any, *words: str) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["kind"] == "refused", error
    for word in words:
        assert word in error["message"], error
    return error


# -- network, files, administration, other sessions ------------------------------------------------


@pytest.fixture()
def web() -> Iterator[tuple[str, list[str]]]:
    """A small HTTP server on 127.0.0.1 that records every request it gets."""
    with recording_server(b"secret,body\n") as server:
        yield server.base_url + "/healthz", server.received


@pytest.mark.parametrize(
    "template",
    [
        "LOAD CSV FROM '{url}' AS line RETURN line",
        "CALL () {{ LOAD CSV FROM '{url}' AS line RETURN line }} RETURN line",
        "WITH '{url}' AS u load csv from u AS line RETURN line",
    ],
)
def test_load_csv_never_reaches_the_network(
    client: TestClient, web: tuple[str, list[str]], template: str
) -> None:
    url, seen = web
    assert_refused(cypher(client, template.format(url=url)), "LOAD CSV")
    assert seen == []


def test_the_local_server_itself_refuses_load_csv_urls_and_files(
    session_store: Neo4jStore, neo4j_settings: Settings, web: tuple[str, list[str]]
) -> None:
    """Defence in depth: even a statement that skips the guard (the service's own session)."""
    if os.environ.get("NEO4J_URI"):  # the session's server is not the one tests/conftest.py starts
        pytest.skip("an external Neo4j is configured by its operator, not by us")
    url, seen = web
    for source in (url, "file:///etc/passwd"):
        with pytest.raises(Exception, match="blocked|file|URL") as caught:
            session_store.read(f"LOAD CSV FROM '{source}' AS line RETURN line")
        assert "secret" not in str(caught.value)
    assert seen == []


ADMINISTRATION = [
    "SHOW TRANSACTIONS",
    "show transactions yield *",
    "/* look */ SHOW TRANSACTIONS YIELD currentQuery, parameters, clientAddress",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "CALL dbms.listConnections()",
    "CALL dbms.killConnections(['bolt-1'])",
    "CALL db.clearQueryCaches()",
    "CALL dbms.queryJmx('*:*')",
    "CALL dbms.listConfig()",
    "SHOW USERS",
    "SHOW SETTINGS",
    "SHOW PROCEDURES",
    "USE system SHOW USERS",
    "CYPHER 5 SHOW TRANSACTIONS",
    "EXPLAIN SHOW USERS",
    "CALL db.labels() YIELD label CALL dbms.listConnections() YIELD connectionId RETURN label",
    "CREATE USER intruder SET PASSWORD 'intruder-pw'",
    "MATCH (n) RETURN apoc.version()",
]


@pytest.mark.parametrize("statement", ADMINISTRATION)
def test_administration_and_other_sessions_are_refused(client: TestClient, statement: str) -> None:
    response = cypher(client, statement, who="admin")  # even with every role: this path only reads
    assert response.status_code in (400, 403), response.text
    assert response.json()["error"]["kind"] in ("refused", "syntax")


def test_a_refusal_names_what_and_why(client: TestClient) -> None:
    assert_refused(cypher(client, "SHOW TRANSACTIONS"), "SHOW", "other sessions")
    assert_refused(cypher(client, "CALL dbms.listConnections()"), "dbms.listConnections", "not allowed")
    assert_refused(cypher(client, "TERMINATE TRANSACTIONS 'neo4j-transaction-1'"), "TERMINATE")


def test_schema_procedures_and_reads_still_run(client: TestClient, session_store: Neo4jStore) -> None:
    labels = cypher(client, "CALL db.labels() YIELD label RETURN label ORDER BY label").json()
    assert "Lot" in [row[0] for row in labels["rows"]]
    body = cypher(client, "MATCH (l:Lot) RETURN l.status AS status, count(*) AS n ORDER BY status").json()
    expected = session_store.read("MATCH (l:Lot) RETURN l.status AS status, count(*) AS n ORDER BY status")
    assert body["rows"] == [[r["status"], r["n"]] for r in expected]


def test_every_named_query_passes_the_guard(client: TestClient, session_store: Neo4jStore) -> None:
    lot = session_store.read("MATCH (l:Lot)<-[:SHIPS_LOT]-() RETURN l.lotNumber AS n LIMIT 1")[0]["n"]
    for name, parameters in [
        ("lotGenealogy", {"lotNumber": lot}),
        ("equipmentOEE", {}),
        ("equipmentKpis", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}),
        ("valueStream", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}),
        ("sipoc", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}),
        ("objectProcess", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}),
        # Computed products answer /cypher with their query's plan (the step runs in the product layer).
        ("kpiTrend", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}),
        (
            "kpiComparison",
            {
                "beforeFrom": "2026-03-02T00:00:00Z",
                "beforeTo": "2026-03-03T00:00:00Z",
                "afterFrom": "2026-03-03T00:00:00Z",
                "afterTo": "2026-03-04T00:00:00Z",
            },
        ),
        ("orderFulfillment", {}),
        ("customerQuality", {}),
        ("workInProgress", {}),
    ]:
        response = client.post("/cypher", json={"name": name, "parameters": parameters})
        assert response.status_code == 200, (name, response.text)


# -- runaway expressions and answer size ----------------------------------------------------------


def lingering(store: Neo4jStore, marker: str) -> list[dict[str, Any]]:
    return store.read(
        "SHOW TRANSACTIONS YIELD transactionId, currentQuery, status "
        "WHERE currentQuery CONTAINS $marker AND NOT currentQuery STARTS WITH 'SHOW' "
        "RETURN transactionId, status",
        {"marker": marker},
    )


def wait_until_gone(store: Neo4jStore, marker: str, within_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within_s
    while (left := lingering(store, marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_the_issues_runaway_is_refused_up_front(client: TestClient, session_store: Neo4jStore) -> None:
    runaway = (
        "UNWIND range(1,50) AS i RETURN reduce(s='', x IN range(1,200000) | s + 'xxxxx') AS issue_runaway"
    )
    error = assert_refused(cypher(client, runaway), "range()", "timeout")
    assert "position" in error
    assert lingering(session_store, "issue_runaway") == []
    for crash in ["RETURN size([x IN range(1, 50000000) | x]) AS c", "RETURN range(1, 5000000) AS r"]:
        assert_refused(cypher(client, crash), "range()")


def test_the_heaviest_allowed_expression_stops_at_the_timeout(
    client: TestClient, session_store: Neo4jStore
) -> None:
    """At the bound the guard allows, each row is short, so Neo4j's timeout check comes round
    often: the statement stops soon after the limit, leaves no transaction, and Neo4j answers."""
    heavy = (
        "UNWIND range(1, 100000000) AS i "
        "RETURN i, 'heavy_at_bound' AS marker, size(reduce(s = '', x IN range(1, 10000) | s + 'x')) AS n"
    )
    started = time.monotonic()
    response = cypher(client, heavy, timeoutS=1.0)
    answered = time.monotonic() - started
    assert response.status_code in (200, 504), response.text
    assert answered < 1.0 + 20, answered  # generous: the check interval, two shared cores
    assert wait_until_gone(session_store, "heavy_at_bound", within_s=15) == []
    started = time.monotonic()
    assert cypher(client, "RETURN 1 AS one").json()["rows"] == [[1]]
    assert time.monotonic() - started < 10


#: The longest string the loaders accept (DIGISPINE_LOADER_MAX_STRING_CHARS), in UTF-16 (2 bytes
#: a character in Java): the largest value a statement starts growing from.
LONGEST = "中" * 10_000


def grown(doublings: int, rows: str = "", keep: str = "") -> str:
    return f"{rows}WITH {keep}$big AS s " + f"WITH {keep}s + s AS s " * doublings


def test_values_grown_step_by_step_are_refused_and_the_heaviest_allowed_leaves_neo4j_up(
    client: TestClient, session_store: Neo4jStore
) -> None:
    """30 doublings exhaust the 1 GiB heap and stop Neo4j (measured): refused up front. At the
    limit (DIGISPINE_CYPHER_MAX_GROWTH, 10) the statement stops at the timeout or finishes,
    and Neo4j still answers."""
    runaway = grown(30) + "RETURN size(s) AS grown_runaway"
    assert_refused(
        cypher(client, runaway, parameters={"big": LONGEST}), "DIGISPINE_CYPHER_MAX_GROWTH", "memory"
    )
    assert lingering(session_store, "grown_runaway") == []
    heaviest = [  # 20 MB per row, 1e8 rows; a 1e5-element list doubled to 1e8 and walked in one expression
        grown(10, "UNWIND range(1, 100000000) AS i ", "i, ") + "RETURN max(size(s)) AS grown_at_bound",
        "UNWIND range(1, 100000) AS i WITH collect(i) AS c "
        + "WITH c + c AS c " * 10
        + "RETURN any(x IN c WHERE x = -1) AS grown_at_bound",
    ]
    for statement in heaviest:
        started = time.monotonic()
        response = cypher(client, statement, parameters={"big": LONGEST}, timeoutS=1.0)
        assert response.status_code in (200, 504), response.text
        assert time.monotonic() - started < 1.0 + 40  # the list walk runs ~6 s to its end on 2 cores
        assert wait_until_gone(session_store, "grown_at_bound", within_s=15) == []
        assert cypher(client, "RETURN 1 AS one").json()["rows"] == [[1]]


def test_one_row_over_the_size_limit_is_an_error_and_many_rows_are_cut(client: TestClient) -> None:
    one_big_row = cypher(client, "UNWIND range(1, 20000) AS i RETURN collect(i) AS xs")
    assert one_big_row.status_code == 422, one_big_row.text
    error = one_big_row.json()["error"]
    assert error["kind"] == "too_large" and f"{MAX_BYTES:,}" in error["message"]
    many = cypher(client, "UNWIND range(1, 400) AS i RETURN i, '" + "x" * 400 + "' AS pad")
    body = many.json()
    assert many.status_code == 200 and body["truncated"] is True and body["truncatedBy"] == "bytes"
    assert 0 < body["rowCount"] < 400 and len(many.content) <= MAX_BYTES + 1024


# -- personal data --------------------------------------------------------------------------------

DISGUISES = [
    "MATCH (c:Contact) RETURN c.fullName, c.email, c.phone",
    "MATCH (c:Contact) WHERE c.email STARTS WITH 'a' RETURN count(c) AS n",
    "MATCH (c:Contact) RETURN c.name ORDER BY c.fullName",
    "MATCH (c:Contact) RETURN properties(c) AS p",
    "MATCH (c:Contact) RETURN c {.*} AS c",
    "MATCH (c:Contact) UNWIND keys(c) AS k RETURN k, c[k]",
    "MATCH (c:Contact) RETURN [k IN keys(c) | c[k]] AS values",
    "MATCH (c:Contact) RETURN c['email'] AS e",
    "MATCH (c:Contact) RETURN c[$k] AS e",
    "MATCH (c:Contact) RETURN c.`email` AS e",
    "MATCH (c:Contact) RETURN toUpper(substring(c.email, 0, 3)) AS e",
    "MATCH (c:Contact) RETURN size(c.phone) AS n",
    "MATCH (c:Contact {email: $e}) RETURN count(c) AS n",
    "MATCH (o:Operator) RETURN o.badgeId AS b",
    f"CALL db.index.fulltext.queryNodes('{SEARCH_INDEX}', 'x') YIELD node RETURN node",
]


@pytest.mark.parametrize("statement", DISGUISES)
def test_personal_data_is_refused_without_the_role(client: TestClient, statement: str) -> None:
    params = {"k": "email", "e": "a@example.com"}
    error = assert_refused(cypher(client, statement, parameters=params), "personal", "personal-data")
    assert "@" not in error["message"]
    with_role = cypher(client, statement, who="hr", parameters=params)
    assert with_role.status_code == 403  # hr is a reader, not an analyst: /cypher stays closed
    admin = cypher(client, statement, who="admin", parameters=params)
    assert admin.status_code == 200, admin.text


def personal_values(store: Neo4jStore) -> set[str]:
    rows = store.read(
        "MATCH (p:Person) UNWIND [p.fullName, p.email, p.phone, p.badgeId] AS v "
        "WITH v WHERE v IS NOT NULL RETURN DISTINCT toString(v) AS v"
    )
    return {r["v"] for r in rows}


def test_whole_nodes_paths_and_lists_come_back_without_personal_data(
    client: TestClient, session_store: Neo4jStore
) -> None:
    values = personal_values(session_store)
    assert values, "the plant should have people with personal data"
    for statement in [
        "MATCH (c:Person) RETURN c",
        "MATCH (c:Person) RETURN collect(c)[0..20] AS people",
        "MATCH (c:Person) RETURN {who: c} AS m",
        "MATCH p = (c:Person)-[*0..1]-() RETURN p LIMIT 200",
    ]:
        response = cypher(client, statement)
        assert response.status_code == 200, response.text
        assert not [v for v in values if v in response.text], statement
        assert '"email"' not in response.text and '"fullName"' not in response.text
    admin = cypher(client, "MATCH (c:Person) RETURN c", who="admin").text
    assert any(v in admin for v in values)  # the role sees them: the masking is by role


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture()
def cli_env(neo4j_settings: Settings, plant: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.bolt_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password.get_secret_value())


@pytest.mark.parametrize(
    "statement",
    [
        "SHOW TRANSACTIONS",
        "CALL dbms.listConnections()",
        "LOAD CSV FROM 'http://127.0.0.1:9/' AS l RETURN l",
        "RETURN range(1, 5000000)",
    ],
)
def test_the_cli_refuses_the_same(cli_env: None, statement: str) -> None:
    result = CliRunner().invoke(cli, ["query", statement])
    assert result.exit_code == 1 and "refused" in result.output, result.output


def test_the_cli_leaves_personal_data_out_unless_asked(cli_env: None, session_store: Neo4jStore) -> None:
    values = personal_values(session_store)
    refused = CliRunner().invoke(cli, ["query", "MATCH (c:Contact) RETURN c.email"])
    assert refused.exit_code == 1 and "personal-data" in refused.output
    nodes = CliRunner().invoke(cli, ["query", "MATCH (c:Person) RETURN c", "--format", "json"])
    assert nodes.exit_code == 0 and not [v for v in values if v in nodes.stdout]
    asked = CliRunner().invoke(
        cli, ["query", "MATCH (c:Person) RETURN c.email AS e", "--format", "json", "--include-personal-data"]
    )
    assert asked.exit_code == 0, asked.output
    assert {r[0] for r in json.loads(asked.stdout)["rows"]} & values
