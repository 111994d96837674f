"""The plant dashboard (``/dashboard``) in headless Chromium with the network cut off: its figures
at load come from the data products over the fixed plant (real Neo4j), then derived events put on
the streams' topics (real Kafka, topics of this test's own) change the page live through the
GraphQL subscriptions, with the key in ``connection_init``."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from confluent_kafka import Producer
from fastapi import FastAPI

from graph_service.api.app import create_app
from graph_service.api.pages import STATIC
from graph_service.kafka import create_topic
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_KEYS, keyed, reset_database
from tests.integration.products.dataset import load_fixed_plant
from tests.support.browser import OfflineTab, offline_browser, open_offline, screenshot, serve
from tests.support.paths import REPO

ANALYST_KEY = TEST_KEYS["analyst"][0]
READER_KEY = TEST_KEYS["reader"][0]
STREAMS = ("equipmentOee", "qualityYield", "deliveryRisk")


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def topics(kafka_settings: Settings) -> dict[str, str]:  # noqa: F811
    suffix = uuid.uuid4().hex[:8]
    names = {stream: f"test.dashboard.{stream}.{suffix}" for stream in STREAMS}
    names["changes"] = f"test.dashboard.changes.{suffix}"
    for topic in names.values():  # each with its leader, before a hub reads it
        create_topic(kafka_settings.kafka_bootstrap_servers, topic, replication_factor=1)
    return names


@pytest.fixture(scope="module")
def app(
    session_store: Neo4jStore,
    model: DomainModel,
    neo4j_settings: Settings,
    kafka_settings: Settings,  # noqa: F811
    topics: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> FastAPI:
    """The whole app over the fixed plant, its shipped streams moved onto this test's topics."""
    assert (STATIC / "dashboard.js").is_file(), "the pages are not built: run `make install`"
    reset_database(session_store)
    load_fixed_plant(session_store)
    streams = tmp_path_factory.mktemp("dashboard") / "streams"
    shutil.copytree(REPO / "streams", streams)
    for stream in STREAMS:
        descriptor = streams / stream / "v1" / "stream.yaml"
        text = re.sub(r"(?m)^topic:.*\n", "", descriptor.read_text(encoding="utf-8"))
        descriptor.write_text(text + f"topic: {topics[stream]}\n", encoding="utf-8")
    settings = keyed(
        neo4j_settings,
        change_log_topic=topics["changes"],
        kafka_bootstrap=kafka_settings.kafka_bootstrap_servers,
        streams_dir=streams,
        # the products run at page load on a machine the whole suite shares
        graphql_timeout_s=120,
    )
    return create_app(settings, session_store, model=model)


@pytest.fixture(scope="module")
def base(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with offline_browser() as chromium:
        yield chromium


def _derive(bootstrap: str, topic: str, stream: str, key: str, data: dict[str, Any]) -> None:
    """A derived event onto a stream's topic, as its processor writes it."""
    name = stream[0].upper() + stream[1:]
    event = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": f"digispine/streams/{stream}/v1",
        "type": f"digispine.stream.{name}.v1",
        "subject": key,
        "time": "2026-01-06T14:00:00Z",
        "data": data,
    }
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=key, value=orjson.dumps(event))
    assert producer.flush(10) == 0


def _open(browser: Any, base: str, key: str = ANALYST_KEY, wait: bool = True) -> OfflineTab:
    tab = open_offline(browser, base)
    # the key as a page stores it once typed (the other pages' tests type it; this one starts keyed)
    tab.page.add_init_script(f"localStorage.setItem('digispine.apiKey', {key!r})")
    tab.page.goto(f"{base}/dashboard")
    if not wait:
        return tab
    # the products run at load on a machine the whole suite shares: give them their time
    tab.page.wait_for_function("window.dashboard.ready && window.dashboard.connected", timeout=150_000)
    return tab


def test_the_dashboard_shows_the_products_figures_at_load(browser: Any, base: str) -> None:
    tab = _open(browser, base)
    page = tab.page
    assert page.is_hidden("[data-testid=error]"), page.inner_text("[data-testid=error]")
    page.wait_for_selector("[data-testid=oee-row]")
    rows = page.locator("[data-testid=oee-row]")
    assert rows.count() >= 1
    # every bar is coloured by its threshold, and the value is a percentage a person reads
    for i in range(rows.count()):
        assert rows.nth(i).get_attribute("data-level") in {"good", "fair", "poor", "none"}
        assert re.fullmatch(r"\d+\.\d %|–", rows.nth(i).locator("[data-testid=oee-value]").inner_text())
    assert re.fullmatch(r"\d+\.\d %", page.inner_text("#plant-oee"))
    assert page.locator("[data-testid=wip-row]").count() >= 1
    assert int(page.inner_text("#wip-total")) >= page.locator("[data-testid=wip-row]").count()
    assert page.is_hidden("[data-testid=error]"), page.inner_text("[data-testid=error]")
    screenshot(page, "dashboard")

    # OEE per work unit and shift: the picker lists the day's shifts, each shows its own rows
    shifts = [v for v in page.locator("[data-testid=shift-picker] option").evaluate_all(
        "(options) => options.map((o) => o.value)") if v]  # fmt: skip
    assert len(shifts) >= 2  # the fixed plant's day has two shifts
    for shift in shifts:
        page.select_option("[data-testid=shift-picker]", shift)
        shown = page.locator("[data-testid=oee-row]")
        assert shown.count() >= 1
        assert {shown.nth(i).get_attribute("data-shift") for i in range(shown.count())} == {shift}
        assert "latest" not in page.inner_text("#plant-oee-label")
    screenshot(page, "dashboard-shift")
    tab.assert_offline()


