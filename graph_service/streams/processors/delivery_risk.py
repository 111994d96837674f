"""The delivery-risk stream (deliveryRisk): an event when a sales order's production falls behind
what its requested delivery date needs, and one when it is back on track or shipped.

Keys in the runtime's keyed topic (runtime.py): ``po/<productionOrderNumber>`` joins a production
order's operation and completion events to the sales order its release names; ``so/<number>``
holds the sales order's state (delivery_risk_logic.py). Sales order events pass one hop through
``in/<number>`` first, so every input reaches its order after the same number of hops: on one
partition an order sees its inputs in the order of the log (the join's hop does not overtake them).
With the runtime's clock on (``DIGISPINE_STREAM_CLOCK_SECONDS`` > 0), the clock key keeps the open
orders and passes each tick on to them, so an order whose production stalls becomes at risk
without an event of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from graph_service.products.descriptor import duration_seconds
from graph_service.settings import Settings
from graph_service.streams.envelope import LineageTracker, alert_id_parts
from graph_service.streams.processors import delivery_risk_logic as logic
from graph_service.streams.runtime import CLOCK_KEY, InputEvent, KeyState, Origin, Outbox, Routed

STREAMS = ("deliveryRisk",)

_PRODUCTION = "po/"
_ORDER = "so/"
_PASS = "in/"
TICK = "tick"


def create(descriptor: Any, settings: Settings) -> DeliveryRiskProcessor:
    """The processor of one deliveryRisk descriptor (``parameters.safetyMargin``, ISO 8601)."""
    parameters = getattr(descriptor, "parameters", None) or {}
    margin = _duration(parameters.get("safetyMargin")) or logic.SAFETY_MARGIN
    return DeliveryRiskProcessor(margin, watch=settings.stream_clock_seconds > 0)


class DeliveryRiskProcessor:
    """Sales order events go to their order; production events first to their production order."""

    def __init__(self, safety_margin: dt.timedelta, *, watch: bool) -> None:
        self.safety_margin = safety_margin
        self.watch = watch

    def route(self, event: InputEvent) -> Iterable[Routed]:
        body = {
            "type": event.type,
            "time": _text(event.time),
            "data": logic.needed(event.type, event.data),
            "input": [event.source, event.id],
        }
        if event.type in logic.SALES_ORDER_TYPES and event.data.get("salesOrderNumber"):
            return [Routed(_PASS + str(event.data["salesOrderNumber"]), body)]
        if event.type in logic.PRODUCTION_TYPES and event.data.get("productionOrderNumber"):
            return [Routed(_PRODUCTION + str(event.data["productionOrderNumber"]), body)]
        return []

    def handle(self, key: str, body: dict[str, Any], origin: Origin, state: KeyState, out: Outbox) -> None:
        if key == CLOCK_KEY:
            self._clock(body, state, out)
        elif key.startswith(_PASS):
            out.send(_ORDER + key.removeprefix(_PASS), body)
        elif key.startswith(_PRODUCTION):
            self._join(body, origin, state, out)
        elif key.startswith(_ORDER):
            self._order(key.removeprefix(_ORDER), body, origin, state, out)

    def _join(self, body: Mapping[str, Any], origin: Origin, state: KeyState, out: Outbox) -> None:
        meta = {"input": body["input"], "origin": origin.to_json()}
        joined, routed = logic.route_production(
            state.get("join"), body["type"], body["time"], body["data"], meta
        )
        state.set("join", joined)
        for event in routed:
            out.send(
                _ORDER + event.sales_order,
                {"type": event.type, "time": event.time, "data": dict(event.data), **event.meta},
            )

    def _order(
        self, number: str, body: Mapping[str, Any], origin: Origin, state: KeyState, out: Outbox
    ) -> None:
        if body.get("type") == TICK:
            trigger, source_origin = [origin.source, origin.id], origin
        else:
            trigger = list(body["input"])
            source_origin = Origin.from_json(body["origin"]) if "origin" in body else origin
            tracker = LineageTracker.from_state(state.get("lineage"))
            tracker.add(source_origin)
            state.set("lineage", tracker.to_state())
        event = logic.OrderEvent(str(body["type"]), str(body["time"]), body.get("data") or {}, number)
        order, data = logic.step(state.get("order"), event, self.safety_margin)
        state.set("order", order)
        self._keep_watch(number, order, state, out)
        if data is None:
            return
        lineage = LineageTracker.from_state(state.get("lineage"))
        out.emit(
            subject=number,
            data=data,
            time=logic.parse_time(order["now"]),
            id_parts=alert_id_parts(data["riskState"], trigger[0], trigger[1]),
            lineage=lineage.lineage(),
        )

    def _keep_watch(self, number: str, order: Mapping[str, Any], state: KeyState, out: Outbox) -> None:
        """Tell the clock key which orders are open, so its ticks reach them."""
        if not self.watch:
            return
        wanted = logic.is_open(order) and order["requested"] is not None
        if wanted != bool(state.get("watched", False)):
            out.send(CLOCK_KEY, {"kind": "watch" if wanted else "unwatch", "order": number})
            state.set("watched", wanted)

    def _clock(self, body: Mapping[str, Any], state: KeyState, out: Outbox) -> None:
        watched = set(state.get("orders", []))
        kind = body.get("kind")
        if kind == "watch":
            watched.add(str(body["order"]))
        elif kind == "unwatch":
            watched.discard(str(body["order"]))
        elif kind == TICK:
            for number in sorted(watched):
                out.send(_ORDER + number, {"type": TICK, "time": str(body["time"])})
            return
        state.set("orders", sorted(watched))


def _text(when: dt.datetime) -> str:
    return logic.iso(when)


def _duration(value: Any) -> dt.timedelta | None:
    """An ISO 8601 duration (PT8H, PT90M, P1D), or None when not given."""
    if value is None:
        return None
    return dt.timedelta(seconds=duration_seconds(str(value)))
