"""The payload an event node keeps: the canonical JSON its digest is made of, and internal to every
read path (the Cypher guard treats it as personal data)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from graph_service.analytics.guard import PERSONAL_INTERNAL, Refusal, StatementGuard
from loaders.envelope import Envelope
from loaders.writer import PAYLOAD_PROPERTY


@pytest.mark.parametrize(
    ("data", "subject"),
    [
        ({"b": 1, "a": {"z": [1, {"y": "ü", "x": None}], "m": 1.5}}, "S-1"),
        ({}, None),
        ({"note": '\u2028é😀"\\', "n": -0.0}, "é"),
    ],
)
def test_the_digest_is_the_one_stored_before_payloads_were_kept(
    data: dict[str, Any], subject: str | None
) -> None:
    env = Envelope(
        "e-1", "crm/main", "digispine.crm.X.v1", datetime(2026, 1, 1, tzinfo=UTC), subject, data, ""
    )
    before = orjson.dumps([env.type, env.time_text, env.subject, env.data], option=orjson.OPT_SORT_KEYS)
    assert env.payload_hash == hashlib.blake2b(before, digest_size=16).hexdigest()
    assert orjson.loads(env.payload_json) == data
    assert env.payload_json == orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def test_the_guard_refuses_the_payload_property_without_personal_data() -> None:
    assert PAYLOAD_PROPERTY in PERSONAL_INTERNAL
    guard = StatementGuard(personal_properties=frozenset(), max_list=10_000)  # no ontology personal data
    for query in (
        f"MATCH (e:DomainEvent) RETURN e.{PAYLOAD_PROPERTY}",
        f"MATCH (e:DomainEvent) RETURN e.`{PAYLOAD_PROPERTY}`",
        f"MATCH (e:DomainEvent) RETURN e['{PAYLOAD_PROPERTY}']",
        f"MATCH (e:DomainEvent) WHERE e.{PAYLOAD_PROPERTY} CONTAINS '@' RETURN count(*)",
    ):
        with pytest.raises(Refusal, match="_payload is personal data"):
            guard.check_text(query, {}, personal_data=False)
        guard.check_text(query, {}, personal_data=True)
    with pytest.raises(Refusal, match="names personal data"):
        guard.check_text("MATCH (e) RETURN e[$p]", {"p": PAYLOAD_PROPERTY}, personal_data=False)
    guard.check_text("MATCH (e:DomainEvent) RETURN e._payloadHash", {}, personal_data=False)
