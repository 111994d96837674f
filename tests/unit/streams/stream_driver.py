"""Runs a stream processor in memory: the keyed topic as a FIFO queue, the state as dicts.

The runtime's Kafka wiring is tested on the real broker (tests/integration/streams); this drives
the same ``route``/``handle`` contract without it, for fast tests of a processor's logic.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from graph_service.streams.runtime import (
    DerivedEvents,
    InputEvent,
    MemoState,
    Origin,
    Outbox,
    Progress,
    StreamProcessor,
)
from loaders.envelope import check_envelope


class DictState:
    """Quix's per-key State over a plain dict (JSON round trip, as RocksDB stores it)."""

    def __init__(self, store: dict[str, Any]) -> None:
        self._store = store

    def get(self, key: str, default: Any = None) -> Any:
        return orjson.loads(self._store[key]) if key in self._store else default

    def set(self, key: str, value: Any) -> None:
        self._store[key] = orjson.dumps(value)

    def delete(self, key: str) -> None:
        self._store.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self._store


class Driver:
    """Feeds events through ``processor``; ``outputs`` are the derived events, ``violations`` the rest."""

    def __init__(self, processor: StreamProcessor, events: DerivedEvents, inputs: Iterable[str]) -> None:
        self.processor = processor
        self.events = events
        self.inputs = frozenset(inputs)
        self.states: dict[str, dict[str, Any]] = {}
        self.outputs: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []
        self._offset = 0
        self.progress = Progress(getattr(processor, "progress_key", None), 1)

    def feed(self, docs: Iterable[Mapping[str, Any]]) -> None:
        for doc in docs:
            envelope = check_envelope(dict(doc), orjson.dumps(doc).decode())
            self._offset += 1
            progress = [
                (r["k"], r["v"]["b"], Origin.from_json(r["v"]["o"]))
                for r in self.progress.records(
                    envelope.time,
                    envelope.source,
                    envelope.id,
                    ("events", 0, self._offset, 1_000_000 + self._offset),
                )
            ]
            if envelope.type not in self.inputs:
                self._drain(deque(progress))
                continue
            event = InputEvent(
                envelope.type,
                envelope.source,
                envelope.id,
                envelope.time.astimezone(dt.UTC),
                envelope.subject,
                envelope.data,
                "events",
                0,
                self._offset,
                1_000_000 + self._offset,
            )
            queue = deque((r.key, r.body, event.origin) for r in self.processor.route(event))
            queue.extend(progress)  # after the event's own messages, as the runtime sends them
            self._drain(queue)

    def tick(self, key: str, body: dict[str, Any], origin: Origin) -> None:
        self._drain(deque([(key, body, origin)]))

    def _drain(self, queue: deque[tuple[str, dict[str, Any], Origin]]) -> None:
        while queue:
            key, body, origin = queue.popleft()
            out = Outbox(self.events, origin)
            state = MemoState(DictState(self.states.setdefault(key, {})))
            self.processor.handle(key, orjson.loads(orjson.dumps(body)), origin, state, out)
            for record in out.records:
                if record["r"] == "k":
                    queue.append((record["k"], record["v"]["b"], Origin.from_json(record["v"]["o"])))
                elif record["r"] == "o":
                    self.outputs.append(orjson.loads(record["v"]))
                else:
                    self.violations.append(orjson.loads(record["v"]))

    def finals(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        return final_windows(self.outputs)


def final_windows(outputs: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """``(equipmentId, windowName, windowStart)`` → the data of its final event; fails on a second."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in outputs:
        data = event["data"]
        if data.get("final"):
            key = (data["equipmentId"], data["windowName"], data["windowStart"])
            assert key not in found, f"two finals for {key}"
            found[key] = dict(data)
    return found


class ShuffledDriver:
    """The runtime's topology with ``partitions`` input and keyed partitions (crc32 of the Kafka
    key), consumed in a random interleaving (``seed``): what a real consumer may do, any order
    Kafka allows. A processor's final results must not depend on it."""

    def __init__(
        self,
        processor: StreamProcessor,
        events: DerivedEvents,
        inputs: Iterable[str],
        partitions: int,
        starved: int | None = None,
    ):
        self.processor = processor
        #: A keyed partition read only when nothing else is left: a consumer may read one partition
        #: days of event time behind the others (a backlog, a partition handed over mid-stream).
        self.starved = starved
        self.events = events
        self.inputs = frozenset(inputs)
        self.partitions = partitions
        self.outputs: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []

    def run(self, docs: Iterable[Mapping[str, Any]], seed: int) -> None:
        import random
        import zlib

        from graph_service.kafka.publish import event_key

        rng = random.Random(seed)
        n = self.partitions
        progress = Progress(getattr(self.processor, "progress_key", None), n)
        inputs: list[deque[Mapping[str, Any]]] = [deque() for _ in range(n)]
        for doc in docs:
            inputs[zlib.crc32(event_key(doc)) % n].append(doc)
        keyed: list[deque[tuple[str, dict[str, Any], Origin]]] = [deque() for _ in range(n)]
        states: dict[str, dict[str, Any]] = {}
        offsets = [0] * n

        def send(key: str, body: dict[str, Any], origin: Origin) -> None:
            keyed[zlib.crc32(key.encode()) % n].append((key, body, origin))

        while any(inputs) or any(keyed):
            ready = [("in", i) for i in range(n) if inputs[i]] + [("keyed", i) for i in range(n) if keyed[i]]
            if len(ready) > 1 and ("keyed", self.starved) in ready:
                ready.remove(("keyed", self.starved))
            kind, i = rng.choice(ready)
            if kind == "in":
                doc = inputs[i].popleft()
                offsets[i] += 1
                envelope = check_envelope(dict(doc), orjson.dumps(doc).decode())
                where = ("events", i, offsets[i], 1_000_000 + offsets[i])
                if envelope.type in self.inputs:
                    event = InputEvent(
                        envelope.type,
                        envelope.source,
                        envelope.id,
                        envelope.time.astimezone(dt.UTC),
                        envelope.subject,
                        envelope.data,
                        *where,
                    )
                    for routed in self.processor.route(event):
                        send(routed.key, routed.body, event.origin)
                for record in progress.records(envelope.time, envelope.source, envelope.id, where):
                    send(record["k"], record["v"]["b"], Origin.from_json(record["v"]["o"]))
                continue
            key, body, origin = keyed[i].popleft()
            out = Outbox(self.events, origin)
            state = MemoState(DictState(states.setdefault(key, {})))
            self.processor.handle(key, orjson.loads(orjson.dumps(body)), origin, state, out)
            for record in out.records:
                if record["r"] == "k":
                    send(record["k"], record["v"]["b"], Origin.from_json(record["v"]["o"]))
                elif record["r"] == "o":
                    self.outputs.append(orjson.loads(record["v"]))
                else:
                    self.violations.append(orjson.loads(record["v"]))
