"""Metrics of ``digispine serve --workers N``: prometheus-client's multiprocess mode.

Each worker is its own process with its own counters; the kernel hands a scrape to any one of
them, which alone would report a fraction of the traffic. In multiprocess mode every worker's
instruments live in memory-mapped files in one directory, and the worker that answers a scrape
reads all of them: counters and histograms summed over the workers (a restarted worker's figures
kept), active subscriptions summed over the live ones. The scrape-time collectors (pools,
products, streams) stay those of the worker that answered.

The directory is ``$DIGISPINE_DATA_DIR/metrics/serve-<port>``: one per server (two servers never
share a port), emptied when the server starts, so a previous run's figures never add up with
this one's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess, values

#: prometheus-client's own switch for multiprocess mode (read by the library, not by us).
LIBRARY_ENV = "PROMETHEUS_MULTIPROC_DIR"


def run_directory(data_dir: Path, port: int) -> Path:
    """The server's metrics directory, emptied (called once, by the parent, before any worker)."""
    directory = data_dir / "metrics" / f"serve-{port}"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


def use_directory(directory: Path) -> None:
    """Make this process's instruments write to ``directory`` (in a worker, before its app is
    built). prometheus-client decides by an environment variable and picked its value class
    when it was imported, before the fork, so both are set here."""
    os.environ[LIBRARY_ENV] = str(directory)  # the library reads it; no setting of ours
    values.ValueClass = values.MultiProcessValue()  # files named by this worker's pid


def worker_exited(directory: Path, pid: int) -> None:
    """Forget a dead worker's live gauges (its counters stay: totals survive a restart)."""
    multiprocess.mark_process_dead(pid, str(directory))
