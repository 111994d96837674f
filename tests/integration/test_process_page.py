"""The object-centric process view (``/process``) in headless Chromium with the network cut off:
it draws the objectProcess product's directly-follows graph (real Neo4j: the fixed plant and the
product test's own small event log) and shows the API's refusal to a reader without the
product's role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from graph_service.api.app import create_app
from graph_service.api.pages import STATIC
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_KEYS, auth, keyed, reset_database
from tests.integration.products.dataset import load_fixed_plant
from tests.integration.products.test_object_process import write_log
from tests.support.browser import OfflineTab, offline_browser, open_offline, screenshot, serve

PERIOD = {"from": "2026-03-01", "to": "2026-03-10"}
ROWS = """query($from: DateTime!, $to: DateTime!) { objectProcess(from: $from, to: $to) {
  objectType fromEventType toEventType frequency meanMinutes medianMinutes } }"""


@pytest.fixture(scope="module")
def app(session_store: Neo4jStore, model: DomainModel, neo4j_settings: Settings) -> FastAPI:
    assert (STATIC / "process.js").is_file(), "the pages are not built: run `make install`"
    reset_database(session_store)
    load_fixed_plant(session_store)
    write_log(session_store)
    return create_app(keyed(neo4j_settings, graphql_timeout_s=120), session_store, model=model)


@pytest.fixture(scope="module")
def base(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with offline_browser() as chromium:
        yield chromium


def _open(browser: Any, base: str, role: str, object_type: str = "") -> OfflineTab:
    tab = open_offline(browser, base)
    tab.page.add_init_script(f"localStorage.setItem('digispine.apiKey', {TEST_KEYS[role][0]!r})")
    suffix = f"&objectType={object_type}" if object_type else ""
    tab.page.goto(f"{base}/process?from={PERIOD['from']}&to={PERIOD['to']}{suffix}")
    tab.page.wait_for_function("window.processView.ready", timeout=120_000)
    return tab


def _product_rows(base: str) -> list[dict[str, Any]]:
    variables = {"from": f"{PERIOD['from']}T00:00:00Z", "to": f"{PERIOD['to']}T00:00:00Z"}
    response = httpx.post(
        f"{base}/graphql", json={"query": ROWS, "variables": variables}, headers=auth("analyst"), timeout=120
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response.json()["data"]["objectProcess"]


def _drawn(tab: OfflineTab) -> dict[tuple[str, str], tuple[int, str]]:
    edges = tab.page.locator("[data-testid=edge]")
    return {
        (str(e.get_attribute("data-from")), str(e.get_attribute("data-to"))): (
            int(e.get_attribute("data-frequency") or -1),
            e.locator("[data-testid=edge-label]").text_content() or "",
        )
        for e in (edges.nth(i) for i in range(edges.count()))
    }


def test_the_page_draws_each_object_types_directly_follows_graph(browser: Any, base: str) -> None:
    rows = _product_rows(base)
    types = sorted({r["objectType"] for r in rows})
    assert {"ProductionOrder", "Lot"} <= set(types)  # the log gives both more than one edge
    tab = _open(browser, base, "analyst", "ProductionOrder")
    page = tab.page
    assert page.is_hidden("[data-testid=error]"), page.inner_text("[data-testid=error]")
    # the picker offers the object types the product's rows hold, in order
    offered = page.locator("[data-testid=object-type] option").evaluate_all("(o) => o.map((x) => x.value)")
    assert offered == types
    for object_type in ("ProductionOrder", "Lot"):
        page.select_option("[data-testid=object-type]", object_type)
        mine = [r for r in rows if r["objectType"] == object_type]
        drawn = _drawn(tab)
        # the edges drawn are the product's rows of that type, each with its frequency
        assert set(drawn) == {(r["fromEventType"], r["toEventType"]) for r in mine}
        for r in mine:
            frequency, label = drawn[(r["fromEventType"], r["toEventType"])]
            assert frequency == r["frequency"]
            assert label.startswith(f"{r['frequency']}× · mean ")
        # every event type of an edge is a node, and no other
        nodes = page.locator("[data-testid=node]").evaluate_all("(n) => n.map((x) => x.dataset.eventType)")
        assert sorted(nodes) == sorted({t for r in mine for t in (r["fromEventType"], r["toEventType"])})
        assert f"objectType={object_type}" in page.url  # the view can be linked
        screenshot(page, f"process-{object_type}")

    # ProductionOrder: Released → Completed, 3 times, mean 1535/3 min = 8.5 h, median 635 min = 10.6 h
    # (hand-computed in test_object_process); drawn left to right, from Released to Completed
    page.select_option("[data-testid=object-type]", "ProductionOrder")
    _, label = _drawn(tab)[("ProductionOrderReleased", "ProductionOrderCompleted")]
    assert label == "3× · mean 8.5 h · median 10.6 h"

    def x(event_type: str) -> float:
        box = page.locator(f"[data-testid=node][data-event-type={event_type}]").bounding_box()
        assert box is not None
        return box["x"]

    assert x("ProductionOrderReleased") < x("LotProduced") < x("ProductionOrderCompleted")
    tab.assert_offline()


def test_a_reader_without_the_products_role_sees_the_apis_error(browser: Any, base: str) -> None:
    refused = httpx.post(
        f"{base}/graphql",
        json={"query": ROWS, "variables": {"from": "2026-03-01T00:00:00Z", "to": "2026-03-10T00:00:00Z"}},
        headers=auth("reader"),
        timeout=60,
    ).json()
    assert refused.get("errors"), refused
    tab = _open(browser, base, "reader")
    page = tab.page
    error = page.inner_text("[data-testid=error]")
    assert page.is_visible("[data-testid=error]")
    assert error == "; ".join(e["message"] for e in refused["errors"])
    assert page.locator("[data-testid=edge]").count() == 0
    screenshot(page, "process-refused")
    # the API refuses the request; the page itself tried nothing beyond the server
    assert not tab.blocked and not tab.errors
