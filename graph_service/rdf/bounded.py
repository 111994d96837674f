"""Work bounded in time and output size by running it in a forked child process.

pyoxigraph evaluates a query in Rust and offers no way to interrupt it: a thread that stops
waiting leaves the work running and the CPU held. A forked child shares the parent's memory copy on
write, so it sees the view as it was at the fork (a consistent snapshot, nothing copied up front),
runs the work and streams its output back through a pipe in frames. The parent reads until the
work ends, the deadline passes or the output outgrows its limit, and in the two last cases kills
the child with SIGKILL: the work really stops. Forking costs a few milliseconds per GB of heap.

The child does nothing but the work and writing to the pipe, then leaves with ``os._exit`` (no
cleanup of the parent's state it inherited). Whoever mutates what the work reads holds
``fork_lock`` while doing so, so a child is never forked in the middle of a mutation (a lock held
by a thread that does not exist in the child would stay held there forever).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph_service.rdf.errors import EndpointBusy, QueryFailed, QueryTimedOut, ResultTooLarge

#: Frame kinds: output data, the end with the work's metadata, an error.
DATA, END, ERROR = b"D", b"Z", b"E"
_HEADER = struct.Struct(">cI")
_FLUSH_AT = 64 * 1024
_PR_SET_PDEATHSIG = 1

Work = Callable[["FrameWriter"], dict[str, Any]]


@dataclass(frozen=True)
class Bounds:
    """How long work may run and how much output it may produce; which settings say so."""

    timeout_s: float
    max_bytes: int
    timeout_setting: str = "DIGISPINE_SPARQL_TIMEOUT_S"
    size_setting: str = "DIGISPINE_SPARQL_MAX_RESULT_BYTES"


@dataclass(frozen=True)
class Outcome:
    """What the work returned (its metadata) and the output it wrote."""

    meta: dict[str, Any]
    body: bytes


class FrameWriter:
    """The child's end of the pipe, file-like (``write``), buffered into data frames."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= _FLUSH_AT:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.frame(DATA, bytes(self.buffer))
            self.buffer.clear()

    def frame(self, kind: bytes, payload: bytes) -> None:
        view = memoryview(_HEADER.pack(kind, len(payload)) + payload)
        while view:
            view = view[os.write(self.fd, view) :]


class BoundedRunner:
    """Runs work in forked children, at most ``max_concurrent`` at once."""

    def __init__(self, bounds: Bounds, max_concurrent: int) -> None:
        self.bounds = bounds
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def run(self, work: Work, fork_lock: threading.Lock) -> Outcome:
        """``work(out)`` in a child; its metadata and output, or an error saying which bound held.

        A SyntaxError of the work is raised again here as SyntaxError, any other as QueryFailed."""
        deadline = time.monotonic() + self.bounds.timeout_s
        if not self._slots.acquire(timeout=self.bounds.timeout_s):
            raise EndpointBusy(
                f"every SPARQL query slot stayed busy for {self.bounds.timeout_s:g} s "
                f"({self.bounds.timeout_setting}); try again later"
            )
        try:
            return self._run(work, fork_lock, deadline)
        finally:
            self._slots.release()

    def _run(self, work: Work, fork_lock: threading.Lock, deadline: float) -> Outcome:
        if not fork_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self._timed_out()
        try:
            read_fd, write_fd = os.pipe()
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                _child(work, read_fd, write_fd, parent)  # never returns
        finally:
            fork_lock.release()
        os.close(write_fd)
        finished = False
        try:
            outcome = self._collect(read_fd, deadline)
            finished = True
            return outcome
        finally:
            os.close(read_fd)
            _reap(pid, kill=not finished)

    def _collect(self, fd: int, deadline: float) -> Outcome:
        pending = bytearray()
        body = bytearray()
        poller = select.poll()  # not select(): a busy server's descriptors pass FD_SETSIZE
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise self._timed_out()
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise QueryFailed("the query's worker process ended without an answer (out of memory?)")
            pending += chunk
            while len(pending) >= _HEADER.size:
                kind, size = _HEADER.unpack_from(pending)
                if len(pending) < _HEADER.size + size:
                    break
                payload = bytes(pending[_HEADER.size : _HEADER.size + size])
                del pending[: _HEADER.size + size]
                if kind == DATA:
                    body += payload
                    if len(body) > self.bounds.max_bytes:
                        raise ResultTooLarge(
                            f"the answer is larger than {self.bounds.max_bytes:,} bytes "
                            f"({self.bounds.size_setting}) and was stopped; add LIMIT or select less"
                        )
                elif kind == END:
                    return Outcome(json.loads(payload), bytes(body))
                else:
                    _raise_child_error(json.loads(payload))

    def _timed_out(self) -> QueryTimedOut:
        return QueryTimedOut(
            f"the query ran past the limit of {self.bounds.timeout_s:g} s ({self.bounds.timeout_setting}) "
            "and was stopped; add LIMIT, narrow the patterns or avoid cartesian products"
        )


def _child(work: Work, read_fd: int, write_fd: int, parent: int) -> None:
    """The forked child: run the work, send its frames, exit without returning."""
    try:
        gc.disable()  # a collection would touch (and so copy) the whole inherited heap
        os.close(read_fd)
        _die_with(parent)
        out = FrameWriter(write_fd)
        try:
            meta = work(out)
            out.flush()
            out.frame(END, json.dumps(meta).encode("utf-8"))
        except SyntaxError as exc:
            out.frame(ERROR, json.dumps({"syntax": True, "message": str(exc)}).encode("utf-8"))
        except Exception as exc:  # sent to the parent, which reports it to the caller
            message = f"{type(exc).__name__}: {exc}"
            out.frame(ERROR, json.dumps({"syntax": False, "message": message}).encode("utf-8"))
    finally:
        os._exit(0)


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when the parent dies (Linux), so none is left behind."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _reap(pid: int, *, kill: bool) -> None:
    if kill:
        with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
            os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _raise_child_error(error: dict[str, Any]) -> None:
    if error.get("syntax"):
        raise SyntaxError(error["message"])
    raise QueryFailed(f"the query failed: {error['message']}")
