"""qualityYield on the real broker: operation events in, rolling yield and rule alerts out.

Parameters are made small for the test (a baseline of 3 operations, a rolling window of 3); the
hand computation is in the comments.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from graph_service.settings import Settings
from graph_service.streams.envelope import derived_id
from graph_service.streams.runtime import run_stream
from tests.integration.streams.streams_kafka import produce, read_all, stream_env
from tests.support.cloud_events import cloud_event

MES = "digispine/mes/test"
START = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.UTC)


def at(minutes: int) -> str:
    return (START + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def operation(
    n: int, unit: str, produced: float, scrap: float, rework: float = 0.0, *, completed_first: bool = False
):
    op = f"PRD-{n:03d}/0010"
    started = cloud_event(
        MES,
        "digispine.mes.OperationStarted.v1",
        at(30 * n),
        op,
        {
            "operationId": op,
            "productionOrderNumber": f"PRD-{n:03d}",
            "equipmentId": unit,
            "startedAt": at(30 * n),
        },
    )
    completed = cloud_event(
        MES,
        "digispine.mes.OperationCompleted.v1",
        at(30 * n + 25),
        op,
        {
            "operationId": op,
            "productionOrderNumber": f"PRD-{n:03d}",
            "completedAt": at(30 * n + 25),
            "producedQuantity": produced,
            "goodQuantity": produced - scrap,
            "scrapQuantity": scrap,
            "reworkQuantity": rework,
        },
    )
    return [completed, started] if completed_first else [started, completed]


def test_scrap_beyond_the_limits_and_a_run_of_eight_raise_alerts(
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings, descriptor = stream_env(kafka_settings, tmp_path, "qualityYield", partitions=1)
    small = dataclasses.replace(descriptor, parameters={"baselineOperations": 3, "rollingOperations": 3})
    events = [
        # Baseline of WU-1: 3 × (100 parts, 2 scrap): p̄ = 6/300 = 0.02. OP 2's completion is read first.
        *operation(1, "WU-1", 100, 2),
        *operation(2, "WU-1", 100, 2, rework=1, completed_first=True),
        *operation(3, "WU-1", 100, 2),
        # p = 10/100 = 0.1 > UCL = 0.02 + 3√(0.02·0.98/100) = 0.062: rule 1. Run +1.
        *operation(4, "WU-1", 100, 10),
        # p = 3/100 = 0.03, above p̄ and inside the limits: runs +2 … +8; the 7th of them (OP 11) is
        # the 8th point above the centre line: rule 4.
        *[e for n in range(5, 12) for e in operation(n, "WU-1", 100, 3)],
        # Another work unit has a chart of its own.
        *operation(12, "WU-2", 40, 1),
    ]
    produce(settings, events)
    run_stream(small, settings, instance="test", stop_after_idle=4.0)

    derived = read_all(settings, descriptor.topic)
    assert read_all(settings, settings.stream_violations_topic) == []
    assert [
        (e["subject"], e["data"]["kind"], e["data"].get("rule"), e["data"]["operationId"]) for e in derived
    ] == [
        ("WU-1", "rolling", None, "PRD-001/0010"),
        ("WU-1", "rolling", None, "PRD-002/0010"),
        ("WU-1", "rolling", None, "PRD-003/0010"),
        ("WU-1", "rolling", None, "PRD-004/0010"),
        ("WU-1", "alert", "WE1_BEYOND_3_SIGMA", "PRD-004/0010"),
        *[("WU-1", "rolling", None, f"PRD-{n:03d}/0010") for n in range(5, 11)],
        ("WU-1", "rolling", None, "PRD-011/0010"),
        ("WU-1", "alert", "WE4_RUN_OF_8", "PRD-011/0010"),
        ("WU-2", "rolling", None, "PRD-012/0010"),
    ]

    by_op = {(e["data"]["operationId"], e["data"]["kind"]): e for e in derived}
    completed_4 = events[7]
    beyond = by_op[("PRD-004/0010", "alert")]
    # Rolling over OPs 2-4: scrap (2 + 2 + 10)/300 = 0.046667; FPY (97 + 98 + 90)/300 = 0.95.
    assert beyond["data"] == {
        "equipmentId": "WU-1",
        "kind": "alert",
        "rule": "WE1_BEYOND_3_SIGMA",
        "operationId": "PRD-004/0010",
        "productionOrderNumber": "PRD-004",
        "completedAt": "2026-01-05T08:25:00Z",
        "producedQuantity": 100.0,
        "goodQuantity": 90.0,
        "scrapQuantity": 10.0,
        "reworkQuantity": 0.0,
        "scrapRatio": 0.1,
        "firstPassYield": 0.9,
        "rollingOperations": 3,
        "rollingProducedQuantity": 300.0,
        "rollingScrapRatio": 0.046667,
        "rollingFirstPassYield": 0.95,
        "baselineOperations": 3,
        "centreLine": 0.02,
        "lowerControlLimit": 0.0,
        "upperControlLimit": 0.062,
        "runLength": 1,
    }
    assert beyond["type"] == "digispine.stream.QualityYield.v1"
    assert beyond["source"] == "digispine/streams/qualityYield/v1"
    assert beyond["time"] == "2026-01-05T08:25:00Z"
    # The id is the stream's, the key's, the rule's and the triggering completion's: a replay
    # or a duplicate gives the same one.
    assert beyond["id"] == derived_id(
        ["qualityYield", 1, "WU-1", "WE1_BEYOND_3_SIGMA", completed_4["source"], completed_4["id"]]
    )
    assert by_op[("PRD-004/0010", "rolling")]["id"] == derived_id(
        ["qualityYield", 1, "WU-1", "rolling", "PRD-004/0010"]
    )
    # Lineage: the completions and starts of the operations in the rolling window (OPs 2-4).
    assert {(s["source"], s["id"]) for s in beyond["lineage"]["events"]} == {
        (e["source"], e["id"]) for e in events[2:8]
    }

    run_of_8 = by_op[("PRD-011/0010", "alert")]["data"]
    # Rolling over OPs 9-11: scrap 9/300 = 0.03, FPY 291/300 = 0.97.
    assert (run_of_8["runLength"], run_of_8["rollingScrapRatio"], run_of_8["rollingFirstPassYield"]) == (
        8,
        0.03,
        0.97,
    )
    other = by_op[("PRD-012/0010", "rolling")]["data"]
    assert (other["baselineOperations"], other["rollingScrapRatio"], other["runLength"]) == (1, 0.025, 0)
