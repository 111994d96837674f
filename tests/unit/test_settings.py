"""Settings come from the environment, with documented defaults and clear validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from graph_service.settings import DEFAULT_LOCAL_PASSWORD, load_settings

ENV_VARS = (
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
    "NEO4J_DATABASE",
    "DIGISPINE_DATA_DIR",
    "DIGISPINE_NEO4J_BOLT_PORT",
    "DIGISPINE_HTTP_PORT",
    "DIGISPINE_LOG_LEVEL",
    "DIGISPINE_PRODUCT_VALIDATION_S",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_the_local_neo4j() -> None:
    settings = load_settings()
    assert settings.external_neo4j is False
    assert settings.bolt_uri == "bolt://127.0.0.1:7687"
    assert settings.data_dir == Path(".digispine")
    assert settings.http_port == 8000
    assert settings.neo4j_database == "neo4j"
    assert settings.neo4j_password.get_secret_value() == DEFAULT_LOCAL_PASSWORD


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGISPINE_NEO4J_BOLT_PORT", "17000")
    monkeypatch.setenv("DIGISPINE_HTTP_PORT", "9001")
    monkeypatch.setenv("DIGISPINE_DATA_DIR", "/tmp/somewhere")
    monkeypatch.setenv("NEO4J_DATABASE", "plant")
    settings = load_settings()
    assert settings.bolt_uri == "bolt://127.0.0.1:17000"
    assert settings.http_port == 9001
    assert settings.data_dir == Path("/tmp/somewhere")
    assert settings.neo4j_database == "plant"


def test_neo4j_uri_switches_to_an_external_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://abc.databases.neo4j.io")
    monkeypatch.setenv("NEO4J_PASSWORD", "a-real-password")
    settings = load_settings()
    assert settings.external_neo4j
    assert settings.bolt_uri == "neo4j+s://abc.databases.neo4j.io"


def test_short_password_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "short")
    with pytest.raises(ValidationError) as info:
        load_settings()
    assert "NEO4J_PASSWORD" in str(info.value)
    assert "8 characters" in str(info.value)


def test_uri_with_wrong_scheme_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "http://localhost:7474")
    with pytest.raises(ValidationError, match="NEO4J_URI must start with"):
        load_settings()


def test_port_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGISPINE_HTTP_PORT", "70000")
    with pytest.raises(ValidationError, match="DIGISPINE_HTTP_PORT"):
        load_settings()


def test_product_validation_schedule_defaults_to_five_minutes_and_refuses_negatives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().product_validation_s == 300.0
    monkeypatch.setenv("DIGISPINE_PRODUCT_VALIDATION_S", "0")
    assert load_settings().product_validation_s == 0.0
    monkeypatch.setenv("DIGISPINE_PRODUCT_VALIDATION_S", "-5")
    with pytest.raises(ValidationError, match="DIGISPINE_PRODUCT_VALIDATION_S"):
        load_settings()


def test_default_password_is_refused_for_a_remote_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://prod.example.com")
    with pytest.raises(ValidationError, match="local development default"):
        load_settings()


def test_password_never_appears_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "very-secret-pw")
    assert "very-secret-pw" not in repr(load_settings())


def test_log_level_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGISPINE_LOG_LEVEL", "chatty")
    with pytest.raises(ValidationError, match="DIGISPINE_LOG_LEVEL"):
        load_settings()


def test_memory_sizes_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGISPINE_NEO4J_HEAP", "lots")
    with pytest.raises(ValidationError, match="DIGISPINE_NEO4J_HEAP"):
        load_settings()


def test_mqtt_tls_and_login_settings_are_checked_and_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGISPINE_MQTT_PASSWORD", "x")
    with pytest.raises(ValidationError, match="DIGISPINE_MQTT_PASSWORD is set but DIGISPINE_MQTT_USERNAME"):
        load_settings()
    monkeypatch.delenv("DIGISPINE_MQTT_PASSWORD")
    cert = tmp_path / "client.pem"
    cert.write_text("-")
    monkeypatch.setenv("DIGISPINE_MQTT_TLS_CERT_FILE", str(cert))
    with pytest.raises(ValidationError, match="DIGISPINE_MQTT_TLS_CERT_FILE and DIGISPINE_MQTT_TLS_KEY_FILE"):
        load_settings()
    monkeypatch.delenv("DIGISPINE_MQTT_TLS_CERT_FILE")
    monkeypatch.setenv("DIGISPINE_MQTT_TLS_CA_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ValidationError, match="DIGISPINE_MQTT_TLS_CA_FILE: no such file"):
        load_settings()


def test_mqtt_over_tls_defaults_to_port_8883_unless_the_broker_names_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGISPINE_MQTT_BROKER", "broker.plant.example")
    assert load_settings().mqtt_address == ("broker.plant.example", 1883)
    monkeypatch.setenv("DIGISPINE_MQTT_TLS", "true")
    assert load_settings().mqtt_address == ("broker.plant.example", 8883)
    monkeypatch.setenv("DIGISPINE_MQTT_TLS", "false")
    ca = tmp_path / "ca.pem"
    ca.write_text("-")
    monkeypatch.setenv("DIGISPINE_MQTT_TLS_CA_FILE", str(ca))  # a CA file implies TLS
    settings = load_settings()
    assert settings.mqtt_uses_tls and settings.mqtt_address == ("broker.plant.example", 8883)
    monkeypatch.setenv("DIGISPINE_MQTT_BROKER", "broker.plant.example:18883")
    assert load_settings().mqtt_address == ("broker.plant.example", 18883)
