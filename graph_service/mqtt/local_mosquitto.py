"""The local MQTT broker: Debian's ``mosquitto`` (``make install`` installs the package), run by
DigiSpine under ``<DIGISPINE_DATA_DIR>/mqtt`` (configuration, persistence, logs, pid file).

It listens on 127.0.0.1 only, keeps persistent sessions and their queued QoS 1 messages (up to
``DIGISPINE_MQTT_MAX_QUEUED`` per session) across its own restarts in ``data/mosquitto.db``, and
writes its log to ``logs/mosquitto.log``. The Unified Namespace bridge
(:mod:`graph_service.mqtt.bridge`) is its persistent-session client.
"""

from __future__ import annotations

import logging
import os
import pwd
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph_service import processes
from graph_service.errors import DigiSpineError
from graph_service.local_server import LocalServer

log = logging.getLogger(__name__)

BINARY = "mosquitto"
#: Debian installs the broker outside a normal user's PATH.
SBIN = Path("/usr/sbin/mosquitto")
PASSWD_TOOL = "mosquitto_passwd"
INSTALL_HINT = "install Debian's package: `make mosquitto` (apt-get install mosquitto)"
START_TIMEOUT = 30.0


class LocalMosquittoError(DigiSpineError):
    """The local mosquitto could not be found, started or stopped."""


@dataclass(frozen=True)
class MqttStatus:
    """What `digispine mqtt status` prints."""

    running: bool
    pid: int | None
    port: int
    home: Path
    answering: bool
    version: str | None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(frozen=True)
class TlsListener:
    """A second, TLS listener on the loopback: the broker's certificate chain and key (PEM)."""

    port: int
    cert_file: Path
    key_file: Path
    #: PEM CA file: with it, a client must present a certificate it signed.
    client_ca_file: Path | None = None


