"""Whatever arrives, preparing an event never raises: it maps, or it is a clear rejection."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.deadletters import DeadLetterStore
from loaders.mapping import MappedEvent, load_mappings
from loaders.pipeline import Pipeline, Record, Rejection
from loaders.validation import PayloadValidator
from tests.support.paths import REPO

REASONS = {
    "malformed-json",
    "malformed-utf8",
    "too-large",
    "future-event",
    "unknown-type",
    "envelope",
    "shacl",
    "mapping",
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    from graph_service.ontology.compiler import load_model

    model = load_model(REPO / "ontology")
    mapper = load_mappings(REPO / "loaders" / "mappings", model)
    validator = PayloadValidator.from_directory(REPO / "shapes" / "events")
    return Pipeline(
        mapper, validator, writer=None, deadletters=DeadLetterStore(tmp_path_factory.mktemp("dl"))
    )  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
types = st.sampled_from(
    [
        "digispine.erp.SalesOrderCreated.v1",
        "digispine.mes.LotProduced.v1",
        "digispine.crm.ComplaintOpened.v1",
        "digispine.qms.InspectionRecorded.v1",
        "nonsense",
        "digispine.erp.Unknown.v1",
    ]
)
envelopes = st.fixed_dictionaries(
    {
        "specversion": st.sampled_from(["1.0", "0.3", 1]),
        "id": st.text(min_size=0, max_size=8),
        "source": st.sampled_from(["erp/x", "mes/y", "crm/z", "qms/q", ""]),
        "type": types,
        "time": st.sampled_from(["2026-01-01T00:00:00Z", "yesterday", "2026-13-01T00:00:00Z"]),
        "data": json_values,
    },
)


def _check(result: MappedEvent | Rejection) -> None:
    if isinstance(result, Rejection):
        assert result.reason in REASONS
        assert result.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_loader(pipeline: Pipeline, raw: bytes) -> None:
    _check(pipeline.prepare(Record(raw, "fuzz")))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=envelopes)
def test_arbitrary_envelopes_and_payloads_never_crash_the_loader(pipeline: Pipeline, doc: dict) -> None:
    _check(pipeline.prepare(Record(json.dumps(doc), "fuzz")))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_any_json_document_is_handled(pipeline: Pipeline, value: object) -> None:
    try:
        raw = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return
    _check(pipeline.prepare(Record(raw, "fuzz")))
