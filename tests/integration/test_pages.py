"""The pages (GraphiQL, Swagger UI, the catalog, the glossary) in headless Chromium with the
network cut off: the real app on the real Neo4j, every request not to the server refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from graphql import parse, validate

from graph_service.api.app import create_app
from graph_service.api.class_queries import class_queries, served_root_fields
from graph_service.api.pages import STATIC
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_KEYS, auth, keyed, reset_database
from tests.integration.products.dataset import load_fixed_plant
from tests.support.browser import OfflineTab, offline_browser, open_offline, screenshot, serve

READER_KEY = TEST_KEYS["reader"][0]
ADMIN_KEY = TEST_KEYS["admin"][0]
#: A shipment with a negative quantity: customerQuality's shippedQuantity (a sum) breaks minInclusive 0.
BREAK_A_PRODUCT = (
    "MATCH (n) WHERE n.shippedQuantity IS NOT NULL WITH n ORDER BY elementId(n) LIMIT 1 "
    "SET n.shippedQuantity = -1000.0"
)


@pytest.fixture(scope="module")
def plant(session_store: Neo4jStore) -> Neo4jStore:
    reset_database(session_store)
    load_fixed_plant(session_store)
    session_store.write(BREAK_A_PRODUCT)
    return session_store


@pytest.fixture(scope="module")
def app(plant: Neo4jStore, model: DomainModel, neo4j_settings: Settings) -> FastAPI:
    """The whole app with its data products; no anonymous roles: every request needs a key."""
    assert (STATIC / "graphiql.js").is_file(), "the pages are not built: run `make install`"
    # Kafka is not started here: a stream's freshness says so, after a short wait
    return create_app(keyed(neo4j_settings, stream_freshness_timeout_s=0.5), plant, model=model)


@pytest.fixture(scope="module")
def server(app: FastAPI) -> Iterator[str]:
    with serve(app) as base:
        # One product validated (each takes seconds): the broken shipment makes it NONCONFORMING.
        validated = httpx.post(
            f"{base}/products/orderFulfillment/1.0.0/validate", headers=auth("admin"), timeout=60
        )
        assert validated.status_code == 200, validated.text
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with offline_browser() as chromium:
        yield chromium


def _graphql(base: str, query: str, key: str = "reader") -> dict[str, Any]:
    response = httpx.post(f"{base}/graphql", json={"query": query}, headers=auth(key), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _enter_key(tab: OfflineTab, key: str) -> None:
    tab.page.fill("[data-testid=api-key]", key)
    tab.page.dispatch_event("[data-testid=api-key]", "change")


def _run_in_graphiql(tab: OfflineTab, expect: str) -> str:
    """Press GraphiQL's run button; the result pane's text once it shows ``expect``."""
    tab.page.click(".graphiql-execute-button")
    try:
        tab.page.wait_for_function(
            "(expect) => { const pane = document.querySelector('.result-window');"
            " return pane !== null && pane.innerText.includes(expect); }",
            arg=expect,
            timeout=20000,
        )
    finally:
        screenshot(tab.page, "graphiql-last-run")
    return tab.page.inner_text(".result-window")


def test_graphiql_runs_a_query_with_the_key_typed_into_the_page(
    server: str, browser: Any, plant: Neo4jStore
) -> None:
    customers = plant.read("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]
    assert customers > 0
    query = "{ customers(first: 1) { totalCount nodes { customerNumber } } }"
    tab = open_offline(browser, server)
    tab.page.goto(f"{server}/graphql#{httpx.QueryParams({'query': query})}")
    tab.page.wait_for_function("window.digispineGraphiQL && window.digispineGraphiQL.ready")
    tab.page.wait_for_selector(".graphiql-execute-button")

    _run_in_graphiql(tab, expect="an API key is required")  # no key yet: the server says so

    _enter_key(tab, READER_KEY)
    answer = _run_in_graphiql(tab, expect="totalCount")
    assert f'"totalCount": {customers}' in answer, answer
    screenshot(tab.page, "graphiql")
    tab.assert_offline()


def test_graphiql_subscriptions_authenticate_in_connection_init(server: str, browser: Any) -> None:
    tab = open_offline(browser, server)
    sent: list[dict[str, Any]] = []
    received: list[dict[str, Any]] = []

    def watch(socket: Any) -> None:
        socket.on("framesent", lambda payload: sent.append(json.loads(payload)))
        socket.on("framereceived", lambda payload: received.append(json.loads(payload)))

    tab.page.on("websocket", watch)
    subscription = "subscription { salesOrderChanged { cursor change className } }"
    tab.page.goto(f"{server}/graphql#{httpx.QueryParams({'query': subscription})}")
    tab.page.wait_for_selector(".graphiql-execute-button")
    _enter_key(tab, READER_KEY)
    tab.page.click(".graphiql-execute-button")
    _wait(lambda: any(m.get("type") == "connection_ack" for m in received), tab, 15000)
    init = next(m for m in sent if m.get("type") == "connection_init")
    assert init["payload"] == {"apiKey": READER_KEY}
    _wait(lambda: any(m.get("type") == "subscribe" for m in sent), tab, 15000)
    # this server has no change log: the subscription is refused with why, and GraphiQL shows the
    # refusal in its result pane (no uncaught error out of the websocket client)
    _wait(lambda: any(m.get("type") in ("error", "next") for m in received), tab, 15000)
    answer = next(m for m in received if m.get("type") in ("error", "next"))
    assert answer["type"] == "error", answer
    assert "change log is off" in answer["payload"][0]["message"], answer
    tab.page.wait_for_function("document.body.innerText.includes('change log is off')", timeout=15000)
    # Known: graphql-ws hands a refused subscription's error list to GraphiQL, which shows it (above)
    # and also leaves it uncaught ("Array(1)", when the refusal arrives before the test ends). That one
    # is GraphiQL's; any other script error still fails the test.
    tab.errors[:] = [error for error in tab.errors if error != "Array(1)"]
    tab.assert_offline()


def _wait(condition: Any, tab: OfflineTab, timeout_ms: int) -> None:
    """Wait for a Python-side condition, letting the browser's events arrive meanwhile."""
    waited = 0
    while not condition():
        assert waited < timeout_ms, "the condition did not hold in time"
        tab.page.wait_for_timeout(50)  # pumps Playwright's event loop: frames are delivered
        waited += 50


