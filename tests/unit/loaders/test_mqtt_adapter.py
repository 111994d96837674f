"""The MQTT / Unified Namespace adapter: topics, JSON and Sparkplug B payloads → the ontology's
equipment state and operation events, checked by the uns mapping pack and the payload contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_service.settings import SHIPPED_MAPPINGS, load_settings
from loaders import adapters
from loaders.adapters import AdapterError, WireRecord
from loaders.adapters import mqtt_protobuf as pb
from loaders.adapters.mqtt import UnsAdapter
from loaders.adapters.mqtt_topics import parse_sparkplug, parse_uns
from loaders.assembly import LoaderParts, load_parts
from loaders.envelope import parse_line
from tests.support.loading import REPO

PACK = REPO / "loaders" / "mappings" / "packs" / "uns"
TOPIC = "acme/plant1/machining/line2/cnc-7/state"
T0 = 1_772_442_000_000  # 2026-03-02T09:00:00Z


def json_message(**members: Any) -> bytes:
    return orjson.dumps(members)


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> LoaderParts:
    settings = load_settings(
        ontology_dir=REPO / "ontology",
        mappings_dirs=(SHIPPED_MAPPINGS, PACK),
        shapes_dir=REPO / "shapes",
        data_dir=tmp_path_factory.mktemp("uns"),
    )
    return load_parts(settings)


def mapped(parts: LoaderParts, event: dict[str, Any]) -> Any:
    """The event through the envelope check, the pack's mapping and the payload contract."""
    envelope = parse_line(orjson.dumps(event))
    mapping = parts.mapper.mapping_for(envelope)
    assert parts.validator.validate(mapping.event_class, envelope.id, envelope.data) == []
    return mapping.event_class, parts.mapper.map(envelope, mapping)


# -- topics -------------------------------------------------------------------------------------------


def test_an_isa95_topic_gives_the_equipment_path_and_the_leaf() -> None:
    parsed = parse_uns(TOPIC)
    assert parsed is not None
    assert parsed.leaf == "state"
    assert parsed.path.equipment == "cnc-7"
    assert parsed.path.source == "uns/acme/plant1/machining/line2/cnc-7"
    assert parsed.path.named() == {
        "enterprise": "acme",
        "site": "plant1",
        "area": "machining",
        "line": "line2",
        "cell": "cnc-7",
    }
    completed = parse_uns("acme/plant1/cnc-7/operation/completed")
    assert completed is not None and completed.leaf == "operation/completed"
    assert completed.path.levels == ("acme", "plant1", "cnc-7")


def test_a_topic_that_is_no_state_or_count_stands_for_no_event() -> None:
    adapter = UnsAdapter()
    assert parse_uns("acme/plant1/machining/line2/cnc-7/spindle/temperature") is None
    assert adapter.decode_message("acme/plant1/cnc-7/spindle/temperature", b"71.5") == []
    assert adapter.ignored == {"no state or count leaf": 1}


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("acme//cnc-7/state", "level 2 is empty"),
        ("cnc-7/state", "at least enterprise and equipment"),
        ("acme/plant+1/cnc-7/state", "wildcard"),
    ],
)
def test_a_malformed_topic_is_refused_naming_it(topic: str, message: str) -> None:
    with pytest.raises(AdapterError, match=message) as caught:
        parse_uns(topic)
    assert topic in str(caught.value) and caught.value.reason == "adapter"


def test_sparkplug_topics_are_read_by_the_specifications_namespace() -> None:
    device = parse_sparkplug("spBv1.0/plant1-machining/DDATA/line2/cnc-7")
    assert (device.group, device.message_type, device.node, device.device) == (
        "plant1-machining",
        "DDATA",
        "line2",
        "cnc-7",
    )
    assert device.path.source == "uns/plant1-machining/line2/cnc-7"
    for bad, why in [
        ("spBv1.0/g/DDATA/node", "needs a device id"),
        ("spBv1.0/g/NDATA/node/dev", "has no device id"),
        ("spBv1.0/g/XDATA/node", "unknown Sparkplug message type"),
        ("spBv1.0/g", "spBv1.0/<group_id>/<message_type>"),
    ]:
        with pytest.raises(AdapterError, match=why):
            parse_sparkplug(bad)


# -- JSON ---------------------------------------------------------------------------------------------


