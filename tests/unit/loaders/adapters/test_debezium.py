"""The Debezium adapter: change envelopes (bare and schema-wrapped) → CloudEvents, and refusals."""

from __future__ import annotations

import base64
import copy
from typing import Any

import orjson
import pytest

from loaders.adapters import AdapterError, WireRecord
from loaders.adapters.debezium import DebeziumAdapter
from loaders.envelope import check_envelope
from loaders.pipeline import Rejection

from .samples import DATA, messages, preparing, record

SAMPLES = messages(DATA / "debezium" / "erp-changes.json")
ADAPTER = DebeziumAdapter()


def wire(value: Any, key: Any = None, offset: int | None = None) -> WireRecord:
    return WireRecord(
        value=None if value is None else orjson.dumps(value),
        origin="test",
        topic="erpdb.erp.t" if offset is not None else None,
        partition=0 if offset is not None else None,
        offset=offset,
        key=None if key is None else orjson.dumps(key),
    )


def sample(op: str, table: str) -> dict[str, Any]:
    """The first sample message of ``op`` on ``table`` (its value unwrapped when wrapped)."""
    for message in SAMPLES:
        value = message["value"]
        change = value.get("payload", value) if value else None
        if change and change["op"] == op and change["source"]["table"] == table:
            return copy.deepcopy(message)
    raise LookupError((op, table))


def test_a_create_becomes_one_cloudevent_holding_the_row_as_it_is_now() -> None:
    message = sample("c", "sales_order_item")
    [event] = ADAPTER.decode(wire(message["value"], message["key"]))
    envelope = check_envelope(event, "")
    assert envelope.type == "io.debezium.erp.sales_order_item.c"
    assert envelope.source == "/debezium/postgresql/erpdb"
    assert envelope.time_text.startswith("2026-03-02T09:01:00")  # source.ts_ms: the commit in the database
    assert envelope.data["row"] == message["value"]["after"] and envelope.data["before"] is None
    assert (
        envelope.data["key"] == message["key"]
        and envelope.subject == orjson.dumps(message["key"], option=orjson.OPT_SORT_KEYS).decode()
    )
    assert envelope.data["source"]["lsn"] == message["value"]["source"]["lsn"]


def test_the_schema_wrapper_is_unwrapped_and_its_decimals_decoded() -> None:
    message = sample("c", "sales_order_header")
    assert "schema" in message["value"] and isinstance(
        message["value"]["payload"]["after"]["net_amount"], str
    )
    [event] = ADAPTER.decode(wire(message["value"], message["key"]))
    assert event["data"]["row"]["net_amount"] == 1234.5
    assert event["data"]["key"] == {"order_no": "SO-1001"}  # the key's payload, its schema dropped
    bare = copy.deepcopy(message["value"]["payload"])
    bare["after"]["net_amount"] = 1234.5
    [same] = ADAPTER.decode(wire(bare, {"order_no": "SO-1001"}))
    assert same["id"] == event["id"] and same["data"] == event["data"]


@pytest.mark.parametrize(
    ("encoded", "scale", "number"), [("AeI6", 2, 1234.5), ("/w==", 0, -1), ("AA==", 3, 0.0)]
)
def test_connect_decimals_decode_from_base64_twos_complement(encoded: str, scale: int, number: float) -> None:
    message = sample("c", "sales_order_header")
    message["value"]["payload"]["after"]["net_amount"] = encoded
    for part in message["value"]["schema"]["fields"][1]["fields"]:
        if part["field"] == "net_amount":
            part["parameters"]["scale"] = str(scale)
    [event] = ADAPTER.decode(wire(message["value"]))
    assert event["data"]["row"]["net_amount"] == number
    assert int.from_bytes(base64.b64decode(encoded), "big", signed=True) * 10**-scale == pytest.approx(number)


