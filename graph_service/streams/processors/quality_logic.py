"""The quality stream's state machine per work unit: rolling yield, p-chart of the scrap ratio, rules.

Pure: ``step(state, completion)`` takes the work unit's state as a plain, JSON-serialisable dict
(what a Quix stateful apply keeps in RocksDB) and one completed operation, and returns the new
state and the derived events' ``data`` (one ``rolling`` record, then one ``alert`` per rule that
fired). Definitions as in the batch product equipmentOEE v1: scrap ratio = scrap / produced,
first-pass yield = (good − rework) / produced.

- Rolling values: over the work unit's last ``rollingOperations`` completed operations, quantity
  weighted (Σ scrap / Σ produced, Σ(good − rework) / Σ produced).
- Control chart: a p-chart of each operation's scrap ratio (spc.py). Its centre line is the
  pooled scrap ratio of the work unit's first ``baselineOperations`` operations with parts (its
  baseline, then frozen); points are judged from the next operation on.
- Rules: Western Electric rule 1 (a point beyond its 3σ limits; every such point alerts) and
  rule 4 (8 consecutive points on one side of the centre line; alerts once per run, at the 8th).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph_service.streams.processors import spc

#: Completed operations the rolling values are taken over (descriptor parameter rollingOperations).
ROLLING_OPERATIONS = 20
#: Completed operations (with parts) of a work unit that set its control limits (baselineOperations);
#: 20 to 25 subgroups is the usual phase-I size of a control chart.
BASELINE_OPERATIONS = 20
#: Decimal places of the ratios and limits in derived events (stable, comparable values).
DIGITS = 6

ROLLING = "rolling"
ALERT = "alert"


@dataclass(frozen=True)
class Parameters:
    """The stream's tunables, from the descriptor's ``parameters``."""

    rolling_operations: int = ROLLING_OPERATIONS
    baseline_operations: int = BASELINE_OPERATIONS

    @classmethod
    def from_descriptor(cls, parameters: Mapping[str, Any]) -> Parameters:
        """``rollingOperations`` and ``baselineOperations``, each a positive integer if given."""
        rolling = int(parameters.get("rollingOperations", ROLLING_OPERATIONS))
        baseline = int(parameters.get("baselineOperations", BASELINE_OPERATIONS))
        if rolling < 1 or baseline < 2:
            raise ValueError("rollingOperations must be >= 1 and baselineOperations >= 2")
        return cls(rolling_operations=rolling, baseline_operations=baseline)


@dataclass(frozen=True)
class Completion:
    """One completed operation, joined with the work unit it ran on."""

    equipment_id: str
    operation_id: str
    production_order: str | None
    completed_at: str | None
    produced: float
    good: float
    scrap: float
    rework: float

    @classmethod
    def from_payload(cls, equipment_id: str, data: Mapping[str, Any]) -> Completion:
        """From an OperationCompleted event's data (missing quantities count 0)."""
        return cls(
            equipment_id=equipment_id,
            operation_id=str(data["operationId"]),
            production_order=data.get("productionOrderNumber"),
            completed_at=data.get("completedAt"),
            produced=float(data.get("producedQuantity") or 0.0),
            good=float(data.get("goodQuantity") or 0.0),
            scrap=float(data.get("scrapQuantity") or 0.0),
            rework=float(data.get("reworkQuantity") or 0.0),
        )


def new_state() -> dict[str, Any]:
    """A work unit that has completed nothing yet."""
    return {
        "recent": [],  # [[operationId, produced, good, scrap, rework], ...], oldest first
        "baseline": {"operations": 0, "produced": 0.0, "scrap": 0.0},
        "run": 0,
    }


def step(
    state: Mapping[str, Any] | None, completion: Completion, parameters: Parameters = Parameters()
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The work unit's state after ``completion`` and the derived events' data it yields.

    A completion whose operation is already among the recent ones (a duplicate report) changes
    nothing and yields nothing."""
    current = _copy(state) if state else new_state()
    if any(entry[0] == completion.operation_id for entry in current["recent"]):
        return current, []
    _remember(current, completion, parameters.rolling_operations)
    centre = _centre(current["baseline"], parameters.baseline_operations)
    limits = spc.p_chart_limits(centre, completion.produced) if centre is not None else None
    judged = centre is not None and completion.produced > 0
    rules: list[str] = []
    if judged and centre is not None:
        point = completion.scrap / completion.produced
        current["run"] = spc.next_run(int(current["run"]), spc.side(point, centre))
        if limits is not None and spc.beyond_limits(point, limits):
            rules.append(spc.BEYOND_LIMITS)
        if abs(current["run"]) == spc.RUN_LENGTH:
            rules.append(spc.RUN_ON_ONE_SIDE)
    else:
        _add_to_baseline(current["baseline"], completion)
    record = _record(current, completion, centre, limits)
    events = [record] + [{**record, "kind": ALERT, "rule": rule} for rule in rules]
    return current, events


def _copy(state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "recent": [list(entry) for entry in state["recent"]],
        "baseline": dict(state["baseline"]),
        "run": int(state["run"]),
    }


def _remember(state: dict[str, Any], c: Completion, keep: int) -> None:
    state["recent"].append([c.operation_id, c.produced, c.good, c.scrap, c.rework])
    del state["recent"][:-keep]


def _centre(baseline: Mapping[str, Any], size: int) -> float | None:
    """p̄ of a complete baseline, else None (the chart has no centre line yet)."""
    if baseline["operations"] < size or baseline["produced"] <= 0:
        return None
    return float(baseline["scrap"]) / float(baseline["produced"])


def _add_to_baseline(baseline: dict[str, Any], c: Completion) -> None:
    if c.produced <= 0:
        return  # an operation without parts says nothing about the scrap ratio
    baseline["operations"] += 1
    baseline["produced"] += c.produced
    baseline["scrap"] += c.scrap


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, DIGITS) if denominator > 0 else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _record(
    state: Mapping[str, Any], c: Completion, centre: float | None, limits: spc.Limits | None
) -> dict[str, Any]:
    recent = state["recent"]
    produced = sum(entry[1] for entry in recent)
    first_pass = sum(entry[2] - entry[4] for entry in recent)
    scrap = sum(entry[3] for entry in recent)
    record: dict[str, Any] = {
        "equipmentId": c.equipment_id,
        "kind": ROLLING,
        "operationId": c.operation_id,
        "productionOrderNumber": c.production_order,
        "completedAt": c.completed_at,
        "producedQuantity": c.produced,
        "goodQuantity": c.good,
        "scrapQuantity": c.scrap,
        "reworkQuantity": c.rework,
        "scrapRatio": _ratio(c.scrap, c.produced),
        "firstPassYield": _ratio(c.good - c.rework, c.produced),
        "rollingOperations": len(recent),
        "rollingProducedQuantity": produced,
        "rollingScrapRatio": _ratio(scrap, produced),
        "rollingFirstPassYield": _ratio(first_pass, produced),
        "baselineOperations": int(state["baseline"]["operations"]),
        "centreLine": _rounded(centre),
        "lowerControlLimit": _rounded(limits.lower) if limits else None,
        "upperControlLimit": _rounded(limits.upper) if limits else None,
        "runLength": int(state["run"]),
    }
    return {key: value for key, value in record.items() if value is not None}
