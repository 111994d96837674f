"""Putting CloudEvents on a topic: the Kafka key, a producer that reports lost messages, reachability.

Used by `digispine publish` and the live plant (`digispine simulate --kafka --live`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient

from graph_service.errors import DigiSpineError

log = logging.getLogger(__name__)


class KafkaUnreachable(DigiSpineError):
    """No Kafka broker answered at the bootstrap address."""


class KafkaPublishError(DigiSpineError):
    """The broker did not acknowledge some messages."""


def event_key(event: Mapping[str, Any]) -> bytes:
    """The Kafka key of an operational event: its ``subject`` (the entity it is about, so one
    entity's events stay in order within a partition and a stream keyed by that entity finds
    them together), else ``source`` and ``id`` (the loader's identity of an event)."""
    subject = event.get("subject")
    if isinstance(subject, str) and subject:
        return subject.encode()
    return f"{event.get('source', '')}#{event.get('id', '')}".encode()


def ensure_reachable(bootstrap: str, *, external: bool, timeout: float = 5.0) -> None:
    """Raise :class:`KafkaUnreachable`, saying what to do, unless a broker answers at ``bootstrap``."""
    admin = AdminClient(
        {
            "bootstrap.servers": bootstrap,
            "socket.connection.setup.timeout.ms": int(timeout * 1000),
            "logger": log,
        }
    )
    try:
        brokers = admin.list_topics(timeout=timeout).brokers
    except KafkaException as exc:
        brokers = {}
        log.debug("kafka metadata request to %s failed: %s", bootstrap, exc)
    if brokers:
        return
    if external:
        hint = "check that cluster (DIGISPINE_KAFKA_BOOTSTRAP) is up and reachable from here"
    else:
        hint = "start the local broker with `digispine kafka start` (or set DIGISPINE_KAFKA_BOOTSTRAP)"
    raise KafkaUnreachable(f"no Kafka broker answers at {bootstrap} within {timeout:.0f} s; {hint}")


class EventProducer:
    """An idempotent, acks=all producer that counts what the broker acknowledged or refused."""

    def __init__(self, bootstrap: str, topic: str, *, client_id: str = "digispine-publish") -> None:
        self.topic = topic
        self.bootstrap = bootstrap
        self.sent = 0
        self.acknowledged = 0
        self.failed: list[str] = []
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "client.id": client_id,
                "logger": log,
            }
        )

    def send(self, value: bytes, key: bytes) -> None:
        """Queue one message (waits for room when the local queue is full)."""
        while True:
            try:
                self._producer.produce(self.topic, value=value, key=key, on_delivery=self._delivered)
                break
            except BufferError:
                self._producer.poll(0.1)
        self.sent += 1
        self._producer.poll(0)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.acknowledged += 1
        else:
            self.failed.append(str(error))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for every queued message; raise if the broker refused or did not confirm some."""
        left = self._producer.flush(timeout)
        if left or self.failed:
            first = f" (first error: {self.failed[0]})" if self.failed else ""
            raise KafkaPublishError(
                f"{left + len(self.failed)} of {self.sent} message(s) to {self.topic} on "
                f"{self.bootstrap} were not acknowledged{first}"
            )

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
        else:
            self._producer.flush(5.0)
