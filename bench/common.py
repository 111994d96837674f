"""Shared benchmark plumbing: a real Neo4j (local, on a free port, or NEO4J_URI) and timing."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")
PASSWORD = "digispine-bench-pw"


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop a benchmark's child: SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def neo4j_for_bench(
    data_dir: Path | None = None, before_start: Callable[[LocalNeo4j], None] | None = None
) -> Iterator[Settings]:
    """Settings for a running Neo4j: NEO4J_URI when set, else a local one started for the run
    (in ``data_dir`` when given, so its database outlives the run and can be reused;
    ``before_start`` prepares its home first, e.g. puts a plugin in)."""
    base = dict(ontology_dir=REPO / "ontology", shapes_dir=REPO / "shapes")
    if os.environ.get("NEO4J_URI"):
        yield load_settings(**base)
        return
    with (
        contextlib.nullcontext(str(data_dir))
        if data_dir is not None
        else tempfile.TemporaryDirectory(prefix="digispine-bench-")
    ) as tmp:
        settings = load_settings(
            data_dir=Path(tmp), neo4j_bolt_port=_free_port(), neo4j_password=PASSWORD, neo4j_uri=None, **base
        )
        local = LocalNeo4j(settings)
        if before_start is not None:
            before_start(local)
        status = local.start(print)
        print(f"Neo4j {status.version} (heap {settings.neo4j_heap}, page cache {settings.neo4j_pagecache})")
        try:
            yield load_settings(
                data_dir=Path(tmp), neo4j_uri=settings.bolt_uri, neo4j_password=PASSWORD, **base
            )
        finally:
            local.stop(echo=print)


def empty_graph(store: Neo4jStore) -> None:
    store.write("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started
