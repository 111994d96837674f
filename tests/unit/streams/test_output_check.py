"""The compiled output check of a stream agrees with pySHACL on valid and invalid derived events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, SH, XSD, BNode, Graph, Literal, URIRef

from graph_service.streams.envelope import read_shape_file, shape_check
from graph_service.streams.output_check import STREAMS_NS, Bound, FieldRule, FlatShape, compile_flat
from tests.support.paths import REPO

SHAPE_FILES = sorted((REPO / "shapes" / "streams").glob("*.ttl"))
FOCUS = "urn:digispine:stream-event:test"


def _shape_iri(graph: Graph) -> str:
    (node,) = set(graph.subjects(RDF.type, SH.NodeShape))
    return str(node)


def _valid_value(rule: FieldRule) -> Any:
    if rule.allowed:
        return rule.allowed[-1]
    low = max([b.value for b in rule.bounds if b.op in (">", ">=")], default=0)
    high = min([b.value for b in rule.bounds if b.op in ("<", "<=")], default=low + 10)
    middle = (low + high) / 2
    return {
        "string": "WU-1",
        "boolean": True,
        "integer": int(low) + 1 if int(low) + 1 <= high else int(low),
        "date": "2026-03-02",
        "dateTime": "2026-03-02T06:00:00Z",
    }.get(rule.datatype, middle)


def _another(rule: FieldRule, value: Any) -> Any:
    """A second valid value, unlike ``value`` (RDF has no duplicate triples)."""
    if rule.allowed and len(rule.allowed) > 1:
        return rule.allowed[0]
    if rule.datatype == "integer":
        return value + 1 if all(b.op in (">", ">=") for b in rule.bounds) else value - 1
    if rule.datatype in ("decimal", "double", "float"):
        return value / 2 if value else 0.25
    others = {"string": "WU-2", "date": "2026-03-03", "dateTime": "2026-03-02T07:00:00Z"}
    return others.get(rule.datatype, not value)


def _wrong_values(rule: FieldRule) -> list[Any]:
    """Values that break the field's datatype, list or bounds, each as a JSON producer might (a
    boolean in a numeric field: see the last test)."""
    wrong: list[Any] = [{"nested": 1}]
    wrong += {
        "string": [5, True],
        "boolean": [1, "true"],
        "integer": [1.5, "1"],
        "date": ["2026-3-2", "20260302", 20260302],
        "dateTime": ["yesterday", "2026-03-02T25:00:00Z", "2026-03-02Z", 5],
    }.get(rule.datatype, ["0.5"])
    if rule.allowed:
        wrong.append("NOT_ALLOWED")
    for bound in rule.bounds:
        step = 1 if rule.datatype == "integer" else 0.5
        wrong.append(bound.value - step if bound.op in (">", ">=") else bound.value + step)
        if bound.op in (">", "<"):
            wrong.append(bound.value)
    return wrong


def _as_rdf(data: dict[str, Any], shape: FlatShape, target: URIRef) -> Graph:
    """The natural RDF reading of ``data``: each member a dss: property; a JSON string of a date or
    date-time field its lexical form, a number a literal of its numeric field's datatype when it is
    one of that datatype's values (else its own), a list several values, an object a node."""
    types = {rule.name: rule.datatype for rule in shape.fields}
    graph = Graph()
    focus = URIRef(FOCUS)
    graph.add((focus, RDF.type, target))
    for name, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            kind = types.get(name)
            if isinstance(v, dict):
                node = BNode()
                graph.add((node, URIRef(STREAMS_NS + "nested"), Literal(1)))
                term: Any = node
            elif isinstance(v, bool):
                term = Literal(v)
            elif isinstance(v, str):
                term = Literal(v, datatype=XSD[kind]) if kind in ("date", "dateTime") else Literal(v)
            elif kind in ("decimal", "double", "float") or (kind == "integer" and isinstance(v, int)):
                term = Literal(repr(v), datatype=XSD[kind])  # the field's type, when in its values
            else:
                term = Literal(v)
            graph.add((focus, URIRef(STREAMS_NS + name), term))
    return graph


def _pyshacl(data: dict[str, Any], shapes: Graph, shape: FlatShape, target: URIRef) -> set[tuple[str, str]]:
    _, report, _ = pyshacl_validate(_as_rdf(data, shape, target), shacl_graph=shapes)
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = str(report.value(result, SH.resultPath)).removeprefix(STREAMS_NS)
        component = str(report.value(result, SH.sourceConstraintComponent)).removeprefix(str(SH))
        found.add((path, component))
    return found


def _samples(shape: FlatShape) -> list[dict[str, Any]]:
    valid = {rule.name: _valid_value(rule) for rule in shape.fields}
    samples = [
        valid,
        {k: v for k, v in valid.items() if any(r.name == k and r.min_count for r in shape.fields)},
    ]
    for rule in shape.fields:
        samples += [dict(valid, **{rule.name: wrong}) for wrong in _wrong_values(rule)]
        if rule.min_count:
            samples.append({k: v for k, v in valid.items() if k != rule.name})
        if rule.max_count == 1:
            samples.append(dict(valid, **{rule.name: [valid[rule.name], _another(rule, valid[rule.name])]}))
    samples.append(dict(valid, undeclaredMember="x"))
    return samples


