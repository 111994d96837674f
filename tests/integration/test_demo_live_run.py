"""`digispine demo` with its live half on the real Kafka and Neo4j: the history is loaded, the live
plant's newer events reach the graph through the loader child, and Ctrl-C stops every child."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import orjson

from graph_service import processes
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.support.paths import REPO


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)


def test_the_demo_keeps_the_plant_running_through_kafka_and_stops_its_children_on_ctrl_c(
    store: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "NEO4J_URI": neo4j_settings.bolt_uri,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password.get_secret_value(),
        "DIGISPINE_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap_servers,
        "DIGISPINE_DATA_DIR": str(tmp_path / "data"),
        "DIGISPINE_EVENTS_TOPIC": f"demo-events-{suffix}",
        "DIGISPINE_CHANGE_LOG_TOPIC": f"demo-changes-{suffix}",
        # No processors here (the stream tests run them): the loader and the live plant are the demo's own.
        "DIGISPINE_STREAMS_DIR": str(tmp_path / "no-streams"),
        "COLUMNS": "200",
    }
    output = tmp_path / "demo.out"
    with open(output, "wb") as out:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "graph_service.cli.main",
                "demo",
                "--no-serve",
                "--days",
                "1",
                "--speed",
                "3600",
            ],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "started live-plant" in output.read_text(), 180, "the background children start")
        loader_log = tmp_path / "data" / "logs" / "loader.log"
        newer = re.compile(r"committed: read \d+, loaded [1-9]\d*, duplicates \d+, rejected 0")
        wait_for(lambda: bool(newer.search(loader_log.read_text())), 90, "live events loaded from Kafka")
        demo.send_signal(signal.SIGINT)
        assert demo.wait(60) == 0, output.read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
    text = output.read_text()
    pids = [int(p) for p in re.findall(r"started \S+ \(pid (\d+)", text)]
    assert len(pids) == 2 and "Stopped" in text, text
    assert not any(processes.alive(pid) for pid in pids)
    assert "rejected 0" in text  # the history
    assert not re.search(r"rejected [1-9]", (tmp_path / "data" / "logs" / "loader.log").read_text())
    history = (tmp_path / "data" / "demo" / "live-seed42-history.jsonl").read_bytes().splitlines()
    history_end = orjson.loads(history[-1])["time"]
    (newer_events,) = store.read(
        "MATCH (e:DomainEvent) WHERE e.eventTime > datetime($end) RETURN count(e) AS n", {"end": history_end}
    )
    assert newer_events["n"] > 0, "no event of the live plant reached the graph"
