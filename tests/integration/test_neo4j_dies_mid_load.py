"""Neo4j SIGKILLed in the middle of `digispine load`: the loader says what happened, what is committed
and how to resume, exits non-zero without a traceback; running the same command again after a
restart gives the graph of a clean load."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from graph_service import processes
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.simulation import simulate
from loaders.simulation.faults import to_lines
from loaders.sources import read_files
from tests.conftest import TEST_PASSWORD, free_port, reset_database
from tests.support.graph import explain_difference, snapshot
from tests.support.paths import REPO

BATCH = 50


def wait_until(condition, what: str, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def event_count(settings: Settings) -> int:
    with Neo4jStore(settings, max_attempts=1) as store:
        return int(store.read("MATCH (e:DomainEvent) RETURN count(e) AS n")[0]["n"])


def start_load(settings: Settings, events: Path, data_dir: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_PASSWORD": TEST_PASSWORD,
        "DIGISPINE_DATA_DIR": str(data_dir),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
        "COLUMNS": "1000",  # no wrapping inside the paths the message names
    }
    return subprocess.Popen(
        [sys.executable, "-m", "graph_service.cli.main", "load", str(events), "--batch-size", str(BATCH)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_neo4j_killed_mid_load_is_reported_and_the_same_command_resumes(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "server",
        neo4j_bolt_port=free_port(),
        neo4j_password=TEST_PASSWORD,
        neo4j_uri=None,
    )
    client = settings.model_copy(update={"neo4j_uri": settings.bolt_uri})
    events = tmp_path / "plant.jsonl"
    # 1,454 events, 29 batches: the kill point is made by stopping the loader (SIGSTOP) once four
    # batches are in the graph, not by a load long enough to outlast the polling (12 days, 4,305
    # events loaded twice in batches of 50, made this the slowest test of the suite).
    history = simulate(seed=5, days=5, orders_per_day=8)
    events.write_bytes(b"\n".join(to_lines(history)) + b"\n")
    local = LocalNeo4j(settings)
    local.start()
    launched: list[subprocess.Popen[str]] = []
    try:
        parts = load_parts(
            client.model_copy(update={"ontology_dir": REPO / "ontology", "shapes_dir": REPO / "shapes"})
        )
        with Neo4jStore(client) as store:
            apply_schema(store, parts.model)

        loader = start_load(client, events, tmp_path / "loader")
        launched.append(loader)
        wait_until(
            lambda: loader.poll() is not None or event_count(client) >= 4 * BATCH, "batches commit", 120
        )
        if loader.poll() is None:
            os.kill(loader.pid, signal.SIGSTOP)  # frozen mid-load: it cannot finish before the kill
        assert loader.poll() is None, (
            "the load ended before Neo4j could be killed: " + loader.communicate()[1]
        )
        pid = local.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not processes.alive(pid), "the killed server is gone", 30)
        os.kill(loader.pid, signal.SIGCONT)
        out, err = loader.communicate(timeout=180)

        assert loader.returncode != 0, out
        assert "Traceback" not in err and "Traceback" not in out, err
        assert "defunct connection" not in err.split("error:")[0], err  # no driver log noise first
        message = " ".join(err.split())  # rich wraps long lines
        assert "Neo4j" in message and "batch" in message, message
        assert re.search(r"not committed|whether that batch was committed is unknown", message), message
        assert "run the same command" in message and "skipped as duplicates" in message, message
        committed = re.search(r"up to and including (\S+?):(\d+): (\d+) event\(s\) loaded", message)
        assert committed, message
        assert committed.group(1).endswith("plant.jsonl")

        wait_until(lambda: not processes.alive(pid), "the killed server is gone", 30)
        wait_until(lambda: not processes.port_in_use(settings.neo4j_bolt_port), "the Bolt port is free", 30)
        local.start()
        in_graph = event_count(client)
        loaded = int(committed.group(3))
        assert loaded <= in_graph <= loaded + BATCH  # the batch in flight at most, when its commit landed

        again = start_load(client, events, tmp_path / "loader")
        launched.append(again)
        out, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
        assert "Traceback" not in err
        with Neo4jStore(client) as store:
            resumed = snapshot(store)
            assert event_count(client) == len(history)
            reset_database(store)
            apply_schema(store, parts.model)
            build_pipeline(parts, store, batch_size=1000).run(read_files([events]))
            clean = snapshot(store)
        assert resumed == clean, explain_difference(resumed, clean)
    finally:
        # A failed assertion must not leave a loader behind, least of all the one frozen by SIGSTOP.
        for process in launched:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.kill()
                process.wait(timeout=30)
        local.stop()
