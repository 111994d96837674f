"""Which paths the pages open without a key: the pages and their assets to GET, nothing with data."""

from __future__ import annotations

import pytest

from graph_service.api.app import is_open_path


@pytest.mark.parametrize(
    "path",
    [
        "/graphql",
        "/docs",
        "/redoc",
        "/catalog",
        "/glossary",
        "/glossary/",
        "/glossary/context-sales.html",
        "/pages/assets/graphiql.js",
        "/explore",
        "/explore/assets/explorer.js",
    ],
)
def test_pages_and_their_assets_open_to_get(path: str) -> None:
    assert is_open_path("GET", path)


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/graphql"),
        ("POST", "/catalog"),
        ("GET", "/catalog.jsonld"),
        ("GET", "/catalogue"),
        ("GET", "/products/orderFulfillment/1.0.0/validation"),
        ("POST", "/pages/assets/graphiql.js"),
        ("GET", "/pages/other"),
        ("GET", "/glossaryx"),
    ],
)
def test_data_stays_behind_the_key(method: str, path: str) -> None:
    assert not is_open_path(method, path)
