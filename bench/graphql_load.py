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
from typing import Any, cast
from urllib.parse import urlsplit

import neo4j
import orjson
import uvloop

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


def machine_cpu_seconds() -> float:
    """CPU seconds every process on the machine spent (``/proc/stat``: all but idle and iowait),
    to tell how much of the cores the processes under test got and how much their neighbours took."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


class _Client(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection sending the same request again as soon as the answer is
    complete. A protocol, not streams: the response is found in the received bytes by its header
    end and ``Content-Length``, without a line-by-line read, so a request costs the client a
    fraction of what it costs the server (printed as the client's CPU per request)."""

    def __init__(self, request: bytes, stop: float, counts: list[int], errors: list[str]) -> None:
        self.request, self.stop, self.counts, self.errors = request, stop, counts, errors
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
        total = end + 4 + length
        if len(buffer) < total:
            return
        if not head.startswith(b"http/1.1 200") or b'"errors"' in buffer[end + 4 : end + 204]:
            self.errors.append(f"{bytes(buffer[: min(total, end + 204)])!r}")
            self._finish()
            return
        del buffer[:total]
        self.counts[0] += 1
        if time.perf_counter() >= self.stop:
            self._finish()
        else:
            assert self.transport is not None
            self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.errors.append(f"the server closed the connection ({exc})")
            self.done.set_result(None)

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
        if self.transport is not None:
            self.transport.close()


async def _http_client(
    url: str, body: bytes, headers: dict[str, str], stop: float, counts: list[int], errors: list[str]
) -> None:
    parts = urlsplit(url)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Type: application/json\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: _Client(head + body, stop, counts, errors), parts.hostname, parts.port
    )
    await client.done


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

    def per_cpu_s(self, *names: str) -> float:
        """Requests per CPU second of these processes together: what one core fully theirs does."""
        spent = sum(self.cpu.get(name, 0.0) for name in names)
        return self.requests / spent if spent > 0 else 0.0

    def cpu_ms(self, name: str) -> float:
        """CPU milliseconds of the process per request."""
        return self.cpu.get(name, 0.0) * 1000 / max(self.requests, 1)


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
    client sends one document; the variables differ between clients), on a uvloop loop."""

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

    return uvloop.run(run())


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

    return uvloop.run(run())
