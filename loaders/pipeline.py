"""parse → map → validate → write, in batches, with preparation pipelined off the write path.

A feeder thread parses, maps and validates records and hands full batches to the writer (the
calling thread) through a small bounded queue, so Python work overlaps with Neo4j's. A rejected
event goes to the dead-letter store with its reason; the rest of its batch still loads. The
source's position is committed (``on_commit``) only after the batch's transaction commits and,
with the graph change log on, its changes are published (in a thread of their own, overlapping the
next batch's write).
"""

from __future__ import annotations

import base64
import gc
import logging
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from neo4j.exceptions import DriverError, IncompleteCommit, Neo4jError

from loaders.adapters import ADAPTER_REASON, Adapter, decoded_records
from loaders.changelog_publisher import ChangePublisher
from loaders.deadletters import DeadLetterStore
from loaders.envelope import Envelope, parse_line
from loaders.errors import EventRejected, LoadInterrupted
from loaders.limits import PREVIEW_BYTES, Limits
from loaders.mapping import MappedEvent, Mapper
from loaders.validation import PayloadValidator
from loaders.writer import Conflict, GraphWriter, WritePlan, WriteResult

if TYPE_CHECKING:
    from graph_service.observability.loader_metrics import LoaderMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """One raw event from a source, with where it came from and the position to commit after it.

    ``size`` is set when ``raw`` is only the beginning of an event too large to read whole: the
    event's size in bytes.
    """

    raw: str | bytes
    origin: str
    position: Any = None
    size: int | None = None
    #: A Kafka message's key and headers, for adapters that read them (loaders/adapters).
    key: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()

    @property
    def byte_size(self) -> int:
        if self.size is not None:
            return self.size
        raw = self.raw
        return len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", errors="surrogatepass"))


@dataclass
class Rejection:
    reason: str
    message: str
    record: Record
    envelope: Envelope | None = None
    report: str | None = None
    stored: dict[str, Any] | None = None  # conflicting-duplicate: the event accepted first


@dataclass
class LoadStats:
    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    #: Records an adapter decoded into no event (a Debezium tombstone): read, nothing to load.
    skipped: int = 0
    batches: int = 0
    seconds: float = 0.0
    #: Origin of the last record of the last batch committed (``file:line``, ``kafka:…``).
    committed_through: str | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def events_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.rejected.items())) or "none"
        skipped = f", skipped {self.skipped}" if self.skipped else ""
        return (
            f"read {self.read}, loaded {self.loaded}, duplicates {self.duplicates}{skipped}, "
            f"rejected {self.rejected_total} ({reasons}) in {self.seconds:.1f} s "
            f"= {self.events_per_second:,.0f} events/s"
        )


