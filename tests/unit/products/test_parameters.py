"""Parameters bound to a product: defaults, required values, types, unknown names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products.errors import ParameterError
from graph_service.products.registry import DataProduct, ProductRegistry
from graph_service.products.runner import bind_parameters, to_native
from tests.unit.products.conftest import write_product, write_shapes


@pytest.fixture()
def product(tmp_path: Path, model: DomainModel) -> DataProduct:
    shapes = write_shapes(tmp_path)
    write_product(
        tmp_path,
        {
            "parameters": {
                "lotNumber": {"type": "String", "required": True},
                "maxDepth": {"type": "Int", "default": 10},
                "asOf": {"type": "DateTime"},
            }
        },
        query="MATCH (l:Lot {lotNumber: $lotNumber}) WHERE $maxDepth > 0 AND $asOf IS NULL RETURN l",
    )
    (tmp_path / "queries" / "sample" / "v1" / "validation.cypher").write_text("RETURN 'L-1' AS lotNumber")
    return ProductRegistry.load([tmp_path / "queries"], [shapes], model).get("sample", "v1")


def test_defaults_fill_in_and_values_are_typed(product: DataProduct) -> None:
    assert bind_parameters(product, {"lotNumber": "L-1"}) == {
        "lotNumber": "L-1",
        "maxDepth": 10,
        "asOf": None,
    }
    bound = bind_parameters(product, {"lotNumber": "L-1", "maxDepth": None, "asOf": "2026-03-02T06:00:00"})
    assert bound["maxDepth"] == 10
    assert bound["asOf"] == dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "parameter 'lotNumber' (String) is required"),
        ({"lotNumber": "L-1", "depth": 3}, "unknown parameter(s) depth; it takes lotNumber, maxDepth, asOf"),
        ({"lotNumber": "L-1", "maxDepth": "3"}, "parameter 'maxDepth': expected an integer, got '3'"),
        ({"lotNumber": "L-1", "maxDepth": True}, "parameter 'maxDepth': expected an integer, got True"),
        ({"lotNumber": 7}, "parameter 'lotNumber': expected a string, got 7"),
    ],
)
def test_wrong_parameters_are_refused_with_the_reason(
    product: DataProduct, values: dict, message: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        bind_parameters(product, values)
    assert str(caught.value) == f"data product sample/1.0.0: {message}"


def test_neo4j_values_become_plain_python() -> None:
    import neo4j.time

    value = {
        "at": neo4j.time.DateTime(2026, 3, 2, 6, 0, 0, tzinfo=dt.UTC),
        "days": [neo4j.time.Date(2026, 3, 2)],
        "took": neo4j.time.Duration(minutes=5),
    }
    assert to_native(value) == {
        "at": dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC),
        "days": [dt.date(2026, 3, 2)],
        "took": "PT5M",
    }
