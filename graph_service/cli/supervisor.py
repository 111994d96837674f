"""A small process supervisor for the demo's background work (loader, processors, live plant).

Each child runs in its own session (a Ctrl-C in the terminal reaches only the demo, which then
stops the children itself, in order), writes stdout and stderr to its own log file, and is started
again when it exits, after a back-off that doubles with each quick crash (a child that ran for
``stable_after`` seconds starts again from the first delay).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChildSpec:
    """What to run: a name (for messages and the log file), the command, extra environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass
class ChildState:
    """What the supervisor knows of one child."""

    spec: ChildSpec
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: int = 0
    restarts: int = 0
    failures_in_a_row: int = 0
    last_exit: int | None = None
    next_start: float | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts children, restarts them with back-off when they exit, stops them on :meth:`stop`."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        log_dir: Path,
        *,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        stable_after_s: float = 30.0,
        stop_timeout_s: float = 15.0,
        poll_s: float = 0.2,
        on_event: Callable[[str], None] = log.info,
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"child names must be unique: {names}")
        log_dir.mkdir(parents=True, exist_ok=True)
        self.children = {s.name: ChildState(s, log_dir / f"{s.name}.log") for s in specs}
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.stable_after_s = stable_after_s
        self.stop_timeout_s = stop_timeout_s
        self.poll_s = poll_s
        self.on_event = on_event
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start every child and the watching thread."""
        with self._lock:
            for child in self.children.values():
                self._spawn(child)
        self._thread = threading.Thread(target=self._watch, name="demo-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self, child: ChildState) -> None:
        with open(child.log_path, "ab") as out:
            out.write(
                f"\n--- start {child.starts + 1} at {time.strftime('%Y-%m-%dT%H:%M:%S')} ---\n".encode()
            )
            out.flush()
            child.process = subprocess.Popen(
                list(child.spec.argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **child.spec.env},
                cwd=child.spec.cwd,
                start_new_session=True,
            )
        child.started_at = time.monotonic()
        child.starts += 1
        child.next_start = None

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_s):
            with self._lock:
                if self._stopping.is_set():
                    return
                now = time.monotonic()
                for child in self.children.values():
                    self._check(child, now)

    def _check(self, child: ChildState, now: float) -> None:
        if child.next_start is not None:
            if now >= child.next_start:
                child.restarts += 1
                self._spawn(child)
            return
        if child.process is None or child.process.poll() is None:
            return
        child.last_exit = child.process.returncode
        ran = now - child.started_at
        child.failures_in_a_row = 1 if ran >= self.stable_after_s else child.failures_in_a_row + 1
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** (child.failures_in_a_row - 1))
        child.next_start = now + delay
        self.on_event(
            f"{child.spec.name} exited with code {child.last_exit} after {ran:.0f} s; "
            f"restarting in {delay:.1f} s (log: {child.log_path})"
        )

    def stop(self) -> None:
        """SIGTERM every child (they stop gracefully), SIGKILL what is left after the timeout."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            running = [c for c in self.children.values() if c.running]
            for child in running:
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout_s
            for child in running:
                assert child.process is not None
                try:
                    child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.on_event(
                        f"{child.spec.name} did not stop within {self.stop_timeout_s:.0f} s; killed"
                    )
                    _signal_group(child, signal.SIGKILL)
                    child.process.wait(timeout=10)
                child.last_exit = child.process.returncode


def _signal_group(child: ChildState, sig: signal.Signals) -> None:
    """Signal the child's whole session (it may have children of its own)."""
    assert child.process is not None
    with contextlib.suppress(ProcessLookupError):  # it exited meanwhile: nothing left to stop
        os.killpg(child.process.pid, sig)
