"""The Salesforce CDC adapter: one CloudEvent per record id, deterministic ids, gaps refused."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from loaders.adapters import AdapterError, WireRecord
from loaders.adapters.salesforce_cdc import SalesforceCdcAdapter
from loaders.envelope import check_envelope
from loaders.pipeline import Rejection

from .samples import DATA, messages, preparing, record

SAMPLES = [m["value"] for m in messages(DATA / "salesforce-cdc" / "change-events.json")]
ADAPTER = SalesforceCdcAdapter()


def wire(value: Any) -> WireRecord:
    return WireRecord(value=orjson.dumps(value), origin="test")


def header_of(message: dict[str, Any]) -> dict[str, Any]:
    return (message["data"]["payload"] if "data" in message else message)["ChangeEventHeader"]


def sample(change: str, entity: str) -> dict[str, Any]:
    return copy.deepcopy(
        next(m for m in SAMPLES if (h := header_of(m))["changeType"] == change and h["entityName"] == entity)
    )


def test_a_streaming_api_message_becomes_a_cloudevent_of_its_record() -> None:
    message = sample("CREATE", "Opportunity")
    [event] = ADAPTER.decode(wire(message))
    envelope = check_envelope(event, "")
    header = header_of(message)
    assert envelope.type == "com.salesforce.cdc.Opportunity.CREATE"
    assert envelope.source == "salesforce/data/OpportunityChangeEvent"
    assert envelope.id == f"{header['transactionKey']}:{header['sequenceNumber']}:{header['recordIds'][0]}"
    assert (
        envelope.subject == header["recordIds"][0]
        and envelope.data["replayId"] == message["data"]["event"]["replayId"]
    )
    assert (
        envelope.data["fields"]["StageName"] == "Prospecting"
        and "ChangeEventHeader" not in envelope.data["fields"]
    )


def test_an_event_naming_several_records_becomes_one_event_per_record_with_the_same_change() -> None:
    message = sample("UPDATE", "Opportunity")
    ids = header_of(message)["recordIds"]
    assert len(ids) > 1
    events = ADAPTER.decode(wire(message))
    assert [e["subject"] for e in events] == ids and len({e["id"] for e in events}) == len(ids)
    assert all(e["data"]["fields"] == events[0]["data"]["fields"] for e in events)
    assert events[0]["data"]["changedFields"] == header_of(message)["changedFields"]
    assert events[0]["source"] == "salesforce/data/OpportunityChangeEvent"  # bare payload: from the entity


def test_the_same_change_replayed_gives_the_same_events() -> None:
    message = sample("UPDATE", "Contact")
    replayed = copy.deepcopy(message)
    replayed["data"]["event"]["replayId"] = 9999  # a replay id is per delivery; the change is the same
    assert [e["id"] for e in ADAPTER.decode(wire(message))] == [
        e["id"] for e in ADAPTER.decode(wire(replayed))
    ]


def test_a_gap_event_is_refused_naming_the_records_to_read_again() -> None:
    with pytest.raises(
        AdapterError, match=r"changeType: GAP_UPDATE: Salesforce sent no values for Account 001"
    ):
        ADAPTER.decode(wire(sample("GAP_UPDATE", "Account")))


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        ({"recordIds": []}, "recordIds", "non-empty list"),
        ({"recordIds": "006R000000B4xYzIAJ"}, "recordIds", "non-empty list"),
        ({"changeType": "MERGE"}, "changeType", "is not one of"),
        ({"entityName": None}, "entityName", "expected text"),
        ({"sequenceNumber": "1"}, "sequenceNumber", "whole number"),
        ({"commitTimestamp": "yesterday"}, "commitTimestamp", "milliseconds since the epoch"),
        ({"changedFields": ["0x0E"]}, "changedFields", "decode the event with its schema"),
        ({"transactionKey": ""}, "transactionKey", "expected text"),
    ],
)
def test_a_broken_header_is_an_adapter_error_naming_the_member(
    edit: dict[str, Any], where: str, says: str
) -> None:
    message = sample("CREATE", "Account")
    header_of(message).update(edit)
    with pytest.raises(AdapterError) as raised:
        ADAPTER.decode(wire(message))
    assert raised.value.where == f"value.data.payload.ChangeEventHeader.{where}" and says in str(raised.value)


def test_a_message_without_a_header_is_refused() -> None:
    with pytest.raises(AdapterError, match="value.ChangeEventHeader: missing"):
        ADAPTER.decode(wire({"Name": "Acme"}))


def test_the_samples_map_onto_the_pack_and_only_the_gap_is_refused() -> None:
    pipe = preparing("salesforce-cdc", "salesforce-cdc")
    prepared = [p for i, m in enumerate(SAMPLES) for p, _ in pipe.prepare_all(record({"value": m}, f"s:{i}"))]
    refused = [p for p in prepared if isinstance(p, Rejection)]
    assert [r.reason for r in refused] == ["adapter"] and "GAP_UPDATE" in refused[0].message
    updated = [
        p for p in prepared if not isinstance(p, Rejection) and p.envelope.type.endswith("Opportunity.UPDATE")
    ]
    assert {p.entities[0].properties["stage"] for p in updated} == {"NEGOTIATION"}
    assert all("OpportunityUpdated" in p.event_labels for p in updated)
