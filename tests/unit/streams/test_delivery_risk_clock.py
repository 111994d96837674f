"""The delivery-risk processor's wiring without Kafka: the clock reaches open orders only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph_service.streams.processors.delivery_risk import TICK, DeliveryRiskProcessor
from graph_service.streams.processors.delivery_risk_logic import SALES_ORDER_CREATED, SHIPMENT_DISPATCHED
from graph_service.streams.runtime import CLOCK_KEY, Origin


class States:
    """One dict per key, as Quix keeps them."""

    def __init__(self) -> None:
        self.by_key: dict[str, dict[str, Any]] = {}

    def of(self, key: str) -> Any:
        values = self.by_key.setdefault(key, {})

        class State:
            def get(self, name: str, default: Any = None) -> Any:
                return values.get(name, default)

            def set(self, name: str, value: Any) -> None:
                values[name] = value

            def delete(self, name: str) -> None:
                values.pop(name, None)

            def exists(self, name: str) -> bool:
                return name in values

        return State()


class Out:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.emitted: list[dict[str, Any]] = []

    def send(self, key: str, body: dict[str, Any]) -> None:
        self.sent.append((key, body))

    def emit(self, **event: Any) -> None:
        self.emitted.append(event)


ORIGIN = Origin("digispine/erp/test", "e-1", "2026-01-05T08:00:00Z", "events", 0, 1, 0)
CLOCK = Origin("digispine/streams/clock", "tick-1", "2026-01-05T17:00:00Z", "", 0, 0, 0)


def deliver(
    processor: DeliveryRiskProcessor, states: States, key: str, body: dict, origin: Origin = ORIGIN
) -> Out:
    """Handle one keyed message and every message it sends, as the keyed topic loops them."""
    out = Out()
    queue = [(key, body)]
    while queue:
        step = Out()
        k, b = queue.pop(0)
        processor.handle(k, b, origin, states.of(k), step)  # type: ignore[arg-type]
        queue += step.sent
        out.sent += step.sent
        out.emitted += step.emitted
    return out


def created() -> dict[str, Any]:
    data = {"salesOrderNumber": "SO-1", "requestedDeliveryDate": "2026-01-05", "items": [{"itemNumber": 10}]}
    return {
        "type": SALES_ORDER_CREATED,
        "time": "2026-01-05T08:00:00Z",
        "data": data,
        "input": ["erp", "e-1"],
    }


def test_a_tick_makes_a_quiet_open_order_at_risk_and_a_shipped_one_is_no_longer_watched() -> None:
    processor = DeliveryRiskProcessor(dt.timedelta(hours=8), watch=True)
    states = States()
    deliver(processor, states, "in/SO-1", created())
    assert states.by_key[CLOCK_KEY]["orders"] == ["SO-1"]
    # 17:00: 7 h to the due time, nothing to run: slack 420 min < 480 → at risk, caused by the tick.
    out = deliver(processor, states, CLOCK_KEY, {"kind": TICK, "time": "2026-01-05T17:00:00Z"}, CLOCK)
    (event,) = out.emitted
    assert (event["data"]["riskState"], event["data"]["slackMinutes"]) == ("AT_RISK", 420.0)
    assert event["id_parts"] == ["AT_RISK", "digispine/streams/clock", "tick-1"]
    shipment = {
        "type": SHIPMENT_DISPATCHED,
        "time": "2026-01-05T18:00:00Z",
        "data": {"salesOrderNumber": "SO-1", "items": [{"salesOrderItemNumber": 10}]},
        "input": ["erp", "e-2"],
    }
    out = deliver(processor, states, "in/SO-1", shipment)
    assert [e["data"]["riskState"] for e in out.emitted] == ["CLEARED"]
    assert states.by_key[CLOCK_KEY]["orders"] == []


def test_without_the_clock_orders_do_not_register() -> None:
    processor = DeliveryRiskProcessor(dt.timedelta(hours=8), watch=False)
    states = States()
    out = deliver(processor, states, "in/SO-1", created())
    assert all(key != CLOCK_KEY for key, _ in out.sent)
