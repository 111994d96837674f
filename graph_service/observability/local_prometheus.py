"""A local Prometheus server (Debian's ``prometheus`` package) scraping DigiSpine's ``/metrics``.

The test suite starts one to check that what the API exposes is what a real Prometheus reads
(``make install`` installs the package, as it does Chromium); it is also a quick way to look at a
running DigiSpine's metrics. It lives under its ``home`` (configuration, TSDB, logs, pid file),
listens on 127.0.0.1 only and keeps one day of data.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from graph_service import processes
from graph_service.errors import DigiSpineError
from graph_service.local_server import LocalServer

log = logging.getLogger(__name__)

#: The binary Debian's package installs.
BINARY = "prometheus"
INSTALL_HINT = "install Debian's package: `make prometheus` (apt-get install prometheus)"


class LocalPrometheusError(DigiSpineError):
    """The local Prometheus could not be started, or its query API refused a query."""


@dataclass(frozen=True)
class ScrapeTarget:
    """One job: ``host:port`` serving ``path``, with a bearer ``token`` when the target needs a key."""

    job: str
    address: str
    path: str = "/metrics"
    token: str | None = None


class LocalPrometheus(LocalServer):
    """A Prometheus on ``127.0.0.1:port`` scraping ``targets`` every ``interval_s`` seconds."""

    title = "Prometheus"
    error = LocalPrometheusError

    def __init__(self, home: Path, port: int, *, interval_s: float = 1.0) -> None:
        self.home = home.resolve()
        self.port = port
        self.interval_s = interval_s

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.home / "config" / "prometheus.yml"

    @property
    def marker(self) -> str:  # type: ignore[override]
        """This instance's configuration argument: a whole argument of its command line (the
        flag alone is never one, it is written ``--config.file=…``)."""
        return f"--config.file={self.config_file}"

    # -- install -------------------------------------------------------------------------------
    @staticmethod
    def binary() -> str:
        path = processes.which(BINARY)
        if path is None:
            raise LocalPrometheusError(f"`{BINARY}` is not on PATH; {INSTALL_HINT}")
        return path

    # -- configuration -------------------------------------------------------------------------
    def write_config(self, targets: Sequence[ScrapeTarget]) -> Path:
        """(Re)write prometheus.yml: one job per target (tokens in files beside it, mode 600)."""
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        jobs: list[dict[str, Any]] = []
        for target in targets:
            job: dict[str, Any] = {
                "job_name": target.job,
                "metrics_path": target.path,
                "static_configs": [{"targets": [target.address]}],
            }
            if target.token is not None:
                token_file = self.config_file.parent / f"{target.job}.token"
                token_file.touch(mode=0o600)
                token_file.write_text(target.token)
                job["authorization"] = {"type": "Bearer", "credentials_file": str(token_file)}
            jobs.append(job)
        interval = f"{max(1, round(self.interval_s * 1000))}ms"
        config = {"global": {"scrape_interval": interval, "scrape_timeout": interval}, "scrape_configs": jobs}
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        return self.config_file

    # -- lifecycle -----------------------------------------------------------------------------
    def start(
        self, targets: Sequence[ScrapeTarget], echo: Callable[[str], None] = log.info, timeout: float = 60.0
    ) -> None:
        """Start scraping ``targets`` and return once Prometheus is ready; a running one is
        stopped first (its targets may differ)."""
        binary = self.binary()
        self.stop(echo=echo)
        self.write_config(targets)
        self.check_port_free(self.port, "another port for the local Prometheus")
        echo(f"Starting Prometheus on {self.url} (home {self.home}) …")
        proc = self.launch(
            [
                binary,
                f"--config.file={self.config_file}",
                f"--storage.tsdb.path={self.home / 'data'}",
                "--storage.tsdb.retention.time=1d",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ]
        )
        try:
            self._wait_until_ready(proc, timeout)
        except LocalPrometheusError:
            self._kill(proc.pid)
            raise

    def _wait_until_ready(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalPrometheusError(
                    f"Prometheus exited with code {proc.returncode} during start-up.\n{self.log_tail(30)}"
                )
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise LocalPrometheusError(f"Prometheus was not ready within {timeout:.0f} s.\n{self.log_tail(30)}")

    # -- query API -----------------------------------------------------------------------------
    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector of ``promql`` (``/api/v1/query``): ``[{"metric": {…}, "value": [t, "v"]}]``."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10.0)
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            raise LocalPrometheusError(f"Prometheus refused {promql!r}: {body.get('error', response.text)}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def targets_health(self) -> dict[str, str]:
        """Job → health of its target (``up``, ``down``, ``unknown``) as Prometheus last saw it."""
        body = httpx.get(f"{self.url}/api/v1/targets", timeout=10.0).json()
        return {t["labels"]["job"]: t["health"] for t in body["data"]["activeTargets"]}
