"""The delivery-risk stream (deliveryRisk): an event when a sales order's production falls behind
what its requested delivery date needs, and one when it is back on track or shipped.

Keys in the runtime's keyed topic (runtime.py): ``po/<productionOrderNumber>`` joins a production
order's operation and completion events to the sales order its release names; ``so/<number>``
holds the sales order's state (delivery_risk_logic.py). Sales order events pass one hop through
``in/<number>`` first, so every input reaches its order after the same number of hops: on one
partition an order sees its inputs in the order of the log (the join's hop does not overtake them).

Time moves for an order without events of its own: an open order that is not at risk tells the
watch key ``~orders`` (the processor's ``progress_key``) when it would become at risk if nothing
happened (due − margin − remaining run time). The runtime reports each input partition's event
time there; once the watermark (the least of them, raised by wall-clock ticks when the runtime's
clock is on) reaches that moment, the order gets a tick and re-evaluates. The transition is dated
at the moment itself, not at the tick, and an input of the order that comes first with a later
time makes the same transition (delivery_risk_logic.step), so a stalled order turns AT_RISK at
the same time with the same id in a replay as live, whichever arrives first.
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
#: The watch key: the runtime's per-partition progress and the orders waiting for a time.
WATCH_KEY = "~orders"
TICK = "tick"
#: The ``source`` in the id of a transition time alone made (its ``id`` is the moment).
TIME_SOURCE = "time"


def create(descriptor: Any, settings: Settings) -> DeliveryRiskProcessor:
    """The processor of one deliveryRisk descriptor (``parameters.safetyMargin``, ISO 8601)."""
    parameters = getattr(descriptor, "parameters", None) or {}
    margin = _duration(parameters.get("safetyMargin")) or logic.SAFETY_MARGIN
    return DeliveryRiskProcessor(margin)


class DeliveryRiskProcessor:
    """Sales order events go to their order; production events first to their production order."""

    #: The runtime reports each input partition's event time here (see the module docstring).
    progress_key = WATCH_KEY

    def __init__(self, safety_margin: dt.timedelta) -> None:
        self.safety_margin = safety_margin

    def route(self, event: InputEvent) -> Iterable[Routed]:
        body = {
            "type": event.type,
            "time": logic.iso(event.time),
            "data": logic.needed(event.type, event.data),
            "input": [event.source, event.id],
        }
        if event.type in logic.SALES_ORDER_TYPES and event.data.get("salesOrderNumber"):
            return [Routed(_PASS + str(event.data["salesOrderNumber"]), body)]
        if event.type in logic.PRODUCTION_TYPES and event.data.get("productionOrderNumber"):
            return [Routed(_PRODUCTION + str(event.data["productionOrderNumber"]), body)]
        return []

    def handle(self, key: str, body: dict[str, Any], origin: Origin, state: KeyState, out: Outbox) -> None:
        if key == CLOCK_KEY:  # a wall-clock tick raises the watermark
            out.send(WATCH_KEY, {"kind": TICK, "time": str(body["time"])})
        elif key == WATCH_KEY:
            self._watch(state, body, out)
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
        before = LineageTracker.from_state(state.get("lineage"))
        after = LineageTracker.from_state(state.get("lineage"))
        if body.get("type") == TICK:
            cause = [origin.source, origin.id]
            state.set("watchAt", None)  # the watch key let go of the order when it sent the tick
        else:
            cause = list(body["input"])
            after.add(Origin.from_json(body["origin"]) if "origin" in body else origin)
            state.set("lineage", after.to_state())
        event = logic.OrderEvent(str(body["type"]), str(body["time"]), body.get("data") or {}, number)
        order, changes = logic.step(state.get("order"), event, self.safety_margin)
        state.set("order", order)
        self._keep_watch(number, order, state, out)
        for change in changes:
            moment = change.data["evaluatedAt"]
            # Time alone: the moment names it (whichever input or tick brought the news, the same id).
            parts = [TIME_SOURCE, moment] if change.by_time else cause
            out.emit(
                subject=number,
                data=change.data,
                time=logic.parse_time(moment),
                id_parts=alert_id_parts(change.data["riskState"], parts[0], parts[1]),
                lineage=(before if change.by_time else after).lineage(),
            )

    def _keep_watch(self, number: str, order: Mapping[str, Any], state: KeyState, out: Outbox) -> None:
        """Tell the watch key when this order would become at risk (or that it need not watch)."""
        at = logic.risk_from(order, self.safety_margin)
        wanted = logic.iso(at) if at is not None else None
        if wanted != state.get("watchAt"):
            if wanted is None:
                out.send(WATCH_KEY, {"kind": "unwatch", "order": number})
            else:
                out.send(WATCH_KEY, {"kind": "watch", "order": number, "at": wanted})
            state.set("watchAt", wanted)

    def _watch(self, state: KeyState, body: Mapping[str, Any], out: Outbox) -> None:
        watch, due = logic.watch_step(state.get("watch"), body)
        state.set("watch", watch)
        for number in due:
            out.send(_ORDER + number, {"type": TICK, "time": logic.mark_text(watch)})


def _duration(value: Any) -> dt.timedelta | None:
    """An ISO 8601 duration (PT8H, PT90M, P1D), or None when not given."""
    if value is None:
        return None
    return dt.timedelta(seconds=duration_seconds(str(value)))
