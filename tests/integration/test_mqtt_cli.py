"""`digispine mqtt start|status|logs|stop` run the project's mosquitto like the other local servers."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from graph_service import processes
from graph_service.cli.main import app
from graph_service.mqtt.local_mosquitto import answers
from tests.conftest import free_port


def test_the_local_broker_starts_answers_logs_and_stops_under_the_data_dir(tmp_path: Path) -> None:
    port = free_port()
    env = {"DIGISPINE_DATA_DIR": str(tmp_path), "DIGISPINE_MQTT_PORT": str(port), "COLUMNS": "200"}
    runner = CliRunner()
    record: dict[str, object] = {}
    started = runner.invoke(app, ["mqtt", "start"], env=env)
    try:
        assert started.exit_code == 0, started.output
        assert f"running on 127.0.0.1:{port}" in started.output and answers(port)
        status = runner.invoke(app, ["mqtt", "status", "--json"], env=env)
        record = json.loads(status.output)
        assert (record["status"], record["address"]) == ("running", f"127.0.0.1:{port}")
        assert record["data dir"] == str((tmp_path / "mqtt").resolve())
        assert runner.invoke(app, ["mqtt", "start"], env=env).exit_code == 0  # idempotent
        taken = runner.invoke(
            app, ["mqtt", "start"], env={**env, "DIGISPINE_DATA_DIR": str(tmp_path / "other")}
        )
        assert taken.exit_code != 0 and "DIGISPINE_MQTT_PORT" in taken.output
        assert "mosquitto version" in runner.invoke(app, ["mqtt", "logs"], env=env).output
        signals, rest = tmp_path / "uns.txt", tmp_path / "rest.jsonl"
        made = runner.invoke(app, ["mqtt", "simulate", "--out", str(signals), "--rest", str(rest)], env=env)
        assert made.exit_code == 0, made.output
        count = len(signals.read_text().splitlines())
        published = runner.invoke(app, ["mqtt", "publish", "--file", str(signals)], env=env)
        assert f"published {count} message(s) to 127.0.0.1:{port}" in published.output, published.output
    finally:
        pid = record.get("pid")
        stopped = runner.invoke(app, ["mqtt", "stop"], env=env)
    assert "mosquitto stopped." in stopped.output
    assert isinstance(pid, int) and not processes.alive(pid) and not answers(port)
    assert runner.invoke(app, ["mqtt", "status"], env=env).exit_code == 3
    assert (tmp_path / "mqtt" / "data" / "mosquitto.db").exists()  # sessions saved at shutdown
