"""Validation of rows against an output shape: verdict, count, readable located samples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from graph_service.products.validation import validate_rows
from tests.unit.products.test_shape_types import sample_shape

CHECKED = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def validate(tmp_path: Path, rows: list[dict], **kwargs: object):
    return validate_rows(
        rows, sample_shape(tmp_path), product="sample", version="1.0.0", checked_at=CHECKED, **kwargs
    )


def test_conforming_rows_give_a_clean_result(tmp_path: Path) -> None:
    result = validate(tmp_path, [{"lotNumber": "L-1", "count": 1, "ratio": 1, "state": "A"}])
    assert (result.conforms, result.violation_count, result.row_count) == (True, 0, 1)
    assert result.as_dict()["checkedAt"] == "2026-03-02T12:00:00+00:00"


def test_violations_are_counted_located_and_explained(tmp_path: Path) -> None:
    rows = [
        {"lotNumber": "L-1", "count": 1},
        {"lotNumber": "L-2", "count": "two", "ratio": 1.5, "state": "C", "extra": 1},
        {"count": 3, "shipments": [{"shipmentNumber": "D-1", "quantity": -1}]},
    ]
    result = validate(tmp_path, rows, sample_size=10)
    assert result.conforms is False
    found = [(v.row, v.row_key, v.field, v.constraint) for v in result.sample_violations]
    assert found == [
        (1, "lotNumber=L-2", "count", "Datatype"),
        (1, "lotNumber=L-2", "extra", "Closed"),
        (1, "lotNumber=L-2", "ratio", "MaxInclusive"),
        (1, "lotNumber=L-2", "state", "In"),
        (2, "", "lotNumber", "MinCount"),
        (2, "", "shipments[0].quantity", "MinInclusive"),  # inside a nested object, reported once
    ]
    assert result.violation_count == 6
    messages = {v.field: v.message for v in result.sample_violations}
    assert messages["count"] == "count must be integer, got 'two'"
    assert messages["ratio"] == "ratio must be ≤ 1, got '1.5'"
    assert messages["state"] == "state must be one of A, B, got 'C'"
    assert messages["extra"] == "extra is not a field of the output shape"
    assert messages["lotNumber"] == "lotNumber is required but missing"


def test_samples_are_capped_but_all_violations_counted(tmp_path: Path) -> None:
    rows = [{"lotNumber": f"L-{i}", "count": 1, "ratio": 2} for i in range(8)]
    result = validate(tmp_path, rows)
    assert result.violation_count == 8
    assert [v.row for v in result.sample_violations] == [0, 1, 2, 3, 4]
