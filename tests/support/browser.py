"""Page tests in headless Chromium with the network cut off: only the server under test is reachable.

Debian's ``chromium`` (installed by ``make install``) driven by Playwright's Python client through
``executable_path``; no browser is ever downloaded. Two walls keep a page offline: every request
the page makes to another origin is aborted by a Playwright route (and recorded, so a test can
assert the page tried nothing), and Chromium sends all other traffic, websockets included, to a
proxy that does not exist (loopback is never proxied). Screenshots go to
``$DIGISPINE_TEST_ARTIFACTS`` (default ``.digispine/test-artifacts/``, gitignored).

Use::

    with serve(app) as base, offline_browser() as browser:
        tab = open_offline(browser, base)
        tab.page.goto(f"{base}/catalog")
        ...
        tab.assert_offline()
        screenshot(tab.page, "catalog")
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import uvicorn

from tests.conftest import free_port
from tests.support.paths import REPO

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: A port nothing listens on: Chromium's proxy for every non-loopback address.
DEAD_PROXY = "127.0.0.1:9"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    f"--proxy-server={DEAD_PROXY}",
]
ARTIFACTS = Path(os.environ.get("DIGISPINE_TEST_ARTIFACTS", REPO / ".digispine" / "test-artifacts"))


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port (lifespan included); yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped during start-up (see the log above)"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def offline_browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, behind the dead proxy."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class OfflineTab:
    """A page that may reach only ``origin``; what it tried beyond, and what failed in it."""

    page: Page
    origin: str
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def assert_offline(self) -> None:
        """Nothing was asked of another origin, every request to the server came back, and no
        script failed."""
        foreign = [url for url in self.sockets if not _same_host(url, self.origin)]
        assert not self.blocked and not foreign, (
            f"the page reached beyond the server: {self.blocked + foreign}"
        )
        assert not self.failed, f"requests that failed: {self.failed}"
        assert not self.errors, f"script errors: {self.errors}"


def open_offline(browser: Browser, origin: str, *, width: int = 1400, height: int = 900) -> OfflineTab:
    """A new tab (own context: own local storage) that may reach ``origin`` only."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    tab = OfflineTab(page, origin.rstrip("/"))

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(tab.origin + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            tab.blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", route)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on(
        "requestfailed",
        lambda request: None if request.url in tab.blocked else tab.failed.append(request.url),
    )
    page.on("websocket", lambda socket: tab.sockets.append(socket.url))
    return tab


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save ``<ARTIFACTS>/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=full_page)
    print(f"screenshot: {shot}")
    return shot


def _same_host(url: str, origin: str) -> bool:
    return urlsplit(url).netloc == urlsplit(origin).netloc
