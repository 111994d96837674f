"""The front door's commands without servers: argument handling and the errors a user sees.

Kafka is pointed at a port nothing listens on, so every message that must name the broker and
say how to start one is checked for real (a refused connection, no mock).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.cli.publish_cmd import check_line
from graph_service.kafka.publish import event_key
from tests.conftest import free_port
from tests.support.sample_stream import write_sample_stream


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **write_sample_stream(tmp_path),
        "DIGISPINE_DATA_DIR": str(tmp_path / "data"),
        "DIGISPINE_KAFKA_BOOTSTRAP": "",
        "DIGISPINE_KAFKA_PORT": str(free_port()),
        "COLUMNS": "200",
    }


runner = CliRunner()


def test_an_unknown_stream_name_lists_the_known_ones(env: dict[str, str]) -> None:
    for command in (["streams", "inspect", "nosuch"], ["streams", "run", "nosuch"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 1, result.output
        assert "no stream 'nosuch'" in result.output
        assert "known streams: sample" in result.output


def test_a_broken_descriptor_is_reported_with_its_file_and_line(env: dict[str, str], tmp_path: Path) -> None:
    write_sample_stream(tmp_path, emit="sometimes")
    result = runner.invoke(app, ["streams", "list"], env=env)
    assert result.exit_code == 1
    assert "sample/v1/stream.yaml:" in result.output.replace("\n", "")


def test_list_without_kafka_still_lists_and_says_which_broker_and_how_to_start_it(
    env: dict[str, str],
) -> None:
    result = runner.invoke(app, ["streams", "list"], env=env)
    assert result.exit_code == 0, result.output
    assert "sample" in result.output and "digispine.stream.sample.v1" in result.output
    flat = " ".join(result.output.split())
    assert f"127.0.0.1:{env['DIGISPINE_KAFKA_PORT']}" in flat
    assert "digispine kafka start" in flat


def test_run_and_inspect_refuse_an_unreachable_kafka_naming_it(env: dict[str, str]) -> None:
    for command in (["streams", "inspect", "sample"], ["publish", __file__, "--topic", "t"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 1, result.output
        flat = " ".join(result.output.split())
        assert f"127.0.0.1:{env['DIGISPINE_KAFKA_PORT']}" in flat
        assert "digispine kafka start" in flat


def test_publish_refuses_a_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["publish", str(tmp_path / "nope.jsonl")], env=env)
    assert result.exit_code == 2
    assert "nope.jsonl" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],  # neither a file nor Kafka
        ["--out", "x.jsonl", "--kafka"],  # both
        ["--out", "x.jsonl", "--live"],  # live needs Kafka
    ],
)
def test_simulate_wants_one_destination(env: dict[str, str], args: list[str]) -> None:
    result = runner.invoke(app, ["simulate", *args], env=env)
    assert result.exit_code == 2
    assert "--kafka" in result.output


def test_simulate_live_refuses_a_start_that_is_not_a_plant_day(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["simulate", "--kafka", "--live", "--start", "2026-11-20T06:00:00Z"], env=env)
    assert result.exit_code == 2
    assert "05:00" in result.output


def test_simulate_to_kafka_names_the_broker_it_cannot_reach(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["simulate", "--kafka", "--days", "1"], env=env)
    assert result.exit_code == 1
    assert "no Kafka broker answers" in " ".join(result.output.split())


def test_a_line_is_a_cloudevent_or_says_why_not() -> None:
    assert check_line(b'{"specversion":"1.0","id":"1","source":"s","type":"t"}')[1] is None
    assert "not JSON" in (check_line(b'{"specversion":')[1] or "")
    assert "not a CloudEvent object" in (check_line(b"[1, 2]")[1] or "")
    assert check_line(b'{"specversion":"1.0","source":"s"}')[1] == "not a CloudEvent: no id, type"


def test_events_are_keyed_by_subject_else_by_source_and_id() -> None:
    assert event_key({"subject": "WU-CNC-01", "source": "s", "id": "1"}) == b"WU-CNC-01"
    assert event_key({"source": "mes", "id": "42"}) == b"mes#42"


def test_list_keeps_the_start_up_checks_notes_for_the_processors_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The shipped streams: equipmentOee's MQTT inputs are optional and the shipped mappings do not
    # map them, which the check notes (INFO) when a processor starts.
    env = {
        "DIGISPINE_DATA_DIR": str(tmp_path / "data"),
        "DIGISPINE_KAFKA_BOOTSTRAP": "",
        "DIGISPINE_KAFKA_PORT": str(free_port()),
        "COLUMNS": "200",
    }
    caplog.set_level(logging.INFO)
    before = logging.getLogger("graph_service.streams.check").level
    result = runner.invoke(app, ["streams", "list"], env=env)
    assert result.exit_code == 0, result.output
    assert "equipmentOee" in result.output
    assert not [r for r in caplog.records if "is not mapped" in r.getMessage()]
    assert logging.getLogger("graph_service.streams.check").level == before  # restored
