"""The local Apache Kafka broker that DigiSpine installs, starts and stops by itself.

Route: Maven resolves the official ``org.apache.kafka:kafka_2.13`` and ``kafka-tools`` artifacts
from Maven Central into a cache directory, and we launch the broker's own ``kafka.Kafka`` main
class with those jars on the class path, in KRaft combined mode (one process is both broker and
controller, no ZooKeeper). As for Neo4j, that needs no tarball, no launcher script and no Java
source of ours. The metadata log is formatted once with Kafka's own ``StorageTool``.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from graph_service import processes
from graph_service.errors import DigiSpineError
from graph_service.local_server import LocalServer
from graph_service.settings import Settings

log = logging.getLogger(__name__)

BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
#: Seconds `start()` waits for the broker to answer; Kafka itself is up in 2–10 s.
START_TIMEOUT = 90.0
#: Kafka's own launcher defaults (kafka-run-class.sh), minus the parts that need its scripts.
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
#: The storage tool is short-lived; it needs no more than this.
TOOL_HEAP = "128m"


class LocalKafkaError(DigiSpineError):
    """The local Kafka broker could not be installed, formatted, started or stopped."""


class KafkaTopicError(DigiSpineError):
    """A topic could not be created, or did not become available, on a Kafka cluster."""


@dataclass(frozen=True)
class LocalStatus:
    """What `digispine kafka status` prints."""

    running: bool
    pid: int | None
    version: str | None
    port: int
    controller_port: int
    home: Path
    answering: bool

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


class LocalKafka(LocalServer):
    """A single-node KRaft broker living under ``<DIGISPINE_DATA_DIR>/kafka`` (config, data,
    logs, run)."""

    title = "Kafka"
    marker = BROKER_MAIN
    error = LocalKafkaError

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.data_dir.resolve() / "kafka"
        self.lib_dir = settings.cache_dir.expanduser().resolve() / f"kafka-{settings.kafka_version}"
        self.port = settings.kafka_port
        self.controller_port = settings.kafka_controller_port

    # -- paths ---------------------------------------------------------------------------------
    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def version_file(self) -> Path:
        """The Kafka version of the running process (settings may have changed since)."""
        return self.home / "run" / "kafka.version"

    @property
    def server_properties(self) -> Path:
        return self.config_dir / "server.properties"

    @property
    def log4j_config(self) -> Path:
        return self.config_dir / "log4j2.properties"

    @property
    def cluster_id_file(self) -> Path:
        return self.config_dir / "cluster.id"

    @property
    def server_log(self) -> Path:
        return self.logs_dir / "server.log"

    def log_files(self) -> tuple[Path, ...]:
        """server.log, then the console log (JVM errors land there)."""
        return (self.server_log, self.console_log)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- install -------------------------------------------------------------------------------
    def installed(self) -> bool:
        return (self.lib_dir / ".complete").exists()

    def install(self, echo: Callable[[str], None] = log.info) -> Path:
        """Resolve the Kafka jars with Maven into the cache, once. Idempotent."""
        if self.installed():
            return self.lib_dir
        _require_tool("mvn", "Maven is needed once to fetch Kafka from Maven Central")
        _require_java()
        version = self.settings.kafka_version
        echo(f"Fetching Kafka {version} from Maven Central into {self.lib_dir} …")
        self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="kafka-lib-", dir=self.lib_dir.parent))
        pom = resources.files("graph_service.kafka.runtime").joinpath("pom.xml")
        with resources.as_file(pom) as pom_path:
            cmd = [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom_path),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                f"-Dkafka.version={version}",
                "-DincludeScope=runtime",
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise LocalKafkaError(
                f"Maven could not fetch org.apache.kafka:kafka_2.13:{version} "
                f"(exit {done.returncode}); check DIGISPINE_KAFKA_VERSION:\n"
                f"{processes.tail_text(done.stdout + done.stderr, 30)}"
            )
        if self.lib_dir.exists():
            shutil.rmtree(self.lib_dir)
        staging.rename(self.lib_dir)
        (self.lib_dir / ".complete").write_text(version)
        echo(f"Kafka {version}: {len(list(self.lib_dir.glob('*.jar')))} jars cached")
        return self.lib_dir

    # -- configuration -------------------------------------------------------------------------
    def write_config(self) -> Path:
        """(Re)write server.properties and the log4j2 configuration from the settings."""
        for sub in ("config", "data", "logs", "run"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        lines = [
            "# Written by `digispine kafka start` from DIGISPINE_* settings; edits are overwritten.",
            "process.roles=broker,controller",
            "node.id=1",
            # A static voter set (not the dynamic `controller.quorum.bootstrap.servers` with
            # `format --standalone`): the controller port then lives only here, not in the
            # formatted metadata, so DIGISPINE_KAFKA_CONTROLLER_PORT can change between starts.
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={self.data_dir}",
            # One node: every internal topic has exactly one replica.
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            # A few coordinator partitions instead of 50 each: a fresh broker creates and loads
            # them when the first group or transactional producer appears, and 50 of them made
            # the demo's first change-log producer wait ("Coordinator load in progress").
            "offsets.topic.num.partitions=4",
            "transaction.state.log.num.partitions=4",
            # Consumers join a group at once instead of after the default 3 s.
            "group.initial.rebalance.delay.ms=0",
            "num.partitions=1",
            "auto.create.topics.enable=true",
            # Two cores shared with Neo4j: fewer threads than the defaults (3 and 8).
            "num.network.threads=2",
            "num.io.threads=4",
        ]
        self.server_properties.write_text("\n".join(lines) + "\n")
        self.log4j_config.write_text(_log4j2_properties(self.server_log))
        return self.server_properties

    def cluster_id(self) -> str:
        """The cluster id of this home: generated on first use and stored next to the config."""
        if self.cluster_id_file.exists():
            return self.cluster_id_file.read_text().strip()
        cluster_id = _new_cluster_id()
        self.cluster_id_file.parent.mkdir(parents=True, exist_ok=True)
        self.cluster_id_file.write_text(cluster_id + "\n")
        return cluster_id

    def formatted(self) -> bool:
        return (self.data_dir / "meta.properties").exists()

    def format_storage(self) -> bool:
        """Format the KRaft metadata log, once; False when it was formatted already."""
        if self.formatted():
            return False
        done = subprocess.run(
            self._java(
                STORAGE_TOOL,
                "format",
                "--ignore-formatted",
                "-t",
                self.cluster_id(),
                "-c",
                str(self.server_properties),
                heap=TOOL_HEAP,
            ),
            capture_output=True,
            text=True,
            check=False,
            cwd=self.home,
        )
        if done.returncode != 0:
            raise LocalKafkaError(
                f"could not format the Kafka storage under {self.data_dir} "
                f"(kafka-storage format, exit {done.returncode}). Remove {self.home} to start "
                f"afresh, or use another DIGISPINE_DATA_DIR:\n"
                f"{processes.tail_text(done.stdout + done.stderr, 20)}"
            )
        return True

    def _java(self, main: str, *args: str, heap: str) -> list[str]:
        if not self.installed():
            raise LocalKafkaError(
                f"Kafka {self.settings.kafka_version} is not installed under {self.lib_dir}; "
                "run `digispine kafka install` first"
            )
        return [
            _require_java(),
            f"-Xmx{heap}",
            *JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.log4j_config}",
            "-cp",
            f"{self.lib_dir}/*",
            main,
            *args,
        ]

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, echo: Callable[[str], None] = log.info, timeout: float = START_TIMEOUT) -> LocalStatus:
        """Start the broker and return once it answers; idempotent when already running."""
        if self.pid() is not None:
            self.wait_until_answering(timeout)
            return self.status()
        self.install(echo)
        self.write_config()
        self.check_port_free(self.port, "DIGISPINE_KAFKA_PORT")
        self.check_port_free(self.controller_port, "DIGISPINE_KAFKA_CONTROLLER_PORT")
        if self.format_storage():
            echo(f"Formatted the Kafka storage under {self.data_dir}")
        echo(f"Starting Kafka {self.settings.kafka_version} on {self.bootstrap_servers} (home {self.home}) …")
        proc = self.launch(
            self._java(BROKER_MAIN, str(self.server_properties), heap=self.settings.kafka_heap)
        )
        self.version_file.write_text(self.settings.kafka_version)
        try:
            self.wait_until_answering(timeout, proc=proc)
        except LocalKafkaError:
            self._kill(proc.pid)
            raise
        return self.status()

    def wait_until_answering(self, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
        """Poll until the broker answers a metadata request; raise with the log tail if not."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise LocalKafkaError(
                    f"Kafka exited with code {proc.returncode} during start-up.\n"
                    f"Last lines of its logs:\n{self.log_tail(40)}"
                )
            # Asking librdkafka before the port is open only fills stderr with refusals.
            if processes.port_in_use(self.port):
                try:
                    if _broker_count(self.bootstrap_servers, timeout=2.0) > 0:
                        return
                    last = "metadata listed no broker"
                except KafkaException as exc:
                    last = str(exc.args[0]) if exc.args else type(exc).__name__
            time.sleep(0.3)
        raise LocalKafkaError(
            f"Kafka did not answer on {self.bootstrap_servers} within {timeout:.0f} s "
            f"(last error: {last}).\nLast lines of its logs:\n{self.log_tail(40)}"
        )

    def status(self) -> LocalStatus:
        pid = self.pid()
        version = None
        answering = False
        if pid is not None:
            version = _read_or_none(self.version_file)
            try:
                answering = (
                    processes.port_in_use(self.port)
                    and _broker_count(self.bootstrap_servers, timeout=3.0) > 0
                )
            except KafkaException:
                answering = False
        return LocalStatus(
            running=pid is not None,
            pid=pid,
            version=version,
            port=self.port,
            controller_port=self.controller_port,
            home=self.home,
            answering=answering,
        )


