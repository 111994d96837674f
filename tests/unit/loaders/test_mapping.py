"""Mappings are checked against the ontology at start-up and map payloads into writes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import orjson
import pytest

from graph_service.ontology.model import EVENT_ROOT, DomainModel
from loaders.envelope import check_envelope
from loaders.errors import EventRejected, MappingError
from loaders.mapping import load_mappings
from tests.support.paths import REPO


def envelope(event_type: str, data: dict, *, source: str = "erp/s4", event_id: str = "e-1"):
    doc = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "time": "2026-03-01T08:00:00Z",
        "data": data,
    }
    return check_envelope(doc, orjson.dumps(doc).decode())


def write_mapping(tmp_path: Path, text: str) -> Path:
    (tmp_path / "m.yaml").write_text(text)
    return tmp_path


GOOD = """\
source: erp
events:
  - type: digispine.erp.SalesOrderCreated.v1
    event: SalesOrderCreated
    entities:
      order:
        class: SalesOrder
        key: {salesOrderNumber: salesOrderNumber}
        set:
          orderDate: orderDate
          totalNetAmount: totalNetAmount
"""


def test_the_shipped_mappings_cover_every_event_class_of_the_ontology(model: DomainModel) -> None:
    mapper = load_mappings(REPO / "loaders" / "mappings", model)
    mapped = {m.event_class for m in mapper.by_type.values()}
    assert mapped == {c.name for c in model.event_classes() if c.name != EVENT_ROOT}


def test_a_sales_order_maps_to_order_items_customer_and_relations(model: DomainModel) -> None:
    mapper = load_mappings(REPO / "loaders" / "mappings", model)
    mapped = mapper.map(
        envelope(
            "digispine.erp.SalesOrderCreated.v1",
            {
                "salesOrderNumber": "SO-1",
                "customerNumber": "C-1",
                "orderDate": "2026-03-01",
                "requestedDeliveryDate": "2026-03-09",
                "currency": "EUR",
                "totalNetAmount": 840,
                "items": [
                    {
                        "itemNumber": 10,
                        "materialNumber": "FG-1",
                        "quantity": 2,
                        "unit": "PCE",
                        "netPrice": 420,
                    }
                ],
            },
        )
    )
    by_class = {w.class_name: w for w in mapped.entities}
    assert by_class["SalesOrder"].properties["orderDate"] == dt.date(2026, 3, 1)
    assert by_class["SalesOrder"].properties["totalNetAmount"] == 840.0
    assert by_class["SalesOrderItem"].ref.key == ("SO-1/10",)
    assert by_class["SalesOrderItem"].properties["itemNumber"] == 10
    assert by_class["Customer"].properties == {} and by_class["Customer"].affected is False
    assert {(r.rel_type, r.source.key, r.target.key) for r in mapped.relations} == {
        ("ORDERED_BY", ("SO-1",), ("C-1",)),
        ("ITEM_OF", ("SO-1/10",), ("SO-1",)),
        ("ORDERED_MATERIAL", ("SO-1/10",), ("FG-1",)),
    }


def test_adding_an_event_type_for_an_existing_class_needs_only_yaml(
    model: DomainModel, tmp_path: Path
) -> None:
    text = GOOD.replace("SalesOrderCreated.v1", "SalesOrderCreated.v2")
    mapper = load_mappings(write_mapping(tmp_path, text), model)
    mapped = mapper.map(
        envelope(
            "digispine.erp.SalesOrderCreated.v2",
            {"salesOrderNumber": "SO-2", "orderDate": "2026-03-02", "totalNetAmount": 1},
        )
    )
    assert mapped.entities[0].properties["orderDate"] == dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (("class: SalesOrder", "class: SalesOrdr"), 7, "ds:SalesOrdr is not an entity class"),
        (("orderDate: orderDate", "orderDay: orderDate"), 10, "has no datatype property orderDay"),
        (
            ("totalNetAmount: totalNetAmount", "totalNetAmount: {path: totalNetAmount, convert: date}"),
            11,
            "type mismatch: the ontology says xsd:decimal",
        ),
        (("event: SalesOrderCreated", "event: SalesOrderCreatd"), 4, "not an event class"),
        (
            ("key: {salesOrderNumber: salesOrderNumber}", "key: {customerNumber: salesOrderNumber}"),
            8,
            "key must give exactly the business key",
        ),
    ],
)
def test_mapping_errors_name_the_file_and_line(
    model: DomainModel, tmp_path: Path, change: tuple[str, str], line: int, fragment: str
) -> None:
    directory = write_mapping(tmp_path, GOOD.replace(*change))
    with pytest.raises(MappingError) as info:
        load_mappings(directory, model)
    assert f"m.yaml:{line}:" in str(info.value)
    assert fragment in str(info.value)


def test_an_unknown_relation_is_an_error_with_its_line(model: DomainModel, tmp_path: Path) -> None:
    text = GOOD + "    relations:\n      - [order, orderedByy, order]\n"
    with pytest.raises(MappingError, match=r"m.yaml:13: relation ds:orderedByy is not an object property"):
        load_mappings(write_mapping(tmp_path, text), model)


def test_setting_properties_of_a_class_the_event_does_not_affect_is_an_error(
    model: DomainModel, tmp_path: Path
) -> None:
    text = (
        GOOD
        + "      customer:\n        class: Customer\n"
        + "        key: {customerNumber: c}\n        set: {name: n}\n"
    )
    with pytest.raises(MappingError, match="does not declare ds:affects ds:Customer"):
        load_mappings(write_mapping(tmp_path, text), model)


def test_yaml_syntax_errors_name_the_line(model: DomainModel, tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"m.yaml:4: YAML syntax: .*at line 3"):
        load_mappings(write_mapping(tmp_path, "source: erp\nevents:\n  - type: [unclosed\n"), model)


def test_every_problem_is_reported_not_just_the_first(model: DomainModel, tmp_path: Path) -> None:
    text = GOOD.replace("class: SalesOrder", "class: Nope").replace("event: SalesOrderCreated", "event: Nope")
    with pytest.raises(MappingError, match="2 problems"):
        load_mappings(write_mapping(tmp_path, text), model)


def test_an_event_from_the_wrong_kind_of_system_is_rejected(model: DomainModel) -> None:
    mapper = load_mappings(REPO / "loaders" / "mappings", model)
    with pytest.raises(EventRejected) as info:
        mapper.map(
            envelope("digispine.erp.SalesOrderChanged.v1", {"salesOrderNumber": "S"}, source="crm/main")
        )
    assert info.value.reason == "envelope"


def test_a_value_that_cannot_be_converted_is_rejected_naming_the_field(
    model: DomainModel, tmp_path: Path
) -> None:
    mapper = load_mappings(write_mapping(tmp_path, GOOD), model)
    with pytest.raises(EventRejected, match="order.orderDate: cannot convert 'yesterday' to date"):
        mapper.map(
            envelope(
                "digispine.erp.SalesOrderCreated.v1", {"salesOrderNumber": "S", "orderDate": "yesterday"}
            )
        )


def test_the_shipped_mapping_files_are_reported_with_their_real_path(
    model: DomainModel, tmp_path: Path
) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(REPO / "loaders" / "mappings", copy)
    text = (copy / "crm.yaml").read_text().replace("class: Contact", "class: Kontakt")
    (copy / "crm.yaml").write_text(text)
    with pytest.raises(MappingError, match=r"crm.yaml:\d+: entity contact: ds:Kontakt"):
        load_mappings(copy, model)
