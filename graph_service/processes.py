"""Small process helpers shared by the local servers DigiSpine runs (Neo4j, Kafka)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path


def which(name: str) -> str | None:
    """Path of an executable on PATH, or None."""
    return shutil.which(name)


def java_executable() -> str | None:
    """``$JAVA_HOME/bin/java`` when set, else ``java`` on PATH, else None."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    return shutil.which("java")


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (our own exited child) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def cmdline_has(pid: int, marker: str) -> bool:
    """True when the process's command line holds ``marker`` as one argument (trusting non-Linux)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return f"\0{marker}\0".encode() in cmdline or cmdline.endswith(f"\0{marker}".encode())


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def tail_file(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a (possibly large) text file."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64 * 1024))
        data = fh.read().decode("utf-8", errors="replace")
    return tail_text(data, lines)


def tail_text(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
