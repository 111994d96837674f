"""Salesforce Change Data Capture events → CloudEvents, one per changed record.

A change event carries a ``ChangeEventHeader`` and the record's field values (for an update, only
the fields that changed). It arrives as the Streaming API (CometD) delivers it,
``{"channel": "/data/OpportunityChangeEvent", "data": {"schema": …, "payload": {…}, "event":
{"replayId": 6}}}``, or as its payload alone (a Pub/Sub API event decoded with its schema, or a
bridge to Kafka that writes the payload). One event may name several records (``recordIds``: a
mass update or delete of records changed alike in one transaction), so it becomes one CloudEvent
per record:

- ``type`` ``com.salesforce.cdc.<entityName>.<changeType>`` (``CREATE``, ``UPDATE``, ``DELETE``,
  ``UNDELETE``), mapped by a pack onto ontology event classes;
- ``id`` ``<transactionKey>:<sequenceNumber>:<recordId>``: the transaction and the event's place in
  it name the change, so a replay (``replayId`` again) is a duplicate;
- ``source`` ``salesforce/<channel>`` (``salesforce/data/OpportunityChangeEvent``), ``time`` the
  commit (``commitTimestamp``), ``subject`` the record id;
- ``data`` ``{recordId, entityName, changeType, changedFields, nulledFields, diffFields,
  commitUser, commitNumber, transactionKey, sequenceNumber, changeOrigin, replayId, fields}``,
  ``fields`` being the record's values the event carries (compound fields such as ``Name`` and
  ``BillingAddress`` as objects).

Gap events (``GAP_CREATE`` … ``GAP_OVERFLOW``) carry no values: Salesforce could not send them. They
are adapter errors saying which records to read from Salesforce, so none is lost unseen. Field lists
given as bitmaps (``0x…``, the Pub/Sub API's raw form) must be decoded with the event's schema
first; they are refused with that advice.
"""

from __future__ import annotations

from typing import Any

from loaders.adapters import AdapterError, WireRecord, cloudevent, time_from_epoch_ms

NAME = "salesforce-cdc"
CHANGE_TYPES = ("CREATE", "UPDATE", "DELETE", "UNDELETE")
GAPS = ("GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW")
HEADER = "ChangeEventHeader"
FIELD_LISTS = ("changedFields", "nulledFields", "diffFields")


class SalesforceCdcAdapter:
    """Decodes Salesforce change events (Streaming API messages or bare payloads)."""

    name = NAME

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        message = record.json(NAME)
        if not isinstance(message, dict):
            raise AdapterError(NAME, "value", f"expected a JSON object, got {type(message).__name__}")
        payload, channel, replay_id, where = _payload(message)
        header = payload.get(HEADER)
        if not isinstance(header, dict):
            raise AdapterError(NAME, f"{where}.{HEADER}", "missing: a change event has its header")
        at = f"{where}.{HEADER}"
        entity = _text(header, "entityName", at)
        change = _text(header, "changeType", at)
        record_ids = header.get("recordIds")
        if (
            not isinstance(record_ids, list)
            or not record_ids
            or not all(isinstance(r, str) and r for r in record_ids)
        ):
            raise AdapterError(
                NAME, f"{at}.recordIds", f"expected a non-empty list of record ids, got {record_ids!r}"
            )
        if change in GAPS:
            raise AdapterError(
                NAME,
                f"{at}.changeType",
                f"{change}: Salesforce sent no values for {entity} {', '.join(record_ids)}; read the "
                "record(s) from Salesforce and send them as an UPDATE",
            )
        if change not in CHANGE_TYPES:
            raise AdapterError(
                NAME, f"{at}.changeType", f"{change!r} is not one of {', '.join(CHANGE_TYPES)}"
            )
        transaction = _text(header, "transactionKey", at)
        sequence = header.get("sequenceNumber")
        if isinstance(sequence, bool) or not isinstance(sequence, int):
            raise AdapterError(NAME, f"{at}.sequenceNumber", f"expected a whole number, got {sequence!r}")
        lists = {name: _field_list(header, name, at) for name in FIELD_LISTS}
        time = time_from_epoch_ms(NAME, f"{at}.commitTimestamp", header.get("commitTimestamp"))
        fields = {k: v for k, v in payload.items() if k != HEADER}
        source = f"salesforce/{(channel or f'/data/{_channel_name(entity)}').lstrip('/')}"
        return [
            cloudevent(
                id=f"{transaction}:{sequence}:{record_id}",
                source=source,
                type=f"com.salesforce.cdc.{entity}.{change}",
                time=time,
                subject=record_id,
                data={
                    "recordId": record_id,
                    "entityName": entity,
                    "changeType": change,
                    **lists,
                    "commitUser": header.get("commitUser"),
                    "commitNumber": header.get("commitNumber"),
                    "transactionKey": transaction,
                    "sequenceNumber": sequence,
                    "changeOrigin": header.get("changeOrigin"),
                    "replayId": replay_id,
                    "fields": fields,
                },
            )
            for record_id in record_ids
        ]


def create() -> SalesforceCdcAdapter:
    return SalesforceCdcAdapter()


def _payload(message: dict[str, Any]) -> tuple[dict[str, Any], str | None, Any, str]:
    """The event's payload, its channel, its replay id, and where the payload sits in the value."""
    data = message.get("data")
    if HEADER not in message and isinstance(data, dict) and "payload" in data:
        payload = data["payload"]
        if not isinstance(payload, dict):
            raise AdapterError(
                NAME, "value.data.payload", f"expected an object, got {type(payload).__name__}"
            )
        event = data.get("event")
        replay = event.get("replayId") if isinstance(event, dict) else None
        channel = message.get("channel")
        return payload, channel if isinstance(channel, str) else None, replay, "value.data.payload"
    return message, None, None, "value"


def _text(header: dict[str, Any], name: str, at: str) -> str:
    value = header.get(name)
    if not isinstance(value, str) or not value:
        raise AdapterError(NAME, f"{at}.{name}", f"expected text, got {value!r}")
    return value


def _field_list(header: dict[str, Any], name: str, at: str) -> list[str]:
    value = header.get(name) or []
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        raise AdapterError(NAME, f"{at}.{name}", f"expected a list of field names, got {value!r}")
    if any(f.startswith("0x") for f in value):
        raise AdapterError(
            NAME,
            f"{at}.{name}",
            "field bitmaps (0x…): decode the event with its schema into field names first "
            "(the Pub/Sub API's EventBus client does), then send it",
        )
    return value


def _channel_name(entity: str) -> str:
    """``Account`` → ``AccountChangeEvent``; a custom object ``Order__c`` → ``Order__ChangeEvent``."""
    return f"{entity.removesuffix('__c')}__ChangeEvent" if entity.endswith("__c") else f"{entity}ChangeEvent"
