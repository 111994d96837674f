"""Where the repository's own files are, for tests that read what ships (one definition)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ONTOLOGY_DIR = REPO / "ontology"
SHAPES_DIR = REPO / "shapes"
EVENT_SHAPES_DIR = SHAPES_DIR / "events"
MAPPINGS_DIR = REPO / "loaders" / "mappings"
