"""Subscriptions without I/O: what a class's subscribers see of a change-log event (superclasses,
relationships, typed and masked values, ``where``), cursors, which documents are shared, and the
key of ``connection_init``."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
from typing import Any

import pytest
from graphql import GraphQLError, parse

from graph_service.api.auth import connection_principal
from graph_service.api.graphql.change_events import ChangeView, compare, typed
from graph_service.api.graphql.fields import all_class_fields
from graph_service.api.graphql.subscription_sharing import _decide
from graph_service.ontology.model import DomainModel
from graph_service.security import UNAUTHENTICATED, KeyRing, hash_key, parse_entries
from graph_service.streams.hub import BadCursor, Feed, Position, TopicMessage
from loaders.changelog import change_event

CAUSE = {"source": "crm/main", "id": "e-9", "type": "t", "time": "2026-01-05T09:00:00Z"}


def view(model: DomainModel, name: str) -> ChangeView:
    return ChangeView.of(model, all_class_fields(model)[name])


def entity(cls: str, key: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    change = {
        "change": "updated",
        "entity": {"class": cls, "key": key},
        "properties": properties,
        "cause": CAUSE,
    }
    return change_event(change, "2026-01-05T09:00:01Z")


def items(v: ChangeView, event: dict[str, Any], personal: bool = False) -> list[dict[str, Any]]:
    return list(v.items(event, "c", personal=personal))


def test_a_superclass_sees_its_subclasses_changes_and_a_sibling_does_not(model: DomainModel) -> None:
    event = entity("WorkUnit", {"equipmentId": "WU-1"}, {"name": "CNC"})
    (item,) = items(view(model, "Equipment"), event)
    assert item["class_name"] == "WorkUnit" and item["values"]["name"] == "CNC"
    assert items(view(model, "WorkCenter"), event) == []
    assert items(view(model, "Entity"), event) != []


def test_personal_data_is_null_and_listed_without_the_role(model: DomainModel) -> None:
    event = entity("Contact", {"personId": "P-1"}, {"email": "a@b.c", "fullName": "A B"})
    (masked,) = items(view(model, "Person"), event)
    assert masked["values"]["email"] is None and masked["values"]["fullName"] is None
    assert masked["masked_fields"] == ["Person.email", "Person.fullName"]
    assert masked["changed_properties"] == ["email", "fullName"]
    (shown,) = items(view(model, "Person"), event, personal=True)
    assert shown["values"]["email"] == "a@b.c" and shown["masked_fields"] == []


def test_a_relationship_change_reaches_the_classes_at_either_end(model: DomainModel) -> None:
    change = {
        "change": "repointed",
        "relationship": "ORDERED_BY",
        "from": {"class": "SalesOrder", "key": {"salesOrderNumber": "SO-1"}},
        "to": {"class": "Customer", "key": {"customerNumber": "C-2"}},
        "previous": [{"class": "Customer", "key": {"customerNumber": "C-1"}}],
        "cause": CAUSE,
    }
    event = change_event(change, "2026-01-05T09:00:01Z")
    (order,) = items(view(model, "SalesOrder"), event)
    (customer,) = items(view(model, "Customer"), event)
    assert order["change"] == "REPOINTED" and order["relationship"]["relation"] == "orderedBy"
    assert order["values"]["salesOrderNumber"] == "SO-1"
    assert customer["entity"]["subject"] == "Customer/C-2"
    assert [p["subject"] for p in order["relationship"]["previous"]] == ["Customer/C-1"]
    assert items(view(model, "Lot"), event) == []


def test_values_are_typed_as_the_ontology_says() -> None:
    assert typed("DateTime", "2026-01-05T09:00:00Z") == dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    assert typed("Date", "2026-01-05") == dt.date(2026, 1, 5)
    assert typed("Decimal", 12.3) == decimal.Decimal("12.3")
    assert typed("DateTime", "not a time") is None
    assert typed("Int", [1, 2]) == [1, 2]


def test_where_holds_on_the_values_a_change_carries(model: DomainModel) -> None:
    v = view(model, "SalesOrder")
    (item,) = items(v, entity("SalesOrder", {"salesOrderNumber": "SO-1"}, {"status": "OPEN"}))
    assert v.condition({"salesOrderNumber": {"eq": "SO-1"}}, personal=False)(item)
    assert not v.condition({"salesOrderNumber": {"in": ["SO-2"]}}, personal=False)(item)
    assert v.condition({"status": {"startsWith": "OP"}, "change": ["UPDATED"]}, personal=False)(item)
    assert not v.condition({"orderDate": {"gte": dt.date(2026, 1, 1)}}, personal=False)(item)  # not carried
    assert v.condition({"orderDate": {"isNull": True}}, personal=False)(item)
    assert v.condition({"changed": ["status"]}, personal=False)(item)
    assert not v.condition({"changed": ["orderDate"]}, personal=False)(item)


def test_where_on_personal_data_needs_the_role(model: DomainModel) -> None:
    v = view(model, "Person")
    with pytest.raises(GraphQLError) as refused:
        v.condition({"email": {"eq": "a@b.c"}}, personal=False)
    assert refused.value.extensions["code"] == "FORBIDDEN"
    with pytest.raises(GraphQLError):
        v.condition({"changed": ["phone"]}, personal=False)
    assert v.condition({"email": {"eq": "a@b.c"}}, personal=True) is not None


def test_comparisons_never_match_a_missing_value_except_is_null() -> None:
    assert compare("lt", 3, 5) and not compare("lt", 5, 3)
    assert compare("eq", 12.5, decimal.Decimal("12.5"))
    assert not compare("eq", "x", 1) and not compare("gt", "x", 1)  # wrong types: no match, no error
    assert compare("includes", ["a", "b"], "b")


def test_a_cursor_round_trips_and_is_refused_for_another_topic() -> None:
    position = Position("t.changes", ((0, 12), (1, 0), (2, 7)))
    assert Position.decode(position.encode(), "t.changes") == position
    with pytest.raises(BadCursor):
        Position.decode(position.encode(), "other")
    with pytest.raises(BadCursor):
        Position.decode("%%%not-a-cursor", "t.changes")


def test_a_live_feed_that_is_full_keeps_the_gap_and_ends() -> None:
    async def scenario() -> tuple[list[int], Position | None]:
        feed = Feed("t", 2, on_close=lambda f: None)
        for offset in range(4):
            feed.offer(TopicMessage("t", 0, offset, None, {}, 0, Position("t", ((0, offset + 1),))))
        got = []
        while (message := await feed.get()) is not None:
            got.append(message.offset)
        return got, feed.gap

    got, gap = asyncio.run(scenario())
    assert got == [0, 1] and gap == Position("t", ((0, 3),))


def test_only_live_subscriptions_are_shared() -> None:
    assert _decide(parse("subscription { lotChanged { change } }"), None) == (True, frozenset())
    assert _decide(parse('subscription { lotChanged(after: "x") { change } }'), None) == (False, frozenset())
    assert _decide(parse("subscription($a: String) { lotChanged(after: $a) { change } }"), None) == (
        True,
        frozenset({"a"}),
    )
    assert (
        _decide(parse('subscription($a: String = "x") { lotChanged(after: $a) { change } }'), None)[0]
        is False
    )
    assert _decide(parse("{ lots { totalCount } }"), None) == (False, frozenset())


def test_connection_init_brings_the_key_a_browser_cannot_send_in_headers() -> None:
    ring = KeyRing(parse_entries(f"web:{hash_key('dsk_web')}:reader", "test"))
    principal, _ = connection_principal(ring, UNAUTHENTICATED, {"apiKey": "dsk_web"})
    assert principal is not None and principal.name == "web"
    principal, _ = connection_principal(ring, UNAUTHENTICATED, {"Authorization": "Bearer dsk_web"})
    assert principal is not None and principal.name == "web"
    for payload in ({}, {"apiKey": "dsk_wrong"}, {"apiKey": 42}, {"Authorization": "Basic dsk_web"}):
        principal, problem = connection_principal(ring, UNAUTHENTICATED, payload)
        assert principal is None and problem
    headers_key = ring.lookup("dsk_web")
    assert headers_key is not None
    assert connection_principal(ring, headers_key, {})[0] == headers_key


def test_a_personal_key_value_would_be_masked_in_entity_references() -> None:
    from graph_service.api.graphql.change_events import entity_ref

    doc = {"class": "Badge", "key": {"badgeId": "B-7"}}
    hidden = entity_ref(doc, {}, frozenset({"badgeId"}))
    assert hidden["key"] == [{"name": "badgeId", "value": None}] and hidden["subject"] is None
    assert entity_ref(doc, {})["subject"] == "Badge/B-7"


def test_the_subscription_type_is_generated_per_entity_class(model: DomainModel) -> None:
    from graph_service.api.graphql import make_schema
    from graph_service.api.graphql.subscriptions import Sources, Subscriptions

    sdl = str(make_schema(model, None, subscriptions=Subscriptions(model, Sources(None, "t"))))  # type: ignore[arg-type]
    assert "salesOrderChanged(\n" in sdl and "): SalesOrderChange\n" in sdl
    assert "where: SalesOrderChangeWhere" in sdl and "after: String" in sdl
    assert "equipmentChanged(" in sdl and "entityChanged(" in sdl  # superclasses too
    assert "lotProducedChanged" not in sdl  # events do not change
    assert "input PersonChangeWhere {" in sdl and "  email: StringFilter\n" in sdl
    values = sdl[sdl.index("type SalesOrderChangeValues {") :]
    assert "orderDate: Date\n" in values[: values.index("}")]


def test_an_unknown_code_in_a_subscription_where_is_refused_as_in_queries(model: DomainModel) -> None:
    from graph_service.api.app import _code_lists
    from graph_service.api.graphql import make_schema
    from graph_service.api.graphql.subscriptions import Sources, Subscriptions
    from graph_service.settings import load_settings
    from tests.unit.api.fakes import FakeStore

    codes = _code_lists(load_settings(), model)  # the shipped contracts' and mappings' lists
    assert "BLOCKED" in codes[("Lot", "status")]
    schema = make_schema(model, FakeStore(), subscriptions=Subscriptions(model, Sources(None)), codes=codes)

    async def first_errors(where: str) -> list[GraphQLError]:
        stream = await schema.subscribe(f"subscription {{ lotChanged(where: {where}) {{ id }} }}")
        if not hasattr(stream, "__anext__"):
            return list(stream.errors or [])
        result = await stream.__anext__()
        await stream.aclose()
        return list(result.errors or [])

    for where in ('{status: {eq: "BLOKED"}}', '{status: {in: ["RELEASED", "BLOKED"]}}'):
        [error] = asyncio.run(first_errors(where))
        assert error.extensions is not None and error.extensions["code"] == "BAD_USER_INPUT"
        assert "'BLOKED'" in error.message and "Did you mean 'BLOCKED'?" in error.message
        assert "BLOCKED" in error.extensions["allowed"]
    # a known code passes the check (and meets the change log being off on this server)
    [error] = asyncio.run(first_errors('{status: {eq: "BLOCKED"}}'))
    assert error.extensions is not None and error.extensions["code"] != "BAD_USER_INPUT"
