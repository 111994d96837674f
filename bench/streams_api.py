"""The streams benchmark's subscription side: ``digispine serve`` as the API, the swarm of
websocket clients (bench/streams_ws.py) and what they received, derived events to fan out."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.common import _free_port
from bench.streams_support import Child, child, python_module
from graph_service.security import hash_key, new_key

#: What a dashboard shows of each OEE revision: the event's identity and the window's figures.
OEE_SUBSCRIPTION = (
    "subscription { equipmentOee { id key time final revision "
    "data { equipmentId windowName windowStart windowEnd availability effectiveness qualityRatio oee } } }"
)


@dataclass
class Api:
    url: str
    key: str
    process: Child

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


def api_keys() -> tuple[str, str]:
    """A fresh admin key and the DIGISPINE_API_KEYS entry that accepts it."""
    key = new_key()
    return key, f"bench:{hash_key(key)}:admin"


@contextmanager
def serve(env: dict[str, str], logs: Path, name: str, timeout_s: float = 120) -> Iterator[Api]:
    """``digispine serve`` (uvicorn, the project's own serve path) in its own process."""
    port = _free_port()
    key, entry = api_keys()
    env = {
        **env,
        "DIGISPINE_API_KEYS": entry,
        # no background work while measuring: the SPARQL view and product checks run on demand
        "DIGISPINE_RDF_REFRESH_S": "0",
        "DIGISPINE_PRODUCT_VALIDATION_S": "0",
        "DIGISPINE_LOG_LEVEL": "WARNING",
    }
    # `digispine serve`, run as a module so the tree the bench runs from is the one served
    command = python_module("graph_service.cli.main", "serve", "--port", str(port))
    with child(command, env, logs, name) as proc:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while True:
            if not proc.alive():
                raise RuntimeError(f"digispine serve exited ({proc.proc.returncode}):\n{proc.tail()}")
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"digispine serve not ready after {timeout_s:.0f} s:\n{proc.tail()}")
            time.sleep(0.2)
        yield Api(url, key, proc)


@dataclass
class Swarm:
    """The clients' process; :meth:`deliveries` after :meth:`finish`."""

    process: Child
    out: Path
    count: int
    clients: list[dict[str, Any]] = field(default_factory=list)

    def wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.process.log.read_text(errors="replace").splitlines():
                if line.startswith("READY"):
                    return line
            if not self.process.alive():
                break
            time.sleep(0.1)
        raise RuntimeError(
            f"the {self.count} clients were not ready in {timeout:.0f} s:\n{self.process.tail()}"
        )

    def finish(self) -> None:
        self.process.stop(30)
        if self.out.exists():
            self.clients = [orjson.loads(line) for line in self.out.read_bytes().splitlines()]

    def errors(self) -> list[str]:
        return [e for c in self.clients for e in c["errors"]]


@contextmanager
def swarm(
    url: str, count: int, logs: Path, name: str, env: dict[str, str], query: str | None = None, **options: str
) -> Iterator[Swarm]:
    out = logs / f"{name}.jsonl"
    args = [url, str(count), str(out)]
    if query:
        args += ["--graphql", query]
    for option, value in options.items():
        args += [f"--{option.replace('_', '-')}", value]
    with child(python_module("bench.streams_ws", "clients", *args), env, logs, name) as proc:
        running = Swarm(proc, out, count)
        try:
            yield running
        finally:
            running.finish()


def latencies(clients: list[dict[str, Any]], sent_ms: dict[str, int]) -> tuple[list[float], int]:
    """Receipt − Kafka timestamp of every delivery of an event in ``sent_ms`` (the first per event
    and client: a change log entry and its relationship's arrive as two messages), and how many."""
    got: list[float] = []
    for client in clients:
        seen: set[str] = set()
        for event_id, received in client["received"]:
            if event_id in sent_ms and event_id not in seen:
                seen.add(event_id)
                got.append(received - sent_ms[event_id])
    return got, len(got)


def derived_events(
    count: int, machines: list[str], template: dict[str, Any] | None, run: str
) -> list[dict[str, Any]]:
    """``count`` equipmentOee derived events as the processor writes them (the processor's own
    output as the template when the bench has one), each with a fresh id, time and revision."""
    base = template or _template()
    now = dt.datetime.now(dt.UTC)
    events = []
    for i in range(count):
        machine = machines[i % len(machines)]
        event = orjson.loads(orjson.dumps(base))
        event["id"] = hashlib.blake2b(f"{run}/{i}".encode(), digest_size=16).hexdigest()
        event["subject"] = machine
        event["time"] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event["inputts"] = int(time.time() * 1000)
        event["data"] |= {"equipmentId": machine, "revision": i + 1}
        events.append(event)
    return events


def _template() -> dict[str, Any]:
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "specversion": "1.0",
        "id": "",
        "source": "digispine/streams/equipmentOee/v1",
        "type": "digispine.stream.EquipmentOee.v1",
        "subject": "",
        "time": "",
        "datacontenttype": "application/json",
        "dataschema": "https://w3id.org/digispine/streams#EquipmentOeeV1Shape",
        "inputts": 0,
        "lineage": {"events": [{"source": "mes/bench", "id": "x"}], "truncated": 0},
        "data": {
            "equipmentId": "",
            "windowName": "hour",
            "windowStart": hour.strftime(iso),
            "windowEnd": (hour + dt.timedelta(hours=1)).strftime(iso),
            "final": False,
            "revision": 1,
            "plannedBusyTimeMinutes": 60.0,
            "actualProductionTimeMinutes": 41.5,
            "downTimeMinutes": 6.0,
            "setupTimeMinutes": 4.0,
            "plannedRunTimeMinutes": 36.0,
            "operationCount": 3,
            "producedQuantity": 60.0,
            "goodQuantity": 57.0,
            "scrapQuantity": 3.0,
            "reworkQuantity": 1.0,
            "availability": 0.6917,
            "effectiveness": 0.8675,
            "qualityRatio": 0.95,
            "oee": 0.5700,
        },
    }