class LocalMosquitto(LocalServer):
    """A mosquitto on ``127.0.0.1:port`` living under ``home``.

    ``users`` (name → password): clients must log in as one of them, anonymous ones are refused.
    ``tls``: a TLS listener besides the plain one (which stays, for the readiness probe and local
    tools; both on the loopback only)."""

    title = "Mosquitto"
    error = LocalMosquittoError

    def __init__(
        self,
        home: Path,
        port: int,
        *,
        max_queued: int = 100_000,
        users: Mapping[str, str] | None = None,
        tls: TlsListener | None = None,
    ) -> None:
        self.home = home.resolve()
        self.port = port
        self.max_queued = max_queued
        self.users = dict(users or {})
        self.tls = tls

    @classmethod
    def from_settings(cls, settings: object) -> LocalMosquitto:
        """The broker of ``settings`` (a :class:`~graph_service.settings.Settings`): with
        DIGISPINE_MQTT_USERNAME set it requires that user and password, as a plant's broker would."""
        from graph_service.settings import Settings

        assert isinstance(settings, Settings)
        users = {}
        if settings.mqtt_username:
            password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else ""
            users[settings.mqtt_username] = password
        return cls(
            settings.data_dir / "mqtt", settings.mqtt_port, max_queued=settings.mqtt_max_queued, users=users
        )

    @property
    def password_file(self) -> Path:
        return self.home / "config" / "passwords"

    @property
    def config_file(self) -> Path:
        return self.home / "config" / "mosquitto.conf"

    @property
    def broker_log(self) -> Path:
        return self.logs_dir / "mosquitto.log"

    @property
    def marker(self) -> str:  # type: ignore[override]
        """This instance's configuration file: a whole argument of its command line."""
        return str(self.config_file)

    def log_files(self) -> Sequence[Path]:
        return (self.broker_log, self.console_log)

    # -- install -------------------------------------------------------------------------------
    @staticmethod
    def binary() -> str:
        path = processes.which(BINARY) or (str(SBIN) if SBIN.exists() else None)
        if path is None:
            raise LocalMosquittoError(f"`{BINARY}` is not installed; {INSTALL_HINT}")
        return path

    @classmethod
    def version(cls) -> str | None:
        try:
            done = subprocess.run([cls.binary(), "-h"], capture_output=True, text=True, check=False)
        except (OSError, LocalMosquittoError):
            return None
        first = (done.stdout or done.stderr).splitlines()[:1]
        return first[0].removeprefix("mosquitto version ").strip() if first else None

    # -- configuration -------------------------------------------------------------------------
    def write_config(self) -> Path:
        """(Re)write mosquitto.conf; edits are overwritten at the next start."""
        for sub in ("config", "data", "logs", "run"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        lines = [
            "# Written by `digispine mqtt start` from DIGISPINE_MQTT_* settings; edits are overwritten.",
            f"listener {self.port} 127.0.0.1",
        ]
        if self.tls is not None:
            lines += [
                f"listener {self.tls.port} 127.0.0.1",
                f"certfile {self.tls.cert_file.resolve()}",
                f"keyfile {self.tls.key_file.resolve()}",
            ]
            if self.tls.client_ca_file is not None:
                lines += [f"cafile {self.tls.client_ca_file.resolve()}", "require_certificate true"]
        if self.users:
            self._write_passwords()
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            # Local development broker on the loopback only; docs/security.md says what a plant adds.
            lines.append("allow_anonymous true")
        lines += [
            # Started as root, mosquitto would switch to the `mosquitto` user, who cannot write here.
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            "persistence true",
            f"persistence_location {self.home / 'data'}/",
            # Sessions and queued messages also reach the disk between restarts, not only at shutdown.
            "autosave_interval 30",
            f"max_queued_messages {self.max_queued}",
            # The bridge acknowledges each message once Kafka has it: room for that many in flight.
            "max_inflight_messages 1000",
            f"log_dest file {self.broker_log}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        ]
        self.config_file.write_text("\n".join(lines) + "\n")
        return self.config_file

    def _write_passwords(self) -> None:
        """The users' password file, hashed by ``mosquitto_passwd -U`` (no password on a command
        line; the file is the owner's only)."""
        path = self.password_file
        path.unlink(missing_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
            fh.writelines(f"{name}:{password}\n" for name, password in self.users.items())
        tool = processes.which(PASSWD_TOOL) or PASSWD_TOOL
        try:
            done = subprocess.run([tool, "-U", str(path)], capture_output=True, text=True, check=False)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise LocalMosquittoError(f"`{PASSWD_TOOL}` could not be run ({exc}); {INSTALL_HINT}") from None
        if done.returncode != 0:
            path.unlink(missing_ok=True)
            raise LocalMosquittoError(
                f"`{PASSWD_TOOL} -U` failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}"
            )

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, echo: Callable[[str], None] = log.info, timeout: float = START_TIMEOUT) -> MqttStatus:
        """Start the broker and return once it accepts connections; idempotent when running."""
        if self.pid() is not None:
            self._wait_until_answering(None, timeout)
            return self.status()
        binary = self.binary()
        self.write_config()
        self.check_port_free(self.port, "DIGISPINE_MQTT_PORT")
        echo(f"Starting mosquitto on 127.0.0.1:{self.port} (home {self.home}) …")
        proc = self.launch([binary, "-c", str(self.config_file)])
        try:
            self._wait_until_answering(proc, timeout)
        except LocalMosquittoError:
            self._kill(proc.pid)
            raise
        return self.status()

    def _wait_until_answering(self, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise LocalMosquittoError(
                    f"mosquitto exited with code {proc.returncode} during start-up.\n{self.log_tail(30)}"
                )
            if answers(self.port):
                return
            time.sleep(0.1)
        raise LocalMosquittoError(f"mosquitto did not answer within {timeout:.0f} s.\n{self.log_tail(30)}")

    def status(self) -> MqttStatus:
        pid = self.pid()
        return MqttStatus(
            running=pid is not None,
            pid=pid,
            port=self.port,
            home=self.home,
            answering=pid is not None and answers(self.port),
            version=self.version() if pid is not None else None,
        )


def answers(port: int, host: str = "127.0.0.1") -> bool:
    """True when an MQTT broker on ``host:port`` answers a CONNECT (with a CONNACK that accepts it or
    asks for a login)."""
    # An MQTT 3.1.1 CONNECT with a clean session and the client id "digispine-probe".
    client_id = b"digispine-probe"
    variable = b"\x00\x04MQTT\x04\x02\x00\x05"
    body = variable + len(client_id).to_bytes(2, "big") + client_id
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.sendall(b"\x10" + bytes([len(body)]) + body)
            reply = sock.recv(4)
            sock.sendall(b"\xe0\x00")  # DISCONNECT
    except OSError:
        return False
    # 0: accepted; 4 and 5 (bad user name or password, not authorized): a broker that wants a login
    # is up all the same.
    return len(reply) == 4 and reply[0] == 0x20 and reply[3] in (0, 4, 5)
