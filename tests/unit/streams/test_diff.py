"""``ontology diff`` covers the declared streams: an input's event class or the key going away breaks them."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from graph_service.cli.ontology import app
from graph_service.ontology.diff import diff_models
from graph_service.ontology.diff_text import format_diff
from graph_service.ontology.model import DomainModel
from graph_service.streams.registry import stream_uses
from tests.unit.ontology.conftest import GOOD
from tests.unit.streams.conftest import MAPPINGS, write_stream

STATE = "digispine.mes.EquipmentStateChanged.v1"


def uses(root: Path) -> list:
    mappings = root / "mappings"
    mappings.mkdir(exist_ok=True)
    (mappings / "mes.yaml").write_text(MAPPINGS, encoding="utf-8")
    return stream_uses(root / "streams", mappings)


def without_class(model: DomainModel, name: str) -> DomainModel:
    return dataclasses.replace(model, classes={k: v for k, v in model.classes.items() if k != name})


def without_key(model: DomainModel, prop: str, *, drop_property: bool = False) -> DomainModel:
    classes = {
        name: dataclasses.replace(cls, key=(), key_declared=False) if prop in cls.key else cls
        for name, cls in model.classes.items()
    }
    properties = {k: v for k, v in model.datatype_properties.items() if not (drop_property and k == prop)}
    return dataclasses.replace(model, classes=classes, datatype_properties=properties)


def stream_changes(old: DomainModel, new: DomainModel, root: Path) -> list:
    return [c for c in diff_models(old, new, uses(root)).changes if c.term_kind == "stream"]


def test_removing_an_input_event_class_breaks_the_stream_naming_its_file(
    tmp_path: Path, model: DomainModel
) -> None:
    descriptor = write_stream(tmp_path)
    (change,) = stream_changes(model, without_class(model, "EquipmentStateChanged"), tmp_path)
    assert (change.name, change.change, change.aspect, change.impact) == (
        "sample v1",
        "changed",
        "input",
        "breaking",
    )
    assert (change.old, change.new, change.file) == (
        f"{STATE} (ds:EquipmentStateChanged)",
        "(none)",
        str(descriptor),
    )
    assert change.reason == f"ds:EquipmentStateChanged is removed; stream sample v1 ({descriptor}) breaks"
    text = format_diff(diff_models(model, without_class(model, "EquipmentStateChanged"), uses(tmp_path)))
    assert "  Streams (declared in streams/)\n" in text
    assert f"~ sample v1: input {STATE} (ds:EquipmentStateChanged) -> (none) - " in text
    assert str(descriptor) in text


def test_a_key_no_longer_owl_has_key_breaks_the_stream(tmp_path: Path, model: DomainModel) -> None:
    write_stream(tmp_path)
    (change,) = stream_changes(model, without_key(model, "equipmentId"), tmp_path)
    assert (change.aspect, change.old, change.new) == (
        "key",
        "ds:equipmentId (owl:hasKey)",
        "ds:equipmentId (not a key)",
    )
    assert change.breaking and "no longer an owl:hasKey property" in change.reason


def test_a_removed_key_property_breaks_the_stream(tmp_path: Path, model: DomainModel) -> None:
    write_stream(tmp_path)
    diff = diff_models(model, without_key(model, "equipmentId", drop_property=True), uses(tmp_path))
    stream = [c for c in diff.changes if c.term_kind == "stream"]
    assert [(c.aspect, c.new) for c in stream] == [("key", "(none)")]
    assert diff.is_breaking and diff.changes[-1] is stream[0]  # streams come after the terms
    assert diff.as_dict()["changes"][-1]["file"].endswith("stream.yaml")


def test_changes_a_stream_does_not_rely_on_leave_it_alone(tmp_path: Path, model: DomainModel) -> None:
    write_stream(tmp_path)
    assert stream_changes(model, without_class(model, "ShiftStarted"), tmp_path) == []
    assert stream_changes(model, without_key(model, "lotNumber"), tmp_path) == []
    assert stream_changes(model, model, tmp_path) == []
    # what the old ontology did not give the stream cannot be taken from it by the new one
    gone = without_class(model, "EquipmentStateChanged")
    assert stream_changes(gone, gone, tmp_path) == []


def test_ontology_diff_on_the_command_line_exits_2_naming_the_stream(tmp_path: Path) -> None:
    # the fixture ontology keys Equipment by equipmentId and has the event class LotProduced
    new = tmp_path / "new"
    shutil.copytree(GOOD, new)
    production = new / "production.ttl"
    production.write_text(
        production.read_text().replace("owl:hasKey ( ds:equipmentId ) ;\n", ""), encoding="utf-8"
    )
    events = new / "events.ttl"
    events.write_text(
        re.sub(r"ds:LotProduced a owl:Class ;.*?\s\.\n", "", events.read_text(), count=1, flags=re.S)
    )
    descriptor = write_stream(tmp_path, {"inputs": ["digispine.mes.LotProduced.v1"]})
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "mes.yaml").write_text(
        "source: mes\nevents:\n  - type: digispine.mes.LotProduced.v1\n    event: LotProduced\n",
        encoding="utf-8",
    )
    args = [
        "diff",
        str(GOOD),
        str(new),
        "--streams",
        str(tmp_path / "streams"),
        "--mappings",
        str(tmp_path / "mappings"),
    ]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 2, result.output
    stream = [c for c in json.loads(result.stdout)["changes"] if c["term_kind"] == "stream"]
    assert [(c["name"], c["aspect"], c["file"]) for c in stream] == [
        ("sample v1", "input", str(descriptor)),
        ("sample v1", "key", str(descriptor)),
    ]
