"""The adapters' samples (tests/data/adapters/<format>/) as pipeline records, and the pack's parts."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from graph_service.settings import load_settings
from loaders import adapters
from loaders.assembly import LoaderParts, load_parts
from loaders.pipeline import Pipeline, Record
from tests.support.paths import REPO

DATA = REPO / "tests" / "data" / "adapters"


def messages(path: Path) -> list[dict[str, Any]]:
    """A sample file of Kafka messages: a JSON array of ``{key, value}`` (either may be null)."""
    return list(orjson.loads(path.read_bytes()))


def record(message: dict[str, Any], origin: str, offset: int | None = None) -> Record:
    """The record a Kafka source yields for ``message`` (a null value reads as b"", as from Kafka)."""
    value, key = message.get("value"), message.get("key")
    return Record(
        raw=b"" if value is None else orjson.dumps(value),
        origin=origin,
        position=None if offset is None else ("t", 0, offset),
        key=None if key is None else orjson.dumps(key),
        headers=tuple((k, v.encode()) for k, v in (message.get("headers") or {}).items()),
    )


@cache
def pack_parts(pack: str) -> LoaderParts:
    """The shipped ontology and mappings with mapping pack ``pack`` (compiled once per process)."""
    return load_parts(
        load_settings(ontology_dir=REPO / "ontology", shapes_dir=REPO / "shapes", **adapters.pack_dirs(pack))
    )


def preparing(pack: str, adapter: str) -> Pipeline:
    """A pipeline that prepares records (decode, map, validate) for the pack; it writes nothing."""
    parts = pack_parts(pack)
    return Pipeline(parts.mapper, parts.validator, None, None, adapter=adapters.get(adapter))  # type: ignore[arg-type]
