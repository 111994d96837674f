"""The local Neo4j Community server that DigiSpine installs, starts and stops by itself.

Route: Maven resolves the official ``org.neo4j:neo4j`` artifact (the whole community server)
from Maven Central into a cache directory, and we launch the server's own
``org.neo4j.server.CommunityEntryPoint`` with those jars on the class path. That needs no Java
source of ours, no tarball and no launcher script: the smallest route that runs the real server.
The initial password is set with the server's own ``AdminTool`` before the first start.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

from graph_service import processes
from graph_service.errors import LocalNeo4jError, LocalNeo4jStillRecovering
from graph_service.local_server import LocalServer
from graph_service.settings import Settings
from graph_service.store import recovery
from graph_service.store.neo4j_store import refused_login

log = logging.getLogger(__name__)

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)


@dataclass(frozen=True)
class LocalStatus:
    """What `digispine neo4j status` prints."""

    running: bool
    pid: int | None
    version: str | None
    port: int
    home: Path
    answering: bool


class LocalNeo4j(LocalServer):
    """A Neo4j server living under ``<DIGISPINE_DATA_DIR>/neo4j`` (conf, data, logs, run)."""

    title = "Neo4j"
    marker = ENTRY_POINT
    error = LocalNeo4jError

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.data_dir.resolve() / "neo4j"
        self.lib_dir = settings.cache_dir.expanduser().resolve() / f"neo4j-{settings.neo4j_version}"
        self.port = settings.neo4j_bolt_port

    # -- paths ---------------------------------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def neo4j_log(self) -> Path:
        return self.logs_dir / "neo4j.log"

    @property
    def debug_log(self) -> Path:
        return self.logs_dir / "debug.log"

    def log_files(self) -> tuple[Path, ...]:
        """neo4j.log, then the console log (where the JVM writes before neo4j.log exists)."""
        return (self.neo4j_log, self.console_log)

    # -- install -------------------------------------------------------------------------------
    def installed(self) -> bool:
        return (self.lib_dir / ".complete").exists()

    def install(self, echo: Callable[[str], None] = log.info) -> Path:
        """Resolve the Neo4j jars with Maven into the cache, once. Idempotent."""
        if self.installed():
            return self.lib_dir
        _require_tool("mvn", "Maven is needed once to fetch Neo4j from Maven Central")
        _require_java()
        echo(f"Fetching Neo4j {self.settings.neo4j_version} from Maven Central into {self.lib_dir} …")
        self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="neo4j-lib-", dir=self.lib_dir.parent))
        pom = resources.files("graph_service.store.runtime").joinpath("pom.xml")
        with resources.as_file(pom) as pom_path:
            cmd = [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom_path),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                f"-Dneo4j.version={self.settings.neo4j_version}",
                "-DincludeScope=runtime",
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise LocalNeo4jError(
                f"Maven could not fetch org.neo4j:neo4j:{self.settings.neo4j_version} "
                f"(exit {done.returncode}):\n{processes.tail_text(done.stdout + done.stderr, 30)}"
            )
        if self.lib_dir.exists():
            shutil.rmtree(self.lib_dir)
        staging.rename(self.lib_dir)
        (self.lib_dir / ".complete").write_text(self.settings.neo4j_version)
        echo(f"Neo4j {self.settings.neo4j_version}: {len(list(self.lib_dir.glob('*.jar')))} jars cached")
        return self.lib_dir

    # -- configuration -------------------------------------------------------------------------
    def write_config(self) -> Path:
        """(Re)write neo4j.conf from the settings; data and logs stay under the home."""
        for sub in ("conf", "data", "logs", "run", "import", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        conf = self.conf_dir / "neo4j.conf"
        lines = [
            "# Written by `digispine neo4j start` from DIGISPINE_* settings; edits are overwritten.",
            f"server.bolt.listen_address=127.0.0.1:{self.port}",
            f"server.bolt.advertised_address=127.0.0.1:{self.port}",
            "server.default_listen_address=127.0.0.1",
            "server.http.enabled=false",
            "server.https.enabled=false",
            f"server.directories.data={self.home / 'data'}",
            f"server.directories.logs={self.logs_dir}",
            f"server.directories.run={self.home / 'run'}",
            f"server.directories.import={self.home / 'import'}",
            f"server.directories.plugins={self.home / 'plugins'}",
            f"server.memory.heap.initial_size={self.settings.neo4j_heap}",
            f"server.memory.heap.max_size={self.settings.neo4j_heap}",
            f"server.memory.pagecache.size={self.settings.neo4j_pagecache}",
            # Transaction state off-heap keeps large UNWIND batches from pressuring the heap.
            "db.tx_state.memory_allocation=OFF_HEAP",
            "dbms.usage_report.enabled=false",
            # Bolt's Netty event loops are shut down after the databases have stopped and
            # checkpointed: their default 5 s quiet period (per loop group, two of them) only
            # waited, adding 10 s to every stop.
            "internal.dbms.bolt.netty_server_shutdown_quiet_period=0",
            # Defence in depth behind the read-only Cypher guard: LOAD CSV reads no file and
            # reaches no address (server-side request forgery), whoever sends it.
            "dbms.security.allow_csv_import_from_file_urls=false",
            "internal.dbms.cypher_ip_blocklist=0.0.0.0/0,::/0",
        ]
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def _java(self, main: str, *args: str, heap: str | None = None) -> list[str]:
        java = _require_java()
        cmd = [java]
        if heap:
            cmd += [f"-Xms{heap}", f"-Xmx{heap}"]
        # plugins/* on the class path too, as Neo4j's own launcher puts it: a plugin's kernel
        # extensions (APOC's thread pools) are found only there, not by the procedure loader.
        classpath = f"{self.lib_dir}/*:{self.home / 'plugins'}/*"
        cmd += [*JVM_OPTIONS, "-cp", classpath, main, *args]
        return cmd

    def _env(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}

    def _ensure_password(self) -> None:
        if (self.home / "data" / "dbms" / "auth.ini").exists():
            return
        password = self.settings.neo4j_password.get_secret_value()
        done = subprocess.run(
            self._java(ADMIN_TOOL, "dbms", "set-initial-password", password),
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise LocalNeo4jError(
                "could not set the initial Neo4j password (neo4j-admin dbms set-initial-password, "
                f"exit {done.returncode}):\n{processes.tail_text(done.stdout + done.stderr, 20)}"
            )

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, echo: Callable[[str], None] = log.info) -> LocalStatus:
        """Start the server and return once Bolt answers; idempotent when already running.

        A server that recovers its databases after an unclean shutdown is waited for past the
        start timeout while its log moves, and never killed (see :mod:`.recovery`)."""
        if self.pid() is not None:
            self.wait_for_bolt(self.settings.neo4j_start_timeout, echo=echo, log_from=self._launch_offset())
            return self.status()
        self.install(echo)
        self.write_config()
        self._ensure_password()
        self.check_port_free(self.port, "DIGISPINE_NEO4J_BOLT_PORT")
        echo(
            f"Starting Neo4j {self.settings.neo4j_version} on bolt://127.0.0.1:{self.port} "
            f"(home {self.home}) …"
        )
        unclean = recovery.unclean_shutdown(_lines(self.neo4j_log))
        if unclean:
            echo(
                "Neo4j was not shut down cleanly last time: it recovers its databases before it "
                "answers, which can take a while"
            )
        log_from = _size(self.debug_log)
        proc = self.launch(
            self._java(
                ENTRY_POINT,
                f"--home-dir={self.home}",
                f"--config-dir={self.conf_dir}",
                heap=self.settings.neo4j_heap,
            ),
            env=self._env(),
        )
        try:
            self.wait_for_bolt(
                self.settings.neo4j_start_timeout, proc=proc, echo=echo, log_from=log_from, recovering=unclean
            )
        except LocalNeo4jStillRecovering:
            raise  # never kill a recovering server: it would only start the recovery over
        except LocalNeo4jError:
            self._kill(proc.pid)
            raise
        return self.status()

    def wait_for_bolt(
        self,
        timeout: float,
        proc: subprocess.Popen[bytes] | None = None,
        *,
        echo: Callable[[str], None] = log.info,
        log_from: int = 0,
        recovering: bool = False,
    ) -> str:
        """Poll Bolt until the server answers a query; return its version. Past ``timeout``, a
        server whose debug.log (from byte ``log_from``) shows a recovery, or that is
        ``recovering`` after an unclean shutdown, is waited for while the log moves; after
        DIGISPINE_NEO4J_RECOVERY_STALL_S without progress it is left running."""
        started = time.monotonic()
        deadline = started + timeout
        follower = _LogFollower(self.debug_log, log_from, started)
        shown: str | None = None
        last = "no answer yet"
        while True:
            if proc is not None and proc.poll() is not None:
                raise LocalNeo4jError(
                    f"Neo4j exited with code {proc.returncode} during start-up.\n"
                    f"Last lines of its logs:\n{self.log_tail(40)}"
                )
            try:
                return self._query_version()
            except Neo4jError as exc:
                if refused_login(exc):
                    raise LocalNeo4jError(
                        f"Neo4j at bolt://127.0.0.1:{self.port} refused NEO4J_PASSWORD: the data dir "
                        f"{self.home} was initialised with another password. Use that one, or a new "
                        "DIGISPINE_DATA_DIR."
                    ) from exc
                last = _first_line(exc)
            except (ServiceUnavailable, OSError) as exc:
                last = _first_line(exc)
            now = time.monotonic()
            state = follower.poll(now)
            verdict = recovery.decide(
                now=now,
                deadline=deadline,
                last_progress=follower.last_progress,
                stall_s=self.settings.neo4j_recovery_stall_s,
                recovering=recovering or state.started,
            )
            if verdict is recovery.Verdict.GIVE_UP:
                raise LocalNeo4jError(
                    f"Neo4j did not answer on bolt://127.0.0.1:{self.port} within {timeout:.0f} s "
                    f"(last error: {last}).\nLast lines of its logs:\n{self.log_tail(40)}"
                )
            if verdict is recovery.Verdict.STALLED:
                raise self._still_recovering(state)
            if verdict is recovery.Verdict.RECOVERING and state.describe() != shown:
                shown = state.describe()
                echo(
                    f"Neo4j is recovering its database after an unclean shutdown ({shown}) — waiting; "
                    "it is not stopped while its log shows progress"
                )
            time.sleep(0.5)

    def _still_recovering(self, state: recovery.RecoveryState) -> LocalNeo4jStillRecovering:
        stall = self.settings.neo4j_recovery_stall_s
        return LocalNeo4jStillRecovering(
            f"Neo4j (pid {self.pid()}) is still recovering its database after an unclean shutdown "
            f"({state.describe()}) and its log has not moved for {stall:.0f} s. It is left running: "
            "stopping it now would only start the recovery over. Follow it with `digispine neo4j "
            "logs`, then run `digispine neo4j start` again (it waits for the running server), or "
            "raise DIGISPINE_NEO4J_RECOVERY_STALL_S."
        )

    def _launch_offset(self) -> int:
        """Where the running server's launch begins in debug.log (0 when not found)."""
        try:
            data = self.debug_log.read_bytes()
        except FileNotFoundError:
            return 0
        return max(data.rfind(recovery.LAUNCH_MARKER.encode()), 0)

    def _query_version(self) -> str:
        auth = (self.settings.neo4j_user, self.settings.neo4j_password.get_secret_value())
        with (
            GraphDatabase.driver(
                f"bolt://127.0.0.1:{self.port}", auth=auth, connection_timeout=2.0
            ) as driver,
            driver.session(database="system") as session,
        ):
            record = session.run("CALL dbms.components() YIELD versions RETURN versions[0] AS v").single(
                strict=True
            )
            return str(record["v"])

    def stop(self, timeout: float = 90.0, echo: Callable[[str], None] = log.info) -> bool:
        """Stop gracefully (SIGTERM, then SIGKILL after ``timeout``: Neo4j checkpoints on the way
        out, so it gets longer than the default). False if it was not running."""
        return super().stop(timeout, echo)

    def status(self) -> LocalStatus:
        pid = self.pid()
        version = None
        if pid is not None:
            try:
                version = self._query_version()
            except (ServiceUnavailable, OSError, Neo4jError, AuthError):
                version = None
        return LocalStatus(
            running=pid is not None,
            pid=pid,
            version=version,
            port=self.port,
            home=self.home,
            answering=version is not None,
        )


class _LogFollower:
    """Reads a growing log from an offset, line by line, and remembers when it last grew."""

    def __init__(self, path: Path, offset: int, now: float) -> None:
        self.path = path
        self.offset = offset
        self.last_progress = now
        self.state = recovery.RecoveryState()
        self._partial = b""

    def poll(self, now: float) -> recovery.RecoveryState:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return self.state
        if not data:
            return self.state
        self.offset += len(data)
        self.last_progress = now
        *lines, self._partial = (self._partial + data).split(b"\n")
        self.state = recovery.recovery_state((line.decode("utf-8", "replace") for line in lines), self.state)
        return self.state


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _require_tool(name: str, why: str) -> str:
    path = processes.which(name)
    if path is None:
        raise LocalNeo4jError(f"`{name}` is not on PATH. {why}; install it, or set NEO4J_URI.")
    return path


def _require_java() -> str:
    return processes.java_executable() or _require_tool("java", "Java 17 runs the local server")
