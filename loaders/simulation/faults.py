"""Faults mixed into a simulated history: what real integrations send on a bad day."""

from __future__ import annotations

import copy
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

#: Fault kind → the dead-letter reason it must produce (None: it must load correctly anyway).
FAULT_REASONS: dict[str, str | None] = {
    "malformed-json": "malformed-json",
    "unknown-type": "unknown-type",
    "envelope": "envelope",
    "shape-violation": "shacl",
    "duplicate": None,
    "out-of-order": None,
}


@dataclass
class FaultLog:
    """Which faults were injected, and the rejections they must cause."""

    injected: Counter[str] = field(default_factory=Counter)
    rejected_ids: dict[str, str] = field(default_factory=dict)  # event id → reason (parsable ones)

    def expected_rejections(self) -> Counter[str]:
        reasons = ((FAULT_REASONS[k], n) for k, n in self.injected.items())
        return Counter({reason: n for reason, n in reasons if reason})


def to_lines(events: list[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


def inject_faults(events: list[dict[str, Any]], rate: float, seed: int) -> tuple[list[bytes], FaultLog]:
    """JSON Lines of ``events`` with about ``rate`` of them made faulty, deterministically."""
    if not 0 <= rate <= 1:
        raise ValueError("the fault rate must be between 0 and 1")
    rng = random.Random(seed * 7919 + 1)
    log = FaultLog()
    lines: list[bytes] = []
    delayed: list[tuple[int, bytes]] = []
    kinds = list(FAULT_REASONS)
    for index, event in enumerate(events):
        while delayed and delayed[0][0] <= index:
            lines.append(delayed.pop(0)[1])
        if rng.random() >= rate:
            lines.append(orjson.dumps(event))
            continue
        kind = rng.choice(kinds)
        log.injected[kind] += 1
        if kind == "malformed-json":
            text = orjson.dumps(event)
            lines.append(text[: rng.randint(1, len(text) - 2)])
        elif kind == "unknown-type":
            bad = {**event, "id": event["id"] + "-x", "type": "digispine.erp.TeleportRequested.v1"}
            log.rejected_ids[bad["id"]] = "unknown-type"
            lines.append(orjson.dumps(bad))
        elif kind == "envelope":
            bad = {**event, "id": event["id"] + "-x"}
            bad.pop("time")
            log.rejected_ids[bad["id"]] = "envelope"
            lines.append(orjson.dumps(bad))
        elif kind == "shape-violation":
            bad = copy.deepcopy(event)
            bad["id"] = event["id"] + "-x"
            first_key = next(iter(bad["data"]))
            del bad["data"][first_key]  # the business key always comes first: required by every shape
            log.rejected_ids[bad["id"]] = "shacl"
            lines.append(orjson.dumps(bad))
        elif kind == "duplicate":
            lines.append(orjson.dumps(event))
            delayed.append((index + rng.randint(1, 50), orjson.dumps(event)))
            delayed.sort(key=lambda d: d[0])
        else:  # out-of-order: the event arrives some positions later
            delayed.append((index + rng.randint(1, 50), orjson.dumps(event)))
            delayed.sort(key=lambda d: d[0])
        # The originals of rejected copies still arrive: a faulty copy replaces nothing.
        if kind in {"unknown-type", "envelope", "shape-violation", "malformed-json"}:
            lines.append(orjson.dumps(event))
    lines.extend(line for _, line in delayed)
    return lines, log
