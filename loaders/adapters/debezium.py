"""Debezium change events → CloudEvents, one per row change.

A Debezium message (JSON converter) is the change envelope ``{before, after, source, op, ts_ms}``,
bare (``value.converter.schemas.enable=false``) or wrapped as ``{schema, payload}``; Debezium's own
CloudEvents converter puts ``op`` and the source block into ``iodebezium*`` extension attributes and
the row images into ``data``, and is read too. Each becomes a CloudEvent:

- ``type`` ``io.debezium.<schema-or-db>.<table>.<op>`` (``op``: ``c`` create, ``u`` update, ``d``
  delete, ``r`` snapshot read), what a mapping pack maps onto ontology event classes;
- ``id`` from the connector and the change's position in the database log (``lsn``, binlog
  ``file``/``pos``/``row``, ``change_lsn``/``event_serial_no``, ``scn`` …) and the row's key, so the
  same change sent again — a connector restarting, a topic replayed — is a duplicate; a source
  without a known position falls back to the Kafka topic, partition and offset;
- ``source`` ``/debezium/<connector>/<name>`` (as Debezium's own CloudEvents converter writes it),
  ``time`` the change's commit time in the database (``source.ts_ms``), ``subject`` the row's key;
- ``data`` ``{op, table, key, row, before, after, source}``: ``row`` is the row image that exists
  (``after``, or ``before`` for a delete), so one mapping reads ``row.<column>`` for every op.

With the schema wrapper, ``org.apache.kafka.connect.data.Decimal`` and
``io.debezium.data.VariableScaleDecimal`` columns (base64 of the unscaled value) are decoded to
numbers; without it the connector should send decimals as numbers or text
(``decimal.handling.mode=double|string``). Dates and timestamps stay Debezium's numbers (days,
ms, µs since the epoch): the mapping converts them (``format: epoch-days|epoch-ms|epoch-us``).

A tombstone (a message with a key and no value, sent after a delete for log compaction) stands for
no event: the delete before it carried the change. A truncate (``t``) or a logical-decoding message
(``m``) names no row, so it is an adapter error (a dead letter), never loaded or dropped unseen.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from typing import Any

import orjson

from loaders.adapters import AdapterError, WireRecord, cloudevent, time_from_epoch_ms

NAME = "debezium"
OPS = {"c": "create", "u": "update", "d": "delete", "r": "read (snapshot)"}
#: Position fields of the connectors' ``source`` blocks, in the order they are written into the id
#: (PostgreSQL lsn; MySQL/MariaDB file, pos, row; SQL Server change_lsn, commit_lsn,
#: event_serial_no; Oracle scn, commit_scn, rs_id, ssn; Db2 change_lsn; MongoDB ord).
POSITION_FIELDS = (
    "lsn",
    "file",
    "pos",
    "row",
    "change_lsn",
    "commit_lsn",
    "event_serial_no",
    "scn",
    "commit_scn",
    "rs_id",
    "ssn",
    "ord",
)
#: Members of ``source`` kept in the event's data (the rest is connector detail).
SOURCE_FIELDS = ("connector", "name", "db", "schema", "table", "snapshot", "txId", *POSITION_FIELDS)
_DECIMAL = "org.apache.kafka.connect.data.Decimal"
_VARIABLE_DECIMAL = "io.debezium.data.VariableScaleDecimal"
#: Debezium's CloudEvents converter: extension attributes ``iodebezium<member>`` (lower case, as
#: CloudEvents requires) hold the ``source`` block's members; the ones whose case differs:
_CE_PREFIX = "iodebezium"
_CE_MEMBERS = {
    "tsms": "ts_ms",
    "txid": "txId",
    "changelsn": "change_lsn",
    "commitlsn": "commit_lsn",
    "eventserialno": "event_serial_no",
    "commitscn": "commit_scn",
    "rsid": "rs_id",
}
#: CloudEvents allows any id, the envelope check 200 characters: longer ones are digested.
MAX_ID = 200


class DebeziumAdapter:
    """Decodes Debezium change events (JSON converter, with or without the schema wrapper)."""

    name = NAME

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        if record.value is None:
            return []  # a tombstone: log compaction's marker after a delete, not a change
        message = record.json(NAME)
        if not isinstance(message, dict):
            raise AdapterError(NAME, "value", f"expected a JSON object, got {type(message).__name__}")
        change, schema, where = _unwrapped(message)
        if change is None:
            return []  # {"schema": …, "payload": null}: a tombstone written with the schema wrapper
        return [self._event(change, schema, where, record)]

    def _event(self, change: dict[str, Any], schema: Any, where: str, record: WireRecord) -> dict[str, Any]:
        op = change.get("op")
        if op in ("t", "m"):
            what = "a truncate" if op == "t" else "a logical decoding message"
            raise AdapterError(NAME, f"{where}.op", f"{what} names no row; nothing is loaded from it")
        if not isinstance(op, str) or op not in OPS:
            raise AdapterError(
                NAME,
                f"{where}.op",
                f"{op!r} is not a Debezium change (c, u, d, r); is this a Debezium topic?",
            )
        source = change.get("source")
        if not isinstance(source, dict):
            raise AdapterError(NAME, f"{where}.source", "missing: a change event names its source")
        table = _table(source, where)
        before = _row(change, "before", schema, where)
        after = _row(change, "after", schema, where)
        row = before if op == "d" else after
        if row is None:
            side = "before" if op == "d" else "after"
            raise AdapterError(NAME, f"{where}.{side}", f"a {OPS[op]} needs the row image {side!r}")
        key = _key(record)
        when = source.get("ts_ms", change.get("ts_ms"))
        return cloudevent(
            id=_event_id(source, table, op, key, row, record),
            source=f"/debezium/{source.get('connector', 'unknown')}/{source.get('name', 'unknown')}",
            type=f"io.debezium.{table}.{op}",
            time=time_from_epoch_ms(NAME, f"{where}.source.ts_ms", when),
            subject=_text(key) if key is not None else None,
            data={
                "op": op,
                "table": table,
                "key": key,
                "row": row,
                "before": before,
                "after": after,
                "source": {k: source[k] for k in SOURCE_FIELDS if source.get(k) is not None},
            },
        )


def create() -> DebeziumAdapter:
    return DebeziumAdapter()


def _unwrapped(message: dict[str, Any]) -> tuple[dict[str, Any] | None, Any, str]:
    """The change, its schema (None when bare) and where the change sits in the value."""
    if "specversion" in message and any(k.startswith(_CE_PREFIX) for k in message):
        return _from_cloudevent(message)
    if "payload" in message and "schema" in message:
        payload = message["payload"]
        if payload is not None and not isinstance(payload, dict):
            raise AdapterError(NAME, "value.payload", f"expected an object, got {type(payload).__name__}")
        return payload, message["schema"], "value.payload"
    return message, None, "value"


def _from_cloudevent(message: dict[str, Any]) -> tuple[dict[str, Any], Any, str]:
    """Debezium's own CloudEvents converter: the ``source`` block and ``op`` are extension
    attributes (``iodebeziumop``, ``iodebeziumtable``, ``iodebeziumlsn`` …, values as text), the
    row images are ``data`` (its ``payload`` when the data has a schema)."""
    data = message.get("data")
    schema = None
    if isinstance(data, dict) and "payload" in data and "schema" in data:
        data, schema = data["payload"], data["schema"]
    if not isinstance(data, dict):
        raise AdapterError(NAME, "value.data", "a change's CloudEvent has its row images in data")
    source: dict[str, Any] = {}
    for name, value in message.items():
        if name.startswith(_CE_PREFIX) and name != f"{_CE_PREFIX}op":
            member = _CE_MEMBERS.get(name.removeprefix(_CE_PREFIX), name.removeprefix(_CE_PREFIX))
            source[member] = value
    if isinstance(source.get("ts_ms"), str) and source["ts_ms"].isdigit():
        source["ts_ms"] = int(source["ts_ms"])
    change = {"op": message.get(f"{_CE_PREFIX}op"), "before": data.get("before"), "after": data.get("after")}
    return {**change, "source": source}, schema, "value[iodebezium*]"


def _table(source: dict[str, Any], where: str) -> str:
    """``<schema>.<table>`` (PostgreSQL, SQL Server, Oracle) or ``<db>.<table>`` (MySQL)."""
    table = source.get("table")
    scope = source.get("schema") or source.get("db")
    if not isinstance(table, str) or not table or not isinstance(scope, str) or not scope:
        raise AdapterError(NAME, f"{where}.source", "names no table (source.table with source.schema or .db)")
    return f"{scope}.{table}"


def _row(change: dict[str, Any], side: str, schema: Any, where: str) -> dict[str, Any] | None:
    row = change.get(side)
    if row is None:
        return None
    if not isinstance(row, dict):
        raise AdapterError(NAME, f"{where}.{side}", f"expected a row object, got {type(row).__name__}")
    fields = _fields_of(schema, side)
    if not fields:
        return row
    return {
        column: _decoded(value, fields.get(column), f"{where}.{side}.{column}")
        for column, value in row.items()
    }


def _fields_of(schema: Any, side: str) -> dict[str, dict[str, Any]]:
    """The column schemas of the envelope schema's ``before``/``after`` struct."""
    parts = schema.get("fields") if isinstance(schema, dict) else None
    for part in parts if isinstance(parts, list) else ():
        if isinstance(part, dict) and part.get("field") == side and isinstance(part.get("fields"), list):
            return {
                f["field"]: f
                for f in part["fields"]
                if isinstance(f, dict) and isinstance(f.get("field"), str)
            }
    return {}


