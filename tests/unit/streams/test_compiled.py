"""A processor's checked stream: written once by the full check, reused while its sources are unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph_service.settings import Settings, load_settings
from graph_service.streams.compiled import (
    CompiledStream,
    StreamCheckFailed,
    artefact_path,
    checked_stream,
    read_artefact,
    write_artefact,
)
from graph_service.streams.output_check import FlatShape
from tests.support.paths import REPO


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    streams = tmp_path / "streams"
    shutil.copytree(REPO / "streams", streams)
    return load_settings(
        data_dir=tmp_path / "data",
        streams_dir=streams,
        shapes_dir=REPO / "shapes",
        ontology_dir=REPO / "ontology",
    )


def test_the_artefact_carries_the_checked_descriptor_until_a_source_file_changes(settings: Settings) -> None:
    written = write_artefact(settings, "equipmentOee", None)
    from graph_service.ontology.compiler import load_model
    from graph_service.streams import load_streams

    checked = load_streams(settings, load_model(settings.ontology_paths)).get("equipmentOee")
    for name in ("name", "version", "major", "inputs", "output_type", "topic", "grace", "consumer_group"):
        assert getattr(written, name) == getattr(checked, name), name
    assert isinstance(written.flat_shape, FlatShape)
    assert read_artefact(settings, "equipmentOee", None) == written
    assert CompiledStream.from_json(written.to_json("x")) == written
    # any source file changed (here a descriptor): the artefact is stale, the check runs again
    descriptor = settings.streams_dir / "equipmentOee" / "v1" / "stream.yaml"
    descriptor.write_text(descriptor.read_text().replace("grace: PT15M", "grace: PT20M"))
    assert read_artefact(settings, "equipmentOee", None) is None


def test_a_stream_the_registry_refuses_is_refused_with_its_file_and_line(settings: Settings) -> None:
    descriptor = settings.streams_dir / "equipmentOee" / "v1" / "stream.yaml"
    descriptor.write_text(descriptor.read_text().replace("key: ds:equipmentId", "key: ds:state"))
    with pytest.raises(StreamCheckFailed) as refused:
        checked_stream(settings, "equipmentOee")  # the check runs in a child process
    assert "stream.yaml:" in str(refused.value) and "owl:hasKey" in str(refused.value)
    assert not artefact_path(settings, "equipmentOee", None).exists()
