"""The local Neo4j lifecycle: start, status, stop, restart with the data kept, clear failures."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service import processes
from graph_service.cli.main import app
from graph_service.errors import LocalNeo4jError
from graph_service.settings import load_settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j
from tests.conftest import TEST_PASSWORD, free_port


def _env(data_dir: Path, port: int) -> dict[str, str]:
    return {
        "DIGISPINE_DATA_DIR": str(data_dir),
        "DIGISPINE_NEO4J_BOLT_PORT": str(port),
        "NEO4J_PASSWORD": TEST_PASSWORD,
        "NEO4J_URI": "",
    }


def test_start_status_stop_and_restart_keeps_the_data(tmp_path: Path) -> None:
    runner = CliRunner()
    env = _env(tmp_path, free_port())
    try:
        started = runner.invoke(app, ["neo4j", "start"], env=env)
        assert started.exit_code == 0, started.output
        assert "running" in started.output

        status = runner.invoke(app, ["neo4j", "status"], env=env)
        assert status.exit_code == 0, status.output
        assert "status:   running" in status.output
        assert "version:  5.26." in status.output
        assert str(tmp_path) in status.output

        settings = load_settings(
            data_dir=tmp_path,
            neo4j_bolt_port=int(env["DIGISPINE_NEO4J_BOLT_PORT"]),
            neo4j_password=TEST_PASSWORD,
            neo4j_uri=None,
        )
        with Neo4jStore(settings) as store:
            store.write("CREATE (:Marker {name: 'kept across restarts'})")

        stopped = runner.invoke(app, ["neo4j", "stop"], env=env)
        assert stopped.exit_code == 0, stopped.output
        after_stop = runner.invoke(app, ["neo4j", "status"], env=env)
        assert after_stop.exit_code == 3
        assert "status:   stopped" in after_stop.output

        again = runner.invoke(app, ["neo4j", "start"], env=env)
        assert again.exit_code == 0, again.output
        with Neo4jStore(settings) as store:
            rows = store.read("MATCH (m:Marker) RETURN m.name AS name")
        assert rows == [{"name": "kept across restarts"}]
    finally:
        runner.invoke(app, ["neo4j", "stop"], env=env)
    assert LocalNeo4j(settings).pid() is None


def test_logs_command_tails_the_neo4j_log(tmp_path: Path) -> None:
    local_dir = tmp_path / "neo4j" / "logs"
    local_dir.mkdir(parents=True)
    (local_dir / "neo4j.log").write_text("\n".join(f"line {i}" for i in range(100)))
    result = CliRunner().invoke(app, ["neo4j", "logs", "-n", "3"], env=_env(tmp_path, free_port()))
    assert result.exit_code == 0
    assert "line 99" in result.output and "line 97" in result.output
    assert "line 96" not in result.output


def test_a_server_that_cannot_start_reports_the_log_tail(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        neo4j_bolt_port=free_port(),
        neo4j_password=TEST_PASSWORD,
        neo4j_uri=None,
        neo4j_start_timeout=60,
    )
    local = LocalNeo4j(settings)
    local.write_config()
    # A file where Neo4j wants its databases directory: the server cannot come up.
    (tmp_path / "neo4j" / "data" / "databases").write_text("not a directory")
    with pytest.raises(LocalNeo4jError) as info:
        local.start()
    message = str(info.value)
    assert "Last lines of its logs" in message
    assert "databases" in message  # Neo4j's own complaint is shown
    assert local.pid() is None


def test_an_occupied_bolt_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        settings = load_settings(
            data_dir=tmp_path, neo4j_bolt_port=port, neo4j_password=TEST_PASSWORD, neo4j_uri=None
        )
        with pytest.raises(LocalNeo4jError, match=f"127.0.0.1:{port} is already in use"):
            LocalNeo4j(settings).start()


def test_commands_start_nothing_when_an_external_neo4j_is_configured(tmp_path: Path) -> None:
    env = _env(tmp_path, free_port()) | {"NEO4J_URI": "bolt://127.0.0.1:1"}
    for command in ("start", "stop", "status"):
        result = CliRunner().invoke(app, ["neo4j", command], env=env)
        assert result.exit_code == 0, result.output
        assert "external Neo4j is in use" in result.output
    assert not (tmp_path / "neo4j").exists()


def test_a_server_recovering_after_a_crash_is_waited_for_past_the_timeout_and_not_killed(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        data_dir=tmp_path, neo4j_bolt_port=free_port(), neo4j_password=TEST_PASSWORD, neo4j_uri=None
    )
    local = LocalNeo4j(settings)
    local.start()
    try:
        with Neo4jStore(settings) as store:
            store.write("UNWIND range(1, 20000) AS i CREATE (:Marker {i: i})")
        crashed = local.pid()
        assert crashed is not None
        os.kill(crashed, signal.SIGKILL)  # committed but not checkpointed: the next start recovers
        deadline = time.monotonic() + 30  # gone, and its threads have let go of the Bolt port
        while processes.alive(crashed) or processes.port_in_use(settings.neo4j_bolt_port):
            assert time.monotonic() < deadline, "the killed server did not go away"
            time.sleep(0.1)

        # A start timeout far shorter than the JVM start and the recovery: before, the server was
        # SIGKILLed when it ran out, in the middle of the recovery.
        impatient = LocalNeo4j(settings.model_copy(update={"neo4j_start_timeout": 1.0}))
        said: list[str] = []
        status = impatient.start(said.append)
        assert status.answering, said
        assert any("not shut down cleanly" in line for line in said), said
        assert any("recovering its database" in line and "waiting" in line for line in said), said
        assert "Recovery in 'full' mode completed" in (local.logs_dir / "debug.log").read_text()
        with Neo4jStore(settings) as store:
            assert store.read("MATCH (m:Marker) RETURN count(m) AS n") == [{"n": 20000}]
    finally:
        local.stop()
