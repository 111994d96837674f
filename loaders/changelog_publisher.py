"""The graph change log, I/O part: sends the outbox's changes to Kafka, then deletes the outbox.

The writer puts a batch's changes into a ``ChangeOutbox`` node in the batch's own transaction;
:meth:`ChangePublisher.drain` (after each commit, and when the loader starts) reads every outbox
node in ``seq`` order under its write lock, produces each change as a CloudEvent keyed by its
entity, waits for the broker to acknowledge all of them (``acks=all``, idempotent producer) and
deletes the nodes in the same transaction. A crash anywhere before that commit leaves the outbox
in place and the next drain sends it again: at-least-once, with the same ids.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import neo4j
import orjson
from confluent_kafka import KafkaError, Message, Producer

from graph_service.kafka import create_topic
from loaders import changelog
from loaders.errors import LoaderError

log = logging.getLogger(__name__)

#: Outbox nodes sent per transaction (a loader leaves at most one behind per crash; more only
#: accumulate if publishing failed and the loader was restarted without Kafka, several times).
DRAIN_CHUNK = 100
FLUSH_TIMEOUT_S = 60.0

# ``$owner`` null: every loader's outbox (at start: what a crashed loader left); else this loader's
# own only, so loaders on one graph do not send (and wait for) each other's outbox after each batch.
_CLAIM = (
    f"MATCH (o:`{changelog.OUTBOX_LABEL}`) WHERE $owner IS NULL OR o.owner = $owner\n"
    "WITH o ORDER BY o.seq LIMIT $limit\n"
    f"SET o:`{changelog.OUTBOX_LABEL}`\n"  # takes the node's write lock: one drainer sends it at a time
    f"RETURN elementId(o) AS id, o.{changelog.OUTBOX_CHANGES} AS changes, toString(o.createdAt) AS at"
)
_DELETE = "UNWIND $ids AS id MATCH (o) WHERE elementId(o) = id DELETE o"


class ChangePublisher:
    """Publishes the change log of one graph to ``topic``."""

    def __init__(self, driver: neo4j.Driver, database: str, bootstrap: str, topic: str) -> None:
        self.driver = driver
        self.database = database
        self.bootstrap = bootstrap
        self.topic = topic
        #: This loader's id, stamped on the outbox nodes its writer creates.
        self.owner = uuid.uuid4().hex
        self._producer: Producer | None = None
        self._topic_ready = False

    def start(self) -> None:
        """Create the producer now, before the first batch is written: an idempotent producer
        spends its first ~0.5 s (~1 s on a broker just started) getting its producer id, in its own
        threads, which then overlaps the first write instead of delaying the first publication.
        Nothing is sent and nothing fails here when Kafka is down: the first publication says so."""
        self._new_producer()

    def _new_producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(
                {
                    "bootstrap.servers": self.bootstrap,
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": 5,
                    "client.id": "digispine-change-log",
                    "logger": log,
                }
            )
        return self._producer

    def _ready(self) -> Producer:
        if not self._topic_ready:
            create_topic(self.bootstrap, self.topic)
            self._topic_ready = True
        return self._new_producer()

    def drain(self, *, everyone: bool = False) -> int:
        """Send and delete this loader's outbox nodes (``everyone``: all of them, what crashed
        loaders left too); the number of changes sent. Raises :class:`LoaderError` when Kafka does
        not acknowledge them (the outbox stays)."""
        owner = None if everyone else self.owner
        sent = 0
        while True:
            with self.driver.session(database=self.database) as session:
                count, more = session.execute_write(self._drain_tx, owner)
            sent += count
            if not more:
                return sent

    def _drain_tx(self, tx: neo4j.ManagedTransaction, owner: str | None) -> tuple[int, bool]:
        rows = tx.run(_CLAIM, limit=DRAIN_CHUNK, owner=owner).data()
        if not rows:
            return 0, False
        count = self.send([(orjson.loads(row["changes"]), row["at"]) for row in rows])
        tx.run(_DELETE, ids=[row["id"] for row in rows]).consume()
        return count, len(rows) == DRAIN_CHUNK

    def send(self, batches: list[tuple[list[dict[str, Any]], str]]) -> int:
        """Produce the changes of each ``(changes, committed_at)`` in order and wait for all."""
        producer = self._ready()
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                failures.append(error)

        count = 0
        for changes, committed_at in batches:
            for change in changes:
                self._on_produce()
                event = changelog.change_event(change, committed_at)
                producer.produce(
                    self.topic,
                    key=event["subject"].encode(),
                    value=orjson.dumps(event),
                    headers={"content-type": b"application/cloudevents+json"},
                    on_delivery=delivered,
                )
                producer.poll(0)
                count += 1
        remaining = producer.flush(FLUSH_TIMEOUT_S)
        if remaining or failures:
            reason = failures[0] if failures else f"{remaining} not acknowledged in {FLUSH_TIMEOUT_S:.0f} s"
            raise LoaderError(
                f"could not publish the graph change log to Kafka topic {self.topic} ({reason}); the "
                "changes stay in the outbox and are sent when the loader runs again"
            )
        return count

    def _on_produce(self) -> None:
        """Called before each change is produced; a test subclass kills the process here."""

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(FLUSH_TIMEOUT_S)
            self._producer = None