def test_a_json_state_becomes_an_equipment_state_change_the_pack_maps(parts: LoaderParts) -> None:
    [event] = UnsAdapter().decode_message(
        TOPIC, json_message(state="Execute", reason="PRODUCING", timestamp="2026-03-02T10:00:00+01:00")
    )
    assert event["type"] == "uns.equipment.state.v1"
    assert event["source"] == "uns/acme/plant1/machining/line2/cnc-7"
    assert event["data"]["state"] == "RUNNING"  # PackML's Execute
    assert event["data"]["since"] == "2026-03-02T09:00:00.000Z"
    assert event["data"]["stateChangeId"] == f"cnc-7/{T0}"
    assert event["data"]["uns"]["topic"] == TOPIC
    event_class, mapped_event = mapped(parts, event)
    assert event_class == "EquipmentStateChanged"
    assert {e.class_name for e in mapped_event.entities} >= {"EquipmentStateChange", "Equipment"}


def test_the_same_message_is_the_same_event_and_another_moment_another(parts: LoaderParts) -> None:
    adapter = UnsAdapter()
    one = adapter.decode_message(TOPIC, json_message(state="DOWN", reason="JAM", timestamp=T0))
    again = adapter.decode_message(TOPIC, json_message(reason="JAM", state="DOWN", timestamp=T0))
    later = adapter.decode_message(TOPIC, json_message(state="DOWN", reason="JAM", timestamp=T0 + 1))
    assert one[0]["id"] == again[0]["id"] != later[0]["id"]
    assert one[0]["id"].startswith("uns-")


def test_a_plain_value_is_the_leafs_main_member() -> None:
    [event] = UnsAdapter().decode_message(TOPIC, json_message(value="idle", timestamp=T0))
    assert event["data"]["state"] == "IDLE"
    assert event["data"]["reasonCode"] == "UNSPECIFIED"


