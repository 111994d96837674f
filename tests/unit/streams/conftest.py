"""Helpers of the stream declaration tests: stream folders, shapes and mappings written into tmp_path,
so the tests depend on the ontology but neither on the shipped streams nor on the shipped mappings."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph_service.ontology.model import DomainModel
from graph_service.streams import StreamPaths, StreamRegistry, load_streams
from loaders.mapping import Mapper, load_mappings

#: Four input types: one keyed by equipmentId from one field, one reading it from two different
#: fields (ambiguous), one reading it only for an optional entity, one without it (operations only).
MAPPINGS = """\
source: mes
events:
  - type: digispine.mes.EquipmentStateChanged.v1
    event: EquipmentStateChanged
    entities:
      change:
        class: EquipmentStateChange
        key: {stateChangeId: stateChangeId}
        set: {state: state, since: since}
      equipment:
        class: Equipment
        key: {equipmentId: equipmentId}
    relations:
      - [change, stateOf, equipment]

  - type: digispine.mes.EquipmentMasterChanged.v1
    event: EquipmentMasterChanged
    entities:
      workUnit:
        class: WorkUnit
        key: {equipmentId: equipmentId}
        set: {name: name}
      parent:
        class: Equipment
        key: {equipmentId: parentEquipmentId}

  - type: digispine.mes.OperationStarted.v1
    event: OperationStarted
    entities:
      operation:
        class: Operation
        key: {operationId: operationId}
        set: {actualStart: startedAt}
      equipment:
        class: Equipment
        key: {equipmentId: equipmentId}
        optional: true
    relations:
      - [operation, performedOn, equipment]

  - type: digispine.mes.OperationCompleted.v1
    event: OperationCompleted
    entities:
      operation:
        class: Operation
        key: {operationId: operationId}
"""

SHAPE = """\
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix dss:  <https://w3id.org/digispine/streams#> .

dss:SampleV1Shape a sh:NodeShape ;
    sh:targetClass dss:SampleV1Event ;
    sh:property
        [ sh:path dss:equipmentId ; sh:order 1 ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] ,
        [ sh:path dss:windowStart ; sh:order 2 ; sh:datatype xsd:dateTime ; sh:maxCount 1 ] ,
        [ sh:path dss:availability ; sh:order 3 ; sh:datatype xsd:decimal ; sh:maxCount 1 ] .
"""

DESCRIPTOR: dict[str, Any] = {
    "name": "sample",
    "version": "1.0.0",
    "title": "Sample, live",
    "domain": "production",
    "owner": "Test team",
    "description": "Availability per equipment and hour.",
    "status": "active",
    "inputs": ["digispine.mes.EquipmentStateChanged.v1"],
    "key": "ds:equipmentId",
    "windows": [{"name": "hour", "kind": "tumbling", "size": "PT1H"}],
    "grace": "PT15M",
    "emit": "revisions",
    "outputType": "digispine.stream.Sample.v1",
    "latencySla": "PT1S",
    "freshnessSla": "PT5M",
    "accessRoles": ["analyst", "production"],
    "outputShape": "dss:SampleV1Shape",
    "tags": ["test"],
}


def write_stream(
    root: Path,
    changes: dict[str, Any] | None = None,
    *,
    drop: tuple[str, ...] = (),
    folder: str | None = None,
    raw: str | None = None,
    shape: str | None = SHAPE,
) -> Path:
    """A stream folder ``root/streams/<name>/v<major>/`` and its shape; returns the descriptor file."""
    doc = {k: v for k, v in {**DESCRIPTOR, **(changes or {})}.items() if k not in drop}
    name = str(doc.get("name") or "sample")
    version_folder = folder or f"v{str(doc.get('version', '1.0.0')).split('.')[0]}"
    directory = root / "streams" / name / version_folder
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "stream.yaml"
    path.write_text(raw if raw is not None else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    shapes = root / "shapes"
    shapes.mkdir(exist_ok=True)
    if shape is not None:
        (shapes / f"{name}-{version_folder}.ttl").write_text(textwrap.dedent(shape), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def mapper(model: DomainModel, tmp_path_factory: pytest.TempPathFactory) -> Mapper:  # noqa: F811
    directory = tmp_path_factory.mktemp("mappings")
    (directory / "mes.yaml").write_text(MAPPINGS, encoding="utf-8")
    return load_mappings(directory, model)


def load(root: Path, model: DomainModel, mapper: Mapper) -> StreamRegistry:  # noqa: F811
    return load_streams(StreamPaths((root / "streams",), (root / "shapes",)), model, mapper)


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def at(path: Path, text: str) -> str:
    """``<path>:<line>: `` of the first line of ``path`` containing ``text``: how problems begin."""
    return f"{path}:{line_of(path, text)}: "
