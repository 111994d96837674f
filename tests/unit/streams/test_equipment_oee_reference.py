"""The equipmentOee processor against its reference (the algorithm before its per-message work was
cut to what a message can change, oee_reference_processor.py): on generated inputs — late, out of
order, duplicated, lost, a keyed partition days behind, watermarks jumping — every derived event
(id, data, revision, final flag, time, lineage) and every violation is the same, in the same order."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest

from bench.streams_events import plant_events
from graph_service.streams.processors.equipment_oee import EquipmentOee, epoch
from graph_service.streams.run import read_minimal
from graph_service.streams.runtime import DerivedEvents, StreamProcessor
from loaders.simulation import simulate
from tests.support.paths import REPO
from tests.unit.streams.oee_dataset import fixed_plant_events
from tests.unit.streams.oee_reference_processor import EquipmentOee as ReferenceOee
from tests.unit.streams.stream_driver import Driver, ShuffledDriver

DESCRIPTOR = read_minimal(REPO / "streams/equipmentOee/v1/stream.yaml", REPO / "shapes/streams")
Events = list[dict[str, Any]]


def processors() -> tuple[StreamProcessor, StreamProcessor]:
    grace = int(DESCRIPTOR.grace.total_seconds())
    return EquipmentOee(grace), ReferenceOee(grace)


def in_order(events: Events) -> tuple[list[Any], list[Any]]:
    runs = [Driver(p, DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs) for p in processors()]
    for run in runs:
        run.feed(events)
    assert runs[0].outputs, "the input gives derived events"
    assert runs[0].outputs == runs[1].outputs
    assert runs[0].violations == runs[1].violations
    return runs[0].outputs, runs[0].violations


def shuffled(events: Events, seed: int, partitions: int = 3, starved: int | None = None) -> None:
    runs = [
        ShuffledDriver(p, DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs, partitions, starved=starved)
        for p in processors()
    ]
    for run in runs:
        run.run(events, seed)
    assert runs[0].outputs, "the input gives derived events"
    assert runs[0].outputs == runs[1].outputs
    assert runs[0].violations == runs[1].violations


def _iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(n: int, seconds: int, kind: str, data: dict[str, Any], subject: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"gen-{n:05d}",
        "source": "mes/generated",
        "type": f"digispine.mes.{kind}.v1",
        "time": _iso(seconds),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }


Sent = list[tuple[int, str, dict[str, Any], str]]  # (sent at, kind, data, subject)


def generated(seed: int, units: int = 3, days: int = 3) -> Events:
    """A plant that misbehaves: states sent late and out of order (some twice, some lost), operations
    whose start, release or completion comes late or never, long operations over several windows,
    shifts re-sent with other times, master data that comes late or says a unit is no work unit."""
    rng = random.Random(seed)
    t0 = epoch("2026-03-02T06:00:00Z")
    out: Sent = []
    _shifts(rng, t0, days, out)
    for u in range(units):
        unit = f"WU-{u}"
        _master(rng, unit, t0, days, out)
        t = t0 + rng.randint(0, 1800)
        n = 0
        while t < t0 + days * 86400:
            n += 1
            if _state(rng, unit, n, t, out) == "RUNNING" and rng.random() < 0.6:
                _operation(rng, unit, n, t, t0, out)
            t += rng.choice([rng.randint(0, 5), rng.randint(5, 900), rng.randint(900, 3 * 3600)])
    out.sort(key=lambda e: e[0])
    return [_event(i, sent, kind, data, subject) for i, (sent, kind, data, subject) in enumerate(out)]


def _shifts(rng: random.Random, t0: int, days: int, out: Sent) -> None:
    """Three shifts a day on two sites, some re-sent a little moved."""
    for d in range(days):
        for k in range(3):
            start = t0 + d * 86400 + k * 8 * 3600
            sid = f"S-{d}-{k}"
            shift = {
                "shiftId": sid,
                "siteCode": rng.choice(["P1", "P1", "P1", "P2"]),
                "shiftName": "ABC"[k],
                "shiftStart": _iso(start),
                "shiftEnd": _iso(start + 8 * 3600),
                "plannedBreakMinutes": rng.choice([0, 30, 45]),
            }
            out.append((start - rng.randint(0, 3600), "ShiftStarted", shift, sid))
            if rng.random() < 0.1:
                moved = dict(shift, shiftStart=_iso(start + 600), shiftEnd=_iso(start + 8 * 3600 + 600))
                out.append((start + rng.randint(0, 8 * 3600), "ShiftStarted", moved, sid))


def _master(rng: random.Random, unit: str, t0: int, days: int, out: Sent) -> None:
    """The unit's master data, early or late, some first saying it is no work unit."""
    level = "WORK_UNIT" if rng.random() < 0.85 else "WORK_CENTER"
    master = {"equipmentId": unit, "name": unit, "equipmentLevel": level, "siteCode": "P1"}
    out.append((t0 + rng.choice([-60, 0, 4 * 3600, 30 * 3600]), "EquipmentMasterChanged", master, unit))
    if rng.random() < 0.3:
        again = dict(master, equipmentLevel="WORK_UNIT")
        out.append((t0 + rng.randint(0, days * 86400), "EquipmentMasterChanged", again, unit))