def test_operation_start_and_counts_become_the_mes_operation_events(parts: LoaderParts) -> None:
    adapter = UnsAdapter()
    [started] = adapter.decode_message(
        "acme/plant1/machining/line2/cnc-7/operation/started",
        json_message(operationId="PO-1/0010", productionOrderNumber="PO-1", operatorId="P-001", timestamp=T0),
    )
    [completed] = adapter.decode_message(
        "acme/plant1/machining/line2/cnc-7/operation/completed",
        json_message(
            operationId="PO-1/0010",
            productionOrderNumber="PO-1",
            good=95,
            scrap=3,
            rework=2,
            timestamp=T0 + 3_600_000,
        ),
    )
    assert started["data"]["equipmentId"] == "cnc-7"
    assert completed["data"]["producedQuantity"] == 98.0  # good (reworked included) + scrap
    assert completed["data"]["completedAt"] == "2026-03-02T10:00:00.000Z"
    assert mapped(parts, started)[0] == "OperationStarted"
    assert mapped(parts, completed)[0] == "OperationCompleted"


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b"{not json", "payload is not JSON"),
        (TOPIC, b"[1, 2]", "must be a JSON object"),
        (TOPIC, json_message(state="RUNNING"), "no timestamp"),
        (TOPIC, json_message(state="WARP", timestamp=T0), "'WARP' is not an equipment state"),
        (TOPIC, json_message(state="RUNNING", timestamp="yesterday"), "not RFC 3339"),
        (TOPIC, json_message(reason="JAM", timestamp=T0), "member 'state' is missing"),
        ("a/b/cnc-7/operation/completed", json_message(operationId="X", timestamp=T0), "'good' is missing"),
        ("a/b/cnc-7/operation/completed", json_message(operationId="X", good=-1, timestamp=T0), "≥ 0"),
    ],
)
def test_a_bad_payload_is_refused_naming_the_topic_and_why(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(AdapterError, match=reason) as caught:
        UnsAdapter().decode_message(topic, payload)
    assert f"topic {topic}" in str(caught.value)


def test_as_a_load_adapter_it_reads_the_mqtt_topic_from_the_key_or_a_header() -> None:
    adapter = adapters.get("uns")
    payload = json_message(state="RUNNING", timestamp=T0)
    by_key = adapter.decode(WireRecord(value=payload, origin="kafka:t/0@1", key=TOPIC.encode()))
    by_header = adapter.decode(
        WireRecord(value=payload, origin="kafka:t/0@1", headers={"mqtt_topic": TOPIC.encode()})
    )
    assert by_key == by_header and by_key[0]["data"]["equipmentId"] == "cnc-7"
    with pytest.raises(AdapterError, match="names no MQTT topic"):
        adapter.decode(WireRecord(value=payload, origin="kafka:t/0@2"))


# -- Sparkplug B --------------------------------------------------------------------------------------

GROUP, NODE = "plant1-machining", "line2"


def sp(kind: str, device: str | None = None) -> str:
    return f"spBv1.0/{GROUP}/{kind}/{NODE}" + (f"/{device}" if device else "")


def born(adapter: UnsAdapter) -> list[dict[str, Any]]:
    """NBIRTH (bdSeq 3) and a DBIRTH of cnc-7 that gives the aliases and the current state."""
    node = pb.encode([{"name": "bdSeq", "datatype": "UInt64", "value": 3}], timestamp=T0, seq=0)
    device = pb.encode(
        [
            {"name": "state", "alias": 1, "datatype": "String", "value": "IDLE"},
            {"name": "state/reason", "alias": 2, "datatype": "String", "value": "READY"},
            {"name": "operation/completed", "alias": 3, "datatype": "String", "value": None},
            {"name": "operation/completed/good", "alias": 4, "datatype": "Int32", "value": None},
            {"name": "operation/completed/scrap", "alias": 5, "datatype": "Int32", "value": None},
            {
                "name": "operation/completed/productionOrderNumber",
                "alias": 7,
                "datatype": "String",
                "value": None,
            },
            {"name": "spindle/temperature", "alias": 6, "datatype": "Float", "value": 40.5},
        ],
        timestamp=T0,
        seq=1,
    )
    return adapter.decode_message(sp("NBIRTH"), node) + adapter.decode_message(sp("DBIRTH", "cnc-7"), device)


def test_a_birth_gives_the_current_state_and_data_is_read_by_its_aliases(parts: LoaderParts) -> None:
    adapter = UnsAdapter()
    [birth_state] = born(adapter)
    assert (birth_state["data"]["state"], birth_state["data"]["reasonCode"]) == ("IDLE", "READY")
    data = pb.encode(
        [
            {"alias": 1, "datatype": "String", "value": "RUNNING", "timestamp": T0 + 60_000},
            {"alias": 2, "datatype": "String", "value": "PRODUCING"},
            {"alias": 6, "datatype": "Float", "value": 55.0},
        ],
        timestamp=T0 + 60_000,
        seq=2,
    )
    [running] = adapter.decode_message(sp("DDATA", "cnc-7"), data)
    assert running["data"]["state"] == "RUNNING"
    assert running["data"]["since"] == "2026-03-02T09:01:00.000Z"
    assert running["data"]["uns"]["sparkplug"] == "DDATA" and running["data"]["uns"]["seq"] == 2
    assert running["source"] == "uns/plant1-machining/line2/cnc-7"
    counts = pb.encode(
        [
            {"alias": 3, "datatype": "String", "value": "PO-1/0010"},
            {"alias": 4, "datatype": "Int32", "value": 40},
            {"alias": 5, "datatype": "Int32", "value": 2},
            {"alias": 7, "datatype": "String", "value": "PO-1"},
        ],
        timestamp=T0 + 120_000,
        seq=3,
    )
    [completed] = adapter.decode_message(sp("DDATA", "cnc-7"), counts)
    assert (completed["data"]["goodQuantity"], completed["data"]["producedQuantity"]) == (40.0, 42.0)
    assert mapped(parts, running)[0] == "EquipmentStateChanged"
    assert mapped(parts, completed)[0] == "OperationCompleted"
    assert adapter.sparkplug.rebirth == set() and adapter.sparkplug.sequence_gaps == 0


def test_an_unknown_alias_is_refused_and_the_node_asked_to_rebirth() -> None:
    adapter = UnsAdapter()
    data = pb.encode([{"alias": 9, "datatype": "String", "value": "DOWN"}], timestamp=T0, seq=5)
    with pytest.raises(AdapterError, match="alias 9 is in no NBIRTH/DBIRTH") as caught:
        adapter.decode_message(sp("DDATA", "cnc-7"), data)
    assert sp("DDATA", "cnc-7") in str(caught.value)
    assert adapter.sparkplug.rebirth == {f"{GROUP}/{NODE}"}


def test_a_sequence_gap_asks_for_a_rebirth_and_still_reads_the_message() -> None:
    adapter = UnsAdapter()
    born(adapter)
    late = pb.encode([{"alias": 1, "datatype": "String", "value": "DOWN"}], timestamp=T0 + 1, seq=7)
    assert adapter.decode_message(sp("DDATA", "cnc-7"), late)[0]["data"]["state"] == "DOWN"
    assert adapter.sparkplug.sequence_gaps == 1 and adapter.sparkplug.rebirth == {f"{GROUP}/{NODE}"}


def test_a_death_makes_the_equipment_down_and_a_stale_will_is_ignored() -> None:
    adapter = UnsAdapter()
    born(adapter)
    stale = pb.encode([{"name": "bdSeq", "datatype": "UInt64", "value": 2}])
    assert adapter.decode_message(sp("NDEATH"), stale, received_ms=T0 + 5) == []
    will = pb.encode([{"name": "bdSeq", "datatype": "UInt64", "value": 3}])
    [down] = adapter.decode_message(sp("NDEATH"), will, received_ms=T0 + 999_999)
    assert (down["data"]["equipmentId"], down["data"]["state"], down["data"]["reasonCode"]) == (
        "cnc-7",
        "DOWN",
        "NODE_DEATH",
    )
    assert down["data"]["since"] == "2026-03-02T09:00:00.000Z"  # the node's last message, not arrival
    adapter2 = UnsAdapter()
    born(adapter2)
    death = pb.encode([], timestamp=T0 + 30_000, seq=2)
    [device_down] = adapter2.decode_message(sp("DDEATH", "cnc-7"), death)
    assert device_down["data"]["reasonCode"] == "DEVICE_DEATH"


def test_what_a_host_keeps_of_its_nodes_survives_a_restart() -> None:
    adapter = UnsAdapter()
    born(adapter)
    restarted = UnsAdapter()
    restarted.sparkplug.restore(orjson.loads(orjson.dumps(adapter.sparkplug.to_json())))
    data = pb.encode([{"alias": 1, "datatype": "String", "value": "SETUP"}], timestamp=T0 + 9, seq=2)
    assert restarted.decode_message(sp("DDATA", "cnc-7"), data)[0]["data"]["state"] == "SETUP"


def test_bytes_that_are_not_sparkplug_are_refused_naming_the_topic() -> None:
    with pytest.raises(AdapterError, match="not a Sparkplug B protobuf payload") as caught:
        UnsAdapter().decode_message(sp("DDATA", "cnc-7"), b"\xff\xff\xff\xff")
    assert sp("DDATA", "cnc-7") in str(caught.value)


def test_signed_integers_round_trip_as_twos_complement() -> None:
    raw = pb.encode(
        [{"name": "x", "datatype": "Int16", "value": -2}, {"name": "y", "datatype": "Int64", "value": -3}]
    )
    assert [m.value for m in pb.decode(raw).metrics] == [-2, -3]


def test_the_pack_is_a_mappings_directory_of_its_own() -> None:
    assert sorted(p.name for p in Path(PACK).glob("*.yaml")) == ["uns.yaml"]


# -- the simulated plant as a UNS ---------------------------------------------------------------------


def test_the_simulated_plants_machine_signals_decode_into_what_its_mes_reported(parts: LoaderParts) -> None:
    from loaders.adapters.mqtt_topics import LEAVES as LEAVE_TYPES
    from loaders.simulation import simulate
    from loaders.simulation.uns import LEAVES, split

    events = simulate(seed=3, days=1)
    rest, messages = split(events)
    signals = [e for e in events if e["type"] in LEAVES]
    assert len(rest) + len(messages) == len(events) and messages
    adapter = UnsAdapter()
    decoded = [event for topic, payload in messages for event in adapter.decode_message(topic, payload)]
    assert len(decoded) == len(signals)
    same = {"state": "state", "since": "since", "reasonCode": "reasonCode", "goodQuantity": "goodQuantity"}
    for mes, uns in zip(signals, decoded, strict=True):
        assert uns["type"] == LEAVE_TYPES[LEAVES[mes["type"]]]
        for member in same:
            if member in mes["data"]:
                assert uns["data"][member] == mes["data"][member] or (
                    member == "since" and uns["data"][member].replace(".000Z", "Z") == mes["data"][member]
                )
        assert mapped(parts, uns)[0] == mes["type"].split(".")[2]