def test_a_caller_without_the_products_roles_is_told_why_not_shown_empty_panels(
    browser: Any, base: str
) -> None:
    # `reader` may read the graph but none of the products the dashboard shows: each answers a null
    # field beside its "access … denied" error, which the page must show instead of "No OEE figures yet"
    tab = _open(browser, base, key=READER_KEY, wait=False)
    page = tab.page
    # the products' refusals and the streams' (subscriptions) arrive in either order: all are shown
    page.wait_for_function(
        "(document.querySelector('[data-testid=error]')?.innerText || '').includes('equipmentOEE')",
        timeout=150_000,
    )
    message = page.inner_text("[data-testid=error]")
    assert "equipmentOEE" in message and "denied" in message, message
    assert page.locator("[data-testid=oee-row]").count() == 0
    screenshot(page, "dashboard-refused")
    tab.assert_offline()


def test_derived_events_change_the_dashboard_live(
    browser: Any,
    base: str,
    app: FastAPI,
    topics: dict[str, str],
    kafka_settings: Settings,  # noqa: F811
) -> None:
    unit, order = f"WU-LIVE-{uuid.uuid4().hex[:6]}", f"SO-LIVE-{uuid.uuid4().hex[:6]}"
    bootstrap = kafka_settings.kafka_bootstrap_servers
    earlier = f"WU-EARLY-{uuid.uuid4().hex[:6]}"  # an alert raised before the page is opened
    _derive(bootstrap, topics["qualityYield"], "qualityYield", earlier, {
        "equipmentId": earlier, "kind": "alert", "rule": "WE4_RUN_OF_8", "scrapRatio": 0.2,
        "upperControlLimit": 0.12, "operationId": "OP-EARLY", "completedAt": "2026-01-06T13:00:00Z",
    })  # fmt: skip
    tab = _open(browser, base)
    page = tab.page
    page.locator("[data-testid=alert]", has_text=earlier).wait_for()  # read back from the topic
    hub = app.state.hub
    # qualityYield is read back from a time (its own replay reader, from a fixed position: nothing
    # produced later can be missed); the others' live readers must be at their topics' ends first
    live = [s for s in STREAMS if s != "qualityYield"]
    _wait(lambda: all(hub.ready(topics[s]) for s in live), "the stream readers at their topics' ends")
    _derive(bootstrap, topics["equipmentOee"], "equipmentOee", unit, {
        "equipmentId": unit, "windowName": "shift", "shiftId": "S-LIVE", "shiftName": "Late",
        "windowStart": "2099-01-06T14:00:00Z", "windowEnd": "2099-01-06T22:00:00Z", "final": True,
        "revision": 1, "oee": 0.42, "availability": 0.6, "effectiveness": 0.8, "qualityRatio": 0.875,
    })  # fmt: skip
    _derive(bootstrap, topics["qualityYield"], "qualityYield", unit, {
        "equipmentId": unit, "kind": "alert", "rule": "WE1_BEYOND_3_SIGMA", "scrapRatio": 0.3,
        "upperControlLimit": 0.12, "operationId": "OP-LIVE", "completedAt": "2026-01-06T14:00:00Z",
    })  # fmt: skip
    _derive(bootstrap, topics["deliveryRisk"], "deliveryRisk", order, {
        "salesOrderNumber": order, "riskState": "AT_RISK", "slackMinutes": -30,
        "dueAt": "2026-01-07T00:00:00Z",
    })  # fmt: skip
    row = page.locator(f"[data-testid=oee-row][data-unit='{unit}']")
    row.wait_for()
    assert row.get_attribute("data-level") == "poor"
    assert row.locator("[data-testid=oee-value]").inner_text() == "42.0 %"
    alert = page.locator("[data-testid=alert]", has_text=unit)
    alert.wait_for()
    assert "WE1_BEYOND_3_SIGMA" in alert.inner_text()
    risk = page.locator(f"[data-testid=risk-row][data-order='{order}']")
    risk.wait_for()
    assert "AT_RISK" in risk.inner_text()
    assert int(page.inner_text("#alert-count")) >= 2  # the earlier one and the live one
    screenshot(page, "dashboard-live", full_page=True)
    tab.assert_offline()
