"""`digispine mqtt …`: the local MQTT broker (mosquitto), publishing to it, and the Unified
Namespace → Kafka bridge."""

from __future__ import annotations

from pathlib import Path

import typer

from graph_service.cli.common import (
    console,
    err_console,
    settings_or_exit,
    stop_on_signals,
    user_errors,
)
from graph_service.cli.local_server_cmd import LocalServerCommands, add_server_commands
from graph_service.mqtt.local_mosquitto import LocalMosquitto
from graph_service.settings import Settings

app = typer.Typer(
    help="The local MQTT broker (mosquitto), publishing to it, and the MQTT → Kafka bridge of the "
    "Unified Namespace adapter (docs/sources.md)."
)


def _external(settings: Settings) -> str | None:
    if not settings.external_mqtt:
        return None
    return (
        f"An external MQTT broker is in use (DIGISPINE_MQTT_BROKER={settings.mqtt_broker}); "
        "nothing to do locally."
    )


add_server_commands(
    app,
    LocalServerCommands(
        title="mosquitto",
        make=LocalMosquitto.from_settings,
        external=_external,
        external_record=lambda settings: {"status": "external", "broker": settings.mqtt_broker},
        external_status_always=True,
        started=lambda status: (
            f"[green]mosquitto {status.version} running[/] on {status.address} "
            f"(pid {status.pid}, data {status.home})"
        ),
        record=lambda state, settings: {
            "version": state.version,
            "address": state.address,
            "pid": state.pid,
            "data dir": str(state.home),
        },
        not_answering="running (not answering)",
        stop_timeout=15.0,
        start_help="Start the local mosquitto and return once it accepts connections.",
        stop_help="Stop the local mosquitto (its sessions and queued messages are saved).",
        status_help="Print running/stopped, version, address and data directory. Exit 3 when stopped.",
        logs_help="The last lines of the local mosquitto's log.",
    ),
)


@app.command()
def publish(
    topic: str = typer.Argument(None, help="The MQTT topic (omit with --file)."),
    payload: str = typer.Argument(None, help="The payload (JSON text)."),
    file: Path = typer.Option(
        None, "--file", "-f", help="Lines of `<topic> <payload>` (what `mosquitto_sub -v` prints)."
    ),
    qos: int = typer.Option(1, "--qos", min=0, max=2, help="MQTT quality of service."),
) -> None:
    """Publish one message, or a file of them, to the broker (and wait until it has them)."""
    from graph_service.mqtt.publish import publish_messages, read_lines

    settings = settings_or_exit()
    if file is not None:
        messages = list(read_lines(file))
    elif topic and payload is not None:
        messages = [(topic, payload.encode())]
    else:
        err_console.print("Give TOPIC and PAYLOAD, or --file FILE.")
        raise typer.Exit(2)
    with user_errors():
        count = publish_messages(settings, messages, qos=qos)
    console.print(f"published {count} message(s) to {':'.join(map(str, settings.mqtt_address))}")


@app.command()
def bridge(
    topic: list[str] = typer.Option(..., "--topic", "-t", help="MQTT topic filter(s), e.g. 'acme/#'."),
    kafka_topic: str = typer.Option(
        None, "--kafka-topic", help="Kafka topic of the events [default: DIGISPINE_EVENTS_TOPIC]."
    ),
    bootstrap: str = typer.Option(None, "--bootstrap", help="Kafka host:port [default: the configured one]."),
    until_idle: float = typer.Option(
        None, "--until-idle", help="Stop after this many seconds with nothing received."
    ),
) -> None:
    """Bridge MQTT messages (JSON on ISA-95 topics, Sparkplug B) to Kafka as CloudEvents, QoS 1,
    each message acknowledged only once Kafka has its events (SIGTERM or Ctrl-C stops gracefully)."""
    from graph_service.kafka import create_topic
    from graph_service.kafka.publish import ensure_reachable
    from graph_service.mqtt.access import MqttAccess
    from graph_service.mqtt.bridge import BridgeConfig, MqttKafkaBridge
    from loaders.deadletters import DeadLetterStore

    settings = settings_or_exit()
    servers = bootstrap or settings.kafka_bootstrap_servers
    target = kafka_topic or settings.events_topic
    host, port = settings.mqtt_address
    config = BridgeConfig(
        mqtt_host=host,
        mqtt_port=port,
        filters=tuple(topic),
        kafka_bootstrap=servers,
        kafka_topic=target,
        client_id=settings.mqtt_client_id,
        state_file=settings.data_dir / "mqtt" / "bridge" / f"{settings.mqtt_client_id}.sparkplug.json",
        access=MqttAccess.from_settings(settings),
    )
    with stop_on_signals() as stop, user_errors():
        ensure_reachable(servers, external=settings.external_kafka or bool(bootstrap))
        create_topic(servers, target, partitions=3)
        worker = MqttKafkaBridge(config, DeadLetterStore(settings.data_dir / "deadletters"), stop)
        console.print(
            f"Bridging MQTT {', '.join(topic)} on {host}:{port} ({config.access.describe()}) → Kafka "
            f"{target} on {servers} as client {settings.mqtt_client_id} (SIGTERM or Ctrl-C stops gracefully)"
        )
        stats = worker.run(
            idle_timeout=until_idle, on_progress=lambda s: console.print(f"  {s.line()}", highlight=False)
        )
    console.print(f"bridge: {stats.line()}", highlight=False)
    if stats.sequence_gaps or stats.rebirths_requested:
        console.print(
            f"  sparkplug: sequence gaps {stats.sequence_gaps}, rebirths requested {stats.rebirths_requested}"
        )
    if stats.dead_letters:
        console.print(
            f"Undecodable messages are in {settings.data_dir / 'deadletters'}: "
            "`digispine deadletters list --reason adapter`"
        )


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", "-o", help="The machine signals: lines of `<topic> <payload>`."),
    rest: Path = typer.Option(..., "--rest", help="The plant's other events (JSON Lines, CloudEvents)."),
    days: int = typer.Option(1, "--days", min=1, help="Simulated days."),
    seed: int = typer.Option(42, "--seed", help="Same seed, same history."),
) -> None:
    """The simulated plant with its machines as a Unified Namespace: their states and operations as
    MQTT messages (for `mqtt publish --file`), everything else as CloudEvents (for `load`)."""
    import orjson

    from loaders.simulation import simulate as plant
    from loaders.simulation.uns import split

    others, messages = split(plant(seed=seed, days=days))
    out.write_bytes(b"".join(topic.encode() + b" " + payload + b"\n" for topic, payload in messages))
    rest.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in others))
    console.print(f"{len(messages)} machine signal(s) in {out}, {len(others)} other event(s) in {rest}")
