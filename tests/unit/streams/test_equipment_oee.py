"""equipmentOee without Kafka: the ISO 22400-2 window computation (hand-computed on the fixed plant
of the product tests) and the processor driven in memory, in time order and in random interleavings."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.streams_events import plant_events
from graph_service.streams.processors import oee_windows as ow
from graph_service.streams.processors.equipment_oee import create, epoch
from graph_service.streams.run import read_minimal
from graph_service.streams.runtime import DerivedEvents, Progress
from loaders.simulation import simulate
from tests.support.paths import REPO
from tests.unit.streams.oee_dataset import at, fixed_plant_events
from tests.unit.streams.stream_driver import Driver, ShuffledDriver, final_windows

DESCRIPTOR = read_minimal(REPO / "streams/equipmentOee/v1/stream.yaml", REPO / "shapes/streams")
SHIFT_A = ow.Shift("S-A", "A", epoch(at("06:00")), epoch(at("14:00")), 30, "P1")
WU1_CHANGES = [
    (epoch(at("06:00")), "c1", "SETUP"),
    (epoch(at("06:10")), "c2", "RUNNING"),
    (epoch(at("09:00")), "c3", "DOWN"),
    (epoch(at("09:30")), "c4", "RUNNING"),
    (epoch(at("13:00")), "c5", "IDLE"),
]
PRD1 = ow.Operation("PRD-1/0010", epoch(at("06:00")), epoch(at("13:00")), 600, 588, 12, 6, 30, "S-A")


def driver() -> Driver:
    return Driver(create(DESCRIPTOR, None), DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs)


def test_a_shift_window_follows_iso_22400() -> None:
    end = epoch(at("22:00"))
    values = ow.window_values(
        ow.Window("shift", SHIFT_A.start, SHIFT_A.end, SHIFT_A),
        ow.timeline(WU1_CHANGES, end),
        [PRD1],
        [SHIFT_A],
        end,
    )
    assert values is not None
    # PBT 480 − 30 = 450; APT 170 + 210 = 380; 600 × 30 s = 300 min planned; 588/600 good.
    assert values["plannedBusyTimeMinutes"] == 450
    assert values["actualProductionTimeMinutes"] == 380
    assert (values["downTimeMinutes"], values["setupTimeMinutes"]) == (30, 10)
    assert values["oee"] == pytest.approx(380 / 450 * 300 / 380 * 0.98)
    assert values["firstPassYield"] == pytest.approx((588 - 6) / 600)


def test_a_running_shift_counts_the_elapsed_share_of_its_break() -> None:
    # At 10:00: window 06:00–10:00 = 240 min minus 240/480 of the 30 min break = 225; RUNNING 170 + 30.
    ten = epoch(at("10:00"))
    window = ow.Window("shift", SHIFT_A.start, SHIFT_A.end, SHIFT_A)
    values = ow.window_values(window, ow.timeline(WU1_CHANGES, ten), [PRD1], [SHIFT_A], ten)
    assert values is not None
    assert values["plannedBusyTimeMinutes"] == pytest.approx(225)
    assert values["availability"] == pytest.approx(200 / 225)
    assert values["producedQuantity"] == 0  # PRD-1/0010 has not completed at 10:00


def test_an_hour_has_no_planned_break_and_gets_its_running_share_of_the_quantities() -> None:
    end = epoch(at("22:00"))
    hour = ow.Window("hour", epoch(at("09:00")), epoch(at("10:00")))
    values = ow.window_values(hour, ow.timeline(WU1_CHANGES, end), [PRD1], [SHIFT_A], end)
    assert values is not None
    # DOWN 09:00–09:30, RUNNING 09:30–10:00: APT 30 of PBT 60; 30 of PRD-1's 380 running minutes.
    assert values["plannedBusyTimeMinutes"] == 60
    assert values["availability"] == pytest.approx(0.5)
    assert values["producedQuantity"] == pytest.approx(600 * 30 / 380)


def test_an_operation_without_running_time_counts_in_its_reported_shift() -> None:
    end = epoch(at("22:00"))
    idle = [(epoch(at("06:00")), "c1", "IDLE")]
    op = ow.Operation("X/0010", epoch(at("07:00")), epoch(at("08:00")), 10, 9, 1, 0, 60, "S-A")
    shift_b = ow.Shift("S-B", "B", SHIFT_A.end, SHIFT_A.end + 8 * 3600, 30, "P1")
    op_b = ow.Operation("X/0010", op.start, op.end, 10, 9, 1, 0, 60, "S-B")
    window_a = ow.Window("shift", SHIFT_A.start, SHIFT_A.end, SHIFT_A)
    window_b = ow.Window("shift", shift_b.start, shift_b.end, shift_b)
    assert ow.window_values(window_a, ow.timeline(idle, end), [op], [SHIFT_A], end)["producedQuantity"] == 10
    # Reported in S-B although it ran (without RUNNING time) in S-A's hours: wholly S-B's (DURING_SHIFT).
    assert ow.window_values(window_a, ow.timeline(idle, end), [op_b], [SHIFT_A], end) is None
    assert (
        ow.window_values(window_b, ow.timeline(idle, end), [op_b], [shift_b], end)["producedQuantity"] == 10
    )


def test_the_processor_finishes_the_fixed_plant_with_the_hand_computed_values() -> None:
    run = driver()
    run.feed(fixed_plant_events())
    assert run.violations == []
    final = run.finals()
    wu1 = final[("WU-1", "shift", at("06:00"))]
    assert wu1["oee"] == pytest.approx(0.653333, abs=1e-6)
    assert final[("WU-2", "shift", at("06:00"))]["producedQuantity"] == pytest.approx(25)
    assert final[("WU-2", "shift", at("14:00"))]["producedQuantity"] == pytest.approx(75)
    assert ("WU-1", "shift", at("14:00")) not in final  # idle all shift: no window, as the product has no row


def test_a_window_stays_open_while_an_operation_that_ran_in_it_is_not_completed() -> None:
    events = fixed_plant_events()
    completion = next(e for e in events if e["id"] == "oee-020")  # PRD-2/0010 completed 15:30
    rest = [e for e in events if e is not completion]
    run = driver()
    run.feed(rest)
    assert ("WU-2", "shift", at("06:00")) not in run.finals()  # S-A waits for the split of PRD-2/0010
    assert ("WU-1", "shift", at("06:00")) in run.finals()  # WU-1's S-A does not
    run.feed([completion])
    assert run.finals()[("WU-2", "shift", at("06:00"))]["producedQuantity"] == pytest.approx(25)


def test_equipment_that_is_no_work_unit_gives_no_windows() -> None:
    events = [
        e
        for e in fixed_plant_events()
        if e["data"].get("equipmentId") != "WU-1" or e["type"].endswith("StateChanged.v1")
    ]
    run = driver()
    run.feed(events)  # WU-1's states arrive, but no master data says it is a work unit
    assert {k[0] for k in run.finals()} == {"WU-2"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_final_windows_do_not_depend_on_how_partitions_interleave(seed: int) -> None:
    events = simulate(seed=7, days=3, orders_per_day=4)
    ordered = driver()
    ordered.feed(events)
    expected = {k: {f: v for f, v in d.items() if f != "revision"} for k, d in ordered.finals().items()}
    shuffled = ShuffledDriver(create(DESCRIPTOR, None), DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs, 3)
    shuffled.run(events, seed)
    got = {
        k: {f: v for f, v in d.items() if f != "revision"} for k, d in final_windows(shuffled.outputs).items()
    }
    assert expected and got == expected
    assert shuffled.violations == ordered.violations == []


@pytest.mark.parametrize("starved", [0, 1, 2])
def test_final_windows_do_not_depend_on_a_keyed_partition_read_days_behind(starved: int) -> None:
    # Seen on Kafka (two instances, a restart): the keyed partition of an operation's key read
    # after the unit's, so its completion reached the unit when the watermark had passed the
    # windows it held by more than the days a unit remembers finished windows for.
    events = simulate(seed=11, days=4, orders_per_day=5)
    ordered = driver()
    ordered.feed(events)
    expected = {k: {f: v for f, v in d.items() if f != "revision"} for k, d in ordered.finals().items()}
    lagging = ShuffledDriver(
        create(DESCRIPTOR, None), DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs, 3, starved=starved
    )
    lagging.run(events, 1)
    got = {
        k: {f: v for f, v in d.items() if f != "revision"} for k, d in final_windows(lagging.outputs).items()
    }
    assert expected and got == expected


def test_derived_times_are_utc_text() -> None:
    run = driver()
    run.feed(fixed_plant_events())
    assert all(dt.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).tzinfo for e in run.outputs)


def test_a_restart_that_re_announces_its_minute_changes_no_derived_event() -> None:
    # The runtime's per-partition progress is in memory: a restarted routing stage (kill -9, a
    # partition handed over) reports the minute it resumes in again, dated later in the minute.
    # The watermark must stay the undisturbed run's, so every revision of every window is the same.
    machines = ["WU-A", "WU-B", "WU-C", "WU-D"]
    events = plant_events(800, epoch(at("06:00")) * 1000.0, 10, machines, "restart")
    undisturbed = driver()
    undisturbed.feed(events)
    restarted = driver()
    for start in range(0, len(events), 41):
        restarted.progress = Progress(restarted.progress.key, restarted.progress.partitions)
        restarted.feed(events[start : start + 41])
    assert restarted.outputs == undisturbed.outputs
    assert len({e["id"] for e in undisturbed.outputs}) == len(undisturbed.outputs)


def test_planned_run_times_longer_than_the_running_time_go_to_the_violations_not_the_stream() -> None:
    # ISO 22400-2 effectiveness = PRU × produced / APT is above 1 when the planned run time per unit
    # is pessimistic (or more was counted than the machine could make): the shape bounds it by 1, as
    # the batch product's does, so such a window is a data problem reported on the violations
    # topic, the processor going on with the other windows. PRD-1 at 60 s a unit instead of 30:
    # 600 min planned in WU-1's 380 RUNNING minutes of S-A.
    events = copy.deepcopy(fixed_plant_events())
    for e in events:
        for op in e["data"].get("operations", []):
            if op["operationId"] == "PRD-1/0010":
                op["plannedRunTimePerUnitSeconds"] = 60
    run = driver()
    run.feed(events)
    final_violations = [v for v in run.violations if v["event"]["data"]["final"]]
    wu1 = next(
        v
        for v in final_violations
        if v["event"]["data"]["windowStart"] == at("06:00") and v["event"]["data"]["windowName"] == "shift"
    )
    assert wu1["event"]["data"]["effectiveness"] == pytest.approx(600 / 380)
    assert {(r["path"], r["message"]) for r in wu1["report"]} == {("effectiveness", "value is not <= 1")}
    finals = run.finals()
    assert ("WU-1", "shift", at("06:00")) not in finals
    assert finals[("WU-2", "shift", at("06:00"))]["producedQuantity"] == pytest.approx(25)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30_000), st.sampled_from(["RUNNING", "IDLE", "DOWN"])),
        max_size=40,
        unique_by=lambda c: c[0],
    ),
    st.lists(st.integers(0, 30_000), max_size=5),
    st.integers(0, 30_000),
    st.integers(0, 30_000),
    st.integers(0, 30_000),
)
def test_running_hours_are_the_hour_windows_of_the_timeline(
    changes: list[tuple[int, str]], ends: list[int], since: int, lo: int, span: int
) -> None:
    known = sorted((t, f"c{t}", state) for t, state in changes)
    hi = lo + span
    expected = ow.hour_windows(ow.timeline_from(known, hi, since), ends, lo, hi)
    assert ow.running_hours(known, hi, since, ends, lo, hi) == expected
