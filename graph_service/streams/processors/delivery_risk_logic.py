"""The delivery-risk stream's state machine per sales order: is its production behind its date?

Pure: ``step(state, event)`` takes the sales order's state as a plain, JSON-serialisable dict and
one input event (its ``type``, ``time`` and ``data``; operation and production order events come
with the sales order number the production-order join found, see ``OrderEvent``), and returns the
new state and its transitions between at risk and not (each the data of one derived event).

Definitions:
- due = the end of the requested delivery date (24:00 UTC of ``requestedDeliveryDate``, the
  latest one SalesOrderCreated/SalesOrderChanged gave), as orderFulfillment v2 counts a delivery
  on that date as on time.
- remaining run time = the longest, over the order's production orders, of the planned run time
  still open: Σ over its operations not completed of plannedRunTimePerUnitSeconds × the
  production order's planned quantity (the operations of one production order run one after the
  other; the production orders of an order can run side by side). A completed production order
  has none left; an operation counts wholly until it is completed.
- now = the newest event time seen for the order (or the watermark's, see delivery_risk.py).
- slack = due − now − remaining run time. The order is AT_RISK while it is open (not every
  ordered item shipped, not closed) and slack ≤ the safety margin (SAFETY_MARGIN unless the
  descriptor's ``parameters.safetyMargin`` says otherwise).
Time passes between events: an order that would have become at risk before an event's time
became so at that moment (due − margin − remaining run time), with that moment as its time.
Events (emit mode alert): AT_RISK when an open order becomes at risk, ON_TRACK when it stops
being at risk while still open (progress, or a later date), CLEARED when an at-risk order is
shipped in full or closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_service.streams.watermark import new_minute

#: Slack below which an order is at risk (descriptor parameter safetyMargin): one shift, the time a
#: plant needs to react.
SAFETY_MARGIN = dt.timedelta(hours=8)

AT_RISK = "AT_RISK"
ON_TRACK = "ON_TRACK"
CLEARED = "CLEARED"

SALES_ORDER_CREATED = "digispine.erp.SalesOrderCreated.v1"
SALES_ORDER_CHANGED = "digispine.erp.SalesOrderChanged.v1"
SHIPMENT_DISPATCHED = "digispine.erp.ShipmentDispatched.v1"
PRODUCTION_ORDER_RELEASED = "digispine.mes.ProductionOrderReleased.v1"
OPERATION_COMPLETED = "digispine.mes.OperationCompleted.v1"
PRODUCTION_ORDER_COMPLETED = "digispine.mes.ProductionOrderCompleted.v1"

#: Input types that carry the sales order number themselves.
SALES_ORDER_TYPES = (SALES_ORDER_CREATED, SALES_ORDER_CHANGED, SHIPMENT_DISPATCHED)
#: Input types that belong to a production order (joined to their sales order first).
PRODUCTION_TYPES = (PRODUCTION_ORDER_RELEASED, OPERATION_COMPLETED, PRODUCTION_ORDER_COMPLETED)
#: Sales order statuses that close it (nothing more will be produced or shipped for it).
CLOSED_STATUSES = frozenset({"COMPLETED", "CANCELLED", "CLOSED", "REJECTED"})


@dataclass(frozen=True)
class OrderEvent:
    """One input event on its way to its sales order."""

    type: str
    time: str
    data: Mapping[str, Any]
    sales_order: str
    #: What travels with the event untouched (the runtime's origin of it, for lineage and ids).
    meta: Mapping[str, Any] = field(default_factory=dict)


def parse_time(value: str) -> dt.datetime:
    """An ISO 8601 time (``Z`` or an offset) as an aware UTC datetime."""
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso(when: dt.datetime) -> str:
    """UTC, seconds, with Z — the form of every time in derived events."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_at(requested: str) -> dt.datetime:
    """The end of the requested delivery date: 24:00 UTC of that date."""
    day = dt.date.fromisoformat(requested[:10])
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def new_state() -> dict[str, Any]:
    """A sales order nothing is known of yet."""
    return {
        "requested": None,
        "items": [],  # ordered item numbers
        "shipped": [],  # item numbers seen in a shipment
        "closed": False,
        # productionOrderNumber -> {quantity, ops: {operationId: seconds}, done: [...], completed}
        "orders": {},
        "now": None,
        "atRisk": False,
    }


@dataclass(frozen=True)
class Transition:
    """A change between at risk and not: the derived event's data, and whether time alone made it
    (at ``data["evaluatedAt"]``, the moment the slack reached the margin) or the event did."""

    data: dict[str, Any]
    by_time: bool


def step(
    state: Mapping[str, Any] | None, event: OrderEvent, safety_margin: dt.timedelta = SAFETY_MARGIN
) -> tuple[dict[str, Any], list[Transition]]:
    """The order's state after ``event`` and its transitions, in time order.

    Time passes before the event applies: if the order, as it stood, would have become at risk by
    the event's time, that happened at its moment (:func:`risk_from`), whatever event (or the watch
    key's tick) brings the news — so the result does not depend on which arrives first."""
    current = _copy(state) if state else new_state()
    changes: list[Transition] = []
    when = parse_time(event.time)
    moment = risk_from(current, safety_margin)
    if moment is not None and moment <= when:
        current["now"] = iso(moment)
        data = _transition(current, event.sales_order, safety_margin)
        if data is not None:
            changes.append(Transition(data, by_time=True))
    _apply(current, event)
    if current["now"] is None or when > parse_time(current["now"]):
        current["now"] = iso(when)
    data = _transition(current, event.sales_order, safety_margin)
    if data is not None:
        changes.append(Transition(data, by_time=False))
    return current, changes


