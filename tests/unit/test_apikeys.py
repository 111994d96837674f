"""`digispine apikey create` and the demo's access settings: keys are usable, only hashes stored."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from graph_service.api.auth import known_roles, served_keyring
from graph_service.cli.demo_cmd import _demo_access
from graph_service.cli.main import app
from graph_service.errors import ConfigurationError as ConfigError
from graph_service.products.registry import declared_access_roles
from graph_service.security import BUILTIN_ROLES, Principal, hash_key
from graph_service.settings import load_settings
from tests.support.paths import REPO


def test_a_created_key_and_its_entry_authenticate_with_the_given_roles() -> None:
    result = CliRunner().invoke(
        app, ["apikey", "create", "--name", "mes-app", "--roles", "reader,personal-data"]
    )
    assert result.exit_code == 0, result.output
    key = re.search(r"\b(dsk_[A-Za-z0-9_-]{20,})", result.output).group(1)  # type: ignore[union-attr]
    entry = re.search(r"\b(mes-app:[0-9a-f]{64}:[a-z,-]+)", result.output).group(1)  # type: ignore[union-attr]
    assert key not in entry and hash_key(key) in entry
    principal = served_keyring(load_settings(api_keys=entry)).lookup(key)
    assert principal is not None and principal.roles == {"reader", "personal-data"}


def test_bad_roles_are_refused_with_the_reason() -> None:
    result = CliRunner().invoke(app, ["apikey", "create", "--name", "x", "--roles", "Bad Role"])
    assert result.exit_code == 1 and "roles must be" in result.output


def test_the_demo_opens_analyst_access_and_prints_an_admin_key(capsys) -> None:  # type: ignore[no-untyped-def]
    settings = _demo_access(load_settings())
    assert settings.anonymous_roles == "analyst"
    printed = capsys.readouterr().out
    key = re.search(r"Bearer (dsk_[A-Za-z0-9_-]+)", printed).group(1)  # type: ignore[union-attr]
    admin = served_keyring(settings).lookup(key)
    assert admin is not None and admin.may_see_personal_data


def test_the_demo_keeps_configured_keys() -> None:
    configured = load_settings(api_keys=SecretStr(f"ops:{hash_key('k')}:admin"))
    assert _demo_access(configured) is configured


DIGEST = hash_key("some-key")


def test_serve_with_a_malformed_entry_says_which_in_one_message_without_a_traceback() -> None:
    env = {**os.environ, "DIGISPINE_API_KEYS": f"ops:{DIGEST}:admin;broken-entry", "NEO4J_URI": ""}
    done = subprocess.run(
        [sys.executable, "-m", "graph_service.cli.main", "serve", "--port", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "DIGISPINE_API_KEYS: entry 2 (broken-entry)" in " ".join(done.stderr.split())


def test_an_unknown_role_is_refused_naming_the_entry_and_the_known_roles() -> None:
    entries = f"ops:{DIGEST}:admin;mes-app:{DIGEST}:reader,reeder"
    with pytest.raises(ConfigError) as info:
        served_keyring(load_settings(api_keys=entries))
    message = str(info.value)
    assert "entry 2 (mes-app)" in message and "reeder" in message
    assert "known roles: " in message and "personal-data" in message


def test_the_roles_the_data_products_name_are_known() -> None:
    known = known_roles(load_settings())
    assert known >= BUILTIN_ROLES
    declared = declared_access_roles([REPO / "queries"])
    assert declared and declared <= known  # e.g. sales, from orderFulfillment
    role = sorted(declared - BUILTIN_ROLES)[0]
    ring = served_keyring(load_settings(api_keys=f"crm:{hash_key('k')}:{role}"))
    assert ring.lookup("k") == Principal("crm", frozenset({role}))


def test_unknown_anonymous_roles_are_refused() -> None:
    with pytest.raises(ConfigError, match="DIGISPINE_ANONYMOUS_ROLES: unknown role.*anlyst"):
        served_keyring(load_settings(anonymous_roles="reader,anlyst"))


def test_apikey_create_refuses_an_unknown_role() -> None:
    result = CliRunner().invoke(app, ["apikey", "create", "--name", "x", "--roles", "reader,superuser"])
    assert result.exit_code == 1
    assert "unknown role(s) superuser" in " ".join(result.output.split())