def test_swagger_ui_renders_from_the_package(server: str, browser: Any) -> None:
    tab = open_offline(browser, server)
    tab.page.goto(f"{server}/redoc")  # leads to Swagger UI: ReDoc's bundle loads its logo from a CDN
    tab.page.wait_for_url(f"{server}/docs")
    tab.page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    paths = httpx.get(f"{server}/openapi.json").json()["paths"]
    assert tab.page.locator(".swagger-ui .opblock").count() >= len(paths)
    screenshot(tab.page, "swagger-ui")
    tab.assert_offline()


def test_catalog_page_shows_every_product_and_why_a_validation_failed(server: str, browser: Any) -> None:
    catalog = _graphql(
        server, "{ dataProducts { name version kind validation { sampleViolations { message } } } }", "admin"
    )
    entries = catalog["data"]["dataProducts"]
    broken = [e for e in entries if e["validation"] and e["validation"]["sampleViolations"]]
    assert broken, "the tampered plant should break customerQuality's shape"
    tab = open_offline(browser, server)
    tab.page.goto(f"{server}/catalog")
    tab.page.wait_for_function("window.catalog && window.catalog.ready")
    assert "API key" in tab.page.inner_text("[data-testid=error]")
    _enter_key(tab, ADMIN_KEY)
    tab.page.wait_for_function("window.catalog.ready && window.catalog.entries.length > 0", timeout=20000)
    sections = tab.page.locator("[data-testid=product]")
    shown = {
        (sections.nth(i).get_attribute("data-name"), sections.nth(i).get_attribute("data-version"))
        for i in range(sections.count())
    }
    assert shown == {(e["name"], e["version"]) for e in entries}

    product = broken[0]
    card = tab.page.locator(f"[data-testid=product][data-name={product['name']}]").first
    assert "NONCONFORMING" in card.inner_text()
    assert (
        product["validation"]["sampleViolations"][0]["message"]
        in card.locator("[data-testid=violation]").first.inner_text()
    )
    card.locator("[data-testid=fields] summary").click()
    term = card.locator("[data-testid=field] a").first
    assert term.get_attribute("href").startswith("/glossary/context-")
    assert tab.page.locator(
        "[data-testid=product][data-name=equipmentOee] [data-testid=freshness]"
    ).count() in (0, 1, 2)
    card.scroll_into_view_if_needed()
    screenshot(tab.page, "catalog")

    # Its example opens in GraphiQL with the query filled in, and runs.
    link = card.locator("[data-testid=open-graphiql]").get_attribute("href")
    assert link and link.startswith("/graphql#")
    example = parse_qs(urlsplit(link).fragment)["query"][0]
    tab.page.goto(f"{server}{link}")
    tab.page.wait_for_selector(".graphiql-execute-button")
    assert example.splitlines()[1].strip() in tab.page.inner_text(".graphiql-query-editor")
    answer = _run_in_graphiql(tab, expect='"data"')
    assert "errors" not in answer, answer
    tab.assert_offline()


def test_glossary_search_finds_a_term_across_contexts_and_examples_run(
    server: str, app: FastAPI, browser: Any, model: DomainModel
) -> None:
    tab = open_offline(browser, server)
    tab.page.goto(f"{server}/glossary")
    tab.page.wait_for_selector("[data-testid=global-search]")
    order = model.classes["SalesOrder"]
    tab.page.fill("[data-testid=global-search]", order.labels["de"])
    first = tab.page.locator("[data-testid=global-result] a").first
    assert first.inner_text() == "SalesOrder"
    first.click()
    tab.page.wait_for_url("**/context-*.html#SalesOrder")
    section = tab.page.locator("section#SalesOrder")
    assert section.locator("svg.class-diagram").count() == 1
    assert "salesOrders(" in section.locator("[data-testid=graphql-fields]").inner_text()
    section.scroll_into_view_if_needed()
    screenshot(tab.page, "glossary")
    # Pointing at a box of the context diagram brings out its own edges.
    tab.page.locator(".diagram svg [data-class=SalesOrder]").first.hover()
    assert tab.page.locator(".diagram svg.focus .edge.on").count() > 0
    assert tab.page.locator(".diagram svg.focus .edge:not(.on)").count() > 0
    screenshot(tab.page, "glossary-context-diagram")
    tab.assert_offline()

    # Every class the glossary names a field of has an example valid in the served schema; the
    # SalesOrder one runs.
    served = class_queries(model, served_root_fields(app.state.schema))
    assert len(served) > len(model.classes) / 2
    for name, queries in served.items():
        errors = validate(app.state.schema._schema, parse(queries.example))
        assert not errors, (name, queries.example, errors)
    body = httpx.post(
        f"{server}/graphql", json={"query": served["SalesOrder"].example}, headers=auth("reader"), timeout=30
    ).json()
    assert "errors" not in body and body["data"]
