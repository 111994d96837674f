"""deliveryRisk's watch of event time: a quiet order becomes at risk when the plant's time says so.

The processor runs in memory through B's driver (the keyed topic as a queue, the runtime's
per-partition progress reports included); the watch key's arithmetic is tested on its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph_service.settings import load_settings
from graph_service.streams.envelope import derived_id
from graph_service.streams.processors import delivery_risk_logic as logic
from graph_service.streams.processors.delivery_risk import create
from graph_service.streams.run import read_minimal
from graph_service.streams.runtime import CLOCK_KEY, DerivedEvents, Origin
from tests.support.cloud_events import cloud_event
from tests.support.paths import REPO
from tests.unit.streams.stream_driver import Driver

ERP = "digispine/erp/test"


def driver() -> Driver:
    descriptor = read_minimal(
        REPO / "streams" / "deliveryRisk" / "v1" / "stream.yaml", REPO / "shapes" / "streams"
    )
    return Driver(create(descriptor, load_settings()), DerivedEvents(descriptor), descriptor.inputs)


def created(number: str, time: str, requested: str) -> dict[str, Any]:
    data = {"salesOrderNumber": number, "requestedDeliveryDate": requested, "items": [{"itemNumber": 10}]}
    return cloud_event(ERP, logic.SALES_ORDER_CREATED, time, number, data)


def shipped(number: str, time: str) -> dict[str, Any]:
    data = {"salesOrderNumber": number, "shipmentNumber": "DLV-1", "items": [{"salesOrderItemNumber": 10}]}
    return cloud_event(ERP, logic.SHIPMENT_DISPATCHED, time, "DLV-1", data)


def test_a_quiet_order_turns_at_risk_when_other_events_carry_time_to_its_moment() -> None:
    run = driver()
    # SO-1: due 2026-01-06T00:00Z, nothing to run: at risk from 00:00 − 8 h = 16:00 on.
    run.feed([created("SO-1", "2026-01-05T08:00:00Z", "2026-01-05")])
    # Other orders' events move the partition's time: 15:59 is not there yet, 16:30 is.
    run.feed(
        [
            created("SO-2", "2026-01-05T12:00:00Z", "2026-01-09"),
            created("SO-3", "2026-01-05T15:59:00Z", "2026-01-09"),
        ]
    )
    assert run.outputs == []
    run.feed([created("SO-4", "2026-01-05T16:30:00Z", "2026-01-09")])
    assert run.violations == []
    (event,) = run.outputs
    # Dated at its moment, not at the event that brought the news: 480 min left = the margin.
    assert event["subject"] == "SO-1"
    assert (event["data"]["riskState"], event["data"]["evaluatedAt"], event["data"]["slackMinutes"]) == (
        "AT_RISK",
        "2026-01-05T16:00:00Z",
        480.0,
    )
    assert event["time"] == "2026-01-05T16:00:00Z"
    assert event["id"] == derived_id(["deliveryRisk", 1, "SO-1", "AT_RISK", "time", "2026-01-05T16:00:00Z"])
    run.feed([shipped("SO-1", "2026-01-05T18:00:00Z")])
    assert [e["data"]["riskState"] for e in run.outputs] == ["AT_RISK", "CLEARED"]


def test_the_order_s_own_later_event_and_the_tick_give_the_same_transition() -> None:
    # Nothing else moves time: the order's own next event (at 17:00) brings the news instead.
    run = driver()
    run.feed([created("SO-1", "2026-01-05T08:00:00Z", "2026-01-05"), shipped("SO-1", "2026-01-05T17:00:00Z")])
    at_risk, cleared = run.outputs
    assert at_risk["id"] == derived_id(["deliveryRisk", 1, "SO-1", "AT_RISK", "time", "2026-01-05T16:00:00Z"])
    assert (cleared["data"]["riskState"], cleared["data"]["evaluatedAt"]) == (
        "CLEARED",
        "2026-01-05T17:00:00Z",
    )


def test_the_wall_clock_raises_the_watermark_too() -> None:
    run = driver()
    run.feed([created("SO-1", "2026-01-05T08:00:00Z", "2026-01-05")])
    tick = Origin("digispine/streams/clock", "tick-1", "2026-01-05T17:00:00Z", "", 0, 0, 0)
    run.tick(CLOCK_KEY, {"kind": "tick", "time": "2026-01-05T17:00:00Z"}, tick)
    (event,) = run.outputs
    assert (event["data"]["riskState"], event["data"]["evaluatedAt"]) == ("AT_RISK", "2026-01-05T16:00:00Z")


def at(text: str) -> dict[str, Any]:
    return {"kind": "progress", "partition": 0, "partitions": 2, "time": text}


def test_the_watermark_is_the_least_partition_time_once_all_have_reported() -> None:
    state, due = logic.watch_step(None, {"kind": "watch", "order": "SO-1", "at": "2026-01-05T16:00:00Z"})
    assert due == []
    state, due = logic.watch_step(state, at("2026-01-05T17:00:00Z"))
    assert (due, state["mark"]) == ([], 0.0)  # partition 1 has not reported yet
    state, due = logic.watch_step(state, {**at("2026-01-05T15:00:00Z"), "partition": 1})
    assert due == [] and logic.mark_text(state) == "2026-01-05T15:00:00Z"
    state, due = logic.watch_step(state, {**at("2026-01-05T16:00:00Z"), "partition": 1})
    assert due == ["SO-1"] and logic.mark_text(state) == "2026-01-05T16:00:00Z"
    assert state["watched"] == {}  # it asks again if it is still not at risk


def test_an_order_that_unwatches_gets_no_tick() -> None:
    state, _ = logic.watch_step(None, {"kind": "watch", "order": "SO-1", "at": "2026-01-05T16:00:00Z"})
    state, _ = logic.watch_step(state, {"kind": "unwatch", "order": "SO-1"})
    _, due = logic.watch_step(state, {"kind": "tick", "time": "2026-01-06T00:00:00Z"})
    assert due == []


def test_an_order_at_risk_closed_or_without_date_is_not_watched() -> None:
    order, _ = logic.step(
        None,
        logic.OrderEvent(
            logic.SALES_ORDER_CREATED, "2026-01-05T08:00:00Z", {"requestedDeliveryDate": "2026-01-05"}, "SO-1"
        ),
    )
    assert logic.risk_from(order) == dt.datetime(2026, 1, 5, 16, tzinfo=dt.UTC)
    order["atRisk"] = True
    assert logic.risk_from(order) is None
    undated, _ = logic.step(
        None, logic.OrderEvent(logic.SALES_ORDER_CHANGED, "2026-01-05T08:00:00Z", {"status": "OPEN"}, "SO-2")
    )
    assert logic.risk_from(undated) is None


def test_a_restart_re_announcing_its_minute_does_not_raise_the_watermark() -> None:
    def one(text: str) -> dict[str, Any]:  # a report on a one-partition topic
        return {**at(text), "partitions": 1}

    # A restarted instance reports the minute it resumes in again, dated by its first event there.
    state, _ = logic.watch_step(None, one("2026-01-05T15:00:10Z"))
    state, due = logic.watch_step(state, {"kind": "watch", "order": "SO-1", "at": "2026-01-05T15:00:40Z"})
    state, due = logic.watch_step(state, one("2026-01-05T15:00:50Z"))
    assert due == [] and logic.mark_text(state) == "2026-01-05T15:00:10Z"
    state, due = logic.watch_step(state, one("2026-01-05T15:01:00Z"))  # the next minute counts
    assert due == ["SO-1"] and logic.mark_text(state) == "2026-01-05T15:01:00Z"
