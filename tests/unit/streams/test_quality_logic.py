"""The quality stream's state machine per work unit, on hand-computed examples.

Small parameters (a rolling window of 3 operations, a baseline of 2) keep the arithmetic short;
the stream's own are in its descriptor.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from graph_service.streams.processors import spc
from graph_service.streams.processors.quality_logic import Completion, Parameters, step

SMALL = Parameters(rolling_operations=3, baseline_operations=2)


def done(op: str, produced: float, good: float, scrap: float, rework: float = 0.0) -> Completion:
    return Completion("WU-1", op, "PRD-1", "2026-01-05T10:00:00Z", produced, good, scrap, rework)


def run(
    completions: list[Completion], parameters: Parameters = SMALL
) -> tuple[dict[str, Any], list[list[dict]]]:
    state: dict[str, Any] | None = None
    out = []
    for completion in completions:
        state, events = step(state, completion, parameters)
        out.append(events)
    assert state is not None
    return state, out


BASELINE = [done("OP-1", 100, 98, 2, rework=1), done("OP-2", 100, 98, 2)]


def test_baseline_operations_yield_rolling_values_without_a_chart() -> None:
    _, out = run(BASELINE)
    # OP-1: scrap 2/100 = 0.02; FPY (98 − 1)/100 = 0.97. OP-2: rolling scrap 4/200 = 0.02,
    # rolling FPY (97 + 98)/200 = 0.975.
    assert out[0] == [
        {
            "equipmentId": "WU-1",
            "kind": "rolling",
            "operationId": "OP-1",
            "productionOrderNumber": "PRD-1",
            "completedAt": "2026-01-05T10:00:00Z",
            "producedQuantity": 100.0,
            "goodQuantity": 98.0,
            "scrapQuantity": 2.0,
            "reworkQuantity": 1.0,
            "scrapRatio": 0.02,
            "firstPassYield": 0.97,
            "rollingOperations": 1,
            "rollingProducedQuantity": 100.0,
            "rollingScrapRatio": 0.02,
            "rollingFirstPassYield": 0.97,
            "baselineOperations": 1,
            "runLength": 0,
        }
    ]
    assert len(out[1]) == 1
    second = out[1][0]
    assert (second["rollingScrapRatio"], second["rollingFirstPassYield"]) == (0.02, 0.975)
    assert second["baselineOperations"] == 2
    assert "centreLine" not in second


def test_a_point_beyond_the_upper_limit_fires_rule_1() -> None:
    _, out = run([*BASELINE, done("OP-3", 100, 90, 10)])
    # p̄ = 4/200 = 0.02; n = 100: σ = 0.014, UCL = 0.062, LCL = 0. p = 10/100 = 0.1 > 0.062.
    # Rolling over OP-1..3: scrap 14/300 = 0.046667, FPY (97 + 98 + 90)/300 = 0.95.
    rolling, alert = out[2]
    assert rolling["kind"] == "rolling"
    assert (rolling["centreLine"], rolling["lowerControlLimit"], rolling["upperControlLimit"]) == (
        0.02,
        0.0,
        0.062,
    )
    assert (rolling["rollingScrapRatio"], rolling["rollingFirstPassYield"]) == (0.046667, 0.95)
    assert rolling["runLength"] == 1
    assert alert == {**rolling, "kind": "alert", "rule": spc.BEYOND_LIMITS}


def test_limits_follow_the_subgroup_size_and_the_rolling_window_slides() -> None:
    _, out = run([*BASELINE, done("OP-3", 100, 90, 10), done("OP-4", 50, 49, 1)])
    # n = 50: σ = √(0.02 × 0.98 / 50) = 0.0197990, UCL = 0.02 + 0.0593970 = 0.079397.
    # p = 1/50 = 0.02 is on the centre line: no run. Rolling over OP-2..4: scrap 13/250 = 0.052,
    # FPY (98 + 90 + 49)/250 = 0.948.
    (record,) = out[3]
    assert record["upperControlLimit"] == 0.079397
    assert record["runLength"] == 0
    assert record["rollingOperations"] == 3
    assert (record["rollingScrapRatio"], record["rollingFirstPassYield"]) == (0.052, 0.948)


def test_eight_points_above_the_centre_line_fire_rule_4_once_per_run() -> None:
    # p = 3/100 = 0.03: above p̄ = 0.02, inside UCL 0.062. The 8th in a row alerts, the 9th does
    # not; a point below starts a new run.
    above = [done(f"OP-A{i}", 100, 97, 3) for i in range(1, 10)]
    _, out = run([*BASELINE, *above, done("OP-B", 100, 100, 0)])
    judged = out[2:]
    kinds = [[e.get("rule") for e in events if e["kind"] == "alert"] for events in judged]
    assert kinds == [[], [], [], [], [], [], [], [spc.RUN_ON_ONE_SIDE], [], []]
    assert [events[0]["runLength"] for events in judged] == [1, 2, 3, 4, 5, 6, 7, 8, 9, -1]


def test_a_repeated_completion_changes_nothing() -> None:
    state, _ = run([*BASELINE, done("OP-3", 100, 90, 10)])
    again, events = step(state, done("OP-3", 100, 90, 10), SMALL)
    assert events == []
    assert again == state


def test_an_operation_without_parts_is_not_part_of_the_baseline() -> None:
    state, out = run([done("OP-0", 0, 0, 0), *BASELINE])
    assert state["baseline"] == {"operations": 2, "produced": 200.0, "scrap": 4.0}
    assert "scrapRatio" not in out[0][0]  # 0 / 0 is no ratio


def test_the_state_is_plain_json() -> None:
    import orjson

    state, _ = run([*BASELINE, done("OP-3", 100, 90, 10)])
    assert orjson.loads(orjson.dumps(state)) == state


def test_parameters_come_from_the_descriptor_with_defaults() -> None:
    assert Parameters.from_descriptor({}) == Parameters(20, 20)
    assert Parameters.from_descriptor({"rollingOperations": 5, "baselineOperations": 10}) == Parameters(5, 10)


quantities = st.tuples(
    st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200), st.integers(0, 200)
).map(lambda t: (float(t[0] + t[1] + t[2]), float(t[0] + t[2]), float(t[1]), float(min(t[2], t[0] + t[2]))))


@given(st.lists(quantities, min_size=1, max_size=40))
def test_ratios_stay_ratios_and_nothing_is_judged_before_the_baseline(ops: list[tuple]) -> None:
    completions = [done(f"OP-{i}", *q) for i, q in enumerate(ops)]
    _, out = run(completions, Parameters(rolling_operations=5, baseline_operations=4))
    with_parts = 0
    for completion, events in zip(completions, out, strict=True):
        rolling = events[0]
        assert rolling["kind"] == "rolling" and 1 <= rolling["rollingOperations"] <= 5
        for name in ("scrapRatio", "firstPassYield", "rollingScrapRatio", "rollingFirstPassYield"):
            assert 0.0 <= rolling.get(name, 0.0) <= 1.0
        if with_parts < 4:
            assert len(events) == 1 and "centreLine" not in rolling
        with_parts += completion.produced > 0
        assert all(e == {**rolling, "kind": "alert", "rule": e["rule"]} for e in events[1:])
