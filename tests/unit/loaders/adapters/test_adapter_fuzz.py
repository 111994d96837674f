"""Whatever a wire record holds, an adapter answers with CloudEvents or an adapter error — never
another exception (which would end a load instead of dead-lettering one record)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.adapters import AdapterError, WireRecord, get

from .samples import DATA, messages

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
SAMPLES = {
    "debezium": messages(DATA / "debezium" / "erp-changes.json"),
    "sap-events": messages(DATA / "sap-s4" / "business-events.json"),
    "salesforce-cdc": messages(DATA / "salesforce-cdc" / "change-events.json"),
}


def mutated(value: Any, path: list[int], replacement: Any) -> Any:
    """``value`` with the member reached by ``path`` (indexes into its members, mod their number)
    replaced; a path beyond the structure replaces the last member reached."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = mutated(value[key], path[1:], replacement)  # type: ignore[index]
    return copy


def answers(adapter: str, record: WireRecord) -> None:
    try:
        events = get(adapter).decode(record)
    except AdapterError:
        return
    assert all(isinstance(e, dict) for e in events)
    orjson.dumps(events)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    adapter=st.sampled_from(sorted(SAMPLES)),
    index=st.integers(0, 50),
    path=st.lists(st.integers(0, 20), max_size=6),
    replacement=JSON,
    headers=st.booleans(),
)
def test_a_sample_with_any_member_replaced_decodes_or_is_an_adapter_error(
    adapter: str, index: int, path: list[int], replacement: Any, headers: bool
) -> None:
    message = SAMPLES[adapter][index % len(SAMPLES[adapter])]
    value = mutated(message["value"], path, replacement)
    record = WireRecord(
        value=None if value is None else orjson.dumps(value),
        origin="fuzz",
        key=None if message.get("key") is None else orjson.dumps(message["key"]),
        headers={k: v.encode() for k, v in (message.get("headers") or {}).items()} if headers else {},
    )
    answers(adapter, record)


@settings(max_examples=60, deadline=None)
@given(adapter=st.sampled_from(sorted(SAMPLES)), raw=st.binary(max_size=40) | JSON.map(orjson.dumps))
def test_any_bytes_decode_or_are_an_adapter_error(adapter: str, raw: bytes) -> None:
    answers(adapter, WireRecord(value=raw, origin="fuzz", key=raw[:5] or None))
