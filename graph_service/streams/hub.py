"""Kafka readers of the API process and the fan-out of their messages to subscriptions.

Every API process reads the topics itself: a reader assigns every partition of its topic
(``assign()``, a consumer group of its own, no commits), so N processes each see every message and
nothing is shared through a consumer group. One **live** reader per topic starts at the topic's end
when the process starts and hands each message to every :class:`Feed` open on the topic; a
**replay** reader, one per subscription resumed from a cursor, starts at the cursor's offsets and
serves that feed alone.

Memory stays bounded: a reader thread parses a batch (off the event loop) and waits until the loop
has handed it out before it polls again; a feed holds at most ``size`` messages. A live feed that
is full loses the message and remembers the gap (:attr:`Feed.gap`: its subscription ends with an
error saying where to resume); a replay feed that is full makes its reader wait (nothing is lost,
the reader only reads as fast as its one client takes).

A message's :class:`Position` is, for every partition of its topic, the next offset after what had
been handed out when it was: resuming from it (a replay reader starting there) gives exactly the
messages that came after it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from graph_service.streams.errors import StreamError

log = logging.getLogger(__name__)

#: Messages a reader takes from Kafka per poll (parsed off the loop, handed out in one go).
BATCH = 500
#: Seconds a reader waits in one poll; also how fast it notices that it should stop.
POLL_S = 0.2
#: Seconds between two looks at a topic's partitions (a topic created or grown while we run).
METADATA_S = 5.0


class BadCursor(StreamError):
    """A cursor that is not one of ours, or of another topic."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a topic was read up to: ``(partition, next offset)`` for every partition."""

    topic: str
    offsets: tuple[tuple[int, int], ...]

    def encode(self) -> str:
        """The opaque cursor: base64url of ``topic`` and ``partition:offset`` pairs."""
        text = self.topic + "|" + ",".join(f"{p}:{o}" for p, o in self.offsets)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, topic: str) -> Position:
        """The position of ``cursor``; :class:`BadCursor` unless it is a cursor of ``topic``."""
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            found, _, pairs = text.partition("|")
            offsets = tuple(
                (int(p), int(o)) for p, o in (pair.split(":") for pair in pairs.split(",") if pair)
            )
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise BadCursor(f"{cursor!r} is not a subscription cursor") from None
        if found != topic:
            raise BadCursor(f"the cursor is of topic {found!r}, not of {topic!r}")
        if any(p < 0 or o < 0 for p, o in offsets):
            raise BadCursor(f"{cursor!r} is not a subscription cursor")
        return cls(topic, offsets)


