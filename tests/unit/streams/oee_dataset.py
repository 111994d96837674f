"""The fixed plant of the equipmentOEE product tests (tests/integration/products/dataset.py), as MES events.

Monday 2026-03-02, all times UTC, site P1. Shifts S-A 06:00–14:00 and S-B 14:00–22:00, 30 min
planned break each; S-C 22:00–06:00 and S-D 06:00–14:00 the next day are known too (nothing runs
in them; S-D's start closes S-B).
  WU-1  06:00 SETUP, 06:10 RUNNING, 09:00 DOWN, 09:30 RUNNING, 13:00 IDLE
        PRD-1/0010 06:00–13:00 in S-A: 600 produced, 588 good, 12 scrap, 6 rework, 30 s/unit
  WU-2  13:20 SETUP, 13:30 RUNNING, 15:30 IDLE
        PRD-2/0010 13:20–15:30, reported in S-A: 100 produced, 96 good, 4 scrap, 0 rework, 54 s/unit
The events are in time order; every one has a fixed id, so runs can be compared by id.
"""

from __future__ import annotations

from typing import Any

DAY = "2026-03-02"


def at(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}:00Z"


def event(n: int, when: str, kind: str, data: dict[str, Any], subject: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"oee-{n:03d}",
        "source": "mes/plant-p1",
        "type": f"digispine.mes.{kind}.v1",
        "time": when,
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }


def fixed_plant_events() -> list[dict[str, Any]]:
    """The fixed plant's MES events, in time order."""
    raw: list[tuple[str, str, dict[str, Any], str]] = []

    def add(when: str, kind: str, data: dict[str, Any], subject: str) -> None:
        raw.append((when, kind, data, subject))

    master = "2026-03-01T00:00:00Z"
    add(
        master,
        "EquipmentMasterChanged",
        {"equipmentId": "WC-1", "name": "Line 1", "equipmentLevel": "WORK_CENTER", "siteCode": "P1"},
        "WC-1",
    )
    add(
        master,
        "EquipmentMasterChanged",
        {"equipmentId": "WC-2", "name": "Line 2", "equipmentLevel": "WORK_CENTER", "siteCode": "P1"},
        "WC-2",
    )
    for unit, center in (("WU-1", "WC-1"), ("WU-2", "WC-2")):
        add(
            master,
            "EquipmentMasterChanged",
            {
                "equipmentId": unit,
                "name": f"Machine {unit}",
                "equipmentLevel": "WORK_UNIT",
                "siteCode": "P1",
                "parentEquipmentId": center,
            },
            unit,
        )
    add("2026-03-02T05:00:00Z", "ProductionOrderReleased", order("PRD-1", 600, "WC-1", 30), "PRD-1")
    add("2026-03-02T05:30:00Z", "ProductionOrderReleased", order("PRD-2", 100, "WC-2", 54), "PRD-2")
    for shift, start, end in (("S-A", "06:00", "14:00"), ("S-B", "14:00", "22:00")):
        add(at(start), "ShiftStarted", shift_data(shift, at(start), at(end)), shift)
    add(at("06:00"), "OperationStarted", started("PRD-1", "WU-1", "S-A", at("06:00")), "PRD-1/0010")
    for n, (hhmm, state) in enumerate(
        (
            ("06:00", "SETUP"),
            ("06:10", "RUNNING"),
            ("09:00", "DOWN"),
            ("09:30", "RUNNING"),
            ("13:00", "IDLE"),
        ),
        1,
    ):
        add(
            at(hhmm),
            "EquipmentStateChanged",
            {
                "stateChangeId": f"ESC-1-{n}",
                "equipmentId": "WU-1",
                "state": state,
                "since": at(hhmm),
                "reasonCode": "X",
            },
            "WU-1",
        )
    add(at("13:00"), "OperationCompleted", completed("PRD-1", at("13:00"), 600, 588, 12, 6), "PRD-1/0010")
    add(at("13:20"), "OperationStarted", started("PRD-2", "WU-2", "S-A", at("13:20")), "PRD-2/0010")
    for n, (hhmm, state) in enumerate((("13:20", "SETUP"), ("13:30", "RUNNING"), ("15:30", "IDLE")), 1):
        add(
            at(hhmm),
            "EquipmentStateChanged",
            {
                "stateChangeId": f"ESC-2-{n}",
                "equipmentId": "WU-2",
                "state": state,
                "since": at(hhmm),
                "reasonCode": "X",
            },
            "WU-2",
        )
    add(at("15:30"), "OperationCompleted", completed("PRD-2", at("15:30"), 100, 96, 4, 0), "PRD-2/0010")
    add(at("22:00"), "ShiftStarted", shift_data("S-C", at("22:00"), at("06:00", "2026-03-03")), "S-C")
    # The next morning's shift start moves every work unit's clock past S-B's end + grace.
    next_day = "2026-03-03"
    add(
        at("06:00", next_day),
        "ShiftStarted",
        shift_data("S-D", at("06:00", next_day), at("14:00", next_day)),
        "S-D",
    )
    raw.sort(key=lambda r: r[0])  # stable: same-time events keep the order above
    return [event(n, when, kind, data, subject) for n, (when, kind, data, subject) in enumerate(raw, 1)]


def order(number: str, quantity: int, center: str, seconds: int) -> dict[str, Any]:
    return {
        "productionOrderNumber": number,
        "materialNumber": "FG-A",
        "plannedQuantity": quantity,
        "unit": "PCE",
        "plannedStart": "2026-03-02T06:00:00Z",
        "plannedEnd": "2026-03-03T06:00:00Z",
        "workCenterId": center,
        "operations": [
            {
                "operationId": f"{number}/0010",
                "sequence": 10,
                "workCenterId": center,
                "description": "Assemble",
                "plannedRunTimePerUnitSeconds": seconds,
            }
        ],
    }


def shift_data(shift: str, start: str, end: str) -> dict[str, Any]:
    return {
        "shiftId": shift,
        "siteCode": "P1",
        "shiftName": shift[-1],
        "shiftStart": start,
        "shiftEnd": end,
        "plannedBreakMinutes": 30,
    }


def started(order_number: str, unit: str, shift: str, when: str) -> dict[str, Any]:
    return {
        "operationId": f"{order_number}/0010",
        "productionOrderNumber": order_number,
        "equipmentId": unit,
        "operatorId": "P-001",
        "shiftId": shift,
        "startedAt": when,
    }


def completed(
    order_number: str, when: str, produced: float, good: float, scrap: float, rework: float
) -> dict[str, Any]:
    return {
        "operationId": f"{order_number}/0010",
        "productionOrderNumber": order_number,
        "completedAt": when,
        "producedQuantity": produced,
        "goodQuantity": good,
        "scrapQuantity": scrap,
        "reworkQuantity": rework,
    }