def remaining_seconds(state: Mapping[str, Any]) -> tuple[float, str | None]:
    """The remaining run time (seconds) and the production order that needs it (None: none left)."""
    longest, critical = 0.0, None
    for number in sorted(state["orders"]):
        order = state["orders"][number]
        if order["completed"]:
            continue
        left = sum(
            seconds * order["quantity"] for op, seconds in order["ops"].items() if op not in order["done"]
        )
        if left > longest:
            longest, critical = left, number
    return longest, critical


def is_open(state: Mapping[str, Any]) -> bool:
    """Not closed and not every ordered item shipped (an order whose items are not known yet is
    open until something of it ships)."""
    if state["closed"]:
        return False
    items = set(state["items"])
    if not items:
        return not state["shipped"]
    return not items <= set(state["shipped"])


def _copy(state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **state,
        "items": list(state["items"]),
        "shipped": list(state["shipped"]),
        "orders": {
            number: {**order, "ops": dict(order["ops"]), "done": list(order["done"])}
            for number, order in state["orders"].items()
        },
    }


def _apply(state: dict[str, Any], event: OrderEvent) -> None:
    data = event.data
    if event.type in (SALES_ORDER_CREATED, SALES_ORDER_CHANGED):
        if data.get("requestedDeliveryDate"):
            state["requested"] = str(data["requestedDeliveryDate"])[:10]
        for item in data.get("items") or []:
            _add(state["items"], int(item["itemNumber"]))
        if str(data.get("status") or "").upper() in CLOSED_STATUSES:
            state["closed"] = True
    elif event.type == SHIPMENT_DISPATCHED:
        for item in data.get("items") or []:
            if item.get("salesOrderItemNumber") is not None:
                _add(state["shipped"], int(item["salesOrderItemNumber"]))
        if not data.get("items"):
            state["closed"] = True  # a shipment without item detail ships the order
    elif event.type == PRODUCTION_ORDER_RELEASED:
        _order(state, data["productionOrderNumber"]).update(
            quantity=float(data.get("plannedQuantity") or 0.0),
            ops={
                str(op["operationId"]): float(op.get("plannedRunTimePerUnitSeconds") or 0.0)
                for op in data.get("operations") or []
            },
        )
    elif event.type == OPERATION_COMPLETED:
        _add(_order(state, data["productionOrderNumber"])["done"], str(data["operationId"]))
    elif event.type == PRODUCTION_ORDER_COMPLETED:
        _order(state, data["productionOrderNumber"])["completed"] = True


def _order(state: dict[str, Any], number: str) -> dict[str, Any]:
    order: dict[str, Any] = state["orders"].setdefault(
        str(number), {"quantity": 0.0, "ops": {}, "done": [], "completed": False}
    )
    return order


def _add(values: list[Any], value: Any) -> None:
    if value not in values:
        values.append(value)


def _transition(state: dict[str, Any], sales_order: str, margin: dt.timedelta) -> dict[str, Any] | None:
    was = bool(state["atRisk"])
    if state["requested"] is None:
        return None  # no date, no risk: nothing is known to be needed by when
    now = parse_time(state["now"])
    due = due_at(state["requested"])
    remaining, critical = remaining_seconds(state)
    slack = due - now - dt.timedelta(seconds=remaining)
    open_ = is_open(state)
    at_risk = open_ and slack <= margin
    state["atRisk"] = at_risk
    if at_risk == was:
        return None
    change = AT_RISK if at_risk else (ON_TRACK if open_ else CLEARED)
    data: dict[str, Any] = {
        "salesOrderNumber": sales_order,
        "riskState": change,
        "atRisk": at_risk,
        "requestedDeliveryDate": state["requested"],
        "dueAt": iso(due),
        "evaluatedAt": iso(now),
        "timeLeftMinutes": _minutes((due - now).total_seconds()),
        "remainingRunTimeMinutes": _minutes(remaining),
        "slackMinutes": _minutes(slack.total_seconds()),
        "safetyMarginMinutes": _minutes(margin.total_seconds()),
        "productionOrderCount": len(state["orders"]),
        "openOperationCount": sum(
            0 if order["completed"] else len(set(order["ops"]) - set(order["done"]))
            for order in state["orders"].values()
        ),
    }
    if critical is not None:
        data["criticalProductionOrderNumber"] = critical
    return data


def _minutes(seconds: float) -> float:
    return round(seconds / 60.0, 3)