@dataclass(frozen=True, slots=True)
class TopicMessage:
    """One Kafka message, its value parsed once for every subscription that reads it."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: Any  # the parsed JSON (a CloudEvent); None when it is not JSON
    timestamp_ms: int
    position: Position  # resume here to get what came after this message


class Feed:
    """The messages of one topic for one consumer (a subscription, or a group of identical
    ones), bounded to ``size``; used from the event loop only."""

    def __init__(self, topic: str, size: int, *, on_close: Callable[[Feed], None]) -> None:
        self.topic = topic
        self.size = size
        self._items: deque[TopicMessage] = deque()
        self._ready = asyncio.Event()
        self._on_close = on_close
        self._space = asyncio.Event()
        self._space.set()
        #: The position after the last message handed to the reader of this feed, when it lost one.
        self.gap: Position | None = None
        self.closed = False
        self.last: Position | None = None

    def offer(self, message: TopicMessage) -> bool:
        """Add a message unless the feed is full (then remember the gap); False when lost."""
        if self.closed:
            return False
        if len(self._items) >= self.size:
            if self.gap is None:
                self.gap = self.last or message.position
            self._ready.set()
            return False
        self._items.append(message)
        if len(self._items) >= self.size:
            self._space.clear()
        self._ready.set()
        return True

    async def put(self, message: TopicMessage) -> None:
        """Add a message, waiting for space (replay readers: nothing lost, reading slows down)."""
        while not self.closed and len(self._items) >= self.size:
            await self._space.wait()
        self.offer(message)

    async def get(self) -> TopicMessage | None:
        """The next message; None once the feed lost messages (see :attr:`gap`) or was closed."""
        while not self._items:
            if self.gap is not None or self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        message = self._items.popleft()
        self.last = message.position
        self._space.set()
        return message

    def __len__(self) -> int:
        return len(self._items)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._items.clear()
            self._ready.set()
            self._space.set()
            self._on_close(self)


class TopicReader:
    """A thread reading every partition of one topic with ``assign()`` (no group, no commits),
    handing each parsed batch to ``deliver`` on the event loop and waiting until it returns."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[TopicMessage]], Any],
        *,
        start: Position | None = None,
        name: str = "live",
    ) -> None:
        self.topic = topic
        self._loop = loop
        self._deliver = deliver
        self._start = dict(start.offsets) if start is not None else None
        self._stop = threading.Event()
        self.ready = threading.Event()  # set once every known partition has its start offset
        self.failure: BaseException | None = None
        self._positions: dict[int, int] = {}
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                # never joined (assign() only) and never committed: every process reads everything
                "group.id": f"digispine-api-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",  # stream topics are written in transactions
                "auto.offset.reset": "earliest",
                "allow.auto.create.topics": False,
                "socket.timeout.ms": 10_000,
            }
        )
        self._thread = threading.Thread(target=self._run, name=f"kafka-{name}-{topic}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for it (it notices within one poll)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(10)

    def _run(self) -> None:
        try:
            next_look = _now()
            while not self._stop.is_set():
                if _now() >= next_look:
                    # the first successful look fixes the start; until then the topic is not read
                    if self._assign_new_partitions():
                        self.ready.set()
                    next_look = _now() + (METADATA_S if self.ready.is_set() else POLL_S * 5)
                # librdkafka's batch consume waits its whole timeout unless the batch fills, which
                # delayed every delivery by up to POLL_S at a trickle: wait for the first message
                # only, then take what is already fetched.
                first = self._consumer.poll(POLL_S)
                batch = [] if first is None else [first, *self._consumer.consume(BATCH - 1, 0)]
                messages = [m for m in (self._parsed(raw) for raw in batch) if m is not None]
                if messages and not self._hand_over(messages):
                    return
        except (KafkaException, RuntimeError) as exc:
            self.failure = exc
            log.error("the reader of topic %s stopped: %s", self.topic, exc)
        finally:
            self.ready.set()
            with contextlib.suppress(KafkaException, RuntimeError):
                self._consumer.close()

    def _hand_over(self, messages: list[TopicMessage]) -> bool:
        """Deliver on the loop and wait for it, so a slow loop slows reading instead of queueing."""
        future = asyncio.run_coroutine_threadsafe(_call(self._deliver, messages), self._loop)
        while not self._stop.is_set():
            try:
                future.result(POLL_S)
                return True
            except TimeoutError:
                continue
            except RuntimeError:  # the loop closed
                return False
        future.cancel()
        return False

    def _assign_new_partitions(self) -> bool:
        """Assign partitions not read yet; False when the broker could not be asked."""
        try:
            metadata = self._consumer.list_topics(self.topic, timeout=10)
        except KafkaException as exc:  # the broker is away: looked at again later
            log.warning("cannot read the partitions of topic %s: %s", self.topic, exc)
            return False
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            return True  # not created yet: looked at again later, then read from its beginning
        fresh = sorted(p for p in topic.partitions if p not in self._positions)
        if not fresh:
            return True
        try:
            offsets = {partition: self._first_offset(partition) for partition in fresh}
        except KafkaException as exc:
            # A topic created a moment ago has partitions whose leader is not elected yet
            # (NOT_LEADER_FOR_PARTITION): nothing is assigned this time, looked at again later,
            # instead of the reader stopping for good on a transient state of the broker.
            log.warning("cannot read the offsets of topic %s yet: %s", self.topic, exc)
            return False
        assigned = []
        for partition, offset in offsets.items():
            self._positions[partition] = max(offset, 0)
            assigned.append(TopicPartition(self.topic, partition, offset))
        self._consumer.incremental_assign(assigned)
        return True

    def _first_offset(self, partition: int) -> int:
        if self._start is not None:
            return int(self._start.get(partition, OFFSET_BEGINNING))
        if not self.ready.is_set():  # at start-up: the end; partitions added later: all of them
            _low, high = self._consumer.get_watermark_offsets(
                TopicPartition(self.topic, partition), timeout=10
            )
            return int(high)
        return int(OFFSET_BEGINNING)

    def _parsed(self, raw: Any) -> TopicMessage | None:
        error = raw.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("reading topic %s: %s", self.topic, error)
            return None
        partition, offset = raw.partition(), raw.offset()
        self._positions[partition] = offset + 1
        try:
            value = orjson.loads(raw.value() or b"null")
        except orjson.JSONDecodeError:
            value = None
        key = raw.key()
        return TopicMessage(
            topic=self.topic,
            partition=partition,
            offset=offset,
            key=key.decode("utf-8", "replace") if key is not None else None,
            value=value,
            timestamp_ms=raw.timestamp()[1],
            position=Position(self.topic, tuple(sorted(self._positions.items()))),
        )


async def _call(deliver: Callable[[list[TopicMessage]], Any], messages: list[TopicMessage]) -> None:
    result = deliver(messages)
    if asyncio.iscoroutine(result):
        await result


def _now() -> float:
    return time.monotonic()


@dataclass
class HubStats:
    """What the hub holds now and has done (for operations and tests)."""

    feeds: int = 0
    replays: int = 0
    delivered: int = 0
    lost: int = 0
    queued: int = 0
    max_queued: int = 0


class StreamHub:
    """The live readers of the process (one per topic, started with :meth:`start`) and the replay
    readers of resumed subscriptions. Built and stopped by the API's lifespan."""

    def __init__(self, bootstrap: str, *, feed_size: int = 1024, max_replays: int = 32) -> None:
        self.bootstrap = bootstrap
        self.feed_size = feed_size
        self.max_replays = max_replays
        self._loop: asyncio.AbstractEventLoop | None = None
        self._live: dict[str, TopicReader] = {}
        self._feeds: dict[str, set[Feed]] = {}
        self._replays: dict[Feed, TopicReader] = {}
        self.stats = HubStats()

    async def start(self, topics: Iterable[str] = (), *, ready_timeout_s: float = 15.0) -> None:
        """Bind the hub to the running loop, and start the live readers of ``topics`` now (the
        others start with their first subscription), waiting until each knows where it starts."""
        self._loop = asyncio.get_running_loop()
        for topic in sorted(set(topics)):
            self._reader(topic)
        for reader in list(self._live.values()):
            await asyncio.to_thread(reader.ready.wait, ready_timeout_s)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted(self._live))

    def ready(self, topic: str) -> bool:
        """The live reader of ``topic`` runs and knows its start offsets."""
        reader = self._live.get(topic)
        return reader is not None and reader.ready.is_set()

    def live(self, topic: str, size: int | None = None) -> Feed:
        """A feed of ``topic`` from now on. The topic's live reader starts with its first feed, at
        the topic's end then (a topic that does not exist yet: from its beginning once created)."""
        self._reader(topic)
        feed = Feed(topic, size or self.feed_size, on_close=self._forget)
        self._feeds[topic].add(feed)
        self.stats.feeds = sum(len(f) for f in self._feeds.values())
        return feed

    def position_at(self, topic: str, time_ms: int) -> Position:
        """Where ``topic`` was at ``time_ms``: per partition the first message produced at or
        after it (the end when none was). Blocking (asks the broker): call it from a thread."""
        consumer = Consumer(
            {"bootstrap.servers": self.bootstrap, "group.id": f"digispine-since-{uuid.uuid4().hex}"}
        )
        try:
            metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if metadata is None or metadata.error is not None or not metadata.partitions:
                return Position(topic, ())  # not created yet: everything it will hold
            asked = [TopicPartition(topic, p, time_ms) for p in sorted(metadata.partitions)]
            offsets = []
            for found in consumer.offsets_for_times(asked, timeout=10):
                offset = found.offset
                if offset < 0:  # nothing produced since: from the partition's end
                    offset = consumer.get_watermark_offsets(
                        TopicPartition(topic, found.partition), timeout=10
                    )[1]
                offsets.append((found.partition, int(offset)))
            return Position(topic, tuple(offsets))
        except KafkaException as exc:
            raise StreamError(f"cannot find where topic {topic} was at that time: {exc}") from exc
        finally:
            consumer.close()

    def _reader(self, topic: str) -> TopicReader:
        if self._loop is None:
            raise StreamError("the stream hub is not started")
        reader = self._live.get(topic)
        if reader is None:
            reader = TopicReader(self.bootstrap, topic, self._loop, self._dispatcher(topic))
            self._live[topic] = reader
            self._feeds.setdefault(topic, set())
            reader.start()
        return reader

    def replay(self, position: Position, size: int | None = None) -> Feed:
        """A feed of the messages after ``position``, read for it alone."""
        if self._loop is None:
            raise StreamError("the stream hub is not started")
        if len(self._replays) >= self.max_replays:
            raise StreamError(
                f"this server already serves {len(self._replays)} subscriptions resumed from a cursor "
                "(DIGISPINE_SUBSCRIPTION_MAX_REPLAYS); retry later, or subscribe without `after`"
            )
        feed = Feed(position.topic, size or self.feed_size, on_close=self._forget)

        async def deliver(messages: list[TopicMessage]) -> None:
            for message in messages:
                await feed.put(message)

        reader = TopicReader(
            self.bootstrap, position.topic, self._loop, deliver, start=position, name="replay"
        )
        self._replays[feed] = reader
        self.stats.replays += 1
        reader.start()
        return feed

    def _dispatcher(self, topic: str) -> Callable[[list[TopicMessage]], None]:
        def dispatch(messages: list[TopicMessage]) -> None:
            feeds = tuple(self._feeds.get(topic, ()))
            for message in messages:
                for feed in feeds:
                    if feed.offer(message):
                        self.stats.delivered += 1
                    else:
                        self.stats.lost += 1
            queued = sum(len(f) for f in feeds)
            self.stats.queued = queued
            self.stats.max_queued = max(self.stats.max_queued, queued)

        return dispatch

    def _forget(self, feed: Feed) -> None:
        self._feeds.get(feed.topic, set()).discard(feed)
        reader = self._replays.pop(feed, None)
        if reader is not None:
            reader._stop.set()  # its thread ends within one poll; stop() would block the loop
        self.stats.feeds = sum(len(f) for f in self._feeds.values())
        self.stats.replays = len(self._replays)

    async def stop(self) -> None:
        """Close every feed and stop every reader thread (waits for them, off the loop)."""
        readers = [*self._live.values(), *self._replays.values()]
        for feeds in self._feeds.values():
            for feed in list(feeds):
                feed.close()
        for feed in list(self._replays):
            feed.close()
        for reader in readers:
            reader._stop.set()

        def stop_all() -> None:
            for reader in readers:
                reader.stop()

        await asyncio.to_thread(stop_all)
        self._live.clear()

    def failures(self) -> Mapping[str, str]:
        """Topics whose live reader stopped, with the reason."""
        return {t: str(r.failure) for t, r in self._live.items() if r.failure is not None}
