"""`digispine apikey create` and the demo's access settings: keys are usable, only hashes stored."""

from __future__ import annotations

import re

from pydantic import SecretStr
from typer.testing import CliRunner

from graph_service.api.auth import KeyRing, hash_key
from graph_service.cli.demo_cmd import _demo_access
from graph_service.cli.main import app
from graph_service.settings import load_settings


def test_a_created_key_and_its_entry_authenticate_with_the_given_roles() -> None:
    result = CliRunner().invoke(
        app, ["apikey", "create", "--name", "mes-app", "--roles", "reader,personal-data"]
    )
    assert result.exit_code == 0, result.output
    key = re.search(r"\b(dsk_[A-Za-z0-9_-]{20,})", result.output).group(1)  # type: ignore[union-attr]
    entry = re.search(r"\b(mes-app:[0-9a-f]{64}:[a-z,-]+)", result.output).group(1)  # type: ignore[union-attr]
    assert key not in entry and hash_key(key) in entry
    principal = KeyRing.from_settings(load_settings(api_keys=entry)).lookup(key)
    assert principal is not None and principal.roles == {"reader", "personal-data"}


def test_bad_roles_are_refused_with_the_reason() -> None:
    result = CliRunner().invoke(app, ["apikey", "create", "--name", "x", "--roles", "Bad Role"])
    assert result.exit_code == 1 and "roles must be" in result.output


def test_the_demo_opens_analyst_access_and_prints_an_admin_key(capsys) -> None:  # type: ignore[no-untyped-def]
    settings = _demo_access(load_settings())
    assert settings.anonymous_roles == "analyst"
    printed = capsys.readouterr().out
    key = re.search(r"Bearer (dsk_[A-Za-z0-9_-]+)", printed).group(1)  # type: ignore[union-attr]
    admin = KeyRing.from_settings(settings).lookup(key)
    assert admin is not None and admin.may_see_personal_data


def test_the_demo_keeps_configured_keys() -> None:
    configured = load_settings(api_keys=SecretStr(f"ops:{hash_key('k')}:admin"))
    assert _demo_access(configured) is configured
