"""Stream descriptors: every check reports its problem as ``file:line: message``, all at once."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.streams import (
    StreamDefinitionError,
    StreamPaths,
    StreamRegistry,
    UnknownStream,
    Window,
    load_streams,
)
from graph_service.streams.descriptor import KeySource
from loaders.mapping import Mapper
from tests.unit.streams.conftest import SHAPE, at, line_of, load, write_stream

STATE = "digispine.mes.EquipmentStateChanged.v1"
MASTER = "digispine.mes.EquipmentMasterChanged.v1"
STARTED = "digispine.mes.OperationStarted.v1"
COMPLETED = "digispine.mes.OperationCompleted.v1"


def problems(root: Path, model: DomainModel, mapper: Mapper) -> list[str]:
    with pytest.raises(StreamDefinitionError) as caught:
        load(root, model, mapper)
    return [str(p) for p in caught.value.problems]


def only_problem(root: Path, model: DomainModel, mapper: Mapper) -> str:
    found = problems(root, model, mapper)
    assert len(found) == 1, found
    return found[0]


# -- a good descriptor -------------------------------------------------------------------------


def test_a_good_descriptor_loads_with_every_field(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    write_stream(tmp_path)
    registry = load(tmp_path, model, mapper)
    d = registry.get("sample")
    assert (d.name, d.version, d.major, d.domain, d.owner) == (
        "sample",
        "1.0.0",
        1,
        "production",
        "Test team",
    )
    assert d.inputs == (STATE,)
    assert (d.key, d.key_iri) == ("equipmentId", "https://w3id.org/digispine/ontology#equipmentId")
    assert d.windows == (Window("hour", "tumbling", size=dt.timedelta(hours=1)),)
    assert (d.grace, d.latency_sla, d.freshness_sla) == (
        dt.timedelta(minutes=15),
        dt.timedelta(seconds=1),
        dt.timedelta(minutes=5),
    )
    assert (d.emit, d.output_type, d.status) == ("revisions", "digispine.stream.Sample.v1", "active")
    assert d.topic == "digispine.stream.sample.v1"  # the default
    assert d.consumer_group == "digispine-stream-sample-v1"
    assert d.source == "digispine/streams/sample/v1"
    assert d.access_roles == ("analyst", "production")
    assert d.shape_iri == "https://w3id.org/digispine/streams#SampleV1Shape"
    assert d.shape_path == tmp_path / "shapes" / "sample-v1.ttl"
    assert dict(d.key_fields) == {STATE: "equipmentId"}  # read from the input's mapping
    assert [f.name for f in registry.shape(d).row.fields] == ["equipmentId", "windowStart", "availability"]


def test_descriptors_pickle_and_hash_for_processor_processes(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    write_stream(tmp_path, {"parameters": {"threshold": 0.2}})
    d = load(tmp_path, model, mapper).get("sample")
    copy = pickle.loads(pickle.dumps(d))
    assert copy == d and hash(copy) == hash(d)
    assert dict(copy.parameters) == {"threshold": 0.2} and dict(copy.key_fields) == dict(d.key_fields)


def test_no_streams_directory_is_an_empty_registry(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    assert len(load(tmp_path, model, mapper)) == 0


def test_get_by_major_and_latest_skips_deprecated(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    write_stream(tmp_path)
    write_stream(
        tmp_path,
        {
            "version": "2.0.0",
            "outputType": "digispine.stream.Sample.v2",
            "outputShape": "dss:SampleV1Shape",
            "status": "deprecated",
            "deprecationReason": "use v1",
        },
    )
    (tmp_path / "shapes" / "sample-v2.ttl").write_text(
        (tmp_path / "shapes" / "sample-v1.ttl").read_text().replace("SampleV1", "SampleV2"), encoding="utf-8"
    )
    text = (
        (tmp_path / "streams" / "sample" / "v2" / "stream.yaml").read_text().replace("SampleV1", "SampleV2")
    )
    (tmp_path / "streams" / "sample" / "v2" / "stream.yaml").write_text(text, encoding="utf-8")
    registry: StreamRegistry = load(tmp_path, model, mapper)
    assert [d.major for d in registry.streams] == [1, 2]
    assert registry.get("sample").major == 1  # v2 is deprecated
    assert registry.get("sample", 2).topic == "digispine.stream.sample.v2"
    assert registry.get("sample", "v2") is registry.get("sample", "2.0.0")
    with pytest.raises(UnknownStream, match="no stream 'sample v3'"):
        registry.get("sample", 3)
    with pytest.raises(UnknownStream, match="known streams: sample"):
        registry.get("other")


# -- the file on its own -----------------------------------------------------------------------


def test_yaml_syntax_errors_name_the_line(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, raw="name: sample\nversion: [1\ninputs: x\n")
    assert only_problem(tmp_path, model, mapper).startswith(f"{path}:3: YAML syntax")


def test_every_problem_of_a_file_is_reported_at_once_with_its_line(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(
        tmp_path,
        {"emit": "sometimes", "latencySla": "1 second", "grace": "P1M", "colour": "red", "status": "retired"},
    )
    found = problems(tmp_path, model, mapper)
    assert at(path, "emit:") + "emit must be one of revisions, final, alert, change; got 'sometimes'" in found
    assert any(
        p.startswith(at(path, "latencySla:") + "latencySla: '1 second' is not an ISO 8601") for p in found
    )
    assert any(p.startswith(at(path, "grace:") + "grace: 'P1M' is not an ISO 8601") for p in found)
    assert any(p.startswith(at(path, "colour:") + "unknown field 'colour'") for p in found)
    assert any(
        p.startswith(at(path, "status:") + "status must be one of active, deprecated, experimental")
        for p in found
    )
    assert len(found) == 5


@pytest.mark.parametrize("field", ["inputs", "key", "outputType", "outputShape", "freshnessSla"])
def test_a_missing_required_field_is_named(
    field: str, tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, drop=(field,))
    assert f"{path}:1: missing required field {field!r}" in problems(tmp_path, model, mapper)


def test_version_must_match_its_folder_and_name_its_folder(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(
        tmp_path, {"version": "2.0.0", "outputType": "digispine.stream.Sample.v1"}, folder="v1"
    )
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "version:") + "version 2.0.0 belongs in folder v2, not 'v1' (one folder per major version)"
    )
    written = write_stream(tmp_path / "b")
    moved = tmp_path / "b" / "streams" / "wrong" / "v1"
    moved.mkdir(parents=True)
    written.rename(moved / "stream.yaml")
    written.parent.rmdir()
    written.parent.parent.rmdir()
    found = problems(tmp_path / "b", model, mapper)
    assert found[0] == (f"{moved / 'stream.yaml'}:1: name 'sample' differs from its folder 'wrong'"), found


def test_version_must_be_a_quoted_semantic_version(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"version": 1.0})
    assert at(path, "version:") + 'version 1.0 must be a quoted semantic version, like "1.0.0"' in problems(
        tmp_path, model, mapper
    )


def test_output_type_must_be_a_stream_type_of_the_same_major(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"outputType": "digispine.stream.Sample.v2"})
    line = line_of(path, "outputType:")
    assert only_problem(tmp_path, model, mapper) == (
        f"{path}:{line}: outputType digispine.stream.Sample.v2 must end in .v1, the stream's major version"
    )
    path = write_stream(tmp_path, {"outputType": "sample-events"})
    assert only_problem(tmp_path, model, mapper) == (
        f"{path}:{line}: outputType 'sample-events' must look like digispine.stream.EquipmentOee.v1"
    )


def test_a_topic_must_be_a_kafka_topic_name(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, {"topic": "my topic!"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "topic:") + "topic 'my topic!' is not a Kafka topic name (letters, digits, '.', '_', '-')"
    )


def test_a_deprecated_stream_needs_a_reason(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, {"status": "deprecated"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "status:") + "a deprecated stream needs a deprecationReason telling consumers what to use"
    )


def test_emit_and_windows_must_agree(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, {"windows": []})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "emit:") + "emit revisions revises windows, but the stream has none; use alert or change"
    )
    path = write_stream(tmp_path, {"emit": "alert"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "windows:") + "emit alert emits per event, so windows would be ignored; "
        "use revisions or final"
    )


def test_an_alert_stream_without_windows_loads(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    write_stream(tmp_path, {"windows": [], "emit": "alert"}, drop=("grace",))
    d = load(tmp_path, model, mapper).get("sample")
    assert (d.windows, d.emit, d.grace) == ((), "alert", dt.timedelta(0))


def test_every_window_kind_with_its_fields(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    windows: list[dict[str, Any]] = [
        {"name": "hour", "kind": "tumbling", "size": "PT1H"},
        {"name": "rolling", "kind": "hopping", "size": "PT1H", "step": "PT5M"},
        {"name": "recent", "kind": "sliding", "size": "PT10M"},
        {"name": "last50", "kind": "count", "count": 50, "step": 10},
        {"name": "shift", "kind": "calendar", "calendar": "ds:Shift"},
    ]
    write_stream(tmp_path, {"windows": windows})
    d = load(tmp_path, model, mapper).get("sample")
    assert d.windows == (
        Window("hour", "tumbling", size=dt.timedelta(hours=1)),
        Window("rolling", "hopping", size=dt.timedelta(hours=1), step=dt.timedelta(minutes=5)),
        Window("recent", "sliding", size=dt.timedelta(minutes=10)),
        Window("last50", "count", count=50),
        Window("shift", "calendar", calendar="Shift"),
    )


def test_window_problems_point_at_the_window(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    windows: list[dict[str, Any]] = [
        {"name": "hour", "kind": "weekly"},
        {"name": "rolling", "kind": "hopping", "size": "PT1H"},
        {"name": "big", "kind": "hopping", "size": "PT1H", "step": "PT2H"},
        {"name": "zero", "kind": "tumbling", "size": "PT0S"},
        {"name": "hour2", "kind": "tumbling", "size": "PT1H", "calendar": "ds:Shift"},
    ]
    path = write_stream(tmp_path, {"windows": windows})
    found = problems(tmp_path, model, mapper)
    assert (
        at(path, "kind: weekly")
        + "window hour: kind must be one of tumbling, hopping, sliding, count, calendar; got 'weekly'"
        in found
    )
    assert at(path, "name: rolling") + "window rolling: a hopping window needs step" in found
    assert at(path, "step: PT2H") + "window big: step must be positive and at most the size" in found
    assert at(path, "size: PT0S") + "window zero: size must be longer than zero" in found
    assert at(path, "calendar: ds:Shift") + "window hour2: a tumbling window has no calendar" in found
    assert len(found) == 5


def test_access_roles_must_be_role_names(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, {"accessRoles": ["analyst", "Plant Managers"]})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "accessRoles:") + "access role 'Plant Managers' is not a role name (a-z, 0-9, -, _)"
    )


def test_access_roles_default_like_the_products(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    write_stream(tmp_path, drop=("accessRoles",))
    assert load(tmp_path, model, mapper).get("sample").access_roles == ("analyst", "planner")


# -- against the ontology, the mappings and the shapes -------------------------------------------


def test_an_unknown_input_type_is_named_with_a_close_match(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"inputs": [STATE, "digispine.mes.EquipmentStateChange.v1"]})
    line = line_of(path, "- digispine.mes.EquipmentStateChange.v1")
    read_from = Path(next(iter(mapper.by_type.values())).file).parent  # the fixture's own directory
    assert only_problem(tmp_path, model, mapper) == (
        f"{path}:{line}: input digispine.mes.EquipmentStateChange.v1 is not an event type of any mapping "
        f"(DIGISPINE_MAPPINGS_DIRS: {read_from}); did you mean {STATE}?"
    )


def test_the_key_must_be_an_owl_has_key_property(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, {"key": "ds:state"})
    message = only_problem(tmp_path, model, mapper)
    assert message.startswith(
        at(path, "key:") + "key ds:state is not an owl:hasKey property of any class; a stream is "
        "keyed by a business key: one of "
    )
    assert "ds:equipmentId" in message
    path = write_stream(tmp_path, {"key": "ds:equipmentID"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "key:")
        + "key ds:equipmentID is not a property of the ontology; did you mean ds:equipmentId?"
    )
    path = write_stream(tmp_path, {"key": "equipmentId"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "key:") + "key 'equipmentId' must name an ontology property, like ds:equipmentId"
    )


def test_a_key_read_from_two_fields_needs_key_from(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"inputs": [STATE, MASTER]})
    message = only_problem(tmp_path, model, mapper)
    assert message.startswith(at(path, "- " + MASTER) + f"input {MASTER}: its mapping (")
    assert message.endswith(
        "reads ds:equipmentId from several fields: equipmentId (workUnit); parentEquipmentId (parent); "
        f"name the payload field with keyFrom: {{{MASTER}: <field>}}"
    )
    write_stream(tmp_path, {"inputs": [STATE, MASTER], "keyFrom": {MASTER: "equipmentId"}})
    d = load(tmp_path, model, mapper).get("sample")
    assert dict(d.key_fields) == {STATE: "equipmentId", MASTER: "equipmentId"}
    assert dict(d.key_from) == {MASTER: KeySource("field", field="equipmentId")}


def test_a_key_of_an_optional_entity_only_needs_key_from(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"inputs": [STARTED]})
    message = only_problem(tmp_path, model, mapper)
    assert message.startswith(at(path, "- " + STARTED) + f"input {STARTED}: its mapping (")
    assert (
        "reads ds:equipmentId only for an optional or per-list-element entity (equipment), so not every "
        "event has one key" in message
    )


def test_a_key_no_mapping_entity_reads_needs_key_from(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"key": "ds:operationId", "inputs": [STATE]})
    message = only_problem(tmp_path, model, mapper)
    assert message.startswith(at(path, "- " + STATE) + f"input {STATE}: its mapping (")
    assert message.endswith(
        "reads ds:operationId for no entity, so the key is unknown; "
        f"name the payload field with keyFrom: {{{STATE}: <field>}}"
    )


def test_key_from_must_name_inputs_and_payload_fields(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"keyFrom": {STATE: "equipment id"}})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, STATE + ":")
        + f"keyFrom {STATE}: 'equipment id' must be a payload field (dotted if nested: a.b), "
        "{joinOn: <payload field>, via: <input type>} or {broadcast: <what it is>}"
    )
    path = write_stream(tmp_path, {"keyFrom": {STARTED: "equipmentId"}})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, STARTED + ":") + f"keyFrom names {STARTED}, which is not one of the inputs"
    )


def test_a_key_by_join_or_broadcast_is_accepted(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    key_from = {
        STARTED: "equipmentId",
        COMPLETED: {"joinOn": "operationId", "via": STARTED},
        MASTER: {"broadcast": "equipment master data"},
    }
    write_stream(tmp_path, {"inputs": [STATE, STARTED, COMPLETED, MASTER], "keyFrom": key_from})
    d = load(tmp_path, model, mapper).get("sample")
    assert dict(d.key_sources) == {
        STATE: KeySource("field", field="equipmentId"),
        STARTED: KeySource("field", field="equipmentId"),
        COMPLETED: KeySource("join", field="operationId", via=STARTED),
        MASTER: KeySource("broadcast", note="equipment master data"),
    }
    assert dict(d.key_fields) == {STATE: "equipmentId", STARTED: "equipmentId"}  # keyed by a field


def test_a_join_needs_another_input_keyed_by_a_field_with_the_joined_field(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    def stream_joining(via: str, extra: dict[str, Any] | None = None) -> Path:
        key_from = {COMPLETED: {"joinOn": "operationId", "via": via}, **(extra or {})}
        return write_stream(tmp_path, {"inputs": [STATE, STARTED, COMPLETED], "keyFrom": key_from})

    path = stream_joining(MASTER, {STARTED: "equipmentId"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, COMPLETED + ":") + f"keyFrom {COMPLETED}: via {MASTER} must be another of the inputs"
    )
    path = stream_joining(STATE, {STARTED: "equipmentId"})
    message = only_problem(tmp_path, model, mapper)
    assert message.startswith(
        at(path, COMPLETED + ":") + f"keyFrom {COMPLETED}: the events of {STATE} have no field operationId ("
    )
    assert message.endswith("reads none) to join on")
    path = stream_joining(STARTED, {STARTED: {"broadcast": "x"}})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, COMPLETED + ":") + f"keyFrom {COMPLETED}: via {STARTED}, whose key is itself not a payload "
        "field; join via an input that carries the key"
    )


def test_a_malformed_key_from_entry_says_what_is_allowed(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"keyFrom": {STATE: {"join": "operationId"}}})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, STATE + ":")
        + f"keyFrom {STATE}: {{'join': 'operationId'}} must be a payload field (dotted if "
        "nested: a.b), {joinOn: <payload field>, via: <input type>} or {broadcast: <what it is>}"
    )


def test_the_domain_must_be_a_bounded_context(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, {"domain": "marketing"})
    assert only_problem(tmp_path, model, mapper).startswith(
        at(path, "domain:") + "domain 'marketing' is not a bounded context of the ontology; use one of "
    )


def test_a_calendar_window_names_an_entity_class(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(
        tmp_path, {"windows": [{"name": "shift", "kind": "calendar", "calendar": "ds:Shifts"}]}
    )
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "calendar:") + "window shift: calendar ds:Shifts is not an entity class of the ontology"
    )


def test_a_missing_shape_file_is_named(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    path = write_stream(tmp_path, shape=None)
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "outputShape:") + f"missing shape file {tmp_path / 'shapes' / 'sample-v1.ttl'}: it must "
        "define https://w3id.org/digispine/streams#SampleV1Shape, the shape of the derived events' data"
    )


def test_a_shape_file_without_the_output_shape_is_named(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"outputShape": "dss:OtherShape"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "outputShape:") + f"outputShape https://w3id.org/digispine/streams#OtherShape is not a "
        f"sh:NodeShape in {tmp_path / 'shapes' / 'sample-v1.ttl'}"
    )


def test_a_name_clashing_with_a_generated_subscription_is_refused(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    path = write_stream(tmp_path, {"name": "lotChanged"})
    assert only_problem(tmp_path, model, mapper) == (
        at(path, "name:") + "name 'lotChanged' is also a generated subscription field (<class>Changed, "
        "dataProductChanged); choose another"
    )


def test_two_streams_on_one_topic_are_refused(tmp_path: Path, model: DomainModel, mapper: Mapper) -> None:
    first = write_stream(tmp_path)
    other = write_stream(
        tmp_path,
        {
            "name": "zother",
            "topic": "digispine.stream.sample.v1",
            "outputType": "digispine.stream.Zother.v1",
            "outputShape": "dss:ZotherV1Shape",
        },
        shape=SHAPE.replace("SampleV1", "ZotherV1"),
    )
    assert only_problem(tmp_path, model, mapper) == (
        at(other, "topic:") + f"topic digispine.stream.sample.v1 is also used by {first}"
    )


def test_one_stream_version_in_two_streams_directories_is_refused(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    first = write_stream(tmp_path / "a")
    second = write_stream(tmp_path / "b", {"topic": "digispine.stream.other.v1"})
    (tmp_path / "b" / "shapes" / "sample-v1.ttl").unlink()
    paths = StreamPaths(
        (tmp_path / "a" / "streams", tmp_path / "b" / "streams"), (tmp_path / "a" / "shapes",)
    )
    with pytest.raises(StreamDefinitionError) as caught:
        load_streams(paths, model, mapper)
    assert [str(p) for p in caught.value.problems] == [
        at(second, "version:") + f"sample v1 is also used by {first}"
    ]


def test_problems_of_several_files_are_reported_together(
    tmp_path: Path, model: DomainModel, mapper: Mapper
) -> None:
    first = write_stream(tmp_path, {"key": "ds:state"})
    second = write_stream(
        tmp_path, {"name": "other", "outputType": "digispine.stream.Other.v1", "grace": "soon"}
    )
    found = problems(tmp_path, model, mapper)
    assert {p.split(":", 1)[0] for p in found} == {str(first), str(second)}
    assert str(StreamDefinitionError([])).startswith("0 problems in the stream definitions")
