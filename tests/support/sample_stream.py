"""Test helper: one minimal, valid stream declaration (and its shape) written into a directory."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

SHAPE = """\
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix dss:  <https://w3id.org/digispine/streams#> .

dss:SampleV1Shape a sh:NodeShape ;
    sh:targetClass dss:SampleV1Event ;
    sh:property
        [ sh:path dss:equipmentId ; sh:order 1 ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] .
"""

DESCRIPTOR: dict[str, Any] = {
    "name": "sample",
    "version": "1.0.0",
    "title": "Sample, live",
    "domain": "production",
    "owner": "Test team",
    "description": "State changes per equipment and hour.",
    "status": "active",
    "inputs": ["digispine.mes.EquipmentStateChanged.v1"],
    "key": "ds:equipmentId",
    "windows": [{"name": "hour", "kind": "tumbling", "size": "PT1H"}],
    "grace": "PT15M",
    "emit": "revisions",
    "outputType": "digispine.stream.Sample.v1",
    "latencySla": "PT1S",
    "freshnessSla": "PT5M",
    "accessRoles": ["analyst"],
    "outputShape": "dss:SampleV1Shape",
}


def write_sample_stream(root: Path, **changes: Any) -> dict[str, str]:
    """``root/streams/sample/v1/stream.yaml`` and ``root/shapes/streams/sample-v1.ttl``; returns the
    environment that points the CLI at them (DIGISPINE_STREAMS_DIR, DIGISPINE_SHAPES_DIR)."""
    folder = root / "streams" / "sample" / "v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stream.yaml").write_text(yaml.safe_dump({**DESCRIPTOR, **changes}, sort_keys=False))
    shapes = root / "shapes" / "streams"
    shapes.mkdir(parents=True, exist_ok=True)
    (shapes / "sample-v1.ttl").write_text(textwrap.dedent(SHAPE))
    return {"DIGISPINE_STREAMS_DIR": str(root / "streams"), "DIGISPINE_SHAPES_DIR": str(root / "shapes")}
