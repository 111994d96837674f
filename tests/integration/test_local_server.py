"""The lifecycle every local server shares (LocalServer): pid files, graceful and forced stops,
log tails, taken ports; on a tiny server of our own (a Python process)."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from graph_service import processes
from graph_service.errors import DigiSpineError
from graph_service.local_server import LocalServer

MARKER = "digispine-test-sleeper"


class SleeperError(DigiSpineError):
    pass


class Sleeper(LocalServer):
    """Prints a line, then sleeps; ``stubborn`` ignores SIGTERM."""

    title = "Sleeper"
    marker = MARKER
    error = SleeperError

    def __init__(self, home: Path) -> None:
        self.home = home

    def start(self, *, stubborn: bool = False) -> int:
        ignore = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " if stubborn else ""
        code = f"{ignore}print('sleeper up', flush=True); import time; time.sleep(120)"
        proc = self.launch([sys.executable, "-c", code, MARKER])
        deadline = time.monotonic() + 30
        while "sleeper up" not in self.log_tail():
            assert proc.poll() is None and time.monotonic() < deadline, self.log_tail()
            time.sleep(0.05)
        return proc.pid


def test_a_launched_server_is_found_by_its_pid_file_and_stopped_gracefully(tmp_path: Path) -> None:
    server = Sleeper(tmp_path)
    assert server.pid() is None and not server.stop()
    pid = server.start()
    assert server.pid() == pid
    assert "==> " in server.log_tail() and "sleeper up" in server.log_tail()
    assert server.stop(timeout=10)
    assert not processes.alive(pid) and not server.pid_file.exists()


def test_a_server_deaf_to_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    server = Sleeper(tmp_path)
    pid = server.start(stubborn=True)
    said: list[str] = []
    assert server.stop(timeout=0.5, echo=said.append)
    assert not processes.alive(pid)
    assert any("did not stop" in line for line in said)


def test_a_pid_file_naming_another_process_is_stale(tmp_path: Path) -> None:
    server = Sleeper(tmp_path)
    server.pid_file.parent.mkdir(parents=True)
    server.pid_file.write_text("1")  # alive, but not ours: its command line lacks the marker
    assert server.pid() is None and not server.pid_file.exists()


def test_a_taken_port_is_refused_with_the_setting_to_change(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(SleeperError, match="SLEEPER_PORT"):
            Sleeper(tmp_path).check_port_free(sock.getsockname()[1], "SLEEPER_PORT")
    assert Sleeper(tmp_path).log_tail().startswith("(no log yet")
