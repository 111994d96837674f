"""``digispine serve --workers N``: N API processes sharing one listening socket.

One Python process runs GraphQL on one core (the GIL), so a machine with more cores serves more
requests with more processes. The parent binds the socket, then forks the workers before it has
opened anything else (no driver, no threads), so each worker inherits the settings exactly as the
command resolved them and builds its own store, schema, RDF view and product validation, as a
second server against the same Neo4j would (see docs/graphql.md, "Several processes"). The
kernel hands each new connection to one of the workers. The parent only supervises: a worker
that dies is started again; SIGTERM or SIGINT stops them all and waits for them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: A worker that dies within this many seconds of its start is not restarted (it would only die
#: again: a setting or Neo4j refused at start-up); the server stops instead.
_MIN_UPTIME_S = 5.0


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def supervise(
    workers: int,
    sock: socket.socket,
    run_worker: Callable[[socket.socket], None],
    on_exit: Callable[[int], None] | None = None,
) -> int:
    """Fork ``workers`` processes running ``run_worker(sock)``; return the exit code once all
    have stopped (0 after SIGTERM/SIGINT, 1 when a worker failed at start-up). ``on_exit(pid)``
    runs for each worker that has exited (its live metrics are forgotten there)."""
    stopping = False
    children: dict[int, float] = {}

    def stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            _signal(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        children[_fork(sock, run_worker)] = time.monotonic()
    code = 0
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
        started = children.pop(pid, None)
        if started is not None and on_exit is not None:
            on_exit(pid)
        if started is None or stopping:
            continue
        exit_code = os.waitstatus_to_exitcode(status)
        if time.monotonic() - started < _MIN_UPTIME_S:
            log.error("API worker %d stopped at start-up (exit %d); stopping the server", pid, exit_code)
            code = 1
            stop(signal.SIGTERM, None)
            continue
        log.warning("API worker %d exited (%d); starting another", pid, exit_code)
        children[_fork(sock, run_worker)] = time.monotonic()
    return code


def _fork(sock: socket.socket, run_worker: Callable[[socket.socket], None]) -> int:
    pid = os.fork()
    if pid:
        return pid
    # the worker: uvicorn installs its own SIGTERM/SIGINT handlers for a graceful shutdown
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 1
    try:
        run_worker(sock)
        code = 0
    except BaseException:
        log.exception("API worker %d failed", os.getpid())
    finally:
        os._exit(code)  # never return into the parent's code


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has exited meanwhile
        os.kill(pid, sig)