def _decoded(value: Any, column: dict[str, Any] | None, where: str) -> Any:
    """A column's value with Kafka Connect's logical decimal types made numbers."""
    if column is None or value is None:
        return value
    logical = column.get("name")
    if logical == _DECIMAL:
        return _decimal(value, _scale((column.get("parameters") or {}).get("scale", "0"), where), where)
    if logical == _VARIABLE_DECIMAL and isinstance(value, dict):
        return _decimal(value.get("value"), _scale(value.get("scale", 0), where), where)
    return value


def _scale(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdapterError(NAME, where, f"the decimal's scale {value!r} is not a whole number") from None


def _decimal(encoded: Any, scale: int, where: str) -> float | int:
    """Base64 of a big-endian two's complement unscaled integer → the number it stands for."""
    if isinstance(encoded, int | float) and not isinstance(encoded, bool):
        return encoded  # decimal.handling.mode=double despite the schema name
    if not isinstance(encoded, str):
        raise AdapterError(NAME, where, f"a decimal is base64 text, got {encoded!r}")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise AdapterError(NAME, where, f"a decimal is base64 text, got {encoded!r}") from None
    number = Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-scale)
    return int(number) if scale == 0 else float(number)


def _key(record: WireRecord) -> Any:
    """The row's key from the Kafka key (its ``payload`` when wrapped), None without one."""
    key = record.key_json()
    if isinstance(key, dict) and "payload" in key and "schema" in key:
        return key["payload"]
    return key


def _event_id(
    source: dict[str, Any], table: str, op: str, key: Any, row: dict[str, Any], record: WireRecord
) -> str:
    position = [f"{name}={source[name]}" for name in POSITION_FIELDS if source.get(name) is not None]
    if not position:
        if record.offset is None:
            raise AdapterError(
                NAME,
                "value.source",
                "has no log position (lsn, file/pos, change_lsn, scn …) and the record no Kafka offset: "
                "the event cannot be given an id that a replay repeats",
            )
        position = [f"kafka={record.topic}/{record.partition}@{record.offset}"]
    # A snapshot reads every row at one position, several rows may change at one position (a
    # binlog event): the row's key (or, without a key, the row) tells them apart.
    row_id = _text(key) if key is not None else _digest(row)
    text = f"{source.get('name', '')}:{table}:{op}:{';'.join(position)}:{row_id}"
    return text if len(text) <= MAX_ID else f"{source.get('name', '')}:{table}:{op}:{_digest(text)}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _digest(value: Any) -> str:
    data = value.encode() if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=12).hexdigest()