def test_a_delete_holds_the_row_before_and_its_tombstone_stands_for_no_event() -> None:
    message = sample("d", "sales_order_header")
    [event] = ADAPTER.decode(wire(message["value"], message["key"]))
    assert event["type"].endswith(".d") and event["data"]["row"] == message["value"]["before"]
    assert ADAPTER.decode(wire(None, message["key"])) == []
    assert ADAPTER.decode(wire({"schema": {"type": "struct"}, "payload": None})) == []


def test_the_id_is_the_log_position_so_a_replay_or_a_resent_change_is_the_same_event() -> None:
    message = sample("u", "sales_order_header")
    first = ADAPTER.decode(wire(message["value"], message["key"], offset=3))
    # the connector restarted and sent the change again, at another Kafka offset
    again = ADAPTER.decode(wire(message["value"], message["key"], offset=917))
    assert first == again
    later = copy.deepcopy(message["value"])
    later["source"]["lsn"] += 88
    assert ADAPTER.decode(wire(later, message["key"]))[0]["id"] != first[0]["id"]


def test_rows_read_at_one_snapshot_position_get_ids_of_their_own_with_or_without_a_key() -> None:
    snapshot = [m for m in SAMPLES if m["value"] and m["value"].get("op") == "r"]
    assert len({m["value"]["source"]["lsn"] for m in snapshot}) == 1 < len(snapshot)
    with_keys = {ADAPTER.decode(wire(m["value"], m["key"]))[0]["id"] for m in snapshot}
    without = {ADAPTER.decode(wire(m["value"]))[0]["id"] for m in snapshot}
    assert len(with_keys) == len(without) == len(snapshot)


def test_other_connectors_positions_name_the_event() -> None:
    change = sample("r", "material")["value"]
    change["source"] = {
        "connector": "mysql",
        "name": "erp",
        "ts_ms": 1,
        "db": "erp",
        "table": "material",
        "file": "mysql-bin.000003",
        "pos": 154,
        "row": 1,
    }
    [mysql] = ADAPTER.decode(wire(change))
    assert (
        mysql["type"] == "io.debezium.erp.material.r" and "file=mysql-bin.000003;pos=154;row=1" in mysql["id"]
    )
    change["source"] = {
        "connector": "sqlserver",
        "name": "erp",
        "ts_ms": 1,
        "db": "erp",
        "schema": "dbo",
        "table": "material",
        "change_lsn": "00000027:00000758:0003",
        "commit_lsn": "00000027:00000758:0005",
        "event_serial_no": 1,
    }
    [sqlserver] = ADAPTER.decode(wire(change))
    assert (
        sqlserver["type"] == "io.debezium.dbo.material.r"
        and "change_lsn=00000027:00000758:0003" in sqlserver["id"]
    )
    change["source"] = {
        "connector": "postgresql",
        "name": "erp",
        "ts_ms": 1,
        "schema": "erp",
        "table": "material",
    }
    assert "kafka=erpdb.erp.t/0@42" in ADAPTER.decode(wire(change, offset=42))[0]["id"]


def _broken(edit: str) -> Any:
    value = copy.deepcopy(sample("r", "material")["value"])
    if edit == "not an object":
        return [value]
    if edit == "op x":
        value["op"] = "x"
    elif edit == "truncate":
        value["op"] = "t"
    elif edit == "no source":
        del value["source"]
    elif edit == "no table":
        del value["source"]["table"]
    elif edit == "no after":
        value["after"] = None
    elif edit == "row not an object":
        value["after"] = "M-100"
    elif edit == "no time":
        del value["source"]["ts_ms"], value["ts_ms"]
    elif edit == "no position":
        del value["source"]["lsn"]
    return value


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        ("not an object", "value", "expected a JSON object"),
        ("op x", "value.op", "is not a Debezium change"),
        ("truncate", "value.op", "a truncate names no row"),
        ("no source", "value.source", "missing"),
        ("no table", "value.source", "names no table"),
        ("no after", "value.after", "needs the row image 'after'"),
        ("row not an object", "value.after", "expected a row object"),
        ("no time", "value.source.ts_ms", "milliseconds since the epoch"),
        ("no position", "value.source", "has no log position"),
    ],
)
def test_a_record_that_is_no_change_event_is_an_adapter_error_naming_where(
    edit: str, where: str, says: str
) -> None:
    with pytest.raises(AdapterError) as raised:
        ADAPTER.decode(wire(_broken(edit)))
    assert raised.value.reason == "adapter" and raised.value.where == where
    assert says in str(raised.value) and str(raised.value).startswith(f"debezium: {where}: ")


