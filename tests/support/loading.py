"""Test helper: load events into the test Neo4j through the real pipeline, on an emptied database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.pipeline import LoadStats, Record
from loaders.simulation import simulate
from tests.support.paths import REPO


def load_fresh(
    neo4j_settings: Settings,
    store: Neo4jStore,
    data_dir: Path,
    events: Iterable[Mapping[str, Any]],
    origin: str,
    **overrides: Any,
) -> LoadStats:
    """Empty the database, apply the schema and load ``events`` (the repo's ontology, shapes and
    mappings unless ``overrides`` name other settings, e.g. ``mappings_dirs``; dead letters under
    ``data_dir``); records are named ``origin:N``."""
    from tests.conftest import reset_database

    chosen: dict[str, Any] = {
        "neo4j_uri": neo4j_settings.bolt_uri,
        "neo4j_password": neo4j_settings.neo4j_password,
        "ontology_dir": REPO / "ontology",
        "shapes_dir": REPO / "shapes",
        "data_dir": data_dir,
    }
    settings = load_settings(**{**chosen, **overrides})
    parts = load_parts(settings)
    reset_database(store)
    apply_schema(store, parts.model)
    records = [Record(orjson.dumps(e), f"{origin}:{i}") for i, e in enumerate(events)]
    return build_pipeline(parts, store).run(records)


def load_simulated_plant(
    neo4j_settings: Settings, store: Neo4jStore, data_dir: Path, *, seed: int, days: int, origin: str
) -> list[dict[str, Any]]:
    """The simulated plant of ``seed`` over ``days``, loaded by :func:`load_fresh` with nothing
    rejected; returns its events (the plant fixtures of the integration tests are this call)."""
    events = simulate(seed=seed, days=days)
    stats = load_fresh(neo4j_settings, store, data_dir, events, origin)
    assert stats.rejected_total == 0, f"the simulated plant was refused: {stats}"
    return events
