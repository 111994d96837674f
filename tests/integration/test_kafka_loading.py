"""The Kafka loader against a real broker and a real Neo4j: at-least-once, crash-safe, resumable."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer

from graph_service.kafka import create_topic
from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from loaders.assembly import build_pipeline, load_parts
from loaders.pipeline import Record
from loaders.simulation import simulate
from tests.support.graph import explain_difference, snapshot
from tests.support.paths import REPO


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return simulate(seed=21, days=5)


def produce(bootstrap: str, topic: str, events: list[dict]) -> None:
    create_topic(bootstrap, topic, partitions=2)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for event in events:
        # Keyed by subject: one entity's events stay in order within a partition, as in production.
        producer.produce(topic, key=event["subject"].encode(), value=orjson.dumps(event))
    assert producer.flush(30) == 0


def loader_env(neo4j: Settings, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NEO4J_URI": neo4j.bolt_uri,
        "NEO4J_PASSWORD": neo4j.neo4j_password.get_secret_value(),
        "DIGISPINE_DATA_DIR": str(data_dir),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
    }


def start_loader(bootstrap: str, topic: str, group: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graph_service.cli.main",
            "load",
            "--kafka",
            topic,
            "--bootstrap",
            bootstrap,
            "--group",
            group,
            "--until-idle",
            "4",
            "--batch-size",
            "40",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def reference_graph(store: Neo4jStore, neo4j: Settings, data_dir: Path, events: list[dict]):
    settings = load_settings(
        neo4j_uri=neo4j.bolt_uri,
        neo4j_password=neo4j.neo4j_password,
        data_dir=data_dir,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
    )
    pipeline = build_pipeline(load_parts(settings), store)
    stats = pipeline.run([Record(orjson.dumps(e), str(i)) for i, e in enumerate(events)])
    assert stats.loaded == len(events)
    graph = snapshot(store)
    store.write("MATCH (n) DETACH DELETE n")
    return graph


def test_killing_the_kafka_loader_and_restarting_ends_in_the_uninterrupted_graph(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,
    events: list[dict],
    tmp_path: Path,
) -> None:
    expected = reference_graph(store, neo4j_settings, tmp_path / "ref", events)
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic, group = f"plant-{uuid.uuid4().hex[:8]}", "loader-kill-test"
    produce(bootstrap, topic, events)
    env = loader_env(neo4j_settings, tmp_path / "loader")
    rng = random.Random(1234)
    kills = 0
    for _ in range(3):
        proc = start_loader(bootstrap, topic, group, env)
        time.sleep(rng.uniform(2.5, 6.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(30)
    final = start_loader(bootstrap, topic, group, env)
    output = final.communicate(timeout=300)[0].decode()
    assert final.returncode == 0, output
    assert kills >= 1, "the loader finished before it could be killed: make the stream longer"
    actual = snapshot(store)
    assert actual == expected, explain_difference(actual, expected)


def test_sigterm_stops_gracefully_and_a_restart_resumes(
    store: Neo4jStore,
    neo4j_settings: Settings,
    kafka_settings: Settings,
    events: list[dict],
    tmp_path: Path,
) -> None:
    expected = reference_graph(store, neo4j_settings, tmp_path / "ref", events)
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic, group = f"plant-{uuid.uuid4().hex[:8]}", "loader-term-test"
    produce(bootstrap, topic, events)
    env = loader_env(neo4j_settings, tmp_path / "loader")
    proc = start_loader(bootstrap, topic, group, env)
    # SIGTERM once a batch is committed (on a loaded machine the CLI's start-up alone can take
    # longer than a fixed sleep, and a process killed before its handler is set exits -15)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if b"committed:" in line:
            break
    proc.send_signal(signal.SIGTERM)
    first = (b"".join(seen) + proc.communicate(timeout=60)[0]).decode()
    assert proc.returncode == 0, first
    assert "load summary" in first
    loaded_first = store.read("MATCH (e:DomainEvent) RETURN count(e) AS n")[0]["n"]
    resumed = start_loader(bootstrap, topic, group, env)
    second = resumed.communicate(timeout=300)[0].decode()
    assert resumed.returncode == 0, second
    actual = snapshot(store)
    assert actual == expected, explain_difference(actual, expected)
    assert 0 < loaded_first <= len(events)
