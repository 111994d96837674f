"""The explorer page end to end: the real app on the real Neo4j, driven in headless Chromium."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import combinations
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from graph_service.api.app import create_app
from graph_service.api.explorer_page import STATIC
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.lineage import lineage_types
from tests.conftest import free_port, keyed
from tests.support.browser import OfflineTab, offline_browser, open_offline, screenshot
from tests.support.loading import load_simulated_plant

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def plant(
    neo4j_settings: Settings, session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory
) -> Neo4jStore:
    data_dir = tmp_path_factory.mktemp("explorer-loader")
    load_simulated_plant(neo4j_settings, session_store, data_dir, seed=8, days=3, origin="explorer")
    return session_store


@pytest.fixture(scope="module")
def server(plant: Neo4jStore, model: DomainModel, neo4j_settings: Settings) -> Iterator[str]:
    """The whole app served by uvicorn on a free port; anonymous callers have the role reader."""
    assert (STATIC / "explorer.js").is_file(), "the explorer bundle is missing: run `make install`"
    app = create_app(keyed(neo4j_settings, anonymous_roles="reader"), plant, model=model, data_products=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module's tests (each test opens its own tab and context)."""
    with offline_browser() as chromium:
        yield chromium


@contextmanager
def tab_of(browser: Browser, server: str) -> Iterator[OfflineTab]:
    """A tab that may reach only the server (every other request refused), closed afterwards."""
    tab = open_offline(browser, server)
    try:
        yield tab
    finally:
        tab.page.context.close()


def neighbours(store: Neo4jStore, model: DomainModel, label: str, key_prop: str, key: str) -> set[str]:
    lineage = lineage_types(model)
    types = "|".join(
        sorted(r.rel_type for r in model.relations.values() if r.stored and r.rel_type not in lineage)
    )
    rows = store.read(
        f"MATCH (c:`{label}` {{`{key_prop}`: $k}})-[:{types}]-(m) WHERE NOT m:DomainEvent "
        "RETURN DISTINCT elementId(m) AS id",
        {"k": key},
    )
    return {r["id"] for r in rows}


def test_search_show_expand_and_screenshot(
    server: str, plant: Neo4jStore, model: DomainModel, browser: Browser
) -> None:
    row = plant.read(
        "MATCH (o:SalesOrder)-[:ORDERED_BY]->(c:Customer) "
        "RETURN o.salesOrderNumber AS order, elementId(o) AS oid, c.customerNumber AS customer "
        "ORDER BY order LIMIT 1"
    )[0]
    around_order = neighbours(plant, model, "SalesOrder", "salesOrderNumber", row["order"])
    around_customer = neighbours(plant, model, "Customer", "customerNumber", row["customer"])
    assert 0 < len(around_order) < 60 and len(around_customer) < 60
    expanded = {row["oid"]} | around_order | around_customer

    with tab_of(browser, server) as tab:  # every request not to the server is refused
        page = tab.page
        page.goto(f"{server}/explore")
        page.wait_for_function("window.explorer && window.explorer.ready")
        assert page.locator("[data-testid=legend-item]").count() == len(model.bounded_contexts())

        page.fill("[data-testid=search]", row["order"])
        page.click("[data-testid=search-button]")
        page.wait_for_function("window.explorer.nodeCount() > 0")
        page.wait_for_selector("[data-testid=event]")
        assert page.evaluate("window.explorer.nodeCount()") == 1 + len(around_order)
        assert row["order"] in page.inner_text("[data-testid=details]")
        assert page.locator("[data-testid=properties] tr").count() > 3
        events = plant.read(
            "MATCH (:SalesOrder {salesOrderNumber: $k})<-[:AFFECTED]-(e) RETURN count(e) AS n",
            {"k": row["order"]},
        )[0]["n"]
        assert page.locator("[data-testid=event]").count() == min(events, 30)

        # Click the customer's node on the canvas: its neighbourhood joins the graph.
        customer_id = f"Customer:{row['customer']}"
        box = page.locator("[data-testid=graph]").bounding_box()
        assert box is not None
        position = page.evaluate(f"window.explorer.cy.getElementById('{customer_id}').renderedPosition()")
        page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
        page.wait_for_function(f"window.explorer.nodeCount() === {len(expanded)}", timeout=15000)
        page.wait_for_function(
            f"document.querySelector('[data-testid=selected-title]').textContent.length > 0 && "
            f"document.querySelector('[data-testid=details]').textContent.includes('{row['customer']}')"
        )

        tab.assert_offline()
        shot = screenshot(page, "explorer")
    assert shot.stat().st_size > 10_000


def test_the_page_is_served_offline_and_needs_no_key(server: str) -> None:
    import httpx

    page = httpx.get(f"{server}/explore")
    assert page.status_code == 200 and "explorer.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN: every asset is local
    assert httpx.get(f"{server}/explore/assets/explorer.js").status_code == 200


