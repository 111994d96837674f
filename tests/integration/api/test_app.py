"""The app around the schema: GraphiQL, health, data products merged, and failures as GraphQL errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_PASSWORD, auth, free_port, keyed
from tests.integration.api.conftest import data, post


def test_graphiql_is_served_at_graphql(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_health_and_readiness_still_answer(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["status"] == "ready"


def test_client_mistakes_are_graphql_errors_not_server_errors(client: TestClient) -> None:
    cases = [
        "{ lots { nodes { noSuchField } } }",
        '{ salesOrders(where: {orderDate: {gte: "last tuesday"}}) { totalCount } }',
        '{ salesOrders(where: {totalNetAmount: {gte: "a lot"}}) { totalCount } }',
        "{ salesOrders(orderBy: [{field: sourceSystems}]) { totalCount } }",
        "{ lots { nodes { lotNumber",
        "{ " + "equipmentList { nodes { hasPart { " * 8 + "equipmentId" + " } } }" * 8 + " }",
    ]
    for query in cases:
        body = post(client, query)
        assert body["errors"], query
        assert body.get("data") is None, query


def test_with_data_products_their_fields_join_the_schema(
    neo4j_settings: Settings, session_store: Neo4jStore, model: DomainModel, plant: list[dict[str, Any]]
) -> None:
    app = create_app(keyed(neo4j_settings), session_store, model=model)
    with TestClient(app, headers=auth("admin")) as client:
        catalog = data(client, "{ dataProducts { name version } }")["dataProducts"]
        assert {"orderFulfillment", "lotGenealogy"} <= {p["name"] for p in catalog}
        result = data(
            client, '{ salesOrder(salesOrderNumber: "SO-000001") { salesOrderNumber } ontology { version } }'
        )
        assert result["salesOrder"] == {"salesOrderNumber": "SO-000001"}
        assert client.get("/catalog.jsonld").status_code == 200


def test_an_unreachable_neo4j_is_a_graphql_error_naming_the_server(model: DomainModel) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    settings = load_settings(neo4j_uri=uri, neo4j_password=TEST_PASSWORD)
    app = create_app(keyed(settings), model=model, data_products=False)
    with TestClient(app, headers=auth("admin")) as client:
        body = post(client, '{ lot(lotNumber: "L-1") { lotNumber } }')
        assert client.get("/healthz").status_code == 200
    error = body["errors"][0]
    assert error["extensions"]["code"] == "GRAPH_UNAVAILABLE" and uri in error["message"]
    assert TEST_PASSWORD not in str(body)
