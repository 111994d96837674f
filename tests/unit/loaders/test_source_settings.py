"""DIGISPINE_MAPPINGS_DIRS and DIGISPINE_ONTOLOGY_DIRS: read like PATH, and read by every consumer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph_service.ontology.compiler import load_model
from graph_service.ontology.errors import SourceUnavailable
from graph_service.settings import SHIPPED_MAPPINGS, Settings, load_settings
from graph_service.streams import StreamDefinitionError, load_streams
from loaders.assembly import load_parts
from tests.support.loading import REPO

PLANT = REPO / "tests" / "data" / "sources" / "wms"


def settings(tmp_path: Path, *mappings: Path) -> Settings:
    return load_settings(
        ontology_dir=REPO / "ontology",
        ontology_dirs=(PLANT / "ontology",),
        mappings_dirs=mappings,
        shapes_dir=REPO / "shapes",
        streams_dir=REPO / "streams",
        data_dir=tmp_path,
    )


def test_directories_are_listed_like_path_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGISPINE_MAPPINGS_DIRS", "loaders/mappings:/srv/plant/mappings:")
    monkeypatch.setenv("DIGISPINE_ONTOLOGY_DIRS", "/srv/plant/ontology")
    read = Settings()
    assert read.mappings_dirs == (Path("loaders/mappings"), Path("/srv/plant/mappings"))
    assert read.ontology_paths == (Path("ontology"), Path("/srv/plant/ontology"))
    monkeypatch.delenv("DIGISPINE_MAPPINGS_DIRS")
    monkeypatch.delenv("DIGISPINE_ONTOLOGY_DIRS")
    assert (Settings().mappings_dirs, Settings().ontology_dirs) == ((SHIPPED_MAPPINGS,), ())


def test_the_loader_reads_the_plants_ontology_and_mappings_next_to_the_shipped(tmp_path: Path) -> None:
    parts = load_parts(settings(tmp_path, SHIPPED_MAPPINGS, PLANT / "mappings"))
    assert "ParcelPacked" in parts.model.classes
    assert {"wms", "erp"} <= set(parts.mapper.systems)
    assert parts.mapper.by_type["com.acme.wms.parcel.packed"].event_class == "ParcelPacked"
    assert parts.validator.has_shape("ParcelPacked")  # its contract compiled: no shape file written


def test_the_streams_check_reads_the_loaders_mappings(tmp_path: Path) -> None:
    model = load_model(settings(tmp_path).ontology_paths)
    assert len(load_streams(settings(tmp_path, SHIPPED_MAPPINGS), model)) > 0
    with pytest.raises(StreamDefinitionError, match="is not an event type of any mapping"):
        load_streams(settings(tmp_path, PLANT / "mappings"), model)  # the shipped streams' inputs unmapped


def test_an_extension_module_needs_a_file_name_of_its_own(tmp_path: Path) -> None:
    shutil.copy(REPO / "ontology" / "events.ttl", tmp_path / "events.ttl")
    with pytest.raises(SourceUnavailable, match="events.ttl is in .* and in"):
        load_model([REPO / "ontology", tmp_path])
