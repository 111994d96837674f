"""`digispine load` as a user runs it: what a directory holds besides events is named, a JSON
array (gzip too) loads like JSON Lines, nothing to load is an error, and `load --kafka
--until-idle` on a missing topic stops saying how to fill it (the README's Kafka example)."""

from __future__ import annotations

import gzip
import re
import uuid
from pathlib import Path

import orjson
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from loaders.simulation import simulate

REPO = Path(__file__).resolve().parents[2]


def cli_env(neo4j: Settings, data_dir: Path) -> dict[str, str]:
    return {
        "NEO4J_URI": neo4j.bolt_uri,
        "NEO4J_PASSWORD": neo4j.neo4j_password.get_secret_value(),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
        "DIGISPINE_DATA_DIR": str(data_dir),
        "COLUMNS": "80",
    }


def test_a_directory_loads_arrays_and_gzip_and_names_what_it_skips(
    store: Neo4jStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    events = simulate(seed=4, days=1)
    half = len(events) // 2
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "first.json.gz").write_bytes(
        gzip.compress(orjson.dumps(events[:half], option=orjson.OPT_INDENT_2))
    )
    (inbox / "second.ndjson").write_bytes(b"\n".join(orjson.dumps(e) for e in events[half:]))
    (inbox / "README.txt").write_text("these are the plant's events")
    env = cli_env(neo4j_settings, tmp_path / "data")

    result = CliRunner().invoke(app, ["load", str(inbox)], env=env)

    assert result.exit_code == 0, result.output
    assert "skipped 1 file(s)" in result.output and "README.txt" in result.output
    assert re.search(rf"^  loaded +{len(events)}$", result.output, re.MULTILINE)
    assert store.read("MATCH (e:DomainEvent) RETURN count(e) AS n") == [{"n": len(events)}]

    # `load -`: standard input in the same forms (here a gzip JSON array): read through the same
    # pipeline, so the events already loaded are duplicates and nothing new appears
    piped = gzip.compress(orjson.dumps(events[:half]))
    from_stdin = CliRunner().invoke(app, ["load", "-"], env=env, input=piped)
    assert from_stdin.exit_code == 0, from_stdin.output
    assert re.search(rf"^  read +{half}$", from_stdin.output, re.MULTILINE), from_stdin.output
    assert re.search(rf"^  duplicates +{half}$", from_stdin.output, re.MULTILINE), from_stdin.output
    mixed = CliRunner().invoke(app, ["load", "-", str(inbox)], env=env, input=piped)
    assert mixed.exit_code == 2 and "standard input" in mixed.output

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.csv").write_text("a,b\n")
    nothing = CliRunner().invoke(app, ["load", str(tmp_path / "empty")], env=env)
    assert nothing.exit_code == 1
    assert "no event files to load" in nothing.output and "notes.csv" in nothing.output


def test_loading_a_missing_topic_until_idle_stops_with_how_to_fill_it_then_loads_it_once_published(
    store: Neo4jStore, neo4j_settings: Settings, kafka_settings: Settings, tmp_path: Path
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = f"plant-events-{uuid.uuid4().hex[:8]}"
    env = cli_env(neo4j_settings, tmp_path / "data")
    load = ["load", "--kafka", topic, "--bootstrap", bootstrap, "--until-idle", "1"]

    missing = CliRunner().invoke(app, load, env=env)

    assert missing.exit_code == 1, missing.output
    assert f"topic {topic} does not exist" in missing.output
    assert f"digispine publish FILE --topic {topic}" in " ".join(missing.output.split())

    # the README's way: a simulated history to a file, the file onto the topic, the topic loaded
    plant = tmp_path / "plant.jsonl"
    assert CliRunner().invoke(app, ["simulate", "--days", "1", "--out", str(plant)], env=env).exit_code == 0
    published = CliRunner().invoke(
        app, ["publish", str(plant), "--topic", topic, "--bootstrap", bootstrap], env=env
    )
    assert published.exit_code == 0, published.output
    loaded = CliRunner().invoke(app, load, env=env)
    assert loaded.exit_code == 0, loaded.output
    lines = len(plant.read_bytes().splitlines())
    assert store.read("MATCH (e:DomainEvent) RETURN count(e) AS n") == [{"n": lines}]
