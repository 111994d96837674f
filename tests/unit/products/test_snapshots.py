"""Whole-output snapshots of the generated GraphQL schema and DCAT catalog, and re-parses.

After an intended change to a product, shape or generator, refresh them with
``DIGISPINE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/products/test_snapshots.py``
and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import strawberry
from graphql import build_schema
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from graph_service.ontology.model import DomainModel
from graph_service.products.graphql import build_query_type
from graph_service.products.registry import ProductRegistry
from tests.support.paths import REPO
from tests.unit.products.test_catalog import build
from tests.unit.products.test_graphql_schema import FakeAccess

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("DIGISPINE_UPDATE_SNAPSHOTS") == "1"


def _compare_text(actual: str, name: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed; see the module docstring"


def test_the_generated_schema_matches_its_snapshot_and_parses(model: DomainModel) -> None:
    registry = ProductRegistry.load([REPO / "queries"], [REPO / "shapes" / "products"], model)
    sdl = strawberry.Schema(query=build_query_type(FakeAccess(registry, {}))).as_str() + "\n"
    _compare_text(sdl, "data_products.graphql")
    parsed = build_schema(sdl)  # graphql-core's own parser and validator
    assert parsed.query_type is not None and "orderFulfillmentV2" in parsed.query_type.fields


def test_the_catalog_matches_its_snapshot(model: DomainModel) -> None:
    graph = build(model)
    path = SNAPSHOTS / "catalog.ttl"
    if UPDATE or not path.exists():
        path.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    expected = Graph().parse(path, format="turtle")
    if not isomorphic(graph, expected):
        _, missing, extra = graph_diff(to_isomorphic(expected), to_isomorphic(graph))
        raise AssertionError(
            f"catalog changed; missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
        )
