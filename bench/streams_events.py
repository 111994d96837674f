"""The streams benchmark's input: plant events as a shop floor sends them, timed to when they are sent.

Machines and orders are the simulated plant's (loaders.simulation); the events are the ones the
equipmentOee stream reads (a machine's state changes, its operations starting and completing with
their quantities), each with a fresh id and its event time set to the moment the bench plans to
send it: a live plant, not a replay of old days.
"""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import cycle
from typing import Any

import orjson

from graph_service.kafka.publish import event_key
from loaders.simulation import simulate

STATES = ("RUNNING", "IDLE", "RUNNING", "DOWN", "RUNNING", "SETUP")
REASONS = {"RUNNING": "RUN", "IDLE": "NO_ORDER", "DOWN": "BREAKDOWN", "SETUP": "CHANGEOVER"}


def _iso(ms: float) -> str:
    return (
        dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def work_units() -> list[str]:
    """The simulated plant's machines (the equipment its operations run on)."""
    events = simulate(5, 2, orders_per_day=8)
    ids = {e["data"]["equipmentId"] for e in events if e["type"] == "digispine.mes.OperationStarted.v1"}
    return sorted(ids)


def _cloudevent(kind: str, subject: str, ms: float, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "mes/bench",
        "type": f"digispine.mes.{kind}.v1",
        "time": _iso(ms),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }


def plant_events(
    count: int, start_ms: float, rate: float, machines: list[str], run: str
) -> list[dict[str, Any]]:
    """``count`` events timed ``1/rate`` s apart from ``start_ms``: each machine in turn changes state,
    and every running machine starts an operation and completes it with its good and scrap parts.
    ``run`` makes the business keys (state change ids, order numbers) unique to this run."""
    out: list[dict[str, Any]] = []
    turn = cycle(machines)
    step: dict[str, int] = {}
    while len(out) < count:
        machine = next(turn)
        n = step.get(machine, 0)
        step[machine] = n + 1
        state = STATES[n % len(STATES)]
        at = start_ms + len(out) * 1000 / rate
        out.append(
            _cloudevent(
                "EquipmentStateChanged",
                machine,
                at,
                {
                    "stateChangeId": f"ESC-{run}-{machine}-{n}",
                    "equipmentId": machine,
                    "state": state,
                    "since": _iso(at),
                    "reasonCode": REASONS[state],
                },
            )
        )
        if state != "RUNNING" or len(out) + 2 > count:
            continue
        order = f"PRD-{run}-{machine}-{n}"
        operation = f"{order}/0010"
        at = start_ms + len(out) * 1000 / rate
        out.append(
            _cloudevent(
                "OperationStarted",
                operation,
                at,
                {
                    "operationId": operation,
                    "productionOrderNumber": order,
                    "equipmentId": machine,
                    "startedAt": _iso(at),
                },
            )
        )
        at = start_ms + len(out) * 1000 / rate
        scrap = float(n % 3)
        out.append(
            _cloudevent(
                "OperationCompleted",
                operation,
                at,
                {
                    "operationId": operation,
                    "productionOrderNumber": order,
                    "completedAt": _iso(at),
                    "producedQuantity": 20.0,
                    "goodQuantity": 20.0 - scrap,
                    "scrapQuantity": scrap,
                    "reworkQuantity": 0.0,
                },
            )
        )
    return out


def state_changes(
    count: int, start_ms: float, rate: float, machines: list[str], run: str
) -> list[dict[str, Any]]:
    """Only state changes: each creates one EquipmentStateChange entity in the graph (one change
    log entry per event, what the entity-change measurement follows)."""
    chosen = [
        e for e in plant_events(count * 3, start_ms, rate, machines, run) if "stateChangeId" in e["data"]
    ]
    for i, event in enumerate(chosen[:count]):
        event["time"] = event["data"]["since"] = _iso(start_ms + i * 1000 / rate)
    return chosen[:count]


def as_messages(events: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    """(Kafka key, value) pairs: keyed by subject as ``digispine publish`` keys them."""
    return [(event_key(e), orjson.dumps(e)) for e in events]
