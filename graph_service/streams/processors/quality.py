"""The quality stream (qualityYield): rolling first-pass yield and scrap ratio per work unit, and
alerts when the scrap ratio's p-chart breaks a Western Electric rule.

Two keys in the runtime's keyed topic (runtime.py): ``op/<operationId>`` joins an operation's
OperationStarted (which names the work unit) with its OperationCompleted (which has the
quantities) in whichever order they are read; the joined completion moves on to
``wu/<equipmentId>``, whose state is the work unit's chart (quality_logic.py). Each completed
operation gives one ``rolling`` event, then one ``alert`` event per rule it broke — one stream,
one type and one shape, told apart by ``kind`` (docs/streams.md, Quality).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from graph_service.settings import Settings
from graph_service.streams.envelope import LineageTracker, alert_id_parts, utc_text
from graph_service.streams.processors.quality_logic import ALERT, Completion, Parameters, step
from graph_service.streams.runtime import InputEvent, KeyState, Origin, Outbox, Routed

STREAMS = ("qualityYield",)

OPERATION_STARTED = "digispine.mes.OperationStarted.v1"
OPERATION_COMPLETED = "digispine.mes.OperationCompleted.v1"

_OP = "op/"
_UNIT = "wu/"


def create(descriptor: Any, settings: Settings) -> QualityProcessor:
    """The processor of one qualityYield descriptor (its ``parameters`` tune the chart)."""
    return QualityProcessor(Parameters.from_descriptor(getattr(descriptor, "parameters", None) or {}))


class QualityProcessor:
    """Routes operation events to their operation, then joined completions to their work unit."""

    def __init__(self, parameters: Parameters) -> None:
        self.parameters = parameters

    def route(self, event: InputEvent) -> Iterable[Routed]:
        operation = event.data.get("operationId")
        if not operation:
            return []
        if event.type == OPERATION_STARTED and event.data.get("equipmentId"):
            return [Routed(_OP + str(operation), {"started": str(event.data["equipmentId"])})]
        if event.type == OPERATION_COMPLETED:
            body = {"completed": event.data, "time": utc_text(event.time), "input": [event.source, event.id]}
            return [Routed(_OP + str(operation), body)]
        return []

    def handle(self, key: str, body: dict[str, Any], origin: Origin, state: KeyState, out: Outbox) -> None:
        if key.startswith(_OP):
            self._join(body, origin, state, out)
        elif key.startswith(_UNIT):
            self._chart(key.removeprefix(_UNIT), body, state, out)
        # anything else (the runtime's clock ticks) changes nothing: the chart moves with completions

    def _join(self, body: Mapping[str, Any], origin: Origin, state: KeyState, out: Outbox) -> None:
        """Remember each half with where it came from; when both are there, send the completion on."""
        if state.get("sent"):
            return  # the operation was joined already: a repeated report says nothing new
        origins = [*state.get("origins", []), origin.to_json()]
        if "started" in body:
            state.set("equipment", body["started"])
        else:
            state.set("completion", {k: body[k] for k in ("completed", "time", "input")})
        equipment, completion = state.get("equipment"), state.get("completion")
        if equipment is None or completion is None:
            state.set("origins", origins)
            return
        out.send(_UNIT + equipment, {**completion, "origins": origins})
        state.set("sent", True)
        state.delete("completion")
        state.delete("origins")

    def _chart(self, equipment: str, body: Mapping[str, Any], state: KeyState, out: Outbox) -> None:
        completion = Completion.from_payload(equipment, body["completed"])
        chart, records = step(state.get("chart"), completion, self.parameters)
        state.set("chart", chart)
        if not records:
            return
        window = list(state.get("lineage", []))
        window.append(body["origins"])
        del window[: -self.parameters.rolling_operations]
        state.set("lineage", window)
        tracker = LineageTracker()
        for origins in window:
            for origin in origins:
                tracker.add(Origin.from_json(origin))
        time = dt.datetime.fromisoformat(str(body["time"]).replace("Z", "+00:00"))
        source, event_id = body["input"]
        for record in records:
            if record["kind"] == ALERT:
                parts = alert_id_parts(record["rule"], source, event_id)
            else:
                parts = ["rolling", completion.operation_id]
            out.emit(subject=equipment, data=record, time=time, id_parts=parts, lineage=tracker.lineage())