def test_a_wrapped_decimal_that_is_not_base64_names_its_column() -> None:
    message = sample("c", "sales_order_header")
    message["value"]["payload"]["after"]["net_amount"] = "12,50"
    with pytest.raises(AdapterError, match=r"value\.payload\.after\.net_amount: a decimal is base64"):
        ADAPTER.decode(wire(message["value"]))
    message = sample("c", "sales_order_header")
    for part in message["value"]["schema"]["fields"][1]["fields"]:
        if part["field"] == "net_amount":
            part["parameters"]["scale"] = "two"
    with pytest.raises(AdapterError, match=r"net_amount: the decimal's scale 'two' is not a whole number"):
        ADAPTER.decode(wire(message["value"]))


def test_the_samples_map_onto_the_pack_with_nothing_refused_and_the_tombstone_skipped() -> None:
    pipe = preparing("debezium-erp", "debezium")
    prepared = [pipe.prepare_all(record(m, f"s:{i}", i)) for i, m in enumerate(SAMPLES)]
    refused = [p for one in prepared for p, _ in one if isinstance(p, Rejection)]
    assert refused == []
    assert [i for i, one in enumerate(prepared) if not one] == [
        i for i, m in enumerate(SAMPLES) if m["value"] is None
    ]
    events = {p.envelope.type: p for one in prepared for p, _ in one if not isinstance(p, Rejection)}
    order = events["io.debezium.erp.sales_order_header.u"].entities[0]
    assert order.properties["status"] == "IN_PROCESS" and str(order.properties["orderDate"]) == "2026-03-02"
    assert events["io.debezium.erp.sales_order_header.d"].entities[0].properties == {"status": "DELETED"}
    assert events["io.debezium.erp.material.r"].entities[0].properties["materialType"] in {"FINISHED", "RAW"}


def test_debeziums_own_cloudevents_converter_gives_the_same_event_as_the_change_envelope() -> None:
    message = sample("u", "sales_order_header")
    change = message["value"]
    source = change["source"]
    converted = {
        "id": f"name:{source['name']};lsn:{source['lsn']};txId:{source['txId']}",
        "source": f"/debezium/postgresql/{source['name']}",
        "specversion": "1.0",
        "type": "io.debezium.connector.postgresql.DataChangeEvent",
        "time": "2026-03-02T10:00:00.037Z",
        "datacontenttype": "application/json",
        "iodebeziumop": "u",
        "iodebeziumversion": source["version"],
        "iodebeziumconnector": "postgresql",
        "iodebeziumname": source["name"],
        "iodebeziumtsms": str(source["ts_ms"]),
        "iodebeziumsnapshot": "false",
        "iodebeziumdb": source["db"],
        "iodebeziumschema": source["schema"],
        "iodebeziumtable": source["table"],
        "iodebeziumlsn": str(source["lsn"]),
        "iodebeziumtxid": str(source["txId"]),
        "iodebeziumxmin": None,
        "data": {"before": change["before"], "after": change["after"]},
    }
    [plain] = ADAPTER.decode(wire(change, message["key"]))
    [from_converter] = ADAPTER.decode(wire(converted, message["key"]))
    for attribute in ("id", "type", "source", "time", "subject"):
        assert from_converter[attribute] == plain[attribute], attribute
    assert from_converter["data"]["row"] == plain["data"]["row"] and from_converter["data"]["op"] == "u"
    converted["iodebeziumop"] = "x"
    with pytest.raises(AdapterError, match=r"value\[iodebezium\*\]\.op: 'x' is not a Debezium change"):
        ADAPTER.decode(wire(converted))
