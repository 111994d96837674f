"""Optional stream inputs (``{type: T, optional: true}``): read where a configured mapping maps them
(a mapping pack such as ``uns``), left out with an info line where none does. And the equipmentOee
processor reading the ``uns`` pack's machine signals as it reads the MES's own events."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_service.ontology.diff import diff_models
from graph_service.ontology.model import DomainModel
from graph_service.settings import load_settings
from graph_service.streams import StreamDefinitionError, load_streams
from graph_service.streams.compiled import read_artefact, write_artefact
from graph_service.streams.processors.equipment_oee import create
from graph_service.streams.registry import stream_uses
from graph_service.streams.run import read_minimal
from graph_service.streams.runtime import DerivedEvents
from loaders.adapters.mqtt import UnsAdapter
from loaders.mapping import Mapper, load_mappings
from loaders.simulation import simulate
from tests.support.paths import REPO
from tests.unit.streams.conftest import at, load, write_stream
from tests.unit.streams.oee_dataset import fixed_plant_events
from tests.unit.streams.stream_driver import Driver

STATE = "digispine.mes.EquipmentStateChanged.v1"
STARTED = "digispine.mes.OperationStarted.v1"
COMPLETED = "digispine.mes.OperationCompleted.v1"
PACK_STATE = "uns.equipment.state.v1"
MAPPINGS = REPO / "loaders/mappings"
UNS_PACK = REPO / "loaders/mappings/packs/uns"
DESCRIPTOR = read_minimal(REPO / "streams/equipmentOee/v1/stream.yaml", REPO / "shapes/streams")


def test_an_unmapped_optional_input_is_left_out_with_an_info_line(
    tmp_path: Path, model: DomainModel, mapper: Mapper, caplog: pytest.LogCaptureFixture
) -> None:
    inputs = [STATE, {"type": "pack.thing.v1", "optional": True}]
    write_stream(tmp_path, {"inputs": inputs, "keyFrom": {"pack.thing.v1": "equipmentId"}})
    with caplog.at_level(logging.INFO, logger="graph_service.streams.check"):
        checked = load(tmp_path, model, mapper).get("sample")
    assert checked.inputs == (STATE,)
    assert set(checked.key_sources) == {STATE}
    assert "optional input pack.thing.v1 is not mapped" in caplog.text
    # Not optional, the same unmapped type is refused as before.
    write_stream(tmp_path, {"inputs": [STATE, "pack.thing.v1"], "keyFrom": {"pack.thing.v1": "equipmentId"}})
    with pytest.raises(
        StreamDefinitionError, match="input pack.thing.v1 is not an event type of any mapping"
    ):
        load(tmp_path, model, mapper)


def test_a_mapped_optional_input_is_checked_like_any_other(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    # OperationStarted's mapping reads the key only for an optional entity: keyFrom is needed.
    write_stream(tmp_path, {"inputs": [STATE, {"type": STARTED, "optional": True}]})
    with pytest.raises(StreamDefinitionError) as refused:
        load(tmp_path, model, mapper)
    assert f"input {STARTED}: its mapping" in str(refused.value)
    write_stream(
        tmp_path,
        {"inputs": [STATE, {"type": STARTED, "optional": True}], "keyFrom": {STARTED: "equipmentId"}},
    )
    assert load(tmp_path, model, mapper).get("sample").inputs == (STATE, STARTED)


def test_a_join_via_an_unmapped_optional_input_and_malformed_entries_are_refused(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    inputs = [STATE, COMPLETED, {"type": "pack.started.v1", "optional": True}]
    path = write_stream(
        tmp_path,
        {"inputs": inputs, "keyFrom": {COMPLETED: {"joinOn": "operationId", "via": "pack.started.v1"}}},
    )
    with pytest.raises(StreamDefinitionError) as refused:
        load(tmp_path, model, mapper)
    assert (
        at(path, COMPLETED + ":") + f"keyFrom {COMPLETED}: via pack.started.v1, an optional input no "
        "configured mapping maps; join via an input that is always read"
    ) in str(refused.value)
    write_stream(tmp_path, {"inputs": [STATE, {"type": STARTED, "optional": "yes", "extra": 1}, {"x": 1}]})
    with pytest.raises(StreamDefinitionError) as refused:
        load(tmp_path, model, mapper)
    text = str(refused.value)
    assert "optional must be true or false, got 'yes'" in text
    assert "unknown field 'extra'" in text
    assert "input 2 must be a CloudEvents type or {type: <type>, optional: true}" in text


def test_the_shipped_oee_stream_reads_the_uns_pack_only_where_it_is_configured(
    tmp_path: Path, model: DomainModel
) -> None:
    without = load_streams(load_settings(streams_dir=REPO / "streams"), model, load_mappings(MAPPINGS, model))
    with_pack = load_streams(
        load_settings(streams_dir=REPO / "streams"), model, load_mappings([MAPPINGS, UNS_PACK], model)
    )
    plain, packed = without.get("equipmentOee"), with_pack.get("equipmentOee")
    uns = {t for t in packed.inputs if t.startswith("uns.")}
    assert uns and not any(t.startswith("uns.") for t in plain.inputs)
    assert set(packed.inputs) - set(plain.inputs) == uns
    assert packed.key_sources["uns.operation.completed.v1"].via == "uns.operation.started.v1"
    assert packed.key_fields[PACK_STATE] == "equipmentId"


def test_the_compiled_artefact_follows_the_configured_mappings(tmp_path: Path) -> None:
    common = {"data_dir": tmp_path / "data", "streams_dir": REPO / "streams", "shapes_dir": REPO / "shapes"}
    plain = load_settings(**common, mappings_dirs=[MAPPINGS])
    packed = load_settings(**common, mappings_dirs=[MAPPINGS, UNS_PACK])
    written = write_artefact(plain, "equipmentOee", None)
    assert PACK_STATE not in written.inputs
    assert read_artefact(plain, "equipmentOee", None) == written
    # The pack added to DIGISPINE_MAPPINGS_DIRS: the digest differs, the check runs again.
    assert read_artefact(packed, "equipmentOee", None) is None
    assert PACK_STATE in write_artefact(packed, "equipmentOee", None).inputs


def test_ontology_diff_names_a_pack_input_only_when_its_mapping_is_given(model: DomainModel) -> None:
    changed = dataclasses.replace(
        model, classes={k: v for k, v in model.classes.items() if k != "EquipmentStateChanged"}
    )

    def broken_inputs(mappings: list[Path]) -> set[str]:
        uses = [u for u in stream_uses(REPO / "streams", mappings) if u.name == "equipmentOee v1"]
        report = diff_models(model, changed, uses)
        return {str(c.old) for c in report.changes if c.breaking and c.aspect == "input"}

    assert broken_inputs([MAPPINGS]) == {f"{STATE} (ds:EquipmentStateChanged)"}
    assert broken_inputs([MAPPINGS, UNS_PACK]) == {
        f"{STATE} (ds:EquipmentStateChanged)",
        f"{PACK_STATE} (ds:EquipmentStateChanged)",
    }


# -- the processor ---------------------------------------------------------------------------------

#: sha256 of the derived events (orjson, sorted keys) the processor emitted for these inputs before
#: it read uns inputs (commit fbe5b34); its output for MES events must stay byte for byte the same.
BEFORE = {
    "fixed plant": "2663e0a4ef7a2e463918b5d57792f288dfbfbbbb4da9df03f9d38ab39532b08a",
    "simulated plant": "0a5e675a7a8d7a9bcff71ce1dc353d0ff23be88eaae3024fcdfd33399286b184",
}


def run(events: list[dict[str, Any]]) -> Driver:
    driver = Driver(create(DESCRIPTOR, None), DerivedEvents(DESCRIPTOR), DESCRIPTOR.inputs)
    driver.feed(events)
    assert driver.violations == []
    return driver


def test_the_output_for_mes_events_is_byte_identical_to_before() -> None:
    for name, events in (
        ("fixed plant", fixed_plant_events()),
        ("simulated plant", simulate(seed=7, days=3, orders_per_day=4)),
    ):
        outputs = run(events).outputs
        assert hashlib.sha256(orjson.dumps(outputs, option=orjson.OPT_SORT_KEYS)).hexdigest() == BEFORE[name]


def uns_message(event: dict[str, Any]) -> tuple[str, bytes] | None:
    """The MQTT message (topic, JSON payload) a machine would publish for one MES event of the
    fixed plant, or None for the events that stay the MES's (master data, orders, shifts)."""
    kind = event["type"].removeprefix("digispine.mes.").removesuffix(".v1")
    data = event["data"]
    if kind == "EquipmentStateChanged":
        unit, body = data["equipmentId"], {"state": data["state"], "reason": data["reasonCode"]}
        leaf, when = "state", data["since"]
    elif kind == "OperationStarted":
        unit, leaf, when = data["equipmentId"], "operation/started", data["startedAt"]
        body = {k: data[k] for k in ("operationId", "productionOrderNumber", "operatorId", "shiftId")}
    elif kind == "OperationCompleted":
        unit = {"PRD-1": "WU-1", "PRD-2": "WU-2"}[data["productionOrderNumber"]]
        leaf, when = "operation/completed", data["completedAt"]
        body = {
            "operationId": data["operationId"],
            "productionOrderNumber": data["productionOrderNumber"],
            "good": data["goodQuantity"],
            "scrap": data["scrapQuantity"],
            "rework": data["reworkQuantity"],
            "total": data["producedQuantity"],
        }
    else:
        return None
    line = {"WU-1": "WC-1", "WU-2": "WC-2"}[unit]
    return f"ACME/P1/assembly/{line}/{unit}/{leaf}", orjson.dumps({**body, "timestamp": when})


def test_uns_machine_signals_give_the_same_window_figures_as_the_mes_events() -> None:
    mes = fixed_plant_events()
    adapter = UnsAdapter()
    mixed: list[dict[str, Any]] = []
    for event in mes:
        message = uns_message(event)
        mixed += [event] if message is None else adapter.decode_message(*message)
    assert {e["type"] for e in mixed} >= {
        PACK_STATE,
        "uns.operation.started.v1",
        "uns.operation.completed.v1",
    }
    assert not any(e["type"] in (STATE, STARTED, COMPLETED) for e in mixed)  # every signal from MQTT

    def figures(driver: Driver) -> dict[tuple[str, str, str], dict[str, Any]]:
        return {k: {f: v for f, v in d.items() if f != "revision"} for k, d in driver.finals().items()}

    expected = figures(run(mes))
    assert expected and figures(run(mixed)) == expected