def test_times_read_as_written_zoom_fits_and_a_language_switch_keeps_the_graph(
    server: str, plant: Neo4jStore, browser: Browser
) -> None:
    row = plant.read(
        "MATCH (o:SalesOrder)-[:ORDERED_BY]->(c:Customer) "
        "RETURN o.salesOrderNumber AS order, c.customerNumber AS customer ORDER BY order LIMIT 1"
    )[0]
    with tab_of(browser, server) as tab:
        page = tab.page
        page.goto(f"{server}/explore")
        page.wait_for_function("window.explorer && window.explorer.ready")
        page.fill("[data-testid=search]", row["order"])
        page.click("[data-testid=search-button]")
        page.wait_for_selector("[data-testid=event-time]")
        # an event time as a person writes it: no T, no nanoseconds, the zone named
        for text in page.locator("[data-testid=event-time]").all_inner_texts():
            assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? (UTC|[+-]\d\d:\d\d) · ", text), text
        details = page.inner_text("[data-testid=details]")
        assert not re.search(r"\d{2}T\d{2}:\d{2}", details) and ".000000000" not in details

        page.evaluate(f"window.explorer.expand('Customer', {row['customer']!r})")
        page.wait_for_function("window.explorer.nodeCount() > 1")
        before = page.evaluate("window.explorer.cy.nodes().map((n) => n.id()).sort()")
        # zoom in past the canvas, then Fit brings every node back inside it
        for _ in range(4):
            page.click("[data-testid=zoom-in]")
        page.click("[data-testid=fit]")
        inside = page.evaluate(
            "(() => { const cy = window.explorer.cy, b = cy.elements().renderedBoundingBox();"
            " return b.x1 >= -1 && b.y1 >= -1 && b.x2 <= cy.width() + 1 && b.y2 <= cy.height() + 1; })()"
        )
        assert inside

        english = page.inner_text("[data-testid=results]")
        page.select_option("[data-testid=lang]", "de")
        page.wait_for_function("window.explorer.relabelled === 'de'", timeout=30000)
        after = page.evaluate("window.explorer.cy.nodes().map((n) => n.id()).sort()")
        assert after == before  # the expansion is kept
        # the result list was fetched again in German: its class names changed
        assert page.inner_text("[data-testid=results]") != english
        assert row["order"] in page.inner_text("[data-testid=details]")
        tab.assert_offline()
        screenshot(page, "explorer-de")


def test_a_large_neighbourhood_is_clustered_by_class_and_filters_hide_classes(
    server: str, plant: Neo4jStore, model: DomainModel, browser: Browser
) -> None:
    lineage = lineage_types(model)
    types = "|".join(
        sorted(r.rel_type for r in model.relations.values() if r.stored and r.rel_type not in lineage)
    )
    row = plant.read(
        f"MATCH (w:WorkUnit)-[:{types}]-(m) WHERE NOT m:DomainEvent "
        "WITH w, count(DISTINCT m) AS n RETURN w.equipmentId AS key, n ORDER BY n DESC LIMIT 1"
    )[0]
    assert row["n"] > 20, "the simulated plant has no large neighbourhood to cluster"
    with tab_of(browser, server) as tab:
        page = tab.page
        page.goto(f"{server}/explore")
        page.wait_for_function("window.explorer && window.explorer.ready")
        page.evaluate(f"window.explorer.expand('WorkUnit', {row['key']!r})")
        page.wait_for_function("window.explorer.cy.nodes('.cluster').length > 0")
        clusters = page.evaluate(
            "window.explorer.cy.nodes('.cluster')"
            ".map((n) => [n.id(), n.data('caption'), n.data('cluster').count])"
        )
        shown = page.evaluate("window.explorer.nodeCount()")
        assert shown < min(row["n"], 60)  # fewer nodes than neighbours: the many are counted, not drawn
        for _, caption, count in clusters:
            assert caption.startswith(f"{count} × ") and count >= 4  # the count first: never cut off
        screenshot(page, "explorer-clustered")

        # unticking a class hides its nodes; opening a cluster draws its members
        first_id, caption, count = clusters[0]
        label = caption.split(" × ", 1)[1]
        page.locator("[data-testid=filter-classes]", has_text=label).locator("input").uncheck()
        # Cytoscape applies a class's style on its next style pass: wait for it (fails on timeout)
        page.wait_for_function(f"!window.explorer.cy.getElementById({first_id!r}).visible()", timeout=10_000)
        page.locator("[data-testid=filter-classes]", has_text=label).locator("input").check()
        # opening a cluster asks the server for that class's neighbours: every one of them is drawn
        members = page.evaluate(
            f"window.explorer.cy.getElementById({first_id!r}).data('cluster').members.map((m) => m.class)"
        )
        page.evaluate(f"window.explorer.openCluster({first_id!r})")
        expected = neighbour_ids(plant, model, "WorkUnit", "equipmentId", row["key"], classes=set(members))
        drawn = set(page.evaluate("window.explorer.cy.nodes().map((n) => n.id())"))
        assert expected <= drawn and len(expected) >= count
        assert page.evaluate(f"window.explorer.cy.getElementById({first_id!r}).empty()")
        assert_labels_apart(page)
        tab.assert_offline()


