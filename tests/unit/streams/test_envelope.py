"""Derived events: deterministic ids, capped lineage, the fast validation, violations routed aside."""

from __future__ import annotations

import datetime as dt

import orjson

from graph_service.streams.envelope import (
    LINEAGE_CAP,
    LineageTracker,
    OutputValidator,
    StreamIdentity,
    build_event,
    derived_id,
    window_id_parts,
)
from graph_service.streams.run import read_minimal
from graph_service.streams.runtime import DerivedEvents, Origin, Outbox
from tests.support.paths import REPO

DESCRIPTOR = read_minimal(REPO / "streams/equipmentOee/v1/stream.yaml", REPO / "shapes/streams")
ORIGIN = Origin("mes/p1", "e-1", "2026-03-02T06:00:00Z", "events", 2, 41, 1_764_612_345_678)
GOOD = {
    "equipmentId": "WU-1",
    "windowName": "shift",
    "windowStart": "2026-03-02T06:00:00Z",
    "windowEnd": "2026-03-02T14:00:00Z",
    "final": True,
    "revision": 3,
    "shiftId": "S-A",
    "plannedBusyTimeMinutes": 450.0,
    "actualProductionTimeMinutes": 380.0,
    "downTimeMinutes": 30.0,
    "setupTimeMinutes": 10.0,
    "plannedRunTimeMinutes": 300.0,
    "operationCount": 1,
    "producedQuantity": 600.0,
    "goodQuantity": 588.0,
    "scrapQuantity": 12.0,
    "reworkQuantity": 6.0,
    "availability": 0.8444,
    "effectiveness": 0.7895,
    "qualityRatio": 0.98,
    "oee": 0.6533,
    "scrapRatio": 0.02,
    "reworkRatio": 0.01,
    "firstPassYield": 0.97,
}


def origin(n: int, partition: int = 0) -> Origin:
    return Origin("mes/p1", f"e-{n}", "2026-03-02T06:00:00Z", "events", partition, 100 + n, 0)


def test_the_same_parts_give_the_same_id_and_any_difference_another() -> None:
    parts = ["equipmentOee", 1, "WU-1", *window_id_parts("shift", "2026-03-02T06:00:00Z", 2)]
    assert derived_id(parts) == derived_id(list(parts))
    assert len(derived_id(parts)) == 32
    assert derived_id(parts) != derived_id([*parts[:-1], 3])
    assert derived_id(parts) != derived_id(["equipmentOee", 2, *parts[2:]])


def test_a_derived_event_carries_the_contract_attributes() -> None:
    stream = StreamIdentity.of(DESCRIPTOR)
    lineage = {"events": [{"source": "mes/p1", "id": "e-1"}], "truncated": 0, "offsets": {}}
    event = build_event(
        stream,
        subject="WU-1",
        data=GOOD,
        time=dt.datetime(2026, 3, 2, 13, tzinfo=dt.UTC),
        id_parts=["shift", "2026-03-02T06:00:00Z", 3],
        lineage=lineage,
        inputts=123,
    )
    assert event["id"] == derived_id(["equipmentOee", 1, "WU-1", "shift", "2026-03-02T06:00:00Z", 3])
    assert (event["source"], event["type"], event["subject"]) == (
        "digispine/streams/equipmentOee/v1",
        "digispine.stream.EquipmentOee.v1",
        "WU-1",
    )
    assert event["time"] == "2026-03-02T13:00:00Z"
    assert event["dataschema"] == "https://w3id.org/digispine/streams#EquipmentOeeV1Shape"
    assert (event["inputts"], event["lineage"], event["specversion"]) == (123, lineage, "1.0")


def test_lineage_names_the_first_events_counts_the_rest_and_spans_the_offsets() -> None:
    tracker = LineageTracker()
    for n in range(LINEAGE_CAP + 7):
        tracker.add(origin(n))
    tracker.add(origin(3))  # the same event again is not counted twice
    restored = LineageTracker.from_state(orjson.loads(orjson.dumps(tracker.to_state())))
    lineage = restored.lineage()
    assert len(lineage["events"]) == LINEAGE_CAP
    assert lineage["events"][0] == {"source": "mes/p1", "id": "e-0"}
    assert lineage["truncated"] == 7
    assert lineage["offsets"] == {"topic": "events", "partition": 0, "from": 100, "to": 100 + LINEAGE_CAP + 6}


def test_the_output_shape_accepts_a_good_window_and_reports_each_fault() -> None:
    validator = OutputValidator.from_file(DESCRIPTOR.shape_path, DESCRIPTOR.shape_iri)
    assert validator.validate(GOOD) == []
    bad = dict(GOOD, qualityRatio=1.5, windowStart="yesterday", operationCount=1.5, extra=1)
    del bad["equipmentId"]
    found = {(r["path"], r["constraint"]) for r in validator.validate(bad)}
    assert found == {
        ("qualityRatio", "MaxInclusiveConstraintComponent"),
        ("windowStart", "DatatypeConstraintComponent"),
        ("operationCount", "DatatypeConstraintComponent"),
        ("equipmentId", "MinCountConstraintComponent"),
        ("extra", "ClosedConstraintComponent"),
    }


def test_a_derived_event_failing_its_shape_goes_to_the_violations_topic_with_the_report() -> None:
    events = DerivedEvents(DESCRIPTOR)
    out = Outbox(events, ORIGIN)
    when = dt.datetime(2026, 3, 2, 13, tzinfo=dt.UTC)
    lineage = LineageTracker().lineage()
    good = out.emit(subject="WU-1", data=GOOD, time=when, id_parts=["shift", "x", 1], lineage=lineage)
    out.emit(subject="WU-1", data=dict(GOOD, oee=-1), time=when, id_parts=["shift", "x", 2], lineage=lineage)
    (first, second) = out.records
    assert (first["r"], first["k"]) == ("o", "WU-1")
    assert orjson.loads(first["v"]) == good
    assert good["inputts"] == ORIGIN.timestamp_ms
    assert (second["r"], second["k"]) == ("x", "equipmentOee")
    record = orjson.loads(second["v"])
    assert (record["stream"], record["version"]) == ("equipmentOee", "1.0.0")
    assert record["event"]["data"]["oee"] == -1
    assert [(r["path"], r["constraint"]) for r in record["report"]] == [
        ("oee", "MinInclusiveConstraintComponent")
    ]
    assert (events.emitted, events.violations) == (1, 1)
