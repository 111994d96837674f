"""The SAP S/4HANA business events adapter: structured and binary mode, type check, and the pack."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from loaders.adapters import AdapterError, WireRecord
from loaders.adapters.sap_events import SapEventsAdapter
from loaders.envelope import check_envelope
from loaders.pipeline import Rejection

from .samples import DATA, messages, preparing, record

SAMPLES = messages(DATA / "sap-s4" / "business-events.json")
ADAPTER = SapEventsAdapter()
CREATED = "sap.s4.beh.salesorder.v1.SalesOrder.Created.v1"


def wire(value: Any, headers: dict[str, str] | None = None) -> WireRecord:
    return WireRecord(
        value=orjson.dumps(value),
        origin="test",
        headers={k: v.encode() for k, v in (headers or {}).items()},
    )


def structured(event_type: str = CREATED) -> dict[str, Any]:
    return copy.deepcopy(next(m["value"] for m in SAMPLES if m["value"].get("type") == event_type))


def test_a_structured_business_event_passes_with_its_own_id_type_and_thin_payload() -> None:
    event = structured()
    [decoded] = ADAPTER.decode(wire(event))
    envelope = check_envelope(decoded, "")
    assert (envelope.id, envelope.type, envelope.source) == (event["id"], CREATED, event["source"])
    assert envelope.data == event["data"]


def test_a_binary_mode_message_takes_its_attributes_from_the_ce_headers() -> None:
    message = next(m for m in SAMPLES if m.get("headers"))
    [decoded] = ADAPTER.decode(wire(message["value"], message["headers"]))
    envelope = check_envelope(decoded, "")
    assert envelope.type == message["headers"]["ce_type"] and envelope.id == message["headers"]["ce_id"]
    assert envelope.data == message["value"]


def test_content_type_parameters_are_dropped_and_a_missing_time_is_the_raised_time() -> None:
    event = structured()
    event["datacontenttype"] = "application/json; charset=utf-8"
    del event["time"]
    [decoded] = ADAPTER.decode(wire(event))
    assert decoded["datacontenttype"] == "application/json"
    assert decoded["time"] == event["data"]["EventRaisedDateTime"]
    check_envelope(decoded, "")


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        ({"type": "com.acme.order.created"}, "value.type", "is not an S/4HANA business event type"),
        ({"type": "sap.s4.beh.salesorder.SalesOrder.Created.v1"}, "value.type", "is not an S/4HANA"),
        ({"id": ""}, "value.id", "missing"),
        ({"data": "0000012345"}, "value.data", "must be a JSON object"),
        ({"datacontenttype": "application/xml"}, "value.datacontenttype", "only JSON payloads"),
    ],
)
def test_what_is_no_business_event_is_an_adapter_error_naming_where(
    edit: dict[str, Any], where: str, says: str
) -> None:
    event = {**structured(), **edit}
    with pytest.raises(AdapterError) as raised:
        ADAPTER.decode(wire(event))
    assert raised.value.where == where and says in str(raised.value)


def test_a_binary_message_without_its_type_header_names_the_header() -> None:
    with pytest.raises(AdapterError, match="header ce_type: missing"):
        ADAPTER.decode(wire({"SalesOrder": "1"}, {"ce_id": "x", "ce_source": "/default/sap.s4.beh/1"}))


def test_the_samples_map_by_type_onto_subclasses_of_the_core_event_classes() -> None:
    pipe = preparing("sap-s4", "sap-events")
    prepared = [p for i, m in enumerate(SAMPLES) for p, _ in pipe.prepare_all(record(m, f"s:{i}"))]
    assert [p for p in prepared if isinstance(p, Rejection)] == []
    model = pipe.mapper.by_type[CREATED]
    created = next(p for p in prepared if not isinstance(p, Rejection) and p.envelope.type == CREATED)
    assert (
        "SalesOrderCreated" in created.event_labels and model.event_class == "SalesOrderCreatedNotification"
    )
    order, customer = created.entities
    assert order.ref.key == ("0000012345",) and customer.ref.key == ("0010100001",)
