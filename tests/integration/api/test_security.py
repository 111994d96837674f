"""API keys, roles, personal-data masking and the query limits, against the real Neo4j."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from graph_service.api.app import create_app
from graph_service.api.graphql.cypher_builder import Statement
from graph_service.api.graphql.executor import GraphExecutor
from graph_service.errors import ConfigurationError
from graph_service.ontology.model import DomainModel
from graph_service.security import KeyRing, hash_key, parse_entries
from graph_service.settings import Settings
from graph_service.store import LoopReader, Neo4jStore
from tests.conftest import TEST_KEYS, auth, keyed

CONTACTS = "{ contacts(first: 50) { nodes { contactId fullName email phone } } }"


@pytest.fixture(scope="module")
def app_client(
    plant: list[dict[str, Any]], session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings
) -> Iterator[TestClient]:
    """The whole app (generated schema and data products) with the test keys configured."""
    app = create_app(keyed(neo4j_settings), session_store, model=model)
    with TestClient(app) as client:
        yield client


def gql(client: TestClient, who: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = auth(who) if who else {}
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# -- keys -------------------------------------------------------------------------------------


def test_a_missing_key_is_401_and_names_the_headers(app_client: TestClient) -> None:
    response = app_client.post("/graphql", json={"query": "{ ontology { version } }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_wrong_key_is_401_both_ways_of_sending_it(app_client: TestClient) -> None:
    query = {"query": "{ ontology { version } }"}
    wrong = TEST_KEYS["admin"][0] + "x"
    assert app_client.post("/graphql", json=query, headers={"X-API-Key": wrong}).status_code == 401
    bearer = {"Authorization": f"Bearer {wrong}"}
    assert app_client.post("/graphql", json=query, headers=bearer).status_code == 401
    assert app_client.get("/catalog.jsonld", headers=bearer).status_code == 401
    right = {"X-API-Key": TEST_KEYS["reader"][0]}
    assert app_client.post("/graphql", json=query, headers=right).status_code == 200


def test_health_and_the_graphiql_page_need_no_key(app_client: TestClient) -> None:
    assert app_client.get("/healthz").status_code == 200
    assert app_client.get("/readyz").status_code == 200
    page = app_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    # ...but no query runs by GET, with or without a key
    assert app_client.get("/graphql", params={"query": "{ ontology { version } }"}).status_code != 200


def test_keys_are_configured_hashed_and_bad_entries_are_named() -> None:
    ring = KeyRing(parse_entries(f"app:{hash_key('secret-1')}:reader,analyst", "test"))
    principal = ring.lookup("secret-1")
    assert principal is not None and principal.name == "app"
    assert principal.has_role("reader") and principal.has_role("analyst")
    assert not principal.may_see_personal_data
    assert ring.lookup("secret-2") is None
    with pytest.raises(ConfigurationError, match="entry 2 \\(b\\).*SHA-256"):
        parse_entries(f"a:{hash_key('k')}:reader;b:plain-key-not-a-hash:reader", "DIGISPINE_API_KEYS")
    with pytest.raises(ConfigurationError, match="entry 1.*name:sha256:role"):
        parse_entries("just-a-key", "DIGISPINE_API_KEYS")


def test_a_bad_key_entry_stops_the_app_from_being_built(neo4j_settings: Settings) -> None:
    settings = neo4j_settings.model_copy(update={"api_keys": SecretStr("ops:123:admin")})
    with pytest.raises(ConfigurationError, match="DIGISPINE_API_KEYS: entry 1 \\(ops\\)"):
        create_app(settings)


# -- roles and masking ----------------------------------------------------------------------------


def test_personal_data_is_masked_for_a_reader_and_shown_with_the_role(
    app_client: TestClient, session_store: Neo4jStore
) -> None:
    expected = {
        r["id"]: r
        for r in session_store.read(
            "MATCH (p:Contact) RETURN p.contactId AS id, p.fullName AS fullName, p.email AS email"
        )
    }
    assert expected and all(r["fullName"] for r in expected.values())

    masked = gql(app_client, "reader", CONTACTS)
    rows = masked["data"]["contacts"]["nodes"]
    assert rows and all(r["fullName"] is None and r["email"] is None for r in rows)
    assert {r["contactId"] for r in rows} <= set(expected)
    assert {"Contact.fullName", "Contact.email", "Contact.phone"} <= set(masked["extensions"]["maskedFields"])

    shown = gql(app_client, "hr", CONTACTS)
    assert "maskedFields" not in (shown.get("extensions") or {})
    for row in shown["data"]["contacts"]["nodes"]:
        assert (row["fullName"], row["email"]) == (
            expected[row["contactId"]]["fullName"],
            expected[row["contactId"]]["email"],
        )


def test_masking_reaches_nested_selections(app_client: TestClient) -> None:
    query = "{ customers(first: 5) { nodes { contactsViaContactOf(first: 3) { fullName } } } }"
    body = gql(app_client, "reader", query)
    names = [c["fullName"] for n in body["data"]["customers"]["nodes"] for c in n["contactsViaContactOf"]]
    assert names and set(names) == {None}


def test_filtering_or_ordering_by_personal_data_needs_the_role(app_client: TestClient) -> None:
    by_mail = '{ contacts(where: {email: {startsWith: "a"}}) { totalCount } }'
    refused = gql(app_client, "reader", by_mail)
    assert refused["data"] is None or refused["data"]["contacts"] is None
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN" and "email" in error["message"]
    ordered = gql(app_client, "reader", "{ contacts(orderBy: [{field: fullName}]) { totalCount } }")
    assert ordered["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    nested = (
        '{ customers { nodes { contactsViaContactOf(where: {fullName: {contains: "e"}}) { contactId } } } }'
    )
    assert gql(app_client, "reader", nested)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not gql(app_client, "hr", by_mail).get("errors")


def test_entity_queries_need_the_reader_role(app_client: TestClient) -> None:
    body = gql(app_client, "sales", "{ lots(first: 1) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "reader" in body["errors"][0]["message"]
    assert gql(app_client, "analyst", "{ lots(first: 1) { totalCount } }")["data"]["lots"]["totalCount"] > 0


def test_a_forbidden_product_is_an_error_naming_it_and_no_data(app_client: TestClient) -> None:
    query = "{ equipmentOEE { equipmentId } orderFulfillment { salesOrderNumber } }"
    body = gql(app_client, "sales", query)  # sales may see orderFulfillment, not equipmentOEE
    assert body["data"]["equipmentOEE"] is None
    assert body["data"]["orderFulfillment"]  # rows of the allowed product still come
    [error] = body["errors"]
    assert error["path"] == ["equipmentOEE"]
    assert error["extensions"] == {"code": "FORBIDDEN", "product": "equipmentOEE", "version": "1.0.0"}
    assert "equipmentOEE" in error["message"]


def test_product_routes_answer_403_without_a_product_role(app_client: TestClient) -> None:
    path = "/products/equipmentOEE/1/validate"
    refused = app_client.post(path, headers=auth("sales"))
    assert refused.status_code == 403 and "equipmentOEE" in refused.json()["detail"]
    assert app_client.post(path, headers=auth("analyst")).status_code == 200


# -- limits ---------------------------------------------------------------------------------------


def test_page_size_depth_and_cost_limits_are_graphql_errors(
    plant: list[dict[str, Any]], session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings
) -> None:
    settings = keyed(neo4j_settings, graphql_max_page_size=50, graphql_max_depth=4, graphql_max_cost=2000)
    app = create_app(settings, session_store, model=model, data_products=False)
    with TestClient(app, headers=auth("admin")) as client:
        too_big = client.post("/graphql", json={"query": "{ lots(first: 51) { totalCount } }"}).json()
        assert "between 0 and 50" in too_big["errors"][0]["message"]

        deep = "{ lots { nodes { producedBy { forSalesOrderItem { itemOf { orderedBy { name } } } } } } }"
        too_deep = client.post("/graphql", json={"query": deep}).json()
        assert too_deep["data"] is None and "exceeds maximum operation depth of 4" in str(too_deep["errors"])

        costly = "{ salesOrders(first: 50) { nodes { hasItem(first: 50) { itemNumber } } } }"
        refused = client.post("/graphql", json={"query": costly}).json()
        error = refused["errors"][0]
        assert error["extensions"] == {"code": "COST_LIMIT_EXCEEDED", "cost": 50 + 50 * 50, "limit": 2000}
        cheap = "{ salesOrders(first: 10) { nodes { hasItem(first: 10) { itemNumber } } } }"
        answered = client.post("/graphql", json={"query": cheap}).json()
        assert not answered.get("errors") and answered["extensions"]["cost"] == 10 + 10 * 10


SLOW = Statement("UNWIND range(1, 400000000) AS x WITH x WHERE x = -1 RETURN count(x) AS n", {})


def test_a_statement_running_past_the_timeout_is_stopped_by_neo4j(session_store: Neo4jStore) -> None:
    with pytest.raises(Exception) as caught:
        GraphExecutor(session_store, timeout_s=0.5).run(SLOW)
    assert caught.value.extensions["code"] == "QUERY_TIMEOUT"  # type: ignore[attr-defined]
    assert "0.5 s" in str(caught.value)


def test_the_asyncio_driver_path_has_the_same_timeout_and_answers(session_store: Neo4jStore) -> None:
    async def scenario() -> tuple[dict[str, Any] | None, BaseException]:
        executor = GraphExecutor(session_store, timeout_s=0.5)
        reader = LoopReader(session_store)
        executor.use_async(reader)
        try:
            answer = await executor.run_async(Statement("RETURN $x + 1 AS y", {"x": 41}))
            try:
                await executor.run_async(SLOW)
            except Exception as exc:  # noqa: BLE001 - inspected below
                return answer, exc
            raise AssertionError("the slow statement was not stopped")
        finally:
            await reader.close()

    answer, error = asyncio.run(scenario())
    assert answer == {"y": 42}
    assert error.extensions["code"] == "QUERY_TIMEOUT"  # type: ignore[attr-defined]
    assert "0.5 s" in str(error)