@pytest.mark.parametrize("path", SHAPE_FILES, ids=lambda p: p.stem)
def test_the_compiled_check_and_pyshacl_agree_on_valid_and_invalid_events(path: Path) -> None:
    shapes = read_shape_file(path)
    shape_iri = _shape_iri(shapes)
    shape = compile_flat(shapes, shape_iri)
    assert shape is not None, f"{path.name} is not a flat shape"
    target = next(shapes.objects(URIRef(shape_iri), SH.targetClass))
    samples = _samples(shape)
    invalid = 0
    for data in samples:
        ours = {(r["path"], r["constraint"]) for r in shape.validate(data, FOCUS)}
        assert ours == _pyshacl(data, shapes, shape, target), data
        invalid += bool(ours)
    assert shape.validate(samples[0]) == [] and shape.validate(samples[1]) == []
    assert invalid >= len(samples) - 2  # every mutation is a violation, and pySHACL says so too


def test_a_violation_is_reported_in_the_shacl_report_format() -> None:
    path = REPO / "shapes" / "streams" / "equipmentOee-v1.ttl"
    check = shape_check(path, STREAMS_NS + "EquipmentOeeV1Shape")
    assert isinstance(check, FlatShape)
    found = check.validate({"windowName": "day", "revision": 0, "surplus": 1}, FOCUS)
    assert {"focus", "path", "constraint", "message"} == set(found[0])
    by_path = {(r["path"], r["constraint"]): r["message"] for r in found}
    assert by_path[("equipmentId", "MinCountConstraintComponent")] == "needs at least 1 value(s), has 0"
    assert by_path[("windowName", "InConstraintComponent")] == "value is not among the allowed values"
    assert by_path[("revision", "MinInclusiveConstraintComponent")] == "value is not >= 1"
    assert ("surplus", "ClosedConstraintComponent") in by_path
    assert all(r["focus"] == FOCUS for r in found)


def test_a_compiled_shape_survives_its_json_form() -> None:
    path = REPO / "shapes" / "streams" / "equipmentOee-v1.ttl"
    shape = compile_flat(read_shape_file(path), STREAMS_NS + "EquipmentOeeV1Shape")
    assert shape is not None
    assert FlatShape.from_json(orjson.loads(orjson.dumps(shape.to_json()))) == shape


def test_a_shape_with_another_constraint_keeps_the_general_validator(tmp_path: Path) -> None:
    source = (REPO / "shapes" / "streams" / "equipmentOee-v1.ttl").read_text()
    patterned = source.replace("sh:datatype xsd:string ;", 'sh:datatype xsd:string ; sh:pattern "^WU-" ;', 1)
    shape_file = tmp_path / "patterned.ttl"
    shape_file.write_text(patterned)
    check = shape_check(shape_file, STREAMS_NS + "EquipmentOeeV1Shape")
    assert not isinstance(check, FlatShape)
    found = check.validate({"equipmentId": "X-1"})
    assert ("equipmentId", "PatternConstraintComponent") in {(r["path"], r["constraint"]) for r in found}


@pytest.mark.parametrize(
    ("datatype", "text"),
    [
        ("dateTime", "2026-03-02"),
        ("dateTime", "2026-03-02T06:00"),
        ("dateTime", "20260302"),
        ("date", "2026-03-02T06:00:00Z"),
        ("date", "2026-W10-1"),
    ],
)
def test_the_compiled_check_refuses_what_xsd_refuses_even_where_rdflib_parses_it(
    datatype: str, text: str
) -> None:
    """rdflib (and so pySHACL) parses these with ISO 8601's wider grammar; XSD's lexical space has
    none of them. Derived events carry the XSD forms (``utc_text``), so the strict reading costs
    nothing and keeps a consumer's XSD parser from failing on one."""
    assert not Literal(text, datatype=XSD[datatype]).ill_typed
    rule = FieldRule(name="at", datatype=datatype, min_count=1, max_count=1)
    found = FlatShape(STREAMS_NS + "S", (rule,), closed=False).validate({"at": text})
    assert [r["constraint"] for r in found] == ["DatatypeConstraintComponent"]


def test_a_boolean_is_no_number_for_a_bound_though_pyshacl_compares_it_as_one() -> None:
    """SPARQL's ``<=`` (which SHACL's bounds use) is a type error between a boolean and a number;
    pySHACL compares Python values, and True is 1 there. Both report the datatype violation."""
    bound = Bound("<=", 1, "1", "MaxInclusiveConstraintComponent")
    rule = FieldRule(name="ratio", datatype="decimal", max_count=1, bounds=(bound,))
    found = FlatShape(STREAMS_NS + "S", (rule,), closed=False).validate({"ratio": True})
    assert [r["constraint"] for r in found] == [
        "DatatypeConstraintComponent",
        "MaxInclusiveConstraintComponent",
    ]
