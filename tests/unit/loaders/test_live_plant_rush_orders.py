"""The live plant's rush orders: the only orders that run late, and what the delivery-risk stream
is there to catch. Replayed here through the stream's own state machine, joined as the processor
joins production events to their sales order."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from graph_service.streams.processors import delivery_risk_logic as risk
from loaders.simulation.live import PULL_IN_AFTER, LivePlant

START = dt.datetime(2026, 11, 2, 5, tzinfo=dt.UTC)
END = START + dt.timedelta(days=14)
CHANGED = "digispine.erp.SalesOrderChanged.v1"
CREATED = "digispine.erp.SalesOrderCreated.v1"


def transitions(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each sales order's AT_RISK / ON_TRACK / CLEARED transitions, in order."""
    states: dict[str, dict[str, Any] | None] = defaultdict(lambda: None)
    joins: dict[str, dict[str, Any] | None] = defaultdict(lambda: None)
    got: dict[str, list[str]] = defaultdict(list)
    for event in events:
        kind, data = event["type"], event["data"]
        if kind in risk.SALES_ORDER_TYPES:
            routed = [risk.OrderEvent(kind, event["time"], risk.needed(kind, data), data["salesOrderNumber"])]
        elif kind in risk.PRODUCTION_TYPES:
            order = data["productionOrderNumber"]
            joins[order], routed = risk.route_production(
                joins[order], kind, event["time"], risk.needed(kind, data)
            )
        else:
            continue
        for one in routed:
            states[one.sales_order], changes = risk.step(states[one.sales_order], one)
            got[one.sales_order] += [c.data["riskState"] for c in changes]
    return got


def test_a_share_of_orders_is_pulled_in_to_its_own_date_half_an_hour_after_it_was_placed() -> None:
    events = LivePlant(7, START).until(END)
    created = {e["data"]["salesOrderNumber"]: e for e in events if e["type"] == CREATED}
    rushed = [e for e in events if e["type"] == CHANGED and "requestedDeliveryDate" in e["data"]]
    assert 0 < len(rushed) < len(created)
    for change in rushed:
        order = created[change["data"]["salesOrderNumber"]]
        assert change["data"]["requestedDeliveryDate"] == order["data"]["orderDate"]
        assert risk.parse_time(change["time"]) == risk.parse_time(order["time"]) + PULL_IN_AFTER
        assert change["source"] == order["source"] and change["subject"] == order["subject"]
    assert len({e["id"] for e in events}) == len(events)


def test_the_rush_orders_and_only_they_are_flagged_at_risk_and_cleared_once_shipped() -> None:
    events = LivePlant(7, START).until(END)
    rushed = {
        e["data"]["salesOrderNumber"]
        for e in events
        if e["type"] == CHANGED and "requestedDeliveryDate" in e["data"]
    }
    shipped = {e["data"]["salesOrderNumber"] for e in events if e["type"] == risk.SHIPMENT_DISPATCHED}
    flagged = {order: got for order, got in transitions(events).items() if got}
    assert flagged, "no order was ever at risk"
    assert set(flagged) <= rushed
    for order, got in flagged.items():
        assert got[0] == risk.AT_RISK, (order, got)
        if order in shipped:
            assert got[-1] == risk.CLEARED, (order, got)


def test_without_rush_orders_the_plant_is_the_same_event_for_event() -> None:
    plain = LivePlant(7, START, pull_in_share=0.0).until(END)
    rushed = LivePlant(7, START).until(END)
    assert plain == [e for e in rushed if not (e["type"] == CHANGED and "requestedDeliveryDate" in e["data"])]
