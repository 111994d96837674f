"""The local Kafka broker: messages round-trip at least once, lifecycle, clear failures."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from typer.testing import CliRunner

from graph_service.cli.kafka_cmd import app
from graph_service.kafka import LocalKafka, LocalKafkaError, create_topic
from graph_service.settings import Settings, load_settings
from tests.integration.kafka_fixtures import free_port_pair


def _env(data_dir: Path, port: int, controller_port: int) -> dict[str, str]:
    return {
        "DIGISPINE_DATA_DIR": str(data_dir),
        "DIGISPINE_KAFKA_PORT": str(port),
        "DIGISPINE_KAFKA_CONTROLLER_PORT": str(controller_port),
        "DIGISPINE_KAFKA_BOOTSTRAP": "",
    }


def _fresh_topic(bootstrap: str, partitions: int = 1) -> str:
    topic = f"test-{uuid.uuid4().hex[:12]}"
    assert create_topic(bootstrap, topic, partitions=partitions)
    return topic


def _produce(bootstrap: str, topic: str, values: list[str]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for value in values:
        producer.produce(topic, key=value.encode(), value=value.encode())
    assert producer.flush(30) == 0, "messages left undelivered"


def _consumer(bootstrap: str, group: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    return consumer


def _consume(consumer: Consumer, expected: int, settle: float = 1.0, timeout: float = 60.0) -> list[str]:
    """Poll until ``expected`` messages came, then ``settle`` seconds more to catch extra ones."""
    values: list[str] = []
    deadline = time.monotonic() + timeout
    settle_until: float | None = None
    while time.monotonic() < deadline:
        if settle_until is not None and time.monotonic() >= settle_until:
            break
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        values.append(message.value().decode())
        if len(values) >= expected and settle_until is None:
            settle_until = time.monotonic() + settle
    return values


def test_a_group_consumes_every_message_and_committed_offsets_are_not_redelivered(
    kafka_settings: Settings,  # noqa: F811
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = _fresh_topic(bootstrap, partitions=2)
    sent = [f"event-{i}" for i in range(100)]
    _produce(bootstrap, topic, sent)
    group = f"group-{uuid.uuid4().hex[:8]}"

    first = _consumer(bootstrap, group, topic)
    try:
        received = _consume(first, expected=len(sent))
        first.commit(asynchronous=False)
    finally:
        first.close()
    assert sorted(received) == sorted(sent)

    _produce(bootstrap, topic, ["after-commit"])
    second = _consumer(bootstrap, group, topic)
    try:
        assert _consume(second, expected=1) == ["after-commit"]
    finally:
        second.close()


def test_uncommitted_messages_are_delivered_again_to_the_group(
    kafka_settings: Settings,  # noqa: F811
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = _fresh_topic(bootstrap)
    sent = [f"event-{i}" for i in range(10)]
    _produce(bootstrap, topic, sent)
    group = f"group-{uuid.uuid4().hex[:8]}"

    crashed = _consumer(bootstrap, group, topic)
    try:
        assert _consume(crashed, expected=len(sent), settle=0) == sent
    finally:
        crashed.close()  # without a commit, as a worker that died mid-batch
    retry = _consumer(bootstrap, group, topic)
    try:
        assert _consume(retry, expected=len(sent)) == sent
    finally:
        retry.close()


def test_start_status_stop_and_restart_keeps_the_messages(tmp_path: Path) -> None:
    runner = CliRunner()
    port, controller_port = free_port_pair()
    env = _env(tmp_path, port, controller_port)
    bootstrap = f"127.0.0.1:{port}"
    local = LocalKafka(load_settings(data_dir=tmp_path, kafka_port=port, kafka_bootstrap=None))
    try:
        started = runner.invoke(app, ["start"], env=env)
        assert started.exit_code == 0, started.output
        assert "running" in started.output
        first_pid = local.pid()
        assert first_pid is not None

        twice = runner.invoke(app, ["start"], env=env)
        assert twice.exit_code == 0, twice.output
        assert local.pid() == first_pid  # a second start reuses the running broker

        status = runner.invoke(app, ["status"], env=env)
        assert status.exit_code == 0, status.output
        assert "status:     running" in status.output
        assert "version:    4.1.1" in status.output
        assert f"bootstrap:  {bootstrap}" in status.output
        assert str(tmp_path) in status.output

        topic = _fresh_topic(bootstrap)
        _produce(bootstrap, topic, ["kept across restarts"])

        stopped = runner.invoke(app, ["stop"], env=env)
        assert stopped.exit_code == 0, stopped.output
        assert "Kafka stopped." in stopped.output
        after_stop = runner.invoke(app, ["status"], env=env)
        assert after_stop.exit_code == 3
        assert "status:     stopped" in after_stop.output

        again = runner.invoke(app, ["start"], env=env)
        assert again.exit_code == 0, again.output
        consumer = _consumer(bootstrap, "restart-check", topic)
        try:
            assert _consume(consumer, expected=1) == ["kept across restarts"]
        finally:
            consumer.close()
    finally:
        runner.invoke(app, ["stop"], env=env)
    assert local.pid() is None


def test_a_stale_pid_file_is_ignored_and_removed(tmp_path: Path) -> None:
    local = LocalKafka(load_settings(data_dir=tmp_path, kafka_bootstrap=None))
    local.pid_file.parent.mkdir(parents=True)
    local.pid_file.write_text(str(os.getpid()))  # alive, but not a Kafka broker
    assert local.pid() is None
    assert not local.pid_file.exists()
    assert local.status().running is False


def test_logs_command_tails_the_server_log(tmp_path: Path) -> None:
    logs_dir = tmp_path / "kafka" / "logs"
    logs_dir.mkdir(parents=True)
    (logs_dir / "server.log").write_text("\n".join(f"line {i}" for i in range(100)))
    result = CliRunner().invoke(app, ["logs", "-n", "3"], env=_env(tmp_path, *free_port_pair()))
    assert result.exit_code == 0
    assert "line 99" in result.output and "line 97" in result.output
    assert "line 96" not in result.output


@pytest.mark.parametrize("which", ["broker", "controller"])
def test_an_occupied_port_is_a_clear_error(tmp_path: Path, which: str) -> None:
    port, controller_port = free_port_pair()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        if which == "broker":
            port, variable = taken, "DIGISPINE_KAFKA_PORT"
        else:
            controller_port, variable = taken, "DIGISPINE_KAFKA_CONTROLLER_PORT"
        settings = load_settings(
            data_dir=tmp_path,
            kafka_port=port,
            kafka_controller_port=controller_port,
            kafka_bootstrap=None,
        )
        with pytest.raises(LocalKafkaError, match=f"127.0.0.1:{taken} is already in use.*{variable}"):
            LocalKafka(settings).start()
    assert LocalKafka(settings).pid() is None


def test_a_broker_that_cannot_start_reports_the_log_tail(tmp_path: Path) -> None:
    port, controller_port = free_port_pair()
    local = LocalKafka(
        load_settings(
            data_dir=tmp_path,
            kafka_port=port,
            kafka_controller_port=controller_port,
            kafka_bootstrap=None,
        )
    )
    local.install()
    local.write_config()
    local.format_storage()
    # Storage formatted for another node: the broker refuses it and exits.
    meta = local.data_dir / "meta.properties"
    meta.write_text(meta.read_text().replace("node.id=1", "node.id=2"))
    with pytest.raises(LocalKafkaError) as info:
        local.start(timeout=60)
    message = str(info.value)
    assert "exited with code" in message
    assert "Last lines of its logs" in message
    assert "doesn't match previous node id" in message  # Kafka's own complaint is shown
    assert local.pid() is None


def test_commands_start_nothing_when_an_external_kafka_is_configured(tmp_path: Path) -> None:
    env = _env(tmp_path, *free_port_pair()) | {"DIGISPINE_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    for command in ("start", "stop", "status", "logs"):
        result = CliRunner().invoke(app, [command], env=env)
        assert result.exit_code == 0, result.output
        assert "external Kafka is in use" in result.output
    assert not (tmp_path / "kafka").exists()
