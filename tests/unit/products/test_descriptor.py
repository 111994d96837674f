"""Descriptors: every field read and typed, defaults filled in, every problem named with its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from graph_service.products.descriptor import duration_seconds, load_descriptor
from graph_service.products.errors import ProductDefinitionError
from tests.unit.products.conftest import write_product


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ProductDefinitionError) as caught:
        load_descriptor(path)
    return [str(p) for p in caught.value.problems]


def test_a_descriptor_is_read_with_its_defaults(tmp_path: Path) -> None:
    descriptor = load_descriptor(write_product(tmp_path))
    assert (descriptor.name, descriptor.version, descriptor.major, descriptor.key) == (
        "sample",
        "1.0.0",
        1,
        "sample/1.0.0",
    )
    assert descriptor.output_shape == "https://w3id.org/digispine/products#SampleV1Shape"
    assert descriptor.access_roles == ("analyst", "planner")
    assert (descriptor.status, descriptor.on_violation, descriptor.deprecated) == ("active", "report", False)
    assert descriptor.freshness_sla_seconds == 15 * 60
    (parameter,) = descriptor.parameters
    assert (parameter.name, parameter.type, parameter.required, parameter.default) == (
        "lotNumber",
        "String",
        False,
        None,
    )


def test_parameter_defaults_are_typed(tmp_path: Path) -> None:
    descriptor = load_descriptor(
        write_product(
            tmp_path,
            {
                "parameters": {
                    "maxDepth": {"type": "Int", "default": 10},
                    "since": {"type": "Date", "default": "2026-03-01"},
                    "asOf": {"type": "DateTime", "default": "2026-03-01T06:00:00"},
                    "share": {"type": "Float", "default": 1},
                }
            },
        )
    )
    defaults = {p.name: p.default for p in descriptor.parameters}
    assert defaults == {
        "maxDepth": 10,
        "since": dt.date(2026, 3, 1),
        "asOf": dt.datetime(2026, 3, 1, 6, tzinfo=dt.UTC),  # no zone given: UTC
        "share": 1.0,
    }


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    raw = """\
name: sample
version: "2.0.0"
title: Sample
domian: production
owner: Test team
description: x
status: deprecated
freshnessSla: P1M
outputShape: dsq:SampleV1Shape
onViolation: ignore
parameters:
  depth: {type: Integer}
  since: {type: Date, default: not-a-date}
"""
    problems = problems_of(write_product(tmp_path, raw=raw, folder="v1"))
    path = tmp_path / "queries" / "sample" / "v1" / "product.yaml"
    assert f"{path}:4: unknown field 'domian'; did you mean 'domain'?" in problems
    assert any(p.startswith(f"{path}:2: version 2.0.0 belongs in folder v2") for p in problems)
    assert (
        f"{path}:7: a deprecated product needs a deprecationReason telling consumers what to use" in problems
    )
    assert any(p.startswith(f"{path}:8: 'P1M' is not an ISO 8601 duration") for p in problems)
    assert f"{path}:10: onViolation must be one of report, refuse; got 'ignore'" in problems
    assert any(
        p.startswith(f"{path}:12: parameter 'depth': type must be one of String, Int") for p in problems
    )
    assert any(
        p.startswith(f"{path}:13: parameter 'since': default: expected an ISO 8601 date") for p in problems
    )
    assert any("missing required field 'domain'" in p for p in problems)


def test_names_must_match_their_folder_and_be_camel_case(tmp_path: Path) -> None:
    problems = problems_of(write_product(tmp_path, {"name": "Sample_Product"}))
    assert any("must be lowerCamelCase" in p for p in problems)
    problems = problems_of(write_product(tmp_path, {"name": "sample"}, product_folder="elsewhere"))
    assert any("name 'sample' differs from its folder 'elsewhere'" in p for p in problems)


def test_required_parameters_take_no_default_and_version_must_be_quoted(tmp_path: Path) -> None:
    problems = problems_of(
        write_product(
            tmp_path,
            {"version": 1.0, "parameters": {"lot": {"type": "String", "required": True, "default": "L-1"}}},
            folder="v1",
        )
    )
    assert any("must be a quoted semantic version" in p for p in problems)
    assert any("is required, so a default would never be used" in p for p in problems)


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    problems = problems_of(write_product(tmp_path, raw="name: sample\ntitle: [unclosed\n"))
    assert len(problems) == 1 and ":3: YAML syntax" in problems[0]


def test_durations_are_days_hours_minutes_seconds() -> None:
    assert duration_seconds("P1DT2H30M15.5S") == 86400 + 2 * 3600 + 30 * 60 + 15.5
    for bad in ("P", "PT", "P1Y", "1H", "PT1.5H"):
        with pytest.raises(ValueError):
            duration_seconds(bad)
