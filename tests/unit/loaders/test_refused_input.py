"""Nothing is silently accepted: bad bytes, huge events, long strings, far-future times and zone
offsets Neo4j cannot store are dead letters with a reason, and what follows them still loads."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_service.settings import load_settings
from loaders.deadletters import DeadLetterStore
from loaders.envelope import parse_line
from loaders.errors import EventRejected
from loaders.limits import PREVIEW_BYTES, Limits
from loaders.mapping import MappedEvent, load_mappings
from loaders.pipeline import Pipeline, Record, Rejection
from loaders.sources import count_records, read_files
from loaders.validation import PayloadValidator
from tests.support.paths import REPO

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def event(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "erp/s4",
        "type": "digispine.erp.SalesOrderChanged.v1",
        "time": "2026-02-01T10:00:00Z",
        "datacontenttype": "application/json",
        "data": {"salesOrderNumber": "SO-1", "status": "OPEN"},
    }
    doc.update(changes)
    return doc


def make_pipeline(model, tmp_path: Path, shapes: Path | None = None, **limits: Any) -> Pipeline:  # type: ignore[no-untyped-def]
    return Pipeline(
        load_mappings(REPO / "loaders" / "mappings", model),
        PayloadValidator.from_directory(shapes or REPO / "shapes" / "events"),
        writer=None,  # type: ignore[arg-type]
        deadletters=DeadLetterStore(tmp_path / "dl"),
        limits=Limits(**limits),
        clock=lambda: NOW,
    )


@pytest.fixture()
def pipeline(model, tmp_path: Path) -> Pipeline:  # type: ignore[no-untyped-def]
    return make_pipeline(model, tmp_path)


def rejected(result: MappedEvent | Rejection, reason: str) -> Rejection:
    assert isinstance(result, Rejection), result
    assert result.reason == reason, (result.reason, result.message)
    return result


# -- invalid UTF-8 ------------------------------------------------------------------------------------
def test_invalid_utf8_is_malformed_naming_the_byte_offset_and_never_loads_as_u_fffd(
    pipeline: Pipeline,
) -> None:
    raw = orjson.dumps(event(data={"salesOrderNumber": "SO-1", "status": "M\u00fcller"}))
    bad = raw.replace("ü".encode(), b"\xfc")  # Latin-1 bytes inside a UTF-8 line
    offset = bad.index(b"\xfc")
    rejection = rejected(pipeline.prepare(Record(bad, "f.jsonl:1")), "malformed-utf8")
    assert f"byte offset {offset}" in rejection.message and "0xfc" in rejection.message
    pipeline._dead_letter(rejection)
    (letter,) = pipeline.deadletters.all()
    assert base64.b64decode(letter.original_base64 or "") == bad  # the exact bytes are kept
    assert letter.original_bytes == bad
    assert "\ufffd" in letter.original  # readable, the bad byte shown as U+FFFD
    assert letter.event_id == "evt-1"


def test_a_valid_line_after_an_invalid_one_still_maps(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "\xc3\x28"}\n' + orjson.dumps(event()) + b"\n")
    first, second = list(read_files([path]))
    rejected(pipeline.prepare(first), "malformed-utf8")
    assert isinstance(pipeline.prepare(second), MappedEvent)


# -- sizes --------------------------------------------------------------------------------------------
def test_a_huge_line_is_read_in_bounded_pieces_and_dead_lettered_with_a_preview(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    huge = orjson.dumps(event(data={"salesOrderNumber": "SO-1", "name": "x" * 3_000_000}))
    path = tmp_path / "huge.jsonl"
    path.write_bytes(
        orjson.dumps(event(id="before")) + b"\n" + huge + b"\r\n" + orjson.dumps(event(id="after"))
    )
    limits = Limits(max_event_bytes=1_048_576)
    records = list(read_files([path], limits))
    assert [r.origin.rsplit(":", 1)[1] for r in records] == ["1", "2", "3"]
    assert count_records(path, limits) == 3
    big = records[1]
    assert len(big.raw) == PREVIEW_BYTES and big.size == len(huge)  # never held whole
    rejection = rejected(pipeline.prepare(big), "too-large")
    assert f"{len(huge):,} bytes" in rejection.message and "1,048,576" in rejection.message
    pipeline._dead_letter(rejection)
    (letter,) = pipeline.deadletters.all()
    assert letter.original_size == len(huge) and len(letter.original) <= PREVIEW_BYTES
    assert letter.original_bytes is None  # not retryable from the letter
    assert all(isinstance(pipeline.prepare(r), MappedEvent) for r in (records[0], records[2]))


def test_a_kafka_message_over_the_limit_keeps_only_a_preview(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(model, tmp_path, max_event_bytes=2048)
    raw = orjson.dumps(event(data={"salesOrderNumber": "SO-1", "name": "y" * 5000}))
    rejection = rejected(pipeline.prepare(Record(raw, "kafka:t/0@5")), "too-large")
    pipeline._dead_letter(rejection)
    (letter,) = pipeline.deadletters.all()
    assert letter.original_size == len(raw) and len(letter.original) == PREVIEW_BYTES


def test_a_string_longer_than_the_limit_is_too_large_naming_where(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(model, tmp_path, max_string_chars=300)
    doc = event(data={"salesOrderNumber": "SO-1", "items": [{"note": "ok"}, {"note": "z" * 301}]})
    rejection = rejected(pipeline.prepare(Record(orjson.dumps(doc), "t")), "too-large")
    assert "data.items[1].note" in rejection.message and "301" in rejection.message
    assert "DIGISPINE_LOADER_MAX_STRING_CHARS" in rejection.message
    long_key = event(data={"salesOrderNumber": "SO-1", "k" * 301: 1})
    rejected(pipeline.prepare(Record(orjson.dumps(long_key), "t")), "too-large")
    long_subject = event(subject="s" * 301)
    assert (
        "subject" in rejected(pipeline.prepare(Record(orjson.dumps(long_subject), "t")), "too-large").message
    )
    pipeline._dead_letter(rejection)
    (letter,) = pipeline.deadletters.all()
    assert letter.original_size is None and orjson.loads(letter.original) == doc  # kept whole: retryable


def test_a_shape_with_sh_max_length_dead_letters_longer_values(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shapes = tmp_path / "shapes"
    shutil.copytree(REPO / "shapes" / "events", shapes)
    erp = shapes / "erp.ttl"
    text = erp.read_text(encoding="utf-8")
    marker = "sh:targetClass ds:SalesOrderChanged ;"
    erp.write_text(
        text.replace(marker, marker + " sh:property [ sh:path dsp:status ; sh:maxLength 3 ] ;"),
        encoding="utf-8",
    )
    pipeline = make_pipeline(model, tmp_path, shapes=shapes)
    rejection = rejected(pipeline.prepare(Record(orjson.dumps(event()), "t")), "shacl")
    assert "MaxLengthConstraintComponent" in (rejection.report or "")


# -- time ---------------------------------------------------------------------------------------------
def test_an_event_dated_far_in_the_future_is_refused_naming_the_time_and_the_limit(
    pipeline: Pipeline,
) -> None:
    doc = event(time="9999-12-31T23:59:59Z")
    rejection = rejected(pipeline.prepare(Record(orjson.dumps(doc), "t")), "future-event")
    assert "9999-12-31T23:59:59" in rejection.message and "86,400 s" in rejection.message


def test_the_clock_skew_is_a_setting(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    in_an_hour = (NOW + dt.timedelta(hours=1)).isoformat()
    assert isinstance(
        make_pipeline(model, tmp_path).prepare(Record(orjson.dumps(event(time=in_an_hour)), "t")), MappedEvent
    )
    strict = make_pipeline(model, tmp_path, max_clock_skew_s=60)
    rejected(strict.prepare(Record(orjson.dumps(event(time=in_an_hour)), "t")), "future-event")
    limits = Limits.from_settings(load_settings(loader_max_clock_skew_s=60, loader_max_event_bytes=4096))
    assert limits.max_clock_skew_s == 60 and limits.max_event_bytes == 4096
    assert Limits.from_settings(load_settings()) == Limits()  # the documented defaults agree


@pytest.mark.parametrize(
    "time", ["2026-01-01T00:00:00+23:59", "2026-01-01T00:00:00-18:01", "2026-01-01T00:00:00+19:00"]
)
def test_a_zone_offset_neo4j_cannot_store_is_refused_at_the_envelope(pipeline: Pipeline, time: str) -> None:
    rejection = rejected(pipeline.prepare(Record(orjson.dumps(event(time=time)), "t")), "envelope")
    assert "time" in rejection.message and "±18:00" in rejection.message


@pytest.mark.parametrize(
    "time", ["2026-01-01T00:00:00+18:00", "2026-01-01T00:00:00-18:00", "2026-01-01T00:00:00+05:45"]
)
def test_zone_offsets_up_to_18_hours_are_accepted(pipeline: Pipeline, time: str) -> None:
    assert isinstance(pipeline.prepare(Record(orjson.dumps(event(time=time)), "t")), MappedEvent)


def test_a_payload_date_time_with_an_impossible_offset_is_refused_before_the_write(
    pipeline: Pipeline,
) -> None:
    doc = event(
        type="digispine.mes.OperationStarted.v1",
        source="mes/line-1",
        data={
            "operationId": "PRD-1/0010",
            "productionOrderNumber": "PRD-1",
            "equipmentId": "WU-CNC-02",
            "operatorId": "P-011",
            "shiftId": "S-20260105-B",
            "startedAt": "2026-01-05T16:51:00+23:59",
        },
    )
    good = event(**{**doc, "data": {**doc["data"], "startedAt": "2026-01-05T16:51:00+18:00"}})
    assert isinstance(pipeline.prepare(Record(orjson.dumps(good), "t")), MappedEvent)
    result = pipeline.prepare(Record(orjson.dumps(doc), "t"))
    assert isinstance(result, Rejection) and result.reason == "mapping", result
    assert "+23:59" in result.message and "±18:00" in result.message


def test_a_time_that_overflows_in_utc_is_an_envelope_error() -> None:
    with pytest.raises(EventRejected) as info:
        parse_line(orjson.dumps(event(time="9999-12-31T23:59:59-05:00")))
    assert info.value.reason == "envelope" and "out of range" in str(info.value)


# -- identity and payload digest ----------------------------------------------------------------------
def test_the_key_is_source_and_id_and_the_digest_ignores_member_order_and_zone() -> None:
    a = parse_line(orjson.dumps(event(data={"salesOrderNumber": "SO-1", "status": "OPEN"})))
    b = parse_line(
        orjson.dumps(
            event(data={"status": "OPEN", "salesOrderNumber": "SO-1"}, time="2026-02-01T11:00:00+01:00")
        )
    )
    c = parse_line(orjson.dumps(event(data={"salesOrderNumber": "SO-1", "status": "CLOSED"})))
    other = parse_line(orjson.dumps(event(source="erp/other")))
    assert a.key == ("erp/s4", "evt-1") and other.key == ("erp/other", "evt-1")
    assert a.payload_hash == b.payload_hash != c.payload_hash
