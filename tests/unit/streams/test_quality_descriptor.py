"""qualityYield's declaration: it passes the start-up checks against the shipped ontology and
mappings, and its shape accepts what the processor emits and refuses what it must not."""

from __future__ import annotations

from graph_service.ontology.model import DomainModel
from graph_service.streams import load_streams
from graph_service.streams.envelope import OutputValidator
from graph_service.streams.processors.quality_logic import Completion, Parameters, step
from tests.support.paths import REPO


def test_the_shipped_declaration_passes_the_checks(model: DomainModel) -> None:  # noqa: F811
    registry = load_streams(
        [REPO / "streams"], model, REPO / "loaders" / "mappings", shapes_dirs=[REPO / "shapes" / "streams"]
    )
    stream = registry.get("qualityYield")
    assert (stream.key, stream.emit, stream.windows) == ("equipmentId", "change", ())
    assert dict(stream.parameters) == {"rollingOperations": 20, "baselineOperations": 20}


def validator() -> OutputValidator:
    shape = REPO / "shapes" / "streams" / "qualityYield-v1.ttl"
    return OutputValidator.from_file(shape, "https://w3id.org/digispine/streams#QualityYieldV1Shape")


def test_rolling_and_alert_records_conform() -> None:
    state = None
    records: list[dict] = []
    for n, scrap in enumerate([2, 2, 10]):
        done = Completion(
            "WU-1", f"OP-{n}", "PRD-1", "2026-01-05T10:00:00Z", 100.0, 100.0 - scrap, float(scrap), 0.0
        )
        state, out = step(state, done, Parameters(rolling_operations=3, baseline_operations=2))
        records += out
    assert [r["kind"] for r in records] == ["rolling", "rolling", "rolling", "alert"]
    check = validator()
    assert [check.validate(r) for r in records] == [[], [], [], []]


def test_an_unknown_rule_a_ratio_above_one_and_an_unknown_field_are_violations() -> None:
    good = {
        "equipmentId": "WU-1",
        "kind": "alert",
        "rule": "WE1_BEYOND_3_SIGMA",
        "operationId": "OP-1",
        "producedQuantity": 10.0,
        "goodQuantity": 9.0,
        "scrapQuantity": 1.0,
        "reworkQuantity": 0.0,
        "rollingOperations": 1,
        "rollingProducedQuantity": 10.0,
        "baselineOperations": 0,
        "runLength": 0,
    }
    check = validator()
    assert check.validate(good) == []
    found = check.validate({**good, "rule": "WE9", "scrapRatio": 1.5, "colour": "red"})
    assert {(v["path"], v["constraint"]) for v in found} == {
        ("rule", "InConstraintComponent"),
        ("scrapRatio", "MaxInclusiveConstraintComponent"),
        ("colour", "ClosedConstraintComponent"),
    }
