"""The security package below the API: layering, the current caller, the personal-data rule."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

import graph_service.security as security
from graph_service.errors import ConfigurationError
from graph_service.ontology.model import DomainModel
from graph_service.security import (
    ANALYST,
    PERSONAL_DATA,
    READER,
    SYSTEM,
    KeyRing,
    Principal,
    acting_as,
    current_principal,
    hash_key,
    parse_entries,
    personal_properties,
)
from graph_service.settings import load_settings

PACKAGE = Path(security.__file__).parent
#: What the layers above are; the security package may import none of them.
ABOVE = (
    "graph_service.api",
    "graph_service.products",
    "graph_service.rdf",
    "graph_service.analytics",
    "graph_service.streams",
    "graph_service.cli",
)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_security_package_imports_no_layer_above_it() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert modules
    for path in modules:
        upward = {m for m in _imported_modules(path) if m.startswith(ABOVE)}
        assert not upward, f"{path.name} imports {sorted(upward)}"


def test_products_rdf_and_analytics_do_not_import_the_api_s_auth_binding() -> None:
    root = PACKAGE.parent
    for package in ("products", "rdf", "analytics", "observability"):
        for path in sorted((root / package).rglob("*.py")):
            assert "graph_service.api.auth" not in _imported_modules(path), path


def test_acting_as_sets_the_caller_for_the_block_only_and_per_task() -> None:
    reader = Principal("r", frozenset({READER}))
    assert current_principal() is SYSTEM
    with acting_as(reader):
        assert current_principal() is reader
    assert current_principal() is SYSTEM

    async def two_callers() -> list[str]:
        async def one(name: str) -> str:
            with acting_as(Principal(name, frozenset())):
                await asyncio.sleep(0)  # let the other task set its own caller meanwhile
                return current_principal().name

        return list(await asyncio.gather(one("a"), one("b")))

    assert asyncio.run(two_callers()) == ["a", "b"]


def test_the_caller_is_restored_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), acting_as(Principal("x", frozenset())):
        raise RuntimeError("boom")
    assert current_principal() is SYSTEM


def test_personal_properties_are_what_the_ontology_marks_and_only_the_role_sees_them(
    model: DomainModel,
) -> None:
    personal = personal_properties(model)
    marked = {p.name for p in model.datatype_properties.values() if p.personal_data}
    assert personal == marked and personal  # the shipped ontology marks some (e-mail, phone, …)
    assert not Principal("a", frozenset({ANALYST})).may_see_personal_data
    assert Principal("hr", frozenset({READER, PERSONAL_DATA})).may_see_personal_data
    assert SYSTEM.may_see_personal_data  # admin holds every role


def test_an_analyst_is_a_reader_and_admin_holds_every_role() -> None:
    analyst = Principal("a", frozenset({ANALYST}))
    assert analyst.has_role(READER) and not analyst.may_see_personal_data
    assert SYSTEM.has_role("any-product-role") and SYSTEM.may_see_personal_data


def test_a_key_ring_checks_roles_against_the_known_ones_it_is_given() -> None:
    entry = f"crm:{hash_key('k')}:sales"
    ring = KeyRing.from_settings(load_settings(api_keys=entry), known={READER, "sales"})
    assert ring.lookup("k") == Principal("crm", frozenset({"sales"}))
    assert ring.lookup("other") is None
    with pytest.raises(ConfigurationError, match=r"entry 1 \(crm\): unknown role\(s\) sales"):
        KeyRing.from_settings(load_settings(api_keys=entry), known={READER})
    assert parse_entries(entry, "x")[0].roles == {"sales"}  # without known: no role check
