"""All DigiSpine settings, read from the environment (``DIGISPINE_*`` and ``NEO4J_*``).

This is the only module that reads the environment. Build one :class:`Settings` in the
composition root (CLI command, FastAPI lifespan) and pass it down.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Neo4j 5 refuses passwords shorter than this.
MIN_NEO4J_PASSWORD_LENGTH = 8
#: The development default. Documented, and refused when a remote Neo4j is configured.
DEFAULT_LOCAL_PASSWORD = "digispine-local"
NEO4J_VERSION = "5.26.19"
#: The shipped systems' mappings (erp, mes, crm, qms), the default of DIGISPINE_MAPPINGS_DIRS.
SHIPPED_MAPPINGS = Path(__file__).resolve().parents[1] / "loaders" / "mappings"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Process settings. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True, frozen=True)

    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=_env("NEO4J_URI"),
        description="Bolt/neo4j URI of an external Neo4j. Unset: the local Neo4j is used.",
    )
    neo4j_user: str = Field(default="neo4j", validation_alias=_env("NEO4J_USER"))
    neo4j_password: SecretStr = Field(
        default=SecretStr(DEFAULT_LOCAL_PASSWORD), validation_alias=_env("NEO4J_PASSWORD")
    )
    neo4j_database: str = Field(default="neo4j", validation_alias=_env("NEO4J_DATABASE"))

    data_dir: Path = Field(default=Path(".digispine"), validation_alias=_env("DIGISPINE_DATA_DIR"))
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "digispine",
        validation_alias=_env("DIGISPINE_CACHE_DIR"),
        description="Where the Neo4j jars resolved by Maven are kept (shared by data dirs).",
    )
    neo4j_bolt_port: int = Field(
        default=7687, ge=1, le=65535, validation_alias=_env("DIGISPINE_NEO4J_BOLT_PORT")
    )
    neo4j_version: str = Field(default=NEO4J_VERSION, validation_alias=_env("DIGISPINE_NEO4J_VERSION"))
    neo4j_heap: str = Field(default="1g", validation_alias=_env("DIGISPINE_NEO4J_HEAP"))
    neo4j_pagecache: str = Field(default="512m", validation_alias=_env("DIGISPINE_NEO4J_PAGECACHE"))
    neo4j_start_timeout: float = Field(
        default=120.0, gt=0, validation_alias=_env("DIGISPINE_NEO4J_START_TIMEOUT")
    )
    neo4j_recovery_stall_s: float = Field(
        default=300.0,
        gt=0,
        validation_alias=_env("DIGISPINE_NEO4J_RECOVERY_STALL_S"),
        description="Past the start timeout, `neo4j start` waits for a recovering server while its "
        "log moved within this many seconds; then it gives up, leaving the server running.",
    )
    kafka_bootstrap: str | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_KAFKA_BOOTSTRAP"),
        description="host:port of an external Kafka. Unset: the local broker is used.",
    )
    kafka_port: int = Field(default=9092, ge=1, le=65535, validation_alias=_env("DIGISPINE_KAFKA_PORT"))
    kafka_controller_port: int = Field(
        default=9093, ge=1, le=65535, validation_alias=_env("DIGISPINE_KAFKA_CONTROLLER_PORT")
    )
    kafka_version: str = Field(default="4.1.1", validation_alias=_env("DIGISPINE_KAFKA_VERSION"))
    kafka_heap: str = Field(default="512m", validation_alias=_env("DIGISPINE_KAFKA_HEAP"))
    mqtt_broker: str | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_MQTT_BROKER"),
        description="host:port of an external MQTT broker. Unset: the local mosquitto is used.",
    )
    mqtt_port: int = Field(default=1883, ge=1, le=65535, validation_alias=_env("DIGISPINE_MQTT_PORT"))
    mqtt_max_queued: int = Field(
        default=100_000,
        ge=1,
        validation_alias=_env("DIGISPINE_MQTT_MAX_QUEUED"),
        description="QoS 1 messages the local mosquitto keeps per disconnected persistent session "
        "(a stopped bridge); more are dropped by the broker (docs/sources.md, MQTT).",
    )
    mqtt_client_id: str = Field(
        default="digispine-bridge",
        min_length=1,
        validation_alias=_env("DIGISPINE_MQTT_CLIENT_ID"),
        description="The bridge's MQTT client id: its persistent session (what the broker queues "
        "while it is stopped) belongs to this id.",
    )
    mqtt_username: str | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_MQTT_USERNAME"),
        description="The user the bridge and `mqtt publish` log in as. Set, the local mosquitto "
        "requires it too (anonymous clients are refused).",
    )
    mqtt_password: SecretStr | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_MQTT_PASSWORD"),
        description="That user's password.",
    )
    mqtt_tls: bool = Field(
        default=False,
        validation_alias=_env("DIGISPINE_MQTT_TLS"),
        description="Connect to the broker over TLS (port 8883 unless DIGISPINE_MQTT_BROKER names "
        "one), verifying its certificate against DIGISPINE_MQTT_TLS_CA_FILE or the system's CAs. "
        "Implied by a TLS file setting.",
    )
    mqtt_tls_ca_file: Path | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_MQTT_TLS_CA_FILE"),
        description="PEM file of the CA(s) that signed the broker's certificate.",
    )
    mqtt_tls_cert_file: Path | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_MQTT_TLS_CERT_FILE"),
        description="PEM client certificate, for a broker that requires one (with its key).",
    )
    mqtt_tls_key_file: Path | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_MQTT_TLS_KEY_FILE"),
        description="PEM private key of DIGISPINE_MQTT_TLS_CERT_FILE.",
    )
    change_log_topic: str = Field(
        default="",
        validation_alias=_env("DIGISPINE_CHANGE_LOG_TOPIC"),
        description="Kafka topic the loader publishes the graph's changes to (docs/loaders.md, Graph "
        "change log). Empty: no change log, the loader writes as without it.",
    )
    events_topic: str = Field(
        default="digispine.events",
        min_length=1,
        validation_alias=_env("DIGISPINE_EVENTS_TOPIC"),
        description="The operational events topic: what `load --kafka`, the stream processors and "
        "`digispine simulate --kafka` read and write by default.",
    )
    load_adapter: str = Field(
        default="",
        validation_alias=_env("DIGISPINE_LOAD_ADAPTER"),
        description="The adapter `digispine load` decodes its records with when `--adapter` is not "
        "given (debezium, sap-events, salesforce-cdc, …; docs/sources.md, Adapters). Empty: the "
        "records are CloudEvents.",
    )
    streams_dir: Path = Field(
        default=Path("streams"),
        validation_alias=_env("DIGISPINE_STREAMS_DIR"),
        description="The analytical streams' descriptors (<name>/v<major>/stream.yaml; docs/streams.md).",
    )
    stream_violations_topic: str = Field(
        default="digispine.stream.violations",
        min_length=1,
        validation_alias=_env("DIGISPINE_STREAM_VIOLATIONS_TOPIC"),
        description="Where a stream processor sends a derived event that fails its shape, with the report.",
    )
    stream_freshness_cache_s: float = Field(
        default=5.0,
        ge=0,
        validation_alias=_env("DIGISPINE_STREAM_FRESHNESS_CACHE_S"),
        description="How long a stream's measured freshness (catalog: lag, last event, latency, "
        "conformance) is reused before Kafka is read again. 0: measured on every request.",
    )
    stream_freshness_timeout_s: float = Field(
        default=3.0,
        gt=0,
        validation_alias=_env("DIGISPINE_STREAM_FRESHNESS_TIMEOUT_S"),
        description="Longest a freshness measurement may take; then its figures are null with status "
        "TIMED_OUT (or KAFKA_UNREACHABLE).",
    )
    stream_freshness_sample: int = Field(
        default=1000,
        ge=1,
        le=1000,
        validation_alias=_env("DIGISPINE_STREAM_FRESHNESS_SAMPLE"),
        description="Recent derived events (and violations) read per stream for latency and conformance.",
    )
    subscription_client_queue: int = Field(
        default=256,
        ge=1,
        validation_alias=_env("DIGISPINE_SUBSCRIPTION_CLIENT_QUEUE"),
        description="GraphQL subscription results a client may be behind; one further behind is "
        "dropped (its subscription ends with SUBSCRIBER_TOO_SLOW and the cursor to resume from).",
    )
    # The loader publishes a batch's changes at once (two per state change at 1,000 events/s make
    # more than a thousand in one burst): the feed must hold a burst a keeping-up client will drain.
    subscription_feed_size: int = Field(
        default=8192,
        ge=1,
        validation_alias=_env("DIGISPINE_SUBSCRIPTION_FEED_SIZE"),
        description="Kafka messages waiting for one subscription (or group of identical ones); a live "
        "one further behind ends with SUBSCRIBER_TOO_SLOW, a resumed one slows its reader down.",
    )
    subscription_max_per_socket: int = Field(
        default=100,
        ge=1,
        validation_alias=_env("DIGISPINE_SUBSCRIPTION_MAX_PER_SOCKET"),
        description="Operations one websocket may run at once (subscriptions, and queries sent over "
        "it); one more is answered with an error TOO_MANY_SUBSCRIPTIONS, the socket stays open.",
    )
    subscription_max_replays: int = Field(
        default=32,
        ge=0,
        validation_alias=_env("DIGISPINE_SUBSCRIPTION_MAX_REPLAYS"),
        description="Subscriptions resumed from a cursor (`after`) at once per API process; each "
        "reads Kafka with a consumer of its own.",
    )
    stream_clock_seconds: float = Field(
        default=0.0,
        ge=0,
        validation_alias=_env("DIGISPINE_STREAM_CLOCK_SECONDS"),
        description="Every so many seconds a stream processor puts a wall-clock tick into its keyed "
        "topic, so the windows of idle keys close (docs/streams.md, Processing). 0: no ticks, windows "
        "close only as event time advances (right for replays of history).",
    )
    stream_commit_interval_s: float = Field(
        default=0.05,
        gt=0,
        le=10,
        validation_alias=_env("DIGISPINE_STREAM_COMMIT_INTERVAL_S"),
        description="Seconds between a stream processor's exactly-once checkpoints (one Kafka "
        "transaction each): a derived event is readable at its checkpoint's commit, so this bounds "
        "the wait per hop; shorter costs CPU per event (0.05 s: p50 96 ms from event to derived event "
        "on the quiet bench machine against 178 ms at 0.1 s, for ~5 % more CPU; docs/streams.md).",
    )
    http_host: str = Field(default="127.0.0.1", validation_alias=_env("DIGISPINE_HTTP_HOST"))
    http_port: int = Field(default=8000, ge=1, le=65535, validation_alias=_env("DIGISPINE_HTTP_PORT"))
    #: API processes of `digispine serve` sharing the port (one core each); 1: one process.
    http_workers: int = Field(default=1, ge=1, le=256, validation_alias=_env("DIGISPINE_HTTP_WORKERS"))
    ontology_dir: Path = Field(default=Path("ontology"), validation_alias=_env("DIGISPINE_ONTOLOGY_DIR"))
    ontology_dirs: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        validation_alias=_env("DIGISPINE_ONTOLOGY_DIRS"),
        description="Directories of ontology extension modules (*.ttl, e.g. a plant's own event "
        "classes), read with DIGISPINE_ONTOLOGY_DIR by every consumer; separated by ':' (os.pathsep). "
        "Empty: the core only.",
    )
    mappings_dirs: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(SHIPPED_MAPPINGS,),
        validation_alias=_env("DIGISPINE_MAPPINGS_DIRS"),
        description="Directories of event mappings and source-system declarations (*.yaml), in order; "
        "separated by ':' (os.pathsep). Default: the shipped loaders/mappings (erp, mes, crm, qms); "
        "list it too to keep those systems (docs/sources.md).",
    )
    shapes_dir: Path = Field(default=Path("shapes"), validation_alias=_env("DIGISPINE_SHAPES_DIR"))
    loader_max_event_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        validation_alias=_env("DIGISPINE_LOADER_MAX_EVENT_BYTES"),
        description="Largest event (one JSON Lines line or Kafka message) the loader accepts; larger "
        "ones are dead-lettered as too-large, unread beyond this size.",
    )
    loader_max_string_chars: int = Field(
        default=10_000,
        ge=200,
        validation_alias=_env("DIGISPINE_LOADER_MAX_STRING_CHARS"),
        description="Longest string (attribute, payload value or key) of an event; longer: too-large.",
    )
    loader_max_clock_skew_s: float = Field(
        default=86_400.0,
        ge=0,
        validation_alias=_env("DIGISPINE_LOADER_MAX_CLOCK_SKEW_S"),
        description="How far an event's time may lie ahead of the loader's clock; further: future-event.",
    )
    log_level: str = Field(default="INFO", validation_alias=_env("DIGISPINE_LOG_LEVEL"))
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias=_env("DIGISPINE_LOG_FORMAT"),
        description="text: one readable line per record; json: one JSON object per line (time, "
        "level, logger, message, request_id and the record's extra fields).",
    )
    metrics_open: bool = Field(
        default=False,
        validation_alias=_env("DIGISPINE_METRICS_OPEN"),
        description="Serve GET /metrics without an API key (a scraper on a private network). "
        "Off: it needs a key with the metrics or admin role.",
    )
    loader_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        validation_alias=_env("DIGISPINE_LOADER_METRICS_PORT"),
        description="Port on which a loader process (`digispine load`, the demo's loader) serves its "
        "Prometheus metrics at /metrics. 0: not served.",
    )
    loader_metrics_host: str = Field(
        default="127.0.0.1",
        validation_alias=_env("DIGISPINE_LOADER_METRICS_HOST"),
        description="Address the loader's metrics port binds to (unauthenticated: keep it private).",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_OTLP_ENDPOINT"),
        description="OTLP/HTTP traces endpoint (http://collector:4318/v1/traces). Unset: no tracing.",
    )
    otlp_service_name: str = Field(
        default="digispine",
        min_length=1,
        validation_alias=_env("DIGISPINE_OTLP_SERVICE_NAME"),
        description="service.name of the exported spans.",
    )
    api_keys: SecretStr | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_API_KEYS"),
        description="API keys as name:sha256:role,role entries separated by ';'.",
    )
    api_keys_file: Path | None = Field(default=None, validation_alias=_env("DIGISPINE_API_KEYS_FILE"))
    anonymous_roles: str = Field(
        default="",
        validation_alias=_env("DIGISPINE_ANONYMOUS_ROLES"),
        description="Comma-separated roles of requests without a key; empty: a key is required.",
    )
    # The rate limit is a ceiling per caller, not a quota: the defaults sit above what one key of
    # the demo, the tests or the benchmarks sends to one process (hundreds a second at most), so
    # only a runaway client meets it; lower them to share a server between many callers.
    rate_limit_enabled: bool = Field(
        default=True,
        validation_alias=_env("DIGISPINE_RATE_LIMIT_ENABLED"),
        description="Limit the requests each API key (each client address without a key) may send: "
        "GraphQL over HTTP and websocket subscribe messages, /cypher, /sparql, products; 429 beyond.",
    )
    rate_limit_per_s: float = Field(
        default=1000.0,
        gt=0,
        validation_alias=_env("DIGISPINE_RATE_LIMIT_PER_S"),
        description="Requests per second one caller may send to one server process, sustained.",
    )
    rate_limit_burst: int = Field(
        default=2000,
        ge=1,
        validation_alias=_env("DIGISPINE_RATE_LIMIT_BURST"),
        description="Requests one caller may send at once before the per-second rate applies.",
    )
    graphql_default_page_size: int = Field(
        default=20, ge=1, validation_alias=_env("DIGISPINE_GRAPHQL_DEFAULT_PAGE_SIZE")
    )
    graphql_max_page_size: int = Field(
        default=1000, ge=1, validation_alias=_env("DIGISPINE_GRAPHQL_MAX_PAGE_SIZE")
    )
    graphql_max_depth: int = Field(default=12, ge=2, validation_alias=_env("DIGISPINE_GRAPHQL_MAX_DEPTH"))
    graphql_max_cost: int = Field(
        default=1_000_000, ge=1, validation_alias=_env("DIGISPINE_GRAPHQL_MAX_COST")
    )
    cypher_timeout_s: float = Field(default=30.0, gt=0, validation_alias=_env("DIGISPINE_CYPHER_TIMEOUT_S"))
    cypher_max_rows: int = Field(default=10_000, ge=1, validation_alias=_env("DIGISPINE_CYPHER_MAX_ROWS"))
    cypher_max_response_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        validation_alias=_env("DIGISPINE_CYPHER_MAX_RESPONSE_BYTES"),
        description="Most bytes of JSON rows one read-only Cypher answer carries (beside the row limit).",
    )
    cypher_max_list: int = Field(
        default=10_000,
        ge=1,
        validation_alias=_env("DIGISPINE_CYPHER_MAX_LIST"),
        description="Most elements a range() inside an expression may span in read-only Cypher.",
    )
    cypher_max_growth: int = Field(
        default=10,
        ge=0,
        validation_alias=_env("DIGISPINE_CYPHER_MAX_GROWTH"),
        description="Most doublings of a string or list one read-only Cypher statement may make "
        "(concatenations of computed values, lengthening replace()/normalize(), repeated by reduce() "
        "or copied by a list comprehension); Neo4j Community cannot stop a value growing.",
    )
    rdf_base: str = Field(
        default="https://w3id.org/digispine/id/",
        validation_alias=_env("DIGISPINE_RDF_BASE"),
        description="Base IRI of instance IRIs in RDF exports and the SPARQL view.",
    )
    rdf_refresh_s: float = Field(default=60.0, ge=0, validation_alias=_env("DIGISPINE_RDF_REFRESH_S"))
    rdf_max_literal_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=16_000_000,
        validation_alias=_env("DIGISPINE_RDF_MAX_LITERAL_BYTES"),
        description="Largest literal (UTF-8 bytes) the SPARQL view holds; larger values are left out, "
        "logged and counted in /sparql/status (pyoxigraph's parser stops at 16 MiB).",
    )
    sparql_timeout_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias=_env("DIGISPINE_SPARQL_TIMEOUT_S"),
        description="Longest a SPARQL query may run; its worker process is then killed (504).",
    )
    sparql_max_result_bytes: int = Field(
        default=64 * 1_048_576,
        ge=1024,
        validation_alias=_env("DIGISPINE_SPARQL_MAX_RESULT_BYTES"),
        description="Largest serialized SPARQL answer; a larger one is stopped and refused (413).",
    )
    sparql_max_concurrent: int = Field(
        default=4,
        ge=1,
        validation_alias=_env("DIGISPINE_SPARQL_MAX_CONCURRENT"),
        description="SPARQL queries running at once; others wait for a slot within their timeout.",
    )
    sparql_service_allowlist: str = Field(
        default="",
        validation_alias=_env("DIGISPINE_SPARQL_SERVICE_ALLOWLIST"),
        description="Endpoint IRIs a federated query (SERVICE <iri>) may call, separated by commas or "
        "spaces; empty: every SERVICE clause is refused.",
    )
    product_validation_s: float = Field(
        default=300.0,
        ge=0,
        validation_alias=_env("DIGISPINE_PRODUCT_VALIDATION_S"),
        description="Seconds between scheduled validations of every data product (0: only on demand).",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env("DIGISPINE_API_KEY"),
        description="The key CLI commands present to a running server (digispine rdf refresh).",
    )
    graphql_timeout_s: float = Field(default=10.0, gt=0, validation_alias=_env("DIGISPINE_GRAPHQL_TIMEOUT_S"))
    graphql_max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        validation_alias=_env("DIGISPINE_GRAPHQL_MAX_BODY_BYTES"),
        description="Largest POST /graphql body (document and variables); larger is answered 413.",
    )
    graphql_max_document_bytes: int = Field(
        default=32_768,
        ge=256,
        validation_alias=_env("DIGISPINE_GRAPHQL_MAX_DOCUMENT_BYTES"),
        description="Largest GraphQL document (UTF-8 bytes), refused before it is parsed.",
    )
    graphql_max_tokens: int = Field(
        default=5_000,
        ge=100,
        validation_alias=_env("DIGISPINE_GRAPHQL_MAX_TOKENS"),
        description="Most lexical tokens a document may have; parsing stops at the next one.",
    )
    graphql_max_selections: int = Field(
        default=2_000,
        ge=10,
        validation_alias=_env("DIGISPINE_GRAPHQL_MAX_SELECTIONS"),
        description="Most selections of a document with its fragments expanded, checked before validation.",
    )
    graphql_selection_cache: int = Field(
        default=512,
        ge=0,
        validation_alias=_env("DIGISPINE_GRAPHQL_SELECTION_CACHE"),
        description="Root-field selections whose projection and completion walk are kept for the next "
        "request of the same document (per schema, least recently used dropped); 0: none kept.",
    )

    @field_validator("ontology_dirs", "mappings_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        """``a:b`` from the environment (like PATH); empty parts are left out."""
        if isinstance(value, str):
            return tuple(Path(part) for part in value.split(os.pathsep) if part.strip())
        return value

    @property
    def ontology_paths(self) -> tuple[Path, ...]:
        """Every directory the ontology is read from: the core, then the extension modules."""
        return (self.ontology_dir, *self.ontology_dirs)

    @field_validator("neo4j_uri")
    @classmethod
    def _check_uri(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if not value.startswith(schemes):
            raise ValueError(f"NEO4J_URI must start with one of {', '.join(schemes)}; got {value!r}")
        return value

    @field_validator("neo4j_password")
    @classmethod
    def _check_password(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_NEO4J_PASSWORD_LENGTH:
            raise ValueError(
                f"NEO4J_PASSWORD must have at least {MIN_NEO4J_PASSWORD_LENGTH} characters "
                "(Neo4j 5 refuses shorter ones)"
            )
        return value

    @field_validator("data_dir", "cache_dir")
    @classmethod
    def _check_directory(cls, value: Path) -> Path:
        # a file here would fail later, deep in some command, with a traceback
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file; give a directory (it is created when missing)")
        return value

    @field_validator("neo4j_heap", "neo4j_pagecache", "kafka_heap")
    @classmethod
    def _check_memory_size(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]+[kKmMgG]?", value.strip()):
            raise ValueError(f"memory size must look like 512m or 2g; got {value!r}")
        return value.strip().lower()

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"DIGISPINE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR; got {value!r}")
        return level

    @model_validator(mode="after")
    def _check_page_sizes(self) -> Settings:
        if self.graphql_default_page_size > self.graphql_max_page_size:
            raise ValueError(
                f"DIGISPINE_GRAPHQL_DEFAULT_PAGE_SIZE ({self.graphql_default_page_size}) is larger than "
                f"DIGISPINE_GRAPHQL_MAX_PAGE_SIZE ({self.graphql_max_page_size})"
            )
        return self

    @model_validator(mode="after")
    def _check_mqtt_access(self) -> Settings:
        if self.mqtt_password is not None and not self.mqtt_username:
            raise ValueError("DIGISPINE_MQTT_PASSWORD is set but DIGISPINE_MQTT_USERNAME is not")
        if (self.mqtt_tls_cert_file is None) != (self.mqtt_tls_key_file is None):
            raise ValueError(
                "DIGISPINE_MQTT_TLS_CERT_FILE and DIGISPINE_MQTT_TLS_KEY_FILE go together (a client "
                "certificate and its private key); only one is set"
            )
        for name, path in (
            ("DIGISPINE_MQTT_TLS_CA_FILE", self.mqtt_tls_ca_file),
            ("DIGISPINE_MQTT_TLS_CERT_FILE", self.mqtt_tls_cert_file),
            ("DIGISPINE_MQTT_TLS_KEY_FILE", self.mqtt_tls_key_file),
        ):
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_remotely(self) -> Settings:
        uri = self.neo4j_uri or ""
        remote = uri and not any(h in uri for h in ("127.0.0.1", "localhost", "[::1]"))
        if remote and self.neo4j_password.get_secret_value() == DEFAULT_LOCAL_PASSWORD:
            raise ValueError(
                "NEO4J_PASSWORD is the local development default but NEO4J_URI points at a "
                f"remote server ({uri}); set NEO4J_PASSWORD to that server's password"
            )
        return self

    @property
    def external_neo4j(self) -> bool:
        """True when NEO4J_URI names a Neo4j that DigiSpine does not manage."""
        return self.neo4j_uri is not None

    @property
    def external_kafka(self) -> bool:
        """True when DIGISPINE_KAFKA_BOOTSTRAP names a broker DigiSpine does not manage."""
        return bool(self.kafka_bootstrap)

    @property
    def kafka_bootstrap_servers(self) -> str:
        """The bootstrap address every Kafka client uses."""
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def external_mqtt(self) -> bool:
        """True when DIGISPINE_MQTT_BROKER names a broker DigiSpine does not manage."""
        return bool(self.mqtt_broker)

    @property
    def mqtt_uses_tls(self) -> bool:
        """TLS to the broker: DIGISPINE_MQTT_TLS, or implied by a TLS file setting."""
        return self.mqtt_tls or self.mqtt_tls_ca_file is not None or self.mqtt_tls_cert_file is not None

    @property
    def mqtt_address(self) -> tuple[str, int]:
        """(host, port) of the MQTT broker every MQTT client connects to."""
        if self.mqtt_broker:
            host, _, port = self.mqtt_broker.rpartition(":")
            default = 8883 if self.mqtt_uses_tls else 1883
            return (host or self.mqtt_broker, int(port) if port.isdigit() else default)
        return ("127.0.0.1", self.mqtt_port)

    @property
    def bolt_uri(self) -> str:
        """The URI every command connects to."""
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.neo4j_bolt_port}"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (CLI options, tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
