"""The adapter registry and the pipeline's use of adapters: several events, none, refusals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from loaders import adapters
from loaders.adapters import AdapterError, WireRecord, cloudevent
from loaders.pipeline import Pipeline, Record, Rejection

from .samples import pack_parts


class Splitter:
    """A test adapter: one event per element of the record's JSON list; "bad" is refused."""

    name = "splitter"

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        items = record.json(self.name)
        if items == "bad":
            raise AdapterError(self.name, "value", "says bad")
        return [
            cloudevent(
                id=f"cust-{n}",
                source="crm/test",
                type="digispine.crm.CustomerRegistered.v1",
                time="2026-03-02T09:00:00Z",
                data={"customerNumber": f"C-{n}", "name": f"Customer {n}", "countryCode": "DE"},
            )
            for n in items
        ]


def test_the_builtin_adapters_are_known_by_name_and_an_unknown_name_lists_them() -> None:
    for name in adapters.names():
        assert isinstance(adapters.get(name), adapters.Adapter)
    with pytest.raises(adapters.UnknownAdapter, match="known adapters: .*debezium"):
        adapters.get("no-such-format")


def test_a_registered_adapter_is_found_by_name() -> None:
    adapters.register("splitter-test", Splitter)
    assert isinstance(adapters.get("splitter-test"), Splitter)
    assert "splitter-test" in adapters.names()


def test_the_wire_record_exposes_kafka_key_headers_and_position_and_a_null_value() -> None:
    wire = adapters.wire_record(
        Record(raw=b"", origin="kafka:t/1@7", position=("t", 1, 7), key=b'{"id":1}', headers=(("h", b"v"),))
    )
    assert (wire.value, wire.topic, wire.partition, wire.offset) == (None, "t", 1, 7)
    assert wire.key_json() == {"id": 1} and wire.headers == {"h": b"v"}


def test_a_record_decoded_into_several_events_none_or_a_refusal() -> None:
    parts = pack_parts("debezium-erp")
    pipe = Pipeline(parts.mapper, parts.validator, None, None, adapter=Splitter())  # type: ignore[arg-type]
    several = pipe.prepare_all(Record(raw=b"[1, 2, 3]", origin="f:1", position=5))
    assert [r.origin for _, r in several] == ["f:1#0", "f:1#1", "f:1#2"]
    assert all(r.position == 5 for _, r in several)
    assert [p.entities[0].ref.key for p, _ in several if not isinstance(p, Rejection)] == [
        ("C-1",),
        ("C-2",),
        ("C-3",),
    ]
    assert pipe.prepare_all(Record(raw=b"[]", origin="f:2")) == []
    [(refused, kept)] = pipe.prepare_all(Record(raw=orjson.dumps("bad"), origin="f:3"))
    assert isinstance(refused, Rejection) and refused.reason == "adapter"
    assert refused.message == "splitter: value: says bad" and kept.raw == b'"bad"'
    [(broken, _)] = pipe.prepare_all(Record(raw=b"{not json", origin="f:4"))
    assert isinstance(broken, Rejection) and broken.reason == "adapter" and "not valid JSON" in broken.message


class Broken:
    """An adapter with a bug."""

    name = "broken"

    def decode(self, record: WireRecord) -> list[dict[str, Any]]:
        return [{"n": 1 / 0}]


def test_an_adapter_failing_on_a_record_dead_letters_that_record_instead_of_ending_the_load() -> None:
    parts = pack_parts("debezium-erp")
    pipe = Pipeline(parts.mapper, parts.validator, None, None, adapter=Broken())  # type: ignore[arg-type]
    [(refused, kept)] = pipe.prepare_all(Record(raw=b"{}", origin="kafka:t/0@3"))
    assert isinstance(refused, Rejection) and refused.reason == "adapter"
    assert "broken: the adapter failed on this record (ZeroDivisionError" in refused.message
    assert kept.origin == "kafka:t/0@3"
