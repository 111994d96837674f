"""What every local server DigiSpine runs by itself (Neo4j, Kafka, Prometheus) does the same way:
a home directory, a pid file checked against the process's command line, a console log, a
start that refuses a taken port, a graceful stop that kills only after a timeout, and the tail of
its logs in every error.

A subclass names the server (:attr:`LocalServer.title`), the argument that identifies its process
(:attr:`LocalServer.marker`), its error class, its pid file and logs; it installs, configures and
waits for the server its own way.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from graph_service import processes
from graph_service.errors import DigiSpineError

log = logging.getLogger(__name__)


class LocalServer:
    """The shared lifecycle of a local server living under :attr:`home`."""

    #: How the server is named in messages ("Neo4j", "Kafka", "Prometheus").
    title: ClassVar[str]
    #: One argument of the server's command line: a pid whose process lacks it is not ours.
    marker: ClassVar[str]
    #: Raised when the server cannot be installed, started or stopped.
    error: ClassVar[type[DigiSpineError]]

    home: Path

    # -- paths ---------------------------------------------------------------------------------
    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def console_log(self) -> Path:
        """The process's own stdout and stderr (a JVM's early errors land there)."""
        return self.logs_dir / "console.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / f"{self.title.lower()}.pid"

    def log_files(self) -> Sequence[Path]:
        """The logs :meth:`log_tail` shows, the server's own first."""
        return (self.console_log,)

    # -- lifecycle -----------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The server's pid when it runs, else None (stale pid files are removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if processes.alive(pid) and processes.cmdline_has(pid, self.marker):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def check_port_free(self, port: int, variable: str) -> None:
        if processes.port_in_use(port):
            raise self.error(
                f"port 127.0.0.1:{port} is already in use by another process; stop it or set {variable}"
            )

    def launch(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a session of its own, output to the console log, pid in the pid file."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.console_log, "ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                list(argv),
                env=dict(env) if env is not None else None,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.home,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc

    def stop(self, timeout: float = 60.0, echo: Callable[[str], None] = log.info) -> bool:
        """Stop gracefully (SIGTERM, then SIGKILL after ``timeout``). False if it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        echo(f"Stopping {self.title} (pid {pid}) …")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not processes.alive(pid):
                break
            time.sleep(0.2)
        else:
            echo(f"{self.title} did not stop within {timeout:.0f} s; killing it")
            self._kill(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _kill(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        for _ in range(50):
            if not processes.alive(pid):
                break
            time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of each log that has any."""
        parts = []
        for path in self.log_files():
            if path.exists() and path.stat().st_size:
                parts.append(f"==> {path} <==\n{processes.tail_file(path, lines)}")
        return "\n".join(parts) or f"(no log yet under {self.logs_dir})"
