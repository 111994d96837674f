"""The change log's pure part: attribution of changes to their causing events, their order, the
CloudEvents built from them, and the guard refusing the outbox to callers without personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_service.analytics.guard import Refusal, StatementGuard
from loaders.changelog import (
    CHANGE_SOURCE,
    ENTITY_CHANGED,
    OUTBOX_CHANGES,
    OUTBOX_LABEL,
    RELATIONSHIP_CHANGED,
    LinkOutcome,
    NodeOutcome,
    batch_changes,
    change_event,
    change_key,
    entity_key,
    outbox_text,
)
from loaders.envelope import Envelope
from loaders.mapping import EntityRef, EntityWrite, MappedEvent, RelationWrite

ORDER = EntityRef("SalesOrder", ("salesOrderNumber",), ("SO-1",))
CUSTOMER = EntityRef("Customer", ("customerNumber",), ("C/1",))
OTHER = EntityRef("Customer", ("customerNumber",), ("C-2",))


def source_ref(env: Envelope) -> EntityRef:
    return EntityRef("SourceSystem", ("sourceSystemId",), (env.source,))


def mapped(event_id: str, hour: int, *, relations: bool = False) -> MappedEvent:
    env = Envelope(
        event_id,
        "erp/x",
        "digispine.erp.SalesOrderCreated.v1",
        datetime(2026, 1, 1, hour, tzinfo=UTC),
        "SO-1",
        {},
        "",
    )
    entities = [
        EntityWrite("SalesOrder", ORDER, ("SalesOrder",)),
        EntityWrite("Customer", CUSTOMER, ("Customer",)),
    ]
    rels = [RelationWrite("ORDERED_BY", False, ORDER, CUSTOMER)] if relations else []
    return MappedEvent(env, "SalesOrderCreated", ("DomainEvent",), entities, rels)


def test_each_change_names_the_event_whose_value_was_written_in_a_stable_order() -> None:
    first, later = mapped("e-1", 8, relations=True), mapped("e-2", 9)
    v1, v2 = first.envelope.version_token, later.envelope.version_token
    nodes = [
        NodeOutcome(
            ORDER, True, {"status": (v2, "DONE"), "amount": (v1, 10.0), "day": (v1, date(2026, 1, 2))}
        ),
        NodeOutcome(CUSTOMER, True, {}),  # a reference by key: created by the first event naming it
        NodeOutcome(source_ref(first.envelope), True, {}),
    ]
    links = [LinkOutcome("ORDERED_BY", ORDER, CUSTOMER, v1)]
    changes = batch_changes([later, first], nodes, links, source_ref)  # batch order does not matter
    summary = [
        (c["cause"]["id"], c["change"], c.get("entity", {}).get("class") or c["relationship"])
        for c in changes
    ]
    assert summary == [
        ("e-1", "created", "Customer"),
        ("e-1", "created", "SalesOrder"),
        ("e-1", "created", "SourceSystem"),
        ("e-1", "added", "ORDERED_BY"),
        ("e-2", "updated", "SalesOrder"),
    ]
    assert changes[1]["properties"] == {"amount": 10.0, "day": date(2026, 1, 2)}
    assert changes[4]["properties"] == {"status": "DONE"}
    assert changes == batch_changes([first, later], list(reversed(nodes)), links, source_ref)


def test_an_update_that_changed_nothing_is_no_change_and_a_repointed_link_says_what_it_left() -> None:
    event = mapped("e-1", 8)
    version = event.envelope.version_token
    previous = ({"class": "Customer", "key": {"customerNumber": "C/1"}},)
    links = [LinkOutcome("ORDERED_BY", ORDER, OTHER, version, previous)]
    (change,) = batch_changes([event], [], links, source_ref)
    assert change["change"] == "repointed"
    assert change["previous"] == list(previous)
    assert change["to"] == {"class": "Customer", "key": {"customerNumber": "C-2"}}
    assert batch_changes([event], [], [], source_ref) == []


def test_a_change_event_is_a_cloudevent_with_an_id_that_survives_redelivery() -> None:
    event = mapped("e-1", 8)
    version = event.envelope.version_token
    entity, link = batch_changes(
        [event],
        [NodeOutcome(ORDER, False, {"status": (version, "OPEN")})],
        [LinkOutcome("ORDERED_BY", ORDER, OTHER, version)],
        source_ref,
    )
    sent = change_event(entity, "2026-01-01T09:00:00Z")
    assert sent["specversion"] == "1.0" and sent["source"] == CHANGE_SOURCE and sent["type"] == ENTITY_CHANGED
    assert sent["subject"] == "SalesOrder/SO-1" == change_key(entity)
    assert (sent["causeid"], sent["causesource"], sent["causetype"]) == ("e-1", "erp/x", event.envelope.type)
    assert sent["causetime"] == "2026-01-01T08:00:00.000000Z"
    assert sent["data"] is entity
    again = change_event(orjson.loads(outbox_text([entity]))[0], "2026-01-01T10:00:00Z")
    assert again["id"] == sent["id"]
    related = change_event(link, "2026-01-01T09:00:00Z")
    assert related["type"] == RELATIONSHIP_CHANGED and related["subject"] == "SalesOrder/SO-1"
    assert related["id"] != sent["id"]
    other_cause = change_event({**entity, "cause": {**entity["cause"], "id": "e-9"}}, "2026-01-01T09:00:00Z")
    assert other_cause["id"] != sent["id"]


def test_keys_keep_apart_what_a_slash_in_a_key_value_would_mix() -> None:
    assert entity_key(CUSTOMER) == "Customer/C%2F1"
    assert entity_key(EntityRef("Line", ("plant", "line"), ("P/1", "2"))) == "Line/P%2F1/2"


def test_the_outbox_text_is_json_with_dates_as_iso_text() -> None:
    changes: list[dict[str, Any]] = [
        {"properties": {"d": date(2026, 1, 2), "t": datetime(2026, 1, 2, 3, tzinfo=UTC)}}
    ]
    assert orjson.loads(outbox_text(changes)) == [
        {"properties": {"d": "2026-01-02", "t": "2026-01-02T03:00:00+00:00"}}
    ]


@pytest.mark.parametrize(
    "query",
    [
        f"MATCH (o:{OUTBOX_LABEL}) RETURN count(o)",
        f"MATCH (o) WHERE o.{OUTBOX_CHANGES} IS NOT NULL RETURN o.{OUTBOX_CHANGES}",
        f"MATCH (o) WHERE '{OUTBOX_LABEL}' IN labels(o) RETURN o",
    ],
)
def test_the_guard_refuses_the_outbox_without_personal_data(query: str) -> None:
    guard = StatementGuard(personal_properties=frozenset(), max_list=10_000)
    with pytest.raises(Refusal, match="personal data"):
        guard.check_text(query, {}, personal_data=False)
    guard.check_text(query, {}, personal_data=True)


@given(st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)), min_size=1, max_size=3))
def test_the_key_of_any_values_is_their_percent_encoding_whether_or_not_they_need_it(
    values: list[Any],
) -> None:
    ref = EntityRef("Thing", tuple(f"k{i}" for i in range(len(values))), tuple(values))
    assert entity_key(ref) == "/".join(["Thing", *(quote(str(v), safe="") for v in values)])