def route_production(
    state: Mapping[str, Any] | None,
    type_: str,
    time: str,
    data: Mapping[str, Any],
    meta: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[OrderEvent]]:
    """The production-order join: state per production order, keyed by its number.

    ProductionOrderReleased names the sales order (``salesOrderNumber``); the operation and
    completion events of the order do not, so until the release is seen they wait in the state
    (the input topic is keyed by subject, so a completion can be read before its release). Events
    of a production order for no sales order are dropped."""
    current: dict[str, Any] = (
        {"known": bool(state["known"]), "salesOrder": state["salesOrder"], "pending": list(state["pending"])}
        if state
        else {"known": False, "salesOrder": None, "pending": []}
    )
    incoming = {"type": type_, "time": time, "data": dict(data), "meta": dict(meta or {})}
    if type_ == PRODUCTION_ORDER_RELEASED:
        current["known"] = True
        current["salesOrder"] = data.get("salesOrderNumber") or None
        waiting, current["pending"] = [incoming, *current["pending"]], []
    elif current["known"]:
        waiting = [incoming]
    else:
        current["pending"].append(incoming)
        return current, []
    if current["salesOrder"] is None:
        return current, []
    order = str(current["salesOrder"])
    return current, [OrderEvent(e["type"], e["time"], e["data"], order, e["meta"]) for e in waiting]


def needed(type_: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Only the members of an input the state machine reads: what travels through the keyed topic
    (a sales order's customer and prices, for one, stay out of it)."""
    keep: dict[str, Any] = {
        k: data[k]
        for k in (
            "salesOrderNumber",
            "requestedDeliveryDate",
            "status",
            "productionOrderNumber",
            "plannedQuantity",
            "operationId",
        )
        if k in data
    }
    if type_ in (SALES_ORDER_CREATED, SALES_ORDER_CHANGED) and "items" in data:
        keep["items"] = [{"itemNumber": i.get("itemNumber")} for i in data["items"] or []]
    if type_ == SHIPMENT_DISPATCHED and "items" in data:
        keep["items"] = [{"salesOrderItemNumber": i.get("salesOrderItemNumber")} for i in data["items"] or []]
    if type_ == PRODUCTION_ORDER_RELEASED and "operations" in data:
        keep["operations"] = [
            {
                "operationId": op.get("operationId"),
                "plannedRunTimePerUnitSeconds": op.get("plannedRunTimePerUnitSeconds"),
            }
            for op in data["operations"] or []
        ]
    return keep


def risk_from(state: Mapping[str, Any], margin: dt.timedelta = SAFETY_MARGIN) -> dt.datetime | None:
    """When the order becomes at risk if nothing more happens to it: due − margin − remaining run
    time, rounded up to the second (times are whole seconds); None when it cannot (closed,
    shipped, no date) or already is."""
    if state["requested"] is None or state["atRisk"] or not is_open(state):
        return None
    remaining, _ = remaining_seconds(state)
    moment = due_at(state["requested"]) - margin - dt.timedelta(seconds=remaining)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return moment


def new_watch() -> dict[str, Any]:
    """The watch key's state: the input partitions' event times and the orders waiting for a time."""
    return {"parts": {}, "partitions": 1, "tick": 0.0, "mark": 0.0, "watched": {}}


def watch_step(state: Mapping[str, Any] | None, body: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The watch key (the processor's ``progress_key``): its state after ``body`` and the orders
    whose time has come (each gets a tick at the watermark, and leaves the watch until it asks again).

    Bodies: ``{"kind": "progress", "partition", "partitions", "time"}`` from the runtime (each input
    partition's event time), ``{"kind": "tick", "time"}`` (the wall clock, when on),
    ``{"kind": "watch", "order", "at"}`` and ``{"kind": "unwatch", "order"}`` from the orders. The
    watermark is the least event time over the partitions (once all have reported), raised by the
    wall clock; an order is due when the watermark has reached its ``at``."""
    current = dict(state) if state else new_watch()
    current["parts"] = dict(current["parts"])
    current["watched"] = dict(current["watched"])
    kind = body.get("kind")
    if kind == "progress":
        where = str(body["partition"])
        seen = parse_time(str(body["time"])).timestamp()
        # A restart re-announcing its minute changes nothing (runtime.new_minute).
        if new_minute(current["parts"].get(where), seen):
            current["parts"][where] = max(float(current["parts"].get(where, 0.0)), seen)
        current["partitions"] = max(int(current["partitions"]), int(body.get("partitions") or 1))
    elif kind == "tick":
        current["tick"] = max(float(current["tick"]), parse_time(str(body["time"])).timestamp())
    elif kind == "watch":
        current["watched"][str(body["order"])] = parse_time(str(body["at"])).timestamp()
    elif kind == "unwatch":
        current["watched"].pop(str(body["order"]), None)
    parts = current["parts"]
    low = min(parts.values()) if parts and len(parts) >= int(current["partitions"]) else 0.0
    current["mark"] = max(float(current["mark"]), low, float(current["tick"]))
    due = sorted(order for order, at in current["watched"].items() if current["mark"] >= at)
    for order in due:
        del current["watched"][order]
    return current, due


def mark_text(state: Mapping[str, Any]) -> str:
    """The watch key's watermark as a derived event time."""
    return iso(dt.datetime.fromtimestamp(float(state["mark"]), dt.UTC))
