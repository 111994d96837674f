"""The streams benchmark's input: plant events as a shop floor sends them, timed to when they are sent.

Machines and orders are the simulated plant's (loaders.simulation); the events are the ones the
equipmentOee stream reads (a machine's state changes, its operations starting and completing with
their quantities), each with a fresh id and its event time set to the moment the bench plans to
send it: a live plant, not a replay of old days.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from itertools import cycle
from typing import Any

import orjson

from graph_service.kafka.publish import event_key
from loaders.simulation import simulate

STATES = ("RUNNING", "IDLE", "RUNNING", "DOWN", "RUNNING", "SETUP")
SITE = "PLANT-1000"
REASONS = {"RUNNING": "RUN", "IDLE": "NO_ORDER", "DOWN": "BREAKDOWN", "SETUP": "CHANGEOVER"}


def _iso(ms: float) -> str:
    return (
        dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def work_units(count: int = 40) -> list[str]:
    """``count`` machines: the simulated plant's (the equipment its operations run on), then more
    of the same kinds, as a plant with a few lines of machines has (each machine then sends a few
    events a second at the bench's rates, not dozens)."""
    events = simulate(5, 2, orders_per_day=8)
    ids = sorted(
        {e["data"]["equipmentId"] for e in events if e["type"] == "digispine.mes.OperationStarted.v1"}
    )
    kinds = sorted({i.rsplit("-", 1)[0] for i in ids})
    more = (f"{kinds[n % len(kinds)]}-{10 + n // len(kinds):02d}" for n in range(count))
    return (ids + list(more))[:count]


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


def _preamble(start_ms: float, machines: list[str], run: str) -> list[tuple[str, str, dict[str, Any]]]:
    """What a plant says before it runs: its machines' master data and the shift now under way."""
    now = dt.datetime.fromtimestamp(start_ms / 1000, dt.UTC)
    shift_start = now.replace(hour=now.hour - now.hour % 8, minute=0, second=0, microsecond=0)
    shift = {
        "shiftId": f"S-{run}-{shift_start:%Y%m%d%H}",
        "siteCode": SITE,
        "shiftName": "ABC"[shift_start.hour // 8],
        "shiftStart": shift_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shiftEnd": (shift_start + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "plannedBreakMinutes": 30,
    }
    masters = [
        (
            "EquipmentMasterChanged",
            m,
            {"equipmentId": m, "name": m, "equipmentLevel": "WORK_UNIT", "siteCode": SITE},
        )
        for m in machines
    ]
    return [*masters, ("ShiftStarted", shift["shiftId"], shift)]


def plant_events(
    count: int, start_ms: float, rate: float, machines: list[str], run: str
) -> list[dict[str, Any]]:
    """``count`` events timed ``1/rate`` s apart from ``start_ms``: the machines' master data and the
    current shift first, then each machine in turn changes state, and every running machine gets a
    released order whose operation it starts and completes with its good and scrap parts.
    ``run`` makes the business keys (state change ids, order numbers) unique to this run."""
    out: list[dict[str, Any]] = []

    def add(kind: str, subject: str, data: Callable[[str], dict[str, Any]]) -> None:
        at = start_ms + len(out) * 1000 / rate
        out.append(_cloudevent(kind, subject, at, data(_iso(at))))

    for kind, subject, data in _preamble(start_ms, machines, run):
        add(kind, subject, lambda _, data=data: data)
    turn = cycle(machines)
    step: dict[str, int] = {}
    while len(out) < count:
        machine = next(turn)
        n = step.get(machine, 0)
        step[machine] = n + 1
        state = STATES[n % len(STATES)]
        add(
            "EquipmentStateChanged",
            machine,
            lambda at, machine=machine, n=n, state=state: {
                "stateChangeId": f"ESC-{run}-{machine}-{n}",
                "equipmentId": machine,
                "state": state,
                "since": at,
                "reasonCode": REASONS[state],
            },
        )
        if state != "RUNNING" or len(out) + 3 > count:
            continue
        order = f"PRD-{run}-{machine}-{n}"
        operation = f"{order}/0010"
        scrap = float(n % 3)
        add(
            "ProductionOrderReleased",
            order,
            lambda at, order=order, operation=operation: {
                "productionOrderNumber": order,
                "materialNumber": "FG-PUMP-B",
                "plannedQuantity": 20.0,
                "unit": "PCE",
                "plannedStart": at,
                "plannedEnd": at,
                "operations": [
                    {
                        "operationId": operation,
                        "sequence": 10,
                        "description": "Machine housing",
                        "plannedRunTimePerUnitSeconds": 0.01,
                    }
                ],
            },
        )
        add(
            "OperationStarted",
            operation,
            lambda at, order=order, operation=operation, machine=machine: {
                "operationId": operation,
                "productionOrderNumber": order,
                "equipmentId": machine,
                "startedAt": at,
            },
        )
        add(
            "OperationCompleted",
            operation,
            lambda at, order=order, operation=operation, scrap=scrap: {
                "operationId": operation,
                "productionOrderNumber": order,
                "completedAt": at,
                "producedQuantity": 20.0,
                "goodQuantity": 20.0 - scrap,
                "scrapQuantity": scrap,
                "reworkQuantity": 0.0,
            },
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
