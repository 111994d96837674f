"""qualityYield's processor in memory (B's driver): the join in either order, repeats ignored."""

from __future__ import annotations

from typing import Any

from graph_service.settings import load_settings
from graph_service.streams.processors.quality import create
from graph_service.streams.run import read_minimal
from graph_service.streams.runtime import DerivedEvents
from tests.support.cloud_events import cloud_event
from tests.support.paths import REPO
from tests.unit.streams.stream_driver import Driver

MES = "digispine/mes/test"


def driver() -> Driver:
    descriptor = read_minimal(
        REPO / "streams" / "qualityYield" / "v1" / "stream.yaml", REPO / "shapes" / "streams"
    )
    return Driver(create(descriptor, load_settings()), DerivedEvents(descriptor), descriptor.inputs)


def started(op: str, unit: str) -> dict[str, Any]:
    data = {"operationId": op, "productionOrderNumber": "PRD-1", "equipmentId": unit, "operatorId": "P-001"}
    return cloud_event(MES, "digispine.mes.OperationStarted.v1", "2026-01-05T06:00:00Z", op, data)


def completed(op: str, scrap: float) -> dict[str, Any]:
    data = {
        "operationId": op,
        "productionOrderNumber": "PRD-1",
        "completedAt": "2026-01-05T07:00:00Z",
        "producedQuantity": 10.0,
        "goodQuantity": 10.0 - scrap,
        "scrapQuantity": scrap,
        "reworkQuantity": 0.0,
    }
    return cloud_event(MES, "digispine.mes.OperationCompleted.v1", "2026-01-05T07:00:00Z", op, data)


def test_a_completion_before_its_start_waits_and_a_repeated_report_counts_once() -> None:
    run = driver()
    run.feed([completed("OP-1", 1), started("OP-1", "WU-1"), completed("OP-1", 1), started("OP-1", "WU-1")])
    run.feed([started("OP-2", "WU-1"), completed("OP-2", 0)])
    assert run.violations == []
    assert [(e["subject"], e["data"]["operationId"]) for e in run.outputs] == [
        ("WU-1", "OP-1"),
        ("WU-1", "OP-2"),
    ]
    # Rolling over both: 1 scrap of 20 parts; FPY 19/20.
    last = run.outputs[-1]["data"]
    assert (last["rollingOperations"], last["rollingScrapRatio"], last["rollingFirstPassYield"]) == (
        2,
        0.05,
        0.95,
    )
    # The operator id of OperationStarted does not travel on.
    assert all("operatorId" not in str(state) for state in run.states.values())
