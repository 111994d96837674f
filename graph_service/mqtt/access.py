"""How DigiSpine's MQTT clients (the bridge, `digispine mqtt publish`) reach and log in to a broker:
TLS with the broker's certificate verified, a client certificate when the broker wants one, a
user name and password. From the DIGISPINE_MQTT_* settings; the errors name the setting to check.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from graph_service.errors import DigiSpineError

#: CONNACK reasons that mean "who you are": the credentials, not the broker, need attention.
_IDENTITY_REFUSALS = ("not authorized", "bad user name or password", "client identifier not valid")


class MqttAccessError(DigiSpineError):
    """The TLS files could not be used."""


@dataclass(frozen=True)
class MqttAccess:
    """TLS and credentials of one MQTT client. The default: plain TCP, anonymous."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> MqttAccess:
        """The access a :class:`~graph_service.settings.Settings` describes."""
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        return cls(
            username=settings.mqtt_username or None,
            password=password,
            tls=settings.mqtt_uses_tls,
            ca_file=settings.mqtt_tls_ca_file,
            cert_file=settings.mqtt_tls_cert_file,
            key_file=settings.mqtt_tls_key_file,
        )

    def configure(self, client: mqtt.Client) -> None:
        """Set ``client``'s credentials and TLS context (before it connects)."""
        if self.username:
            client.username_pw_set(self.username, self.password)
        if not self.tls:
            return
        try:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise MqttAccessError(
                f"DIGISPINE_MQTT_TLS_CA_FILE ({self.ca_file}) cannot be read as PEM CA certificates ({exc})"
            ) from None
        if self.cert_file is not None:
            try:
                context.load_cert_chain(str(self.cert_file), str(self.key_file) if self.key_file else None)
            except (OSError, ssl.SSLError) as exc:
                raise MqttAccessError(
                    f"DIGISPINE_MQTT_TLS_CERT_FILE ({self.cert_file}) and DIGISPINE_MQTT_TLS_KEY_FILE "
                    f"({self.key_file}) are not a PEM certificate and its private key ({exc})"
                ) from None
        client.tls_set_context(context)

    def describe(self) -> str:
        """How the client connects, for a start-up line (no secret)."""
        parts = ["TLS" if self.tls else "plain TCP"]
        parts.append(f"as {self.username}" if self.username else "anonymous")
        if self.cert_file is not None:
            parts.append(f"client certificate {self.cert_file.name}")
        return ", ".join(parts)

    def connect_failure(self, where: str, exc: OSError) -> str:
        """What to tell the user when the connection itself failed."""
        if isinstance(exc, ssl.SSLCertVerificationError):
            source = f"the CA file {self.ca_file}" if self.ca_file else "the system's CAs"
            return (
                f"the MQTT broker at {where} presented a certificate that does not verify against "
                f"{source} ({exc.verify_message}); set DIGISPINE_MQTT_TLS_CA_FILE to the CA that signed it"
            )
        if isinstance(exc, ssl.SSLError):
            hint = (
                "the broker wants TLS: set DIGISPINE_MQTT_TLS=true"
                if not self.tls
                else "is it a TLS listener (usually port 8883)? a broker that wants a client "
                "certificate needs DIGISPINE_MQTT_TLS_CERT_FILE and DIGISPINE_MQTT_TLS_KEY_FILE"
            )
            return f"the TLS handshake with the MQTT broker at {where} failed ({exc}); {hint}"
        if self.tls and isinstance(exc, ConnectionResetError | EOFError):
            return (
                f"the MQTT broker at {where} closed the TLS connection ({exc}); is that port a TLS "
                "listener, and does the broker want a client certificate?"
            )
        return (
            f"no MQTT broker answers at {where} ({exc}); start one with `digispine mqtt start` "
            "or set DIGISPINE_MQTT_BROKER"
        )

    def refusal(self, where: str, reason: str) -> str:
        """What to tell the user when the broker refused the CONNECT (its CONNACK reason)."""
        if reason.lower() in _IDENTITY_REFUSALS:
            who = f"user {self.username!r}" if self.username else "an anonymous client"
            return (
                f"the MQTT broker at {where} refused {who}: {reason}; check DIGISPINE_MQTT_USERNAME "
                "and DIGISPINE_MQTT_PASSWORD (and the broker's ACL)"
            )
        return f"the MQTT broker at {where} refused: {reason}"
