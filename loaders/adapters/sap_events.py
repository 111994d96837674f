"""SAP S/4HANA business events → CloudEvents as the envelope check takes them.

S/4HANA's business events (Enterprise Event Enablement, via SAP Event Mesh or Advanced Event
Mesh) are CloudEvents already, with thin payloads that name the object's key and a few
classifiers::

    {"specversion": "1.0", "type": "sap.s4.beh.salesorder.v1.SalesOrder.Created.v1",
     "source": "/default/sap.s4.beh/244572008", "id": "QgEK7wzuHtqdhJwqCS+VOA==",
     "time": "2026-03-02T08:37:02Z", "datacontenttype": "application/json",
     "data": {"SalesOrder": "0000012345", "SoldToParty": "0010100001", ...}}

What this adapter adds before the mapping (which maps each ``type`` onto an ontology event class):

- **binary mode**: a Kafka message whose CloudEvents attributes are ``ce_*`` headers and whose
  value is the data (the CloudEvents Kafka binding; a bridge from Event Mesh to Kafka writes it);
- the type is checked to be an S/4HANA business event type,
  ``sap.s4.beh.<object type>.v<n>.<Object>.<Operation>.v<n>``, so a foreign event on the topic is
  an adapter error naming its type instead of an ``unknown-type`` letter;
- ``datacontenttype`` parameters (``application/json;charset=utf-8``) are dropped, and an event
  without ``time`` takes the payload's ``EventRaisedDateTime``.

SAP's event ``id`` is kept: S/4HANA raises each event once with its own id, so a redelivery is a
duplicate.
"""

from __future__ import annotations

import re
from typing import Any

from loaders.adapters import AdapterError, WireRecord

NAME = "sap-events"
#: ``sap.s4.beh.salesorder.v1.SalesOrder.Created.v1``: object type, its version, object, operation,
#: event version. Customer-defined events (``z``-namespaces) follow the same form.
TYPE_RX = re.compile(
    r"^sap\.s4\.beh\.(?P<objecttype>[a-z0-9_]+)\.v(?P<major>[0-9]+)\."
    r"(?P<object>[A-Za-z][A-Za-z0-9_]*)\.(?P<operation>[A-Za-z][A-Za-z0-9_]*)\.v(?P<version>[0-9]+)$"
)
REQUIRED = ("id", "source", "type")
#: The CloudEvents Kafka binding's header prefix (binary mode).
HEADER_PREFIX = "ce_"


class SapEventsAdapter:
    """Decodes S/4HANA business events, structured (JSON) or binary (``ce_`` headers)."""

    name = NAME

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        binary = any(name.startswith(HEADER_PREFIX) for name in record.headers)
        event = _from_headers(record) if binary else _structured(record)
        where = "header ce_" if binary else "value."
        for attribute in REQUIRED:
            if not isinstance(event.get(attribute), str) or not event[attribute]:
                raise AdapterError(NAME, f"{where}{attribute}", "missing: every business event has it")
        if TYPE_RX.match(event["type"]) is None:
            raise AdapterError(
                NAME,
                f"{where}type",
                f"{event['type']!r} is not an S/4HANA business event type "
                "(sap.s4.beh.<object type>.v<n>.<Object>.<Operation>.v<n>)",
            )
        data = event.get("data")
        if not isinstance(data, dict):
            raise AdapterError(NAME, "value" if binary else "value.data", "the payload must be a JSON object")
        content_type = str(event.get("datacontenttype") or "application/json").split(";", 1)[0].strip()
        if content_type != "application/json":
            raise AdapterError(
                NAME, f"{where}datacontenttype", f"{content_type!r}: only JSON payloads are read"
            )
        event["datacontenttype"] = "application/json"
        event.setdefault("specversion", "1.0")
        if not event.get("time"):
            raised = data.get("EventRaisedDateTime")
            if not isinstance(raised, str):
                raise AdapterError(
                    NAME, f"{where}time", "missing, and the payload has no EventRaisedDateTime"
                )
            event["time"] = raised
        return [event]


def create() -> SapEventsAdapter:
    return SapEventsAdapter()


def _structured(record: WireRecord) -> dict[str, Any]:
    event = record.json(NAME)
    if not isinstance(event, dict):
        raise AdapterError(
            NAME, "value", f"expected a CloudEvent (a JSON object), got {type(event).__name__}"
        )
    return event


def _from_headers(record: WireRecord) -> dict[str, Any]:
    """The CloudEvents Kafka binding, binary mode: attributes in ``ce_<name>`` headers, the data in
    the value, its type in ``content-type``."""
    event: dict[str, Any] = {}
    for name, raw in record.headers.items():
        if name.startswith(HEADER_PREFIX) and raw is not None:
            try:
                event[name.removeprefix(HEADER_PREFIX)] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise AdapterError(NAME, f"header {name}", "not valid UTF-8") from None
    content_type = record.headers.get("content-type")
    if content_type is not None:
        event["datacontenttype"] = content_type.decode("utf-8", errors="replace")
    event["data"] = record.json(NAME)
    return event
