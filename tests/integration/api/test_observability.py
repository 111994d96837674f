"""/metrics, traces and request ids of the API, on the API tests' plant."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from graph_service.api.app import create_app
from graph_service.observability.logs import RequestIdFilter
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import auth, keyed

LOT_QUERY = '{ a: lot(lotNumber: "L-1") { lotNumber } }'


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(scope="module")
def app_client(
    plant: list[dict[str, Any]],
    session_store: Neo4jStore,
    model: DomainModel,
    neo4j_settings: Settings,
    spans: InMemorySpanExporter,
) -> Iterator[TestClient]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    # no broker here: the streams' freshness is measured (and found unreachable) quickly
    settings = keyed(neo4j_settings, stream_freshness_timeout_s=0.5)
    app = create_app(settings, session_store, model=model, tracer_provider=provider)
    with TestClient(app) as client:
        yield client


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``GET /metrics``, by name and sorted labels."""
    response = client.get("/metrics", headers=auth("admin"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_need_a_key_with_the_metrics_role(app_client: TestClient) -> None:
    assert app_client.get("/metrics").status_code == 401
    assert app_client.get("/metrics", headers=auth("reader")).status_code == 403
    assert app_client.get("/metrics", headers=auth("admin")).status_code == 200


def test_graphql_root_fields_are_counted_timed_and_their_errors_counted_by_code(
    app_client: TestClient,
) -> None:
    before = samples(app_client)
    for _ in range(3):
        response = app_client.post("/graphql", json={"query": LOT_QUERY}, headers=auth("reader"))
        assert response.status_code == 200 and not response.json().get("errors")
    refused = app_client.post(  # a page larger than the limit: the field's resolver refuses it
        "/graphql", json={"query": "{ lots(first: 100000000) { totalCount } }"}, headers=auth("reader")
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    invalid = app_client.post("/graphql", json={"query": "{ lot { nope } }"}, headers=auth("reader"))
    assert invalid.json()["errors"]
    after = samples(app_client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("digispine_graphql_requests_total", root_field="lot") == 3  # the alias counts as lot
    assert delta("digispine_graphql_duration_seconds_count", root_field="lot") == 3
    assert delta("digispine_graphql_errors_total", root_field="lots", code="BAD_USER_INPUT") == 1
    operation_errors = sum(
        v - value(before, n, **dict(labels))
        for (n, labels), v in after.items()
        if n == "digispine_graphql_errors_total" and dict(labels)["root_field"] == "-"
    )
    assert operation_errors >= 1  # the invalid document: refused before any field ran
    assert delta("digispine_neo4j_statement_duration_seconds_count", mode="read") >= 3


def test_pools_products_and_their_freshness_are_reported(app_client: TestClient) -> None:
    app_client.post("/graphql", json={"query": LOT_QUERY}, headers=auth("reader"))
    found = samples(app_client)
    for driver in ("sync", "async"):
        opened = value(found, "digispine_neo4j_pool_connections", driver=driver)
        assert 0 <= value(found, "digispine_neo4j_pool_connections_in_use", driver=driver) <= opened
        assert value(found, "digispine_neo4j_pool_max_connections", driver=driver) >= 1
    assert value(found, "digispine_neo4j_pool_connections", driver="async") >= 1  # the query's
    states: dict[tuple[str, str], float] = {}
    for (name, labels), v in found.items():
        if name == "digispine_product_validation_state":
            key = (dict(labels)["product"], dict(labels)["version"])
            states[key] = states.get(key, 0.0) + v
    assert states and set(states.values()) == {1.0}  # every product version is in exactly one state
    for product, version in states:
        assert value(found, "digispine_product_freshness_sla_seconds", product=product, version=version) > 0
        # the plant's newest event is in the past: an age, not a gap
        assert value(found, "digispine_product_freshness_age_seconds", product=product, version=version) > 0


def test_a_request_has_a_span_with_its_root_fields_and_their_statements(
    app_client: TestClient, spans: InMemorySpanExporter
) -> None:
    spans.clear()
    response = app_client.post("/graphql", json={"query": LOT_QUERY}, headers=auth("reader"))
    assert response.status_code == 200
    finished: list[ReadableSpan] = list(spans.get_finished_spans())
    by_name = {s.name: s for s in finished}
    request, field, statement = by_name["POST /graphql"], by_name["graphql lot"], by_name["neo4j read"]
    assert request.parent is None
    assert field.parent is not None and field.parent.span_id == request.context.span_id
    assert statement.parent is not None and statement.parent.span_id == field.context.span_id
    assert {request.context.trace_id, field.context.trace_id, statement.context.trace_id} == {
        request.context.trace_id
    }
    assert "MATCH" in str(statement.attributes["db.query.text"])
    assert request.attributes["digispine.request_id"] == response.headers["x-request-id"]


def test_request_ids_are_honoured_or_made_and_on_every_log_line_of_the_request(
    app_client: TestClient,
) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        given = app_client.get("/readyz", headers={"X-Request-Id": "plant-7.abc"})
        made = app_client.get("/readyz")
        bad = app_client.get("/readyz", headers={"X-Request-Id": "two words\x01"})
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert given.headers["x-request-id"] == "plant-7.abc"
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "plant-7.abc"
    assert bad.headers["x-request-id"] != "two words\x01"
    access = [r for r in records if r.name == "digispine.access"]
    assert [r.request_id for r in access] == [  # type: ignore[attr-defined]
        "plant-7.abc",
        made.headers["x-request-id"],
        bad.headers["x-request-id"],
    ]


def test_metrics_can_be_opened_to_a_scraper_without_a_key(
    plant: list[dict[str, Any]], session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings
) -> None:
    app = create_app(
        keyed(neo4j_settings, metrics_open=True), session_store, model=model, data_products=False
    )
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 200
        assert client.post("/graphql", json={"query": LOT_QUERY}).status_code == 401  # only /metrics