def _state(rng: random.Random, unit: str, n: int, t: int, out: Sent) -> str:
    """The unit's ``n``-th state change at ``t``: mostly on time, some late by up to 50 h, some
    twice, some lost."""
    state = rng.choice(["RUNNING", "RUNNING", "IDLE", "DOWN", "SETUP"])
    change = {"stateChangeId": f"C-{unit}-{n}", "equipmentId": unit, "state": state, "since": _iso(t)}
    if rng.random() > 0.03:
        late = rng.choice(
            [0] * 8 + [rng.randint(1, 600), rng.randint(600, 20 * 3600), rng.randint(20 * 3600, 50 * 3600)]
        )
        out.append((t + late, "EquipmentStateChanged", change, unit))
        if rng.random() < 0.03:
            out.append((t + late + rng.randint(0, 7200), "EquipmentStateChanged", change, unit))
    return state


def _operation(rng: random.Random, unit: str, n: int, t: int, t0: int, out: Sent) -> None:
    """An operation started at ``t``, short or over several windows, with counts that need not fit
    its planned rate; its release and completion late or lost, its start sometimes corrected."""
    length = rng.choice([rng.randint(0, 600), rng.randint(600, 5 * 3600), rng.randint(5 * 3600, 14 * 3600)])
    op = f"PRD-{unit}-{n}/0010"
    order = op.split("/")[0]
    release = {
        "productionOrderNumber": order,
        "operations": [{"operationId": op, "plannedRunTimePerUnitSeconds": rng.choice([1.0, 30.0, 54.5])}],
    }
    shift_id = f"S-{(t - t0) // 86400}-{((t - t0) % 86400) // (8 * 3600)}"
    started = {
        "operationId": op,
        "productionOrderNumber": order,
        "equipmentId": unit,
        "startedAt": _iso(t),
        "shiftId": rng.choice([shift_id, shift_id, None, "S-0-0"]),
    }
    produced = float(rng.randint(0, 400))
    good = float(rng.randint(0, int(produced)))
    done = {
        "operationId": op,
        "productionOrderNumber": order,
        "completedAt": _iso(t + length),
        "producedQuantity": produced,
        "goodQuantity": good,
        "scrapQuantity": produced - good,
        "reworkQuantity": float(rng.randint(0, int(good))),
    }
    if rng.random() > 0.05:
        out.append(
            (t + rng.choice([0, 0, 0, rng.randint(1, 40 * 3600)]), "ProductionOrderReleased", release, order)
        )
    out.append((t + rng.choice([0, 0, 0, rng.randint(1, 4 * 3600)]), "OperationStarted", started, op))
    if rng.random() > 0.05:
        out.append(
            (t + length + rng.choice([0, 0, rng.randint(1, 30 * 3600)]), "OperationCompleted", done, op)
        )
    if rng.random() < 0.15:
        moved = dict(started, startedAt=_iso(t + rng.randint(-3600, max(1, length))))
        out.append((t + rng.randint(0, 30 * 3600), "OperationStarted", moved, op))


