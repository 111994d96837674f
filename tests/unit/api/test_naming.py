"""Naming rules of the generated schema."""

from __future__ import annotations

import pytest

from graph_service.api.graphql import naming


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("salesOrder", "salesOrders"),
        ("party", "parties"),
        ("entity", "entities"),
        ("day", "days"),
        ("box", "boxes"),
        ("batch", "batches"),
        ("equipment", "equipment"),
        ("billOfMaterials", "billOfMaterials"),
    ],
)
def test_plurals_follow_english_rules_on_the_last_word(singular: str, plural: str) -> None:
    assert naming.plural(singular) == plural


def test_root_field_names() -> None:
    assert naming.key_field("SalesOrder") == "salesOrder"
    assert naming.list_field("SalesOrder") == "salesOrders"
    assert naming.list_field("Equipment") == "equipmentList"
    assert naming.list_field("BillOfMaterials") == "billOfMaterialsList"
    assert naming.list_field("LotProduced", is_event=True) == "lotProducedEvents"
    assert naming.list_field("DomainEvent", is_event=True) == "domainEvents"


def test_reverse_fields_name_the_domain_and_the_relation() -> None:
    assert naming.reverse_field("SalesOrder", "orderedBy") == "salesOrdersViaOrderedBy"
    assert naming.reverse_field("Equipment", "installedAt") == "equipmentViaInstalledAt"
    assert naming.reverse_field("DomainEvent", "affected", is_event=True) == "domainEventsViaAffected"


def test_python_keywords_get_an_underscore() -> None:
    assert naming.python_name("from") == "from_"
    assert naming.python_name("orderDate") == "orderDate"
