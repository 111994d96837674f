"""The delivery-risk state machine per sales order and the production-order join, by hand.

The example order: one item, requested for 2026-01-05, so due 2026-01-06T00:00Z; one production
order of 50 parts with three operations of 90, 120 and 45 s per part (planned run time
50 × 255 s = 12,750 s = 212.5 min); safety margin 8 h = 480 min.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph_service.streams.processors import delivery_risk_logic as risk
from graph_service.streams.processors.delivery_risk_logic import OrderEvent, route_production, step

SO = "SO-000001"


def created(time: str, requested: str) -> OrderEvent:
    data = {"salesOrderNumber": SO, "requestedDeliveryDate": requested, "items": [{"itemNumber": 10}]}
    return OrderEvent(risk.SALES_ORDER_CREATED, time, data, SO)


def changed(time: str, **data: Any) -> OrderEvent:
    return OrderEvent(risk.SALES_ORDER_CHANGED, time, {"salesOrderNumber": SO, **data}, SO)


def released(time: str) -> OrderEvent:
    ops = [
        {"operationId": "PRD-1/0010", "plannedRunTimePerUnitSeconds": 90.0},
        {"operationId": "PRD-1/0020", "plannedRunTimePerUnitSeconds": 120.0},
        {"operationId": "PRD-1/0030", "plannedRunTimePerUnitSeconds": 45.0},
    ]
    data = {
        "productionOrderNumber": "PRD-1",
        "plannedQuantity": 50.0,
        "salesOrderNumber": SO,
        "operations": ops,
    }
    return OrderEvent(risk.PRODUCTION_ORDER_RELEASED, time, data, SO)


def completed(time: str, op: str) -> OrderEvent:
    data = {"operationId": op, "productionOrderNumber": "PRD-1"}
    return OrderEvent(risk.OPERATION_COMPLETED, time, data, SO)


def shipped(time: str) -> OrderEvent:
    data = {"salesOrderNumber": SO, "items": [{"salesOrderItemNumber": 10}]}
    return OrderEvent(risk.SHIPMENT_DISPATCHED, time, data, SO)


def replay(events: list[OrderEvent]) -> list[list[risk.Transition]]:
    state: dict[str, Any] | None = None
    out = []
    for event in events:
        state, changes = step(state, event)
        out.append(changes)
    return out


def test_an_order_falls_behind_recovers_with_a_later_date_and_clears_when_shipped() -> None:
    out = replay(
        [
            # 08:00: due in 16 h, nothing planned yet: slack 960 min; at risk from 16:00 on.
            created("2026-01-05T08:00:00Z", "2026-01-05"),
            # 09:00: 900 min left − 212.5 min planned = 687.5 min slack > 480; at risk from
            # 24:00 − 8 h − 212.5 min = 12:27:30 on, unless op 10 completes first.
            released("2026-01-05T09:00:00Z"),
            # 16:00: op 10 completes — later than 12:27:30, so time made the order at risk then:
            # 692.5 min left − 212.5 = 480 = the margin. At 16:00 (137.5 min to run, slack 342.5)
            # it still is: no second event.
            completed("2026-01-05T16:00:00Z", "PRD-1/0010"),
            # 17:00: requested moves to the 7th (due 01-08 00:00): 7 h + 48 h = 3,300 min
            # left − 137.5 = 3,162.5: on track.
            changed("2026-01-05T17:00:00Z", requestedDeliveryDate="2026-01-07"),
            # 17:30: back to the 5th: 390 − 137.5 = 252.5: at risk again.
            changed("2026-01-05T17:30:00Z", requestedDeliveryDate="2026-01-05"),
            # 23:00: shipped in full: cleared.
            shipped("2026-01-05T23:00:00Z"),
        ]
    )
    assert out[:2] == [[], []]
    (by_time,) = out[2]
    assert by_time.by_time
    assert by_time.data == {
        "salesOrderNumber": SO,
        "riskState": "AT_RISK",
        "atRisk": True,
        "requestedDeliveryDate": "2026-01-05",
        "dueAt": "2026-01-06T00:00:00Z",
        "evaluatedAt": "2026-01-05T12:27:30Z",
        "timeLeftMinutes": 692.5,
        "remainingRunTimeMinutes": 212.5,
        "slackMinutes": 480.0,
        "safetyMarginMinutes": 480.0,
        "productionOrderCount": 1,
        "openOperationCount": 3,
        "criticalProductionOrderNumber": "PRD-1",
    }
    rest = [
        [(c.by_time, c.data["riskState"], c.data["slackMinutes"]) for c in changes] for changes in out[3:]
    ]
    assert rest == [[(False, "ON_TRACK", 3162.5)], [(False, "AT_RISK", 252.5)], [(False, "CLEARED", -77.5)]]
    assert (out[5][0].data["atRisk"], out[5][0].data["timeLeftMinutes"]) == (False, 60.0)


def test_progress_on_time_keeps_an_order_quiet() -> None:
    out = replay(
        [
            created("2026-01-05T08:00:00Z", "2026-01-07"),
            released("2026-01-05T09:00:00Z"),
            completed("2026-01-05T12:00:00Z", "PRD-1/0010"),
            completed("2026-01-05T14:00:00Z", "PRD-1/0020"),
            completed("2026-01-05T15:00:00Z", "PRD-1/0030"),
            shipped("2026-01-06T10:00:00Z"),
        ]
    )
    assert out == [[]] * 6


def test_an_order_past_its_date_is_at_risk_even_without_production_known() -> None:
    # due 2026-01-06T00:00Z, nothing to run: at risk from 16:00; the next news comes at 02:00.
    out = replay(
        [created("2026-01-05T08:00:00Z", "2026-01-05"), changed("2026-01-06T02:00:00Z", status="OPEN")]
    )
    (change,) = out[1]
    assert change.by_time
    assert (change.data["evaluatedAt"], change.data["timeLeftMinutes"], change.data["slackMinutes"]) == (
        "2026-01-05T16:00:00Z",
        480.0,
        480.0,
    )
    assert change.data["remainingRunTimeMinutes"] == 0.0
    assert "criticalProductionOrderNumber" not in change.data


def test_a_closed_order_clears() -> None:
    out = replay(
        [created("2026-01-05T23:00:00Z", "2026-01-05"), changed("2026-01-05T23:30:00Z", status="CANCELLED")]
    )
    assert [[(c.by_time, c.data["riskState"]) for c in changes] for changes in out] == [
        [(False, "AT_RISK")],
        [(False, "CLEARED")],
    ]


def test_the_newest_time_counts_so_a_late_old_event_does_not_turn_the_clock_back() -> None:
    state, first = step(None, created("2026-01-05T23:00:00Z", "2026-01-05"))
    assert first[0].data["atRisk"]
    state, changes = step(state, changed("2026-01-05T01:00:00Z", status="OPEN"))
    assert changes == []
    assert state["now"] == "2026-01-05T23:00:00Z"


def test_the_safety_margin_is_a_parameter() -> None:
    # 09:00: slack 687.5 min; a 12 h (720 min) margin makes that at risk.
    state, _ = step(None, created("2026-01-05T08:00:00Z", "2026-01-05"), dt.timedelta(hours=12))
    _, changes = step(state, released("2026-01-05T09:00:00Z"), dt.timedelta(hours=12))
    (change,) = changes
    assert (change.by_time, change.data["slackMinutes"], change.data["safetyMarginMinutes"]) == (
        False,
        687.5,
        720.0,
    )


def test_completions_wait_for_their_release_and_then_go_to_its_sales_order() -> None:
    op_done = {"operationId": "PRD-1/0010", "productionOrderNumber": "PRD-1"}
    state, routed = route_production(None, risk.OPERATION_COMPLETED, "2026-01-05T12:00:00Z", op_done)
    assert routed == []
    release = {"productionOrderNumber": "PRD-1", "salesOrderNumber": SO}
    state, routed = route_production(state, risk.PRODUCTION_ORDER_RELEASED, "2026-01-05T09:00:00Z", release)
    assert [(r.type, r.sales_order) for r in routed] == [
        (risk.PRODUCTION_ORDER_RELEASED, SO),
        (risk.OPERATION_COMPLETED, SO),
    ]
    assert state["pending"] == []
    done = {"productionOrderNumber": "PRD-1"}
    _, routed = route_production(state, risk.PRODUCTION_ORDER_COMPLETED, "2026-01-05T16:00:00Z", done)
    assert [(r.type, r.time) for r in routed] == [(risk.PRODUCTION_ORDER_COMPLETED, "2026-01-05T16:00:00Z")]


def test_production_for_stock_goes_nowhere() -> None:
    state, routed = route_production(
        None, risk.PRODUCTION_ORDER_RELEASED, "2026-01-05T09:00:00Z", {"productionOrderNumber": "PRD-9"}
    )
    assert routed == []
    _, routed = route_production(
        state,
        risk.OPERATION_COMPLETED,
        "2026-01-05T10:00:00Z",
        {"productionOrderNumber": "PRD-9", "operationId": "x"},
    )
    assert routed == []


def test_only_what_the_state_reads_travels_on() -> None:
    data = {
        "salesOrderNumber": SO,
        "customerNumber": "C-1",
        "totalNetAmount": 100.0,
        "requestedDeliveryDate": "2026-01-05",
        "items": [{"itemNumber": 10, "materialNumber": "FG-1", "netPrice": 20.0}],
    }
    slim = risk.needed(risk.SALES_ORDER_CREATED, data)
    assert slim == {
        "salesOrderNumber": SO,
        "requestedDeliveryDate": "2026-01-05",
        "items": [{"itemNumber": 10}],
    }
    _, out = step(None, OrderEvent(risk.SALES_ORDER_CREATED, "2026-01-05T23:00:00Z", slim, SO))
    assert [c.data["riskState"] for c in out] == ["AT_RISK"]
