"""`digispine publish` and the live plant against the real Kafka and Neo4j: what is put on a topic
is what the loader then loads, with nothing rejected."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import orjson
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.kafka.inspect import tail
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.kafka_source import KafkaSource
from loaders.pipeline import LoadStats
from loaders.simulation import simulate
from loaders.simulation.live import day_start_before, parse_time
from tests.support.paths import REPO


def loader_settings(neo4j: Settings, data_dir: Path) -> Settings:
    return load_settings(
        neo4j_uri=neo4j.bolt_uri,
        neo4j_password=neo4j.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=data_dir,
    )


def load_topic(settings: Settings, store: Neo4jStore, bootstrap: str, topic: str) -> LoadStats:
    """The loader's Kafka path, in process, until the group has read the whole topic."""
    parts = load_parts(settings)
    apply_schema(store, parts.model)
    source = KafkaSource(bootstrap, topic, f"test-{topic}", stop=threading.Event(), idle_timeout=2.0)
    try:
        return build_pipeline(parts, store, batch_size=200).run(source.records(), on_commit=source.commit)
    finally:
        source.close()


def test_a_published_file_loads_from_the_topic_and_its_bad_lines_are_named_not_dropped(
    store: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    events = simulate(seed=5, days=1)
    lines = [orjson.dumps(e) for e in events]
    lines.insert(10, b'{"specversion": "1.0", "id": ')  # line 11: cut short
    lines.insert(20, b'["not", "an", "event"]')  # line 21
    path = tmp_path / "plant.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = f"publish-{uuid.uuid4().hex[:8]}"

    result = CliRunner().invoke(
        app, ["publish", str(path), "--topic", topic, "--bootstrap", bootstrap], env={"COLUMNS": "300"}
    )

    assert result.exit_code == 1, result.output
    assert f"{path}:11: not JSON" in result.output
    assert f"{path}:21: a JSON list, not a CloudEvent object" in result.output
    assert f"published {len(events)} event(s)" in result.output
    on_topic = tail(bootstrap, topic, len(events))
    assert sorted(m.key for m in on_topic) == sorted(e["subject"].encode() for e in events)
    stats = load_topic(loader_settings(neo4j_settings, tmp_path / "data"), store, bootstrap, topic)
    assert (stats.loaded, stats.rejected_total) == (len(events), 0)

    as_is = CliRunner().invoke(
        app, ["publish", str(path), "--topic", f"{topic}-all", "--bootstrap", bootstrap, "--include-invalid"]
    )
    assert as_is.exit_code == 0, as_is.output
    keys = {m.key for m in tail(bootstrap, f"{topic}-all", len(lines))}
    assert {b"plant.jsonl:11", b"plant.jsonl:21"} <= keys, "bad lines go as they are, keyed by their place"


def run_live_plant(bootstrap: str, topic: str, start: dt.datetime, state: Path, count: int) -> str:
    env = {**os.environ, "DIGISPINE_KAFKA_BOOTSTRAP": bootstrap, "COLUMNS": "200"}
    args = ["simulate", "--kafka", "--topic", topic, "--live", "--seed", "3", "--start", start.isoformat()]
    args += ["--speed", "100000", "--state", str(state), "--stop-after", str(count)]
    done = subprocess.run(
        [sys.executable, "-m", "graph_service.cli.main", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, output
    return output


def test_the_live_plant_publishes_consistent_events_up_to_now_that_load_with_nothing_rejected(
    store: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = f"live-{uuid.uuid4().hex[:8]}"
    started = dt.datetime.now(dt.UTC)
    # Seven whole plant days hold ~530 events whatever the hour (the plant works 06:00-22:00 UTC);
    # four held only 305 between 05:00 and 06:00, so the restart waited for the next shift.
    start = day_start_before(started, 7)
    state = tmp_path / "plant.progress.json"

    run_live_plant(bootstrap, topic, start, state, 300)
    output = run_live_plant(bootstrap, topic, start, state, 50)  # a restart continues after the 300

    assert "300 event(s)" in output
    events = [orjson.loads(m.value) for m in tail(bootstrap, topic, 1000)]
    assert len(events) == 350
    assert len({e["id"] for e in events}) == 350, "a restart published something again"
    assert all(start <= parse_time(e["time"]) <= dt.datetime.now(dt.UTC) for e in events)
    stats = load_topic(loader_settings(neo4j_settings, tmp_path / "data"), store, bootstrap, topic)
    assert (stats.loaded, stats.rejected_total) == (350, 0), stats.rejected
