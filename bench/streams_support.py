"""Plumbing of the streams benchmark: a real Kafka broker, paced producers, a read_committed
collector, child processes with their own CPU and memory read from /proc, percentiles."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from bench.common import REPO, _free_port, stop_process
from graph_service.kafka import LocalKafka, create_topic
from graph_service.settings import Settings, load_settings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the broker -----------------------------------------------------------------------------------


@contextmanager
def kafka_for_bench(data_dir: Path) -> Iterator[str]:
    """The bootstrap servers of a running broker: DIGISPINE_KAFKA_BOOTSTRAP when set, else the
    project's own local Kafka started on free ports for the run (as the tests do)."""
    settings = load_settings()
    if settings.external_kafka:
        yield settings.kafka_bootstrap_servers
        return
    port, controller = _free_port(), _free_port()
    while controller == port:
        controller = _free_port()
    local = LocalKafka(
        load_settings(
            data_dir=data_dir, kafka_port=port, kafka_controller_port=controller, kafka_bootstrap=None
        )
    )
    status = local.start(print)
    print(f"Kafka {status.version} on {local.bootstrap_servers} (heap {local.settings.kafka_heap})")
    try:
        yield local.bootstrap_servers
    finally:
        local.stop(echo=print)


def new_topic(bootstrap: str, prefix: str, partitions: int = 1) -> str:
    """A fresh topic (unique name), created and led before it is used."""
    name = f"{prefix}.{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, name, partitions=partitions)
    return name


def ensure_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    """``name`` exists (a stream's fixed topic is shared by the runs of one broker)."""
    create_topic(bootstrap, name, partitions=partitions)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The high watermark of every partition of ``topic`` (where a reader starting now begins)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-probe-{uuid.uuid4().hex}"})
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in meta.partitions
        }
    finally:
        consumer.close()


class Committed:
    """What a consumer group has committed, read without joining it (one consumer, reused)."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        )

    def total(self, topic: str) -> int:
        """Offsets committed on ``topic``, summed over its partitions (0 where none, or while the
        group coordinator is still being elected on a fresh broker)."""
        try:
            meta = self._consumer.list_topics(topic, timeout=10).topics[topic]
            parts = self._consumer.committed([TopicPartition(topic, p) for p in meta.partitions], timeout=10)
        except KafkaException:
            return 0
        return sum(max(tp.offset, 0) for tp in parts)

    def ends(self, topic: str) -> dict[int, int] | None:
        """The high watermarks of ``topic``'s partitions; None while it does not exist."""
        try:
            meta = self._consumer.list_topics(topic, timeout=10).topics[topic]
            if meta.error is not None or not meta.partitions:
                return None
            return {
                p: self._consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in meta.partitions
            }
        except KafkaException:
            return None

    def close(self) -> None:
        self._consumer.close()


# -- producing ------------------------------------------------------------------------------------


def producer(bootstrap: str, **extra: Any) -> Producer:
    # linger 0: the bench's own batching must not add to the latency it measures
    return Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, **extra})


@dataclass
class Paced:
    """Produces ``values`` (key, value) at ``rate`` per second from a thread; remembers each
    message's send time (ms since the epoch, the Kafka CreateTime librdkafka stamps)."""

    bootstrap: str
    topic: str
    values: list[tuple[bytes, bytes]]
    rate: float
    sent: int = 0
    behind_max_s: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    #: index → the Kafka timestamp (ms) the broker acknowledged the message with
    stamps: dict[int, int] = field(default_factory=dict)
    #: The producer's linger (0: every message its own produce request, as the latency runs need)
    linger_ms: float = 0

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"paced-{self.topic}")

    def start(self) -> Paced:
        self._thread.start()
        return self

    def _run(self) -> None:
        out = producer(self.bootstrap, **{"linger.ms": self.linger_ms})
        started = time.monotonic()
        for i, (key, value) in enumerate(self.values):
            if self.stop.is_set():
                break
            due = started + i / self.rate
            lag = due - time.monotonic()
            if lag > 0:
                time.sleep(lag)
            else:
                self.behind_max_s = max(self.behind_max_s, -lag)
            out.produce(self.topic, key=key, value=value, on_delivery=self._delivered(i))
            out.poll(0)
            self.sent = i + 1
        out.flush(30)

    def _delivered(self, index: int) -> Callable[[Any, Any], None]:
        def record(error: Any, message: Any) -> None:
            if error is None:
                self.stamps[index] = message.timestamp()[1]

        return record

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        self.stop.set()


def prefill(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    out = producer(bootstrap, **{"linger.ms": 20})
    for key, value in values:
        while True:
            try:
                out.produce(topic, key=key, value=value)
                break
            except BufferError:
                out.poll(0.05)
        out.poll(0)
    out.flush(60)


# -- reading what came out ------------------------------------------------------------------------


@dataclass
class Received:
    recv_ms: float
    kafka_ms: int
    value: dict[str, Any]


class Collector:
    """A read_committed consumer of ``topic`` from ``start`` offsets, in a thread, keeping every
    message with the wall-clock time it became readable here."""

    def __init__(self, bootstrap: str, topic: str, start: dict[int, int]) -> None:
        self.messages: list[Received] = []
        self._stop = threading.Event()
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-collector-{uuid.uuid4().hex}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        self._consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"collect-{topic}")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            first = self._consumer.poll(0.05)
            if first is None:
                continue
            # poll returns on the first message; consume would wait out its timeout for a batch
            for msg in [first, *self._consumer.consume(999, timeout=0)]:
                if msg.error():
                    continue
                now = time.time() * 1000
                self.messages.append(Received(now, msg.timestamp()[1], orjson.loads(msg.value())))
        self._consumer.close()

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self.messages):
                return True
            time.sleep(0.05)
        return condition(self.messages)

    def settle(self, quiet_s: float, timeout: float) -> None:
        """Returns once ``quiet_s`` pass with nothing new (or after ``timeout``)."""
        deadline = time.monotonic() + timeout
        seen, since = len(self.messages), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
            time.sleep(0.05)
            if len(self.messages) != seen:
                seen, since = len(self.messages), time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


# -- child processes ------------------------------------------------------------------------------


@dataclass
class Child:
    """A process the bench started; always stopped by :func:`child` (killed if it will not stop)."""

    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_s(self) -> float:
        """utime + stime of the process (all its threads), from /proc/<pid>/stat."""
        raw = Path(f"/proc/{self.pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_peak_mb(self) -> float:
        """VmHWM (the resident set's high-water mark) from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 15) -> None:
        stop_process(self.proc, timeout)


@contextmanager
def child(command: list[str], env: dict[str, str], log_dir: Path, name: str) -> Iterator[Child]:
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Child(proc, log)
    try:
        yield running
    finally:
        running.stop()


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def base_env(
    bootstrap: str, data_dir: Path, settings: Settings | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a child: the bench's broker, its own data directory, quiet logs."""
    env = {
        **os.environ,
        "DIGISPINE_KAFKA_BOOTSTRAP": bootstrap,
        "DIGISPINE_DATA_DIR": str(data_dir),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
        "PYTHONUNBUFFERED": "1",
    }
    if settings is not None:
        env |= {
            "NEO4J_URI": settings.bolt_uri,
            "NEO4J_USER": settings.neo4j_user,
            "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
            "NEO4J_DATABASE": settings.neo4j_database,
        }
    env |= extra
    return env


def scratch_dir(root: Path, name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    return path


# -- statistics -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