def create_topic(
    bootstrap: str,
    name: str,
    partitions: int = 1,
    *,
    replication_factor: int = -1,
    timeout: float = 30.0,
) -> bool:
    """Create a topic unless it exists, then wait until every partition has a leader.

    ``replication_factor=-1`` takes the cluster's default. Returns True when the topic was
    created, False when it was there already.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": log})
    new = NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
    futures = admin.create_topics([new], operation_timeout=timeout, request_timeout=timeout)
    created = True
    try:
        futures[name].result(timeout=timeout)
    except KafkaException as exc:
        error = exc.args[0]
        if not isinstance(error, KafkaError) or error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise KafkaTopicError(f"could not create topic {name!r} on {bootstrap}: {error}") from exc
        created = False
    except FutureTimeout as exc:
        raise KafkaTopicError(
            f"Kafka at {bootstrap} did not confirm topic {name!r} within {timeout:.0f} s; "
            "is the broker running (`digispine kafka status`)?"
        ) from exc
    _wait_for_leaders(admin, bootstrap, name, timeout)
    return created


def _wait_for_leaders(admin: AdminClient, bootstrap: str, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "not listed yet"
    while time.monotonic() < deadline:
        try:
            topic = admin.list_topics(topic=name, timeout=5.0).topics.get(name)
        except KafkaException as exc:
            last = str(exc.args[0]) if exc.args else type(exc).__name__
        else:
            if topic is not None and topic.error is None and topic.partitions:
                if all(p.leader >= 0 for p in topic.partitions.values()):
                    return
                last = "a partition has no leader yet"
            elif topic is not None and topic.error is not None:
                last = str(topic.error)
        time.sleep(0.2)
    raise KafkaTopicError(f"topic {name!r} on {bootstrap} was not ready within {timeout:.0f} s ({last})")


def _broker_count(bootstrap: str, timeout: float) -> int:
    admin = AdminClient(
        {
            "bootstrap.servers": bootstrap,
            "socket.connection.setup.timeout.ms": int(timeout * 1000),
            "logger": log,
        }
    )
    return len(admin.list_topics(timeout=timeout).brokers)


def _new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64, as `kafka-storage random-uuid`."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):  # Kafka avoids these: they read as a CLI option.
            return cluster_id


def _log4j2_properties(server_log: Path) -> str:
    # Kafka warns and logs nowhere without a configuration; one rolling server.log is enough.
    return (
        "\n".join(
            [
                "# Written by `digispine kafka start`; edits are overwritten.",
                "status = warn",
                "name = digispine-kafka",
                "appender.server.type = RollingFile",
                "appender.server.name = server",
                f"appender.server.fileName = {server_log}",
                f"appender.server.filePattern = {server_log}.%i",
                "appender.server.layout.type = PatternLayout",
                "appender.server.layout.pattern = [%d] %p %m (%c)%n",
                "appender.server.policies.type = Policies",
                "appender.server.policies.size.type = SizeBasedTriggeringPolicy",
                "appender.server.policies.size.size = 10MB",
                "appender.server.strategy.type = DefaultRolloverStrategy",
                "appender.server.strategy.max = 5",
                "rootLogger.level = info",
                "rootLogger.appenderRef.server.ref = server",
                # Per-request lines would drown everything else.
                "logger.request.name = kafka.request.logger",
                "logger.request.level = warn",
            ]
        )
        + "\n"
    )


def _read_or_none(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def _require_tool(name: str, why: str) -> str:
    path = processes.which(name)
    if path is None:
        raise LocalKafkaError(
            f"`{name}` is not on PATH. {why}; install it, or set DIGISPINE_KAFKA_BOOTSTRAP."
        )
    return path


def _require_java() -> str:
    return processes.java_executable() or _require_tool("java", "Java 17 runs the local server")
