"""The mapping language (docs/sources.md): systems as data, paths, lists, links, conversions.

Each feature is shown on a small mapping against the repository's ontology and checked on what
``Mapper.map`` makes of one event; each kind of mistake is reported with its file and line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph_service.ontology.model import DomainModel
from loaders.envelope import Envelope, check_envelope
from loaders.errors import EventRejected, MappingError
from loaders.mapping import MappedEvent, Mapper, load_mappings
from tests.support.loading import REPO

SAP_TYPE = "sap.s4.beh.salesorder.v1.SalesOrder.Created.v1"
HEAD = """\
system:
  name: s4hana
  kind: erp
  sources: ["/default/sap.s4.beh/*"]
events:
  - type: sap.s4.beh.salesorder.v1.SalesOrder.Created.v1
    event: SalesOrderCreated
    entities:
"""


def envelope(data: dict[str, Any], **attributes: Any) -> Envelope:
    doc = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/default/sap.s4.beh/244SA01",
        "type": SAP_TYPE,
        "time": "2026-03-01T08:00:00+01:00",
        "data": data,
        **attributes,
    }
    return check_envelope(doc, orjson.dumps(doc).decode())


def compile_text(tmp_path: Path, model: DomainModel, text: str, name: str = "m.yaml") -> Mapper:
    (tmp_path / name).write_text(text)
    return load_mappings(tmp_path, model)


def mapped(
    tmp_path: Path, model: DomainModel, entities: str, data: dict[str, Any], **attrs: Any
) -> MappedEvent:
    mapper = compile_text(tmp_path, model, HEAD + entities)
    return mapper.map(envelope(data, **attrs))


def error_of(tmp_path: Path, model: DomainModel, text: str) -> str:
    with pytest.raises(MappingError) as caught:
        compile_text(tmp_path, model, text)
    return str(caught.value)


def props(event: MappedEvent, class_name: str) -> list[dict[str, Any]]:
    return [e.properties for e in event.entities if e.class_name == class_name]


def keys(event: MappedEvent, class_name: str) -> list[Any]:
    return [e.ref.key[0] for e in event.entities if e.class_name == class_name]


def links(event: MappedEvent, rel_type_part: str) -> set[tuple[Any, Any]]:
    return {
        (r.source.key[0], r.target.key[0]) for r in event.relations if rel_type_part in r.rel_type.lower()
    }


# -- systems as data -------------------------------------------------------------------------------
def test_a_declared_system_takes_its_own_type_names_and_source_patterns(
    tmp_path: Path, model: DomainModel
) -> None:
    mapper = compile_text(
        tmp_path,
        model,
        HEAD + "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: SalesOrder}\n",
    )
    assert mapper.systems["s4hana"].kind == "erp"
    assert keys(mapper.map(envelope({"SalesOrder": "4711"})), "SalesOrder") == ["4711"]
    with pytest.raises(EventRejected, match="comes from s4hana systems") as caught:
        mapper.map(envelope({"SalesOrder": "4711"}, source="erp/s4-plant-1000"))
    assert caught.value.reason == "envelope"


def test_the_shipped_systems_are_declarations_and_their_types_keep_working(model: DomainModel) -> None:
    mapper = load_mappings(REPO / "loaders" / "mappings", model)
    assert all(system.declared for system in mapper.systems.values())
    for mapping in mapper.by_type.values():  # today's types and sources: kind/instance
        assert mapping.accepts(f"{mapping.source_kind}/plant-1")
        assert not mapping.accepts(f"other-{mapping.source_kind}/plant-1")


def test_a_system_declared_in_one_file_is_named_by_another(tmp_path: Path, model: DomainModel) -> None:
    (tmp_path / "a-systems.yaml").write_text('system: {name: shop, kind: erp, sources: ["urn:shop:*"]}\n')
    text = "system: shop\nevents:\n" + HEAD.split("events:\n", 1)[1].replace(SAP_TYPE, "shop.order.placed")
    text += "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: num}\n"
    mapper = compile_text(tmp_path, model, text, "b-orders.yaml")
    assert mapper.by_type["shop.order.placed"].accepts("urn:shop:eu-1")
    assert not mapper.by_type["shop.order.placed"].accepts("shop/eu-1")  # the declaration's patterns hold


def test_two_different_declarations_of_one_system_are_refused_with_both_places(
    tmp_path: Path, model: DomainModel
) -> None:
    (tmp_path / "a.yaml").write_text('system: {name: shop, sources: ["urn:shop:*"]}\n')
    (tmp_path / "b.yaml").write_text('system: {name: shop, sources: ["shop/*"]}\n')
    with pytest.raises(MappingError, match=r"b\.yaml:1: system shop is declared differently in .*a\.yaml:1"):
        load_mappings(tmp_path, model)


def test_mappings_are_read_from_several_directories(tmp_path: Path, model: DomainModel) -> None:
    plant = tmp_path / "plant"
    plant.mkdir()
    (plant / "s4.yaml").write_text(
        HEAD + "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: n}\n"
    )
    mapper = load_mappings([REPO / "loaders" / "mappings", plant], model)
    assert SAP_TYPE in mapper.by_type and "digispine.erp.SalesOrderCreated.v1" in mapper.by_type


# -- envelope attributes, paths, lists --------------------------------------------------------------
def test_envelope_attributes_are_values(tmp_path: Path, model: DomainModel) -> None:
    event = mapped(
        tmp_path,
        model,
        "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: $subject}\n"
        "        set: {orderDate: $time, customerReference: {template: '{$source}|{$id}|{$type}'}}\n",
        {},
        subject="SO-9",
    )
    assert keys(event, "SalesOrder") == ["SO-9"]
    assert props(event, "SalesOrder") == [
        {"orderDate": dt.date(2026, 3, 1), "customerReference": f"/default/sap.s4.beh/244SA01|e-1|{SAP_TYPE}"}
    ]


def test_list_indexes_and_filters_select_in_values_and_in_each(tmp_path: Path, model: DomainModel) -> None:
    event = mapped(
        tmp_path,
        model,
        "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: 'ids[0]'}\n"
        "        set: {currency: 'amounts[-1].currency', customerReference: 'partners[role=AG].id'}\n"
        "      item:\n        class: SalesOrderItem\n        each: 'items[kind=main]'\n"
        "        key: {salesOrderItemId: pos}\n",
        {
            "ids": ["SO-1", "SO-old"],
            "amounts": [{"currency": "USD"}, {"currency": "EUR"}],
            "partners": [{"role": "WE", "id": "P-2"}, {"role": "AG", "id": "P-1"}],
            "items": [
                {"pos": "10", "kind": "main"},
                {"pos": "20", "kind": "sub"},
                {"pos": "30", "kind": "main"},
            ],
        },
    )
    assert keys(event, "SalesOrder") == ["SO-1"]
    assert props(event, "SalesOrder") == [{"currency": "EUR", "customerReference": "P-1"}]
    assert keys(event, "SalesOrderItem") == ["10", "30"]


def test_nested_lists_pair_each_element_with_the_one_it_sits_in(tmp_path: Path, model: DomainModel) -> None:
    event = mapped(
        tmp_path,
        model,
        "      order:\n        class: SalesOrder\n        each: orders\n"
        "        key: {salesOrderNumber: num}\n"
        "      item:\n        class: SalesOrderItem\n        each: orders.items\n"
        "        key: {salesOrderItemId: {template: '{../num}/{pos}'}}\n"
        "    relations:\n      - [item, itemOf, order]\n",
        {"orders": [{"num": "A", "items": [{"pos": 1}, {"pos": 2}]}, {"num": "B", "items": [{"pos": 1}]}]},
    )
    assert keys(event, "SalesOrderItem") == ["A/1", "A/2", "B/1"]
    assert {(r.source.key[0], r.target.key[0]) for r in event.relations} == {
        ("A/1", "A"),
        ("A/2", "A"),
        ("B/1", "B"),
    }


def test_elements_of_two_lists_are_related_by_a_key_join(tmp_path: Path, model: DomainModel) -> None:
    entities = (
        "      order:\n        class: SalesOrder\n        each: orders\n"
        "        key: {salesOrderNumber: num}\n"
        "      customer:\n        class: Customer\n        each: customers\n"
        "        key: {customerNumber: id}\n"
    )
    refused = error_of(
        tmp_path, model, HEAD + entities + "    relations:\n      - [order, orderedBy, customer]\n"
    )
    assert "m.yaml:18: relation ds:orderedBy: order and customer iterate different lists" in refused
    assert "join:" in refused
    joined = mapped(
        tmp_path,
        model,
        entities + "    relations:\n"
        "      - {from: order, relation: orderedBy, to: customer, join: {customerNumber: soldTo}}\n",
        {
            "orders": [
                {"num": "A", "soldTo": "C2"},
                {"num": "B", "soldTo": "C1"},
                {"num": "C", "soldTo": "C9"},
            ],
            "customers": [{"id": "C1"}, {"id": "C2"}],
        },
    )
    assert {(r.source.key[0], r.target.key[0]) for r in joined.relations} == {("A", "C2"), ("B", "C1")}


# -- lineage links, roles, histories ----------------------------------------------------------------
def test_lineage_is_separate_from_setting_properties_and_links_carry_a_role(
    tmp_path: Path, model: DomainModel
) -> None:
    event = mapped(
        tmp_path,
        model,
        "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: num}\n"
        "        lineage: false\n"
        "        set: {currency: cur}\n"
        "      customer:\n        class: Customer\n        key: {customerNumber: soldTo}\n"
        "        lineage: true\n        role: soldTo\n"
        "      shipTo:\n        class: Customer\n        key: {customerNumber: 'partners[0].id'}\n"
        "        lineage: true\n        role: {path: 'partners[0].function'}\n",
        {"num": "A", "cur": "EUR", "soldTo": "C1", "partners": [{"id": "C2", "function": "shipTo"}]},
    )
    order, customer, ship_to = event.entities
    assert (order.affected, order.lineage, order.properties) == (True, False, {"currency": "EUR"})
    assert (customer.affected, customer.lineage, customer.link_properties) == (
        False,
        True,
        {"role": "soldTo"},
    )
    assert ship_to.link_properties == {"role": "shipTo"}


def test_a_property_with_history_keeps_each_events_value_on_its_link(
    tmp_path: Path, model: DomainModel
) -> None:
    event = mapped(
        tmp_path,
        model,
        "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: num}\n"
        "        set: {totalNetAmount: {path: total, history: true}, currency: cur}\n",
        {"num": "A", "total": 12.5, "cur": "EUR"},
    )
    (order,) = event.entities
    assert order.properties == {"totalNetAmount": 12.5, "currency": "EUR"}
    assert order.link_properties == {"totalNetAmount": 12.5}


# -- conversions and defaults -----------------------------------------------------------------------
def test_units_formats_code_maps_and_defaults_convert_values(tmp_path: Path, model: DomainModel) -> None:
    event = mapped(
        tmp_path,
        model,
        "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: num}\n"
        "        set:\n"
        "          orderDate: {path: createdMs, format: epoch-ms}\n"
        "          requestedDeliveryDate: {path: wanted, format: '%d.%m.%Y'}\n"
        "          status: {path: state, map: {A: OPEN, C: COMPLETED}}\n"
        "          currency: {path: cur, default: EUR}\n"
        "          customerReference: {default: none given}\n"
        "      item:\n        class: SalesOrderItem\n        each: items\n"
        "        key: {salesOrderItemId: pos}\n"
        "        set: {orderedQuantity: {path: grams, unit: 'g -> kg'},"
        " netPrice: {path: cents, factor: 0.01}}\n",
        {
            "num": "A",
            "createdMs": 1772330400000,
            "wanted": "09.03.2026",
            "state": "C",
            "items": [{"pos": "1", "grams": 2500, "cents": 1999}],
        },
    )
    assert props(event, "SalesOrder") == [
        {
            "orderDate": dt.date(2026, 3, 1),
            "requestedDeliveryDate": dt.date(2026, 3, 9),
            "status": "COMPLETED",
            "currency": "EUR",
            "customerReference": "none given",
        }
    ]
    assert props(event, "SalesOrderItem") == [{"orderedQuantity": 2.5, "netPrice": 19.99}]


def test_a_value_outside_the_code_map_is_a_mapping_letter(tmp_path: Path, model: DomainModel) -> None:
    with pytest.raises(EventRejected, match=r"order\.status: cannot convert 'X'") as caught:
        mapped(
            tmp_path,
            model,
            "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: num}\n"
            "        set: {status: {path: state, map: {A: OPEN}}}\n",
            {"num": "A", "state": "X"},
        )
    assert caught.value.reason == "mapping"


def test_temperatures_convert_with_their_offset() -> None:
    from loaders.mapping_values import unit_scale

    factor, offset = unit_scale("C -> K")
    assert float(factor * 20 + offset) == pytest.approx(293.15)
    factor, offset = unit_scale("F -> C")
    assert float(factor * 212 + offset) == pytest.approx(100)


# -- every mistake names its file and line -----------------------------------------------------------
def test_a_personal_data_property_keeps_no_history(tmp_path: Path, model: DomainModel) -> None:
    personal = next(p for p in model.properties_of("Contact") if p.personal_data)
    text = (
        "system: crm\nevents:\n  - type: t\n    event: ContactUpdated\n    entities:\n"
        "      contact:\n        class: Contact\n        key: {contactId: id}\n"
        f"        set: {{{personal.name}: {{path: x, history: true}}}}\n"
    )
    assert f"m.yaml:9: entity contact: {personal.name} is personal data" in error_of(tmp_path, model, text)


ORDER = "      order:\n        class: SalesOrder\n        key: {salesOrderNumber: num}\n"


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        (
            ORDER + "        set: {orderDate: $when}\n",
            "m.yaml:12: order.orderDate: '$when': unknown envelope attribute",
        ),
        (
            ORDER + "        set: {currency: 'items[x'}\n",
            "m.yaml:12: order.currency: 'items[x': a path is member names",
        ),
        (
            ORDER + "        set: {totalNetAmount: {path: t, unit: 'g -> m'}}\n",
            "m.yaml:12: order.totalNetAmount: unit 'g -> m': g is a mass unit",
        ),
        (
            ORDER + "        set: {currency: {path: c, unit: 'g -> kg'}}\n",
            "m.yaml:12: order.currency: units scale numbers",
        ),
        (
            ORDER + "        set: {orderDate: {path: d, format: julian}}\n",
            "m.yaml:12: order.orderDate: format 'julian'",
        ),
        (
            ORDER + "        set: {currency: {path: c, fallback: EUR}}\n",
            "m.yaml:12: order.currency: unknown field(s) fallback",
        ),
        (
            ORDER + "        lineage: false\n        role: buyer\n",
            "m.yaml:13: entity order: a role qualifies the lineage link",
        ),
        (
            ORDER + "        lineage: false\n        set: {currency: {path: c, history: true}}\n",
            "m.yaml:13: entity order: `history: true`",
        ),
        (ORDER + "        each: $time\n", "m.yaml:12: entity order: each names a list of the payload"),
    ],
)
def test_mistakes_in_the_language_name_file_and_line(
    tmp_path: Path, model: DomainModel, entities: str, expected: str
) -> None:
    assert expected in error_of(tmp_path, model, HEAD + entities)


def test_a_mistake_in_a_system_declaration_names_file_and_line(tmp_path: Path, model: DomainModel) -> None:
    text = HEAD.replace('  sources: ["/default/sap.s4.beh/*"]\n', "  sources: 7\n") + ORDER
    assert "m.yaml:4: system: `sources:` is a list of CloudEvents source patterns" in error_of(
        tmp_path, model, text
    )
    missing = "events: []\n"
    assert "m.yaml:1: a mapping file needs `system:`" in error_of(tmp_path, model, missing)
