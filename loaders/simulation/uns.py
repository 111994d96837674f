"""The simulated plant's machines as a Unified Namespace: its equipment states and operation starts
and completions as MQTT messages (JSON on ISA-95 topics), the rest of its events as they are.

``ACME/PLANT-1000/<area>/<work center>/<machine>/<leaf>``: the machines report what the MES
reported for them, so loading the rest of the plant from a file and the machine signals through
the bridge gives the graph the plant's own OEE (state change ids differ: the UNS names a state by
its equipment and time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from loaders.simulation import masterdata as md

#: MES event type → the UNS leaf that carries it.
LEAVES = {
    "digispine.mes.EquipmentStateChanged.v1": "state",
    "digispine.mes.OperationStarted.v1": "operation/started",
    "digispine.mes.OperationCompleted.v1": "operation/completed",
}


def machine_path(equipment_id: str) -> str:
    """The ISA-95 path of a simulated machine: enterprise/site/area/work center/machine."""
    machine = next(m for m in md.MACHINES if m.equipment_id == equipment_id)
    area = md.WORK_CENTERS[machine.work_center][1]
    return f"{md.ENTERPRISE}/{md.SITE}/{area}/{machine.work_center}/{equipment_id}"


def split(events: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[tuple[str, bytes]]]:
    """(the events that stay CloudEvents, the machine signals as ``(topic, payload)`` in time order)."""
    rest: list[dict[str, Any]] = []
    messages: list[tuple[str, bytes]] = []
    equipment_of: dict[str, str] = {}  # operation → machine (a completion names only the operation)
    for event in events:
        leaf = LEAVES.get(event["type"])
        if leaf is None:
            rest.append(event)
            continue
        data = event["data"]
        if leaf == "state":
            body = {"state": data["state"], "reason": data["reasonCode"], "timestamp": data["since"]}
            equipment = data["equipmentId"]
        elif leaf == "operation/started":
            equipment = equipment_of[data["operationId"]] = data["equipmentId"]
            body = {
                k: data[k]
                for k in ("operationId", "productionOrderNumber", "operatorId", "shiftId")
                if k in data
            }
            body["timestamp"] = data["startedAt"]
        else:
            equipment = equipment_of[data["operationId"]]
            body = {
                "operationId": data["operationId"],
                "productionOrderNumber": data["productionOrderNumber"],
                "good": data["goodQuantity"],
                "scrap": data["scrapQuantity"],
                "rework": data["reworkQuantity"],
                "total": data["producedQuantity"],
                "timestamp": data["completedAt"],
            }
        messages.append((f"{machine_path(equipment)}/{leaf}", orjson.dumps(body)))
    return rest, messages
