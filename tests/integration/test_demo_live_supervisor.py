"""The demo's supervisor with tiny real child processes: it restarts a crashing child with back-off,
keeps each child's output in its log, and stops every child on stop (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from graph_service import processes
from graph_service.cli.supervisor import ChildSpec, Supervisor

CRASHES = "import sys, time; print('child up', flush=True); time.sleep(0.2); sys.exit(3)"
GRACEFUL = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: (print('child bye', flush=True), sys.exit(0)))\n"
    "print('child up', flush=True)\n"
    "while True: time.sleep(0.05)\n"
)
STUBBORN = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('child up', flush=True)\n"
    "while True: time.sleep(0.05)\n"
)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def child(name: str, code: str) -> ChildSpec:
    return ChildSpec(name, [sys.executable, "-c", code], {"DEMO_TEST": name})


def test_a_crashing_child_is_restarted_with_growing_back_off(tmp_path: Path) -> None:
    events: list[str] = []
    supervisor = Supervisor([child("crashy", CRASHES)], tmp_path, backoff_s=0.1, on_event=events.append)
    supervisor.start()
    try:
        state = supervisor.children["crashy"]
        log = tmp_path / "crashy.log"
        wait_for(lambda: state.restarts >= 2 and log.read_text().count("child up") >= 3)
    finally:
        supervisor.stop()
    assert "crashy exited with code 3" in events[0] and "restarting in 0.1 s" in events[0]
    assert "crashy exited with code 3" in events[1] and "restarting in 0.2 s" in events[1]
    assert log.read_text().count("--- start") == state.starts


def test_stop_ends_a_graceful_child_by_sigterm_and_kills_a_stubborn_one(tmp_path: Path) -> None:
    supervisor = Supervisor(
        [child("graceful", GRACEFUL), child("stubborn", STUBBORN)], tmp_path, stop_timeout_s=1.0
    )
    supervisor.start()
    graceful, stubborn = supervisor.children["graceful"], supervisor.children["stubborn"]
    wait_for(lambda: "child up" in (tmp_path / "graceful.log").read_text())
    wait_for(lambda: "child up" in (tmp_path / "stubborn.log").read_text())
    pids = [graceful.pid, stubborn.pid]

    supervisor.stop()

    assert graceful.last_exit == 0 and "child bye" in (tmp_path / "graceful.log").read_text()
    assert stubborn.last_exit == -9
    assert not any(processes.alive(pid) for pid in pids if pid is not None)
    assert graceful.restarts == 0 and stubborn.restarts == 0