def mutated(events: Events, seed: int) -> Events:
    """``events`` with some sent late (moved later in the stream), some twice, some lost."""
    rng = random.Random(seed)
    out: Events = []
    for e in events:
        roll = rng.random()
        if roll < 0.03:
            continue
        out.append(e)
        if roll > 0.97:
            out.append(e)
    for _ in range(len(out) // 10):
        i = rng.randrange(len(out))
        e = out.pop(i)
        out.insert(min(len(out), i + rng.randint(1, 60)), e)
    return out


INPUTS: dict[str, Callable[[], Events]] = {
    "fixed plant": fixed_plant_events,
    "simulated 3 days": lambda: simulate(seed=7, days=3, orders_per_day=4),
    "simulated, mutated": lambda: mutated(simulate(seed=3, days=4, orders_per_day=5), 3),
    "generated 1": lambda: generated(1),
    "generated 2": lambda: generated(2, units=2, days=5),
    "generated 3": lambda: mutated(generated(3), 3),
    "bench plant": lambda: plant_events(
        1500, epoch("2026-03-02T07:55:00Z") * 1000.0, 20, [f"M-{i}" for i in range(6)], "ref"
    ),
}


@pytest.mark.parametrize("name", list(INPUTS))
def test_in_order_the_processor_emits_what_the_reference_emits(name: str) -> None:
    in_order(INPUTS[name]())


@pytest.mark.parametrize(
    ("name", "seed", "starved"),
    [
        ("simulated 3 days", 1, None),
        ("simulated 3 days", 2, 0),
        ("simulated, mutated", 3, 1),
        ("generated 1", 4, None),
        ("generated 1", 5, 2),
        ("generated 2", 6, 0),
        ("generated 3", 7, None),
        ("generated 3", 8, 1),
        ("bench plant", 9, None),
    ],
)
def test_in_any_interleaving_the_processor_emits_what_the_reference_emits(
    name: str, seed: int, starved: int | None
) -> None:
    shuffled(INPUTS[name](), seed, starved=starved)


def test_an_operation_start_moved_later_finishes_the_windows_it_no_longer_holds() -> None:
    # The operation holds every window ending after its start until it completes; its start
    # corrected to 09:30 frees 06:00–09:00's hours, which the watermark passed long ago: they
    # finish at once, as the reference finishes them, though they end before what the message changed.
    t = epoch("2026-03-02T06:00:00Z")
    master = {"equipmentId": "WU-1", "name": "WU-1", "equipmentLevel": "WORK_UNIT", "siteCode": "P1"}
    started = {"operationId": "X/0010", "productionOrderNumber": "X", "equipmentId": "WU-1"}
    events = [_event(0, t, "EquipmentMasterChanged", master, "WU-1")]
    events.append(_event(1, t + 600, "OperationStarted", dict(started, startedAt=_iso(t + 600)), "X/0010"))
    for n in range(2, 40):
        state = {"stateChangeId": f"C-{n}", "equipmentId": "WU-1", "state": "RUNNING" if n % 2 else "IDLE"}
        events.append(
            _event(n, t + n * 600, "EquipmentStateChanged", dict(state, since=_iso(t + n * 600)), "WU-1")
        )
    moved = dict(started, startedAt=_iso(t + 3 * 3600 + 1800))
    events.append(_event(40, t + 40 * 600, "OperationStarted", moved, "X/0010"))
    events.append(
        _event(41, t + 41 * 600, "EquipmentStateChanged", dict(state, since=_iso(t + 41 * 600)), "WU-1")
    )
    outputs, _ = in_order(events)
    freed_at = next(i for i, e in enumerate(outputs) if e["data"]["final"])
    assert {e["data"]["windowStart"] for e in outputs[freed_at:] if e["data"]["final"]} >= {
        "2026-03-02T06:00:00Z",
        "2026-03-02T08:00:00Z",
    }


def test_state_the_reference_wrote_is_carried_on_with_the_same_outputs() -> None:
    # A restart on the new code finds the old code's state (open windows with their lineage inside).
    events = generated(3)
    half = len(events) // 2
    old = Driver(processors()[1], DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs)
    old.feed(events[:half])
    carried = [Driver(p, DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs) for p in processors()]
    for run in carried:
        run.states = copy.deepcopy(old.states)
        run.progress = copy.deepcopy(old.progress)
        run.feed(events[half:])
    assert carried[0].outputs and carried[0].outputs == carried[1].outputs
    assert any(e["data"]["final"] for e in carried[0].outputs)
