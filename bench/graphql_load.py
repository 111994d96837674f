"""Throughput of the GraphQL server under concurrent clients, and the CPU each process spends.

Used by ``bench/graphql.py``. The clients are coroutines on one asyncio loop, each with its own
keep-alive HTTP/1.1 connection written and parsed by hand (the least client work per request,
so the client's share of the machine is small and measured); the hand-written baseline runs the
same read through the asyncio Neo4j driver with as many concurrent sessions. CPU time is read
from ``/proc`` for the server's process tree (its workers included) and for Neo4j.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import neo4j
import orjson

_TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int, tree: bool = True) -> float:
    """User + system CPU seconds of ``pid`` (and, with ``tree``, of its live descendants)."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
        if tree:
            pids.extend(_children(current))
    return total


class CpuMeter:
    """CPU seconds spent meanwhile by each of several processes (by name)."""

    def __init__(self, probes: dict[str, Callable[[], float]]) -> None:
        self._probes = probes
        self._start = {name: probe() for name, probe in probes.items()}
        self._wall = time.perf_counter()

    def spent(self) -> tuple[float, dict[str, float]]:
        """Wall seconds since the start, and CPU seconds per process."""
        wall = time.perf_counter() - self._wall
        return wall, {name: probe() - self._start[name] for name, probe in self._probes.items()}


# -- HTTP clients -----------------------------------------------------------------------------------


async def _http_client(
    url: str, body: bytes, headers: dict[str, str], stop: float, counts: list[int], errors: list[str]
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Type: application/json\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    request = head + body
    try:
        while time.perf_counter() < stop:
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            payload = await reader.readexactly(length)
            if not status_line.startswith(b"HTTP/1.1 200") or b'"errors"' in payload[:200]:
                errors.append(f"{status_line!r} {payload[:200]!r}")
                return
            counts[0] += 1
    finally:
        writer.close()


@dataclass
class Throughput:
    requests: int
    wall_s: float
    cpu: dict[str, float]
    errors: list[str]

    @property
    def per_s(self) -> float:
        return self.requests / self.wall_s

    def cores(self, name: str) -> float:
        """Cores the process kept busy on average."""
        return self.cpu.get(name, 0.0) / self.wall_s


def http_throughput(
    url: str,
    query: str,
    variables: Callable[[int], dict[str, Any]],
    headers: dict[str, str],
    clients: int,
    duration_s: float,
    probes: dict[str, Callable[[], float]],
) -> Throughput:
    """Requests/s of ``clients`` concurrent keep-alive clients for ``duration_s`` seconds (each
    client sends one document; the variables differ between clients)."""

    async def run() -> Throughput:
        counts, errors = [0], []
        stop = time.perf_counter() + 0.5
        bodies = [orjson.dumps({"query": query, "variables": variables(i)}) for i in range(clients)]
        # warm-up: every connection made and the document cached before the clock starts
        await asyncio.gather(*(_http_client(url, b, headers, stop, [0], errors) for b in bodies))
        meter = CpuMeter(probes)
        stop = time.perf_counter() + duration_s
        await asyncio.gather(*(_http_client(url, b, headers, stop, counts, errors) for b in bodies))
        wall, cpu = meter.spent()
        return Throughput(counts[0], wall, cpu, errors)

    return asyncio.run(run())


def driver_throughput(
    uri: str,
    auth: tuple[str, str],
    database: str,
    cypher: str,
    params: Callable[[int], dict[str, Any]],
    clients: int,
    duration_s: float,
    probes: dict[str, Callable[[], float]],
) -> Throughput:
    """The hand-written read: ``clients`` concurrent sessions of the asyncio driver in this process."""

    async def run() -> Throughput:
        counts = [0]
        async with neo4j.AsyncGraphDatabase.driver(
            uri, auth=auth, max_connection_pool_size=clients
        ) as driver:

            async def client(i: int, stop: float, count: list[int]) -> None:
                while time.perf_counter() < stop:
                    async with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as s:
                        result = await s.run(cypher, params(i))
                        await result.data()
                    count[0] += 1

            warm = time.perf_counter() + 0.5
            await asyncio.gather(*(client(i, warm, [0]) for i in range(clients)))
            meter = CpuMeter(probes)
            stop = time.perf_counter() + duration_s
            await asyncio.gather(*(client(i, stop, counts) for i in range(clients)))
            wall, cpu = meter.spent()
        return Throughput(counts[0], wall, cpu, [])

    return asyncio.run(run())