def neighbour_ids(
    store: Neo4jStore,
    model: DomainModel,
    label: str,
    key_prop: str,
    key: str,
    *,
    classes: set[str] | None = None,
    relation: str | None = None,
) -> set[str]:
    """The explorer's node ids (``Class:key``) of an entity's direct neighbours, of some classes or
    over one relation, found by hand-written Cypher."""
    lineage = lineage_types(model)
    types = relation or "|".join(
        sorted(r.rel_type for r in model.relations.values() if r.stored and r.rel_type not in lineage)
    )
    rows = store.read(
        f"MATCH (c:`{label}` {{`{key_prop}`: $k}})-[:{types}]-(m) WHERE NOT m:DomainEvent "
        "RETURN DISTINCT labels(m) AS labels, properties(m) AS props",
        {"k": key},
    )
    by_label = {c.neo4j_label: c for c in model.classes.values()}
    ids = set()
    for row in rows:
        cls = max((by_label[x] for x in row["labels"] if x in by_label), key=lambda c: len(c.ancestors))
        if classes is None or classes & {cls.name, *cls.ancestors}:
            ids.add(f"{cls.name}:" + "|".join(str(row["props"].get(k)) for k in cls.key))
    return ids


def assert_labels_apart(page: Any) -> None:
    """No two labels drawn intersect (their rendered boxes, read from Cytoscape), and none was
    dropped to get there."""
    page.wait_for_function("window.explorer.labelBoxes().length > 1")
    boxes = page.evaluate("window.explorer.labelBoxes()")
    for a, b in combinations(boxes, 2):
        apart = a["x2"] <= b["x1"] or b["x2"] <= a["x1"] or a["y2"] <= b["y1"] or b["y2"] <= a["y1"]
        assert apart, f"labels overlap: {a} and {b}"
    assert page.evaluate("window.explorer.quietCount()") == 0


def test_labels_stay_apart_expanding_by_relation_and_an_events_lineage_from_its_entity(
    server: str, plant: Neo4jStore, model: DomainModel, browser: Browser
) -> None:
    lineage = lineage_types(model)
    types = "|".join(
        sorted(r.rel_type for r in model.relations.values() if r.stored and r.rel_type not in lineage)
    )
    unit = plant.read(
        f"MATCH (w:WorkUnit)-[:{types}]-(m) WHERE NOT m:DomainEvent "
        "WITH w, count(DISTINCT m) AS n RETURN w.equipmentId AS key ORDER BY n DESC, key LIMIT 1"
    )[0]["key"]
    with tab_of(browser, server) as tab:
        page = tab.page
        page.goto(f"{server}/explore?q={unit}")  # opens and selects the first result
        page.wait_for_selector("[data-testid=expand-relation]")
        assert_labels_apart(page)  # the clustered neighbourhood at the default (fit) zoom
        screenshot(page, "explorer-labels")

        # expand one relation: the server sends every neighbour over it, none left out
        button = page.locator("[data-testid=expand-relation]").first
        name = button.get_attribute("data-name")
        assert name is not None
        button.click()
        page.wait_for_function(f"window.explorer.expandedBy === {name!r}")
        rel_type = next(r.rel_type for r in model.relations.values() if r.name == name)
        over = neighbour_ids(plant, model, "WorkUnit", "equipmentId", unit, relation=f"`{rel_type}`")
        assert over and over <= set(page.evaluate("window.explorer.cy.nodes().map((n) => n.id())"))
        assert_labels_apart(page)

        # the unit's events read in time order; the first one opens its lineage
        times = page.locator("[data-testid=event-time]").all_inner_texts()
        assert times and [t.split(" · ")[0] for t in times] == sorted(t.split(" · ")[0] for t in times)
        page.locator("[data-testid=event] button").first.click()
        page.wait_for_function("window.explorer.lineageOf")
        event_id = page.evaluate("window.explorer.lineageOf")
        touched = plant.read(
            "MATCH (e:DomainEvent {eventId: $id})-[:AFFECTED]->(n) RETURN count(n) AS n", {"id": event_id}
        )[0]["n"]
        assert page.locator("[data-testid=lineage-row]").count() == touched >= 1
        assert unit in page.inner_text("[data-testid=lineage]")
        assert page.evaluate("window.explorer.nodeCount()") == touched + 1  # the event and what it touched
        if touched > 1:
            assert_labels_apart(page)
        tab.assert_offline()
        screenshot(page, "explorer-lineage")