@dataclass
class _Batch:
    events: list[tuple[MappedEvent, Record]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    positions: list[Any] = field(default_factory=list)
    read: int = 0
    skipped: int = 0
    plan: WritePlan | None = None
    first_origin: str | None = None
    last_origin: str | None = None
    one_by_one: bool = False  # Neo4j refused it whole; its events were written one at a time


_END = object()

# Preparing a batch allocates many short-lived containers; with the default gen-0 threshold (700)
# the cyclic collector runs every few events and keeps walking the long-lived heap (the compiled
# model, the shapes graph, the batches in flight): measured at ~40 % of preparation time.
GC_GEN0_THRESHOLD = 10_000
#: The writer thread waits on Neo4j most of the time; when an answer arrives it should get the GIL
#: back at once rather than after the feeder's 5 ms default time slice.
SWITCH_INTERVAL_S = 0.0002


class _InterpreterTuning:
    """Process-wide settings for the length of the runs in progress (several may run at once):
    the first run to start applies them, the last to end restores what was there before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved: tuple[float, tuple[int, int, int]] | None = None

    def enter(self) -> None:
        with self._lock:
            self._runs += 1
            if self._runs > 1:
                return
            threshold = gc.get_threshold()
            self._saved = (sys.getswitchinterval(), threshold)
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
            # What exists before the run (model, shapes, mappings) lives as long as the process:
            # keep it out of every collection, and collect young objects less often.
            gc.freeze()
            gc.set_threshold(max(threshold[0], GC_GEN0_THRESHOLD), *threshold[1:])

    def leave(self) -> None:
        with self._lock:
            self._runs -= 1
            if self._runs or self._saved is None:
                return
            interval, threshold = self._saved
            sys.setswitchinterval(interval)
            gc.set_threshold(*threshold)
            gc.unfreeze()


_interpreter_tuning = _InterpreterTuning()
#: How often the writer thread, waiting for a batch, looks whether the last publication finished.
SETTLE_POLL_S = 0.02
#: How long the first write waits for the warm-up (it plans the statements itself after that).
WARM_UP_WAIT_S = 60.0


class Pipeline:
    """Prepares and writes events. Build once (composition root); ``run`` per source."""

    def __init__(
        self,
        mapper: Mapper,
        validator: PayloadValidator,
        writer: GraphWriter,
        deadletters: DeadLetterStore,
        *,
        batch_size: int = 1000,
        max_wait: float = 2.0,
        limits: Limits | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        changes: ChangePublisher | None = None,
        metrics: LoaderMetrics | None = None,
        adapter: Adapter | None = None,
    ) -> None:
        self.mapper = mapper
        self.validator = validator
        self.writer = writer
        self.deadletters = deadletters
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.limits = limits or Limits()
        self.clock = clock
        #: The change log's publisher (its writer fills the outbox), None when the log is off.
        self.changes = changes
        #: Counts each written batch and times its write (None: no metrics).
        self.metrics = metrics
        #: Decodes each record of a wire format into CloudEvents first (None: records are CloudEvents).
        self.adapter = adapter
        self._warming: threading.Thread | None = None

    def warm_up(self) -> None:
        """Have Neo4j plan the writer's statements in the background from now on (a fresh Neo4j
        takes a while: :meth:`GraphWriter.warm_up`), while the caller and the feeder prepare; the
        first write waits for it instead of planning the same statements a second time."""
        if self._warming is None:
            self._warming = threading.Thread(target=self._warm, name="digispine-warm-up", daemon=True)
            self._warming.start()

    def _warm(self) -> None:
        try:
            started = time.perf_counter()
            count = self.writer.warm_up()
            log.debug("planned %d writer statements in %.2f s", count, time.perf_counter() - started)
        except (DriverError, Neo4jError) as exc:  # the load itself reports an unreachable Neo4j
            log.debug("warming the writer's plans failed: %s", exc)

    def _warmed(self) -> None:
        if self._warming is not None:
            self._warming.join(WARM_UP_WAIT_S)
            self._warming = None

    # -- one event ---------------------------------------------------------------------------------
    def prepare(self, record: Record) -> MappedEvent | Rejection:
        """Parse, map and validate one record; never raises for bad input."""
        envelope: Envelope | None = None
        try:
            self.limits.check_size(record.byte_size)
            envelope = parse_line(record.raw)
            self.limits.check_strings(envelope)
            self.limits.check_time(envelope, self.clock())
            mapping = self.mapper.mapping_for(envelope)
            violations = self.validator.validate(mapping.event_class, envelope.id, envelope.data)
            if violations:
                report = "\n".join(str(v) for v in violations)
                return Rejection(
                    "shacl",
                    f"payload violates the shape of {mapping.event_class} ({len(violations)} violation(s))",
                    record,
                    envelope,
                    report,
                )
            return self.mapper.map(envelope, mapping)
        except EventRejected as exc:
            return Rejection(exc.reason, str(exc), record, envelope, exc.report)
        except RecursionError:
            return Rejection("malformed-json", "JSON nested too deeply", record, envelope)

    def prepare_all(self, record: Record) -> list[tuple[MappedEvent | Rejection, Record]]:
        """:meth:`prepare` for each event the adapter decodes ``record`` into (the record itself
        without an adapter), each with its own record (the CloudEvent, kept by its dead letter); a
        record the adapter cannot decode is one rejection, one that stands for no event gives [].
        Never raises for bad input."""
        if self.adapter is None:
            return [(self.prepare(record), record)]
        try:
            self.limits.check_size(record.byte_size)
            decoded = decoded_records(self.adapter, record)
        except EventRejected as exc:
            return [(Rejection(exc.reason, str(exc), record, None, exc.report), record)]
        except RecursionError:
            return [(Rejection("malformed-json", "JSON nested too deeply", record), record)]
        except Exception as exc:
            # A decoder's bug on one odd record must not end the load: from Kafka the same record
            # would end every restart too. It is that record's dead letter, and logged with its trace.
            log.exception("adapter %s failed on %s", self.adapter.name, record.origin)
            message = f"{self.adapter.name}: the adapter failed on this record ({type(exc).__name__}: {exc})"
            return [(Rejection(ADAPTER_REASON, message, record), record)]
        return [(self.prepare(one), one) for one in decoded]

    # -- a stream ----------------------------------------------------------------------------------
    def run(
        self,
        records: Iterable[Record | None],
        *,
        on_commit: Callable[[list[Any]], None] | None = None,
        on_progress: Callable[[LoadStats], None] | None = None,
        stop: threading.Event | None = None,
    ) -> LoadStats:
        stats = LoadStats()
        started = time.perf_counter()
        if self.changes is not None:
            self.changes.start()
            self.changes.drain(everyone=True)  # what a crash left between a commit and its publication
        _interpreter_tuning.enter()
        batches: queue.Queue[Any] = queue.Queue(maxsize=3)
        failure: list[BaseException] = []
        stop = stop or threading.Event()
        # Set while this thread waits for a batch: the feeder then hands over what it has as soon as
        # the source has nothing more at hand, instead of letting it wait for the batch to fill.
        waiting = threading.Event()
        feeder = threading.Thread(
            target=self._feed,
            args=(records, batches, stop, failure, waiting),
            name="digispine-feeder",
            daemon=True,
        )
        feeder.start()
        publishing = ThreadPoolExecutor(1, "digispine-changes") if self.changes is not None else None
        pending: tuple[Future[int], _Batch] | None = None

        def committed(batch: _Batch) -> None:
            if on_commit is not None and batch.positions:
                on_commit(batch.positions)
            if on_progress is not None:
                on_progress(stats)

        def settle(publication: Future[int], batch: _Batch) -> None:
            publication.result()  # raises what the publication raised (Kafka not acknowledging)
            committed(batch)

        try:
            while True:
                batch, pending = self._next_batch(batches, waiting, pending, settle)
                if batch is _END:
                    break
                self._warmed()
                try:
                    self._write(batch, stats)
                except (DriverError, Neo4jError) as exc:  # only Neo4j being unavailable gets here
                    log.debug("batch write interrupted", exc_info=True)
                    raise _interrupted(exc, batch, stats) from None
                stats.committed_through = batch.last_origin
                if publishing is None:
                    committed(batch)
                else:
                    # The change log's publication of this batch overlaps the next batch's write;
                    # a batch's source position is committed only once its changes are published
                    # (a failure replays it), so the previous one is settled first.
                    if pending is not None:
                        settle(*pending)
                    pending = (publishing.submit(self.changes.drain), batch)  # type: ignore[union-attr]
            if pending is not None:
                settle(*pending)
        finally:
            if publishing is not None:
                publishing.shutdown(wait=True)
            stop.set()
            while feeder.is_alive():  # unblock a feeder waiting on a full queue
                try:
                    batches.get_nowait()
                except queue.Empty:
                    feeder.join(0.05)
            stats.seconds = time.perf_counter() - started
            _interpreter_tuning.leave()
        if failure:
            raise failure[0]
        return stats

    @staticmethod
    def _next_batch(
        batches: queue.Queue[Any],
        waiting: threading.Event,
        pending: tuple[Future[int], _Batch] | None,
        settle: Callable[[Future[int], _Batch], None],
    ) -> tuple[Any, tuple[Future[int], _Batch] | None]:
        """The next batch, with ``waiting`` set while none is there; a publication that finishes
        meanwhile is settled at once (its source position committed while the topic is quiet, not
        only when the next batch arrives)."""
        waiting.set()
        try:
            while pending is not None:
                try:
                    return batches.get(timeout=SETTLE_POLL_S), pending
                except queue.Empty:
                    if pending[0].done():
                        settle(*pending)
                        pending = None
            return batches.get(), None
        finally:
            waiting.clear()

    def _feed(
        self,
        records: Iterable[Record | None],
        out: queue.Queue[Any],
        stop: threading.Event,
        failure: list[BaseException],
        waiting: threading.Event | None = None,
    ) -> None:
        try:
            for batch in self._batches(records, stop, waiting):
                while not stop.is_set():
                    try:
                        out.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # a source failure (I/O, Kafka) ends the run with that error
            failure.append(exc)
        self._finish(out, stop)

    @staticmethod
    def _finish(out: queue.Queue[Any], stop: threading.Event) -> None:
        while True:
            try:
                out.put(_END, timeout=0.2)
                return
            except queue.Full:
                if stop.is_set():
                    return

    def _batches(
        self, records: Iterable[Record | None], stop: threading.Event, waiting: threading.Event | None = None
    ) -> Iterator[_Batch]:
        """Full batches; a partial one too once it is ``max_wait`` old, or when the source has
        nothing more at hand while the writer waits (``waiting`` set; None: whenever it has nothing).

        A source yields ``None`` whenever it has nothing more to give at once (a Kafka source after
        each chunk of what it had fetched, and at every empty poll). What was read is then written
        and committed without waiting for the batch to fill — but only if the writer is free: a
        busy writer would let it wait in the queue anyway, and the batch keeps growing meanwhile,
        so a live topic is written in batches as large as one write takes to arrive (small and
        prompt when the loader keeps up, up to ``batch_size`` when it is behind).
        """
        batch = _Batch()
        started = time.monotonic()
        for record in records:
            if record is None:
                if batch.read and (waiting is None or waiting.is_set()):
                    yield self._planned(batch)
                    batch = _Batch()
                if stop.is_set():
                    break
                continue
            if not batch.read:
                started = time.monotonic()
                batch.first_origin = record.origin
            batch.last_origin = record.origin
            batch.read += 1
            batch.positions.append(record.position)
            prepared_all = self.prepare_all(record)
            batch.skipped += not prepared_all
            for prepared, event_record in prepared_all:
                if isinstance(prepared, Rejection):
                    batch.rejections.append(prepared)
                else:
                    batch.events.append((prepared, event_record))
            if batch.read >= self.batch_size or time.monotonic() - started > self.max_wait:
                yield self._planned(batch)
                batch = _Batch()
            if stop.is_set():
                break
        if batch.read:
            yield self._planned(batch)

    def _planned(self, batch: _Batch) -> _Batch:
        batch.plan = self.writer.plan([e for e, _ in batch.events]) if batch.events else None
        return batch

    def _write(self, batch: _Batch, stats: LoadStats) -> None:
        """Write one batch and dead-letter its rejections. Raises the driver's error when Neo4j is
        unavailable (stats then count only what was committed)."""
        rejections = list(batch.rejections)
        loaded, duplicates = stats.loaded, stats.duplicates
        if batch.events:
            try:
                started = time.perf_counter()
                result = self.writer.write([e for e, _ in batch.events], batch.plan)
                if self.metrics is not None:
                    self.metrics.batch_write.observe(time.perf_counter() - started)
                rejections += self._count(result, stats, batch.events)
            except Neo4jError as exc:
                if _unavailable(exc):
                    raise
                log.warning("batch write failed (%s); isolating the failing events", exc.code)
                batch.one_by_one = True
                rejections += self._write_one_by_one(batch.events, stats)
        stats.read += batch.read
        stats.skipped += batch.skipped
        stats.batches += 1
        for rejection in rejections:
            stats.rejected[rejection.reason] += 1
            self._dead_letter(rejection)
        if self.metrics is not None:
            self.metrics.batch(
                read=batch.read,
                loaded=stats.loaded - loaded,
                duplicates=stats.duplicates - duplicates,
                rejected=Counter(r.reason for r in rejections),
            )

    def _write_one_by_one(
        self, events: list[tuple[MappedEvent, Record]], stats: LoadStats
    ) -> list[Rejection]:
        failed = []
        for event, record in events:
            try:
                failed += self._count(self.writer.write([event]), stats, [(event, record)])
            except Neo4jError as exc:
                if _unavailable(exc):
                    raise
                failed.append(
                    Rejection(
                        "write", f"Neo4j refused the write: {exc.code}: {exc.message}", record, event.envelope
                    )
                )
        return failed

    @staticmethod
    def _count(
        result: WriteResult, stats: LoadStats, events: list[tuple[MappedEvent, Record]]
    ) -> list[Rejection]:
        """Count what the write did; its conflicting duplicates as rejections."""
        stats.loaded += len(result.loaded)
        stats.duplicates += len(result.duplicates)
        if not result.conflicts:
            return []
        records = {id(event): record for event, record in events}
        return [_conflict(c, records[id(c.event)]) for c in result.conflicts]

    def _dead_letter(self, rejection: Rejection) -> None:
        record, env = rejection.record, rejection.envelope
        raw, size = record.raw, None
        if record.byte_size > self.limits.max_event_bytes:  # keep a preview, not the whole of it
            raw, size = raw[:PREVIEW_BYTES], record.byte_size
        original, exact = _readable(raw)
        event_id, event_type = (env.id, env.type) if env else _peek(original)
        self.deadletters.add(
            reason=rejection.reason,
            message=rejection.message,
            original=original,
            event_id=event_id,
            event_type=event_type,
            origin=record.origin,
            report=rejection.report,
            original_base64=exact if size is None else None,
            original_size=size,
            stored=rejection.stored,
        )


def _unavailable(exc: Neo4jError) -> bool:
    """A transient error the driver already retried for a while (the database is stopping or
    recovering, a leader moved): Neo4j is unavailable, the events are not at fault."""
    return (exc.code or "").startswith("Neo.TransientError.")


def _interrupted(exc: DriverError | Neo4jError, batch: _Batch, stats: LoadStats) -> LoadInterrupted:
    """What a user needs when Neo4j goes away mid-load: what happened, what is committed, how to
    resume. Every batch before this one is committed; this one is not, or its outcome is unknown."""
    records = f"{batch.read} record(s), {batch.first_origin} to {batch.last_origin}"
    cause = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else 'no detail'}"
    if isinstance(exc, IncompleteCommit):
        what = (
            f"Neo4j went away while committing batch {stats.batches + 1} ({records}): whether that "
            f"batch was committed is unknown ({cause})."
        )
    elif batch.one_by_one:
        what = (
            f"Neo4j went away while batch {stats.batches + 1} ({records}) was written one event at a "
            f"time, after Neo4j had refused it whole: some of its events may be committed ({cause})."
        )
    else:
        what = (
            f"Neo4j became unavailable while writing batch {stats.batches + 1} ({records}): that batch "
            f"was not committed ({cause})."
        )
    if stats.batches:
        committed = (
            f"Committed before it: {stats.batches} batch(es), every record up to and including "
            f"{stats.committed_through}: {stats.loaded} event(s) loaded, {stats.duplicates} duplicate(s), "
            f"{stats.rejected_total} dead-lettered."
        )
    else:
        committed = "Nothing was committed by this run."
    resume = (
        "To resume, make Neo4j reachable again (`digispine neo4j start` for the local server) and run "
        "the same command: events already in the graph are skipped as duplicates, so reading the "
        "input again from its start changes nothing committed (a Kafka consumer group resumes after "
        "its committed offsets)."
    )
    return LoadInterrupted(what, committed, resume)


def _conflict(conflict: Conflict, record: Record) -> Rejection:
    env = conflict.event.envelope
    stored = conflict.stored
    missing = (
        ""
        if "data" in stored
        else " (the first payload is not in this letter: it was accepted before payloads were kept)"
    )
    return Rejection(
        "conflicting-duplicate",
        f"event {env.id} from {env.source} was accepted before with another payload (digest "
        f"{stored.get('payloadHash')}, this one {env.payload_hash}); the graph keeps the first{missing}. "
        "Send a correction as a new event (a new id)",
        record,
        env,
        stored=stored,
    )


def _readable(raw: str | bytes) -> tuple[str, str | None]:
    """``raw`` as text, and base64 of its exact bytes when they are not valid UTF-8."""
    if isinstance(raw, str):
        return raw, None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), base64.b64encode(raw).decode("ascii")


def _peek(raw: str | bytes) -> tuple[str | None, str | None]:
    """Id and type of an event whose envelope was refused, when the JSON says them."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(doc, dict):
        return None, None
    event_id, event_type = doc.get("id"), doc.get("type")
    return (
        event_id if isinstance(event_id, str) else None,
        event_type if isinstance(event_type, str) else None,
    )
