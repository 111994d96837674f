"""The Cypher builder's output text for representative plans (snapshots) and its safety rules."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from graph_service.api.graphql.cypher_builder import TEXTS, build, identifier
from graph_service.api.graphql.plan import (
    TEXT_SCALARS,
    AllOf,
    AnyOf,
    Compare,
    Hop,
    KeyLookup,
    Negate,
    PageQuery,
    Projection,
    RelationMatch,
    RelationRead,
    SortKey,
)

ITEMS = Hop("ITEM_OF", "in")
ORDERED_BY = Hop("ORDERED_BY", "out")


def test_a_key_lookup_matches_on_the_key_and_projects_the_selected_properties() -> None:
    plan = KeyLookup(
        "SalesOrder", (("salesOrderNumber", "SO-1"),), Projection((("salesOrderNumber", "salesOrderNumber"),))
    )
    statement = build(plan)
    assert statement.text == (
        "MATCH (n0:`SalesOrder` {`salesOrderNumber`: $p0})\n"
        "WITH n0 LIMIT 1\n"
        "RETURN n0 {.`salesOrderNumber`} AS node"
    )
    assert statement.params == {"p0": "SO-1"}


def test_a_filtered_page_with_its_total_matches_the_filter_once() -> None:
    plan = PageQuery(
        label="Lot",
        where=Compare("lotQuantity", "gte", decimal.Decimal("10.5")),
        order=(SortKey("producedAt", descending=True), SortKey("lotNumber")),
        skip=20,
        limit=11,
        projection=Projection((("lotNumber", "lotNumber"),)),
        count_total=True,
    )
    statement = build(plan)
    assert statement.text == (
        "MATCH (n0:`Lot`)\n"
        "WHERE n0.`lotQuantity` >= $p0\n"
        "WITH collect(n0) AS matched\n"
        "CALL (matched) {\n"
        "  UNWIND matched AS n1\n"
        "  WITH n1\n"
        "  ORDER BY n1.`producedAt` DESC, n1.`lotNumber`\n"
        "  SKIP $p1 LIMIT $p2\n"
        "  RETURN collect(n1 {.`lotNumber`}) AS nodes\n"
        "}\n"
        "RETURN size(matched) AS total, nodes"
    )
    assert statement.params == {"p0": 10.5, "p1": 20, "p2": 11}


def test_an_unfiltered_page_counts_from_the_count_store_and_reads_in_two_subqueries() -> None:
    plan = PageQuery(
        label="Lot",
        where=None,
        order=(SortKey("lotNumber"),),
        skip=0,
        limit=3,
        projection=Projection((("lotNumber", "lotNumber"),)),
        count_total=True,
    )
    assert build(plan).text == (
        "CALL () {\n"
        "  MATCH (n0:`Lot`)\n"
        "  RETURN count(n0) AS total\n"
        "}\n"
        "CALL () {\n"
        "  MATCH (n1:`Lot`)\n"
        "  WITH n1\n"
        "  ORDER BY n1.`lotNumber`\n"
        "  SKIP $p0 LIMIT $p1\n"
        "  RETURN collect(n1 {.`lotNumber`}) AS nodes\n"
        "}\n"
        "RETURN total, nodes"
    )


def test_a_count_only_page_reads_no_nodes() -> None:
    plan = PageQuery("Lot", None, (SortKey("lotNumber"),), 0, 1, None, count_total=True)
    assert build(plan).text == "CALL () {\n  MATCH (n0:`Lot`)\n  RETURN count(n0) AS total\n}\nRETURN total"


def test_nested_relations_become_collect_subqueries_and_to_one_pattern_comprehensions() -> None:
    lots = RelationRead(
        key="lotsViaProducedBy",
        column="lotsViaProducedBy",
        hop=Hop("PRODUCED_BY", "in"),
        to_many=True,
        projection=Projection((("lotNumber", "lotNumber"),)),
        where=Compare("status", "in", ("RELEASED", "BLOCKED")),
        order=(SortKey("lotNumber"),),
        limit=5,
    )
    items = RelationRead(
        key="hasItem",
        column="hasItem",
        hop=ITEMS,
        to_many=True,
        projection=Projection((("itemNumber", "itemNumber"),), (lots,)),
        order=(SortKey("salesOrderItemId"),),
        limit=100,
    )
    customer = RelationRead("orderedBy", "orderedBy", ORDERED_BY, False, Projection((("name", "name"),)))
    plan = KeyLookup(
        "SalesOrder", (("salesOrderNumber", "SO-1"),), Projection((), (customer, items), with_labels=True)
    )
    assert build(plan).text == (
        "MATCH (n0:`SalesOrder` {`salesOrderNumber`: $p0})\n"
        "WITH n0 LIMIT 1\n"
        "RETURN n0 {\n"
        "  __labels: labels(n0),\n"
        "  `orderedBy`: head([(n0)-[:`ORDERED_BY`]->(n1) | n1 {.`name`}]),\n"
        "  `hasItem`: COLLECT {\n"
        "    MATCH (n0)<-[:`ITEM_OF`]-(n2)\n"
        "    WITH n2 ORDER BY n2.`salesOrderItemId` LIMIT $p1\n"
        "    RETURN n2 {\n"
        "      .`itemNumber`,\n"
        "      `lotsViaProducedBy`: COLLECT {\n"
        "        MATCH (n2)<-[:`PRODUCED_BY`]-(n3)\n"
        "        WHERE n3.`status` IN $p2\n"
        "        WITH n3 ORDER BY n3.`lotNumber` LIMIT $p3\n"
        "        RETURN n3 {.`lotNumber`}\n"
        "      }\n"
        "    }\n"
        "  }\n"
        "} AS node"
    )


def test_every_filter_form_renders_with_parameters_only() -> None:
    where = AllOf(
        (
            Compare("name", "contains", "Pump"),
            Compare("name", "startsWith", "A"),
            Compare("name", "endsWith", "Z"),
            Compare("status", "ne", "CLOSED"),
            Compare("status", "notIn", ("X",)),
            Compare("orderDate", "lt", dt.date(2026, 1, 6)),
            Compare("sourceSystems", "includes", "erp/s4"),
            Compare("customerReference", "isNull", True),
            Compare("currency", "isNull", False),
            AnyOf((Compare("status", "eq", "OPEN"), Negate(Compare("status", "lte", "B")))),
            RelationMatch(ITEMS, "some", Compare("orderedQuantity", "gt", 1)),
            RelationMatch(ITEMS, "none", None),
            RelationMatch(ORDERED_BY, "every", Compare("customerGroup", "eq", "OEM")),
        )
    )
    plan = PageQuery("SalesOrder", where, (SortKey("salesOrderNumber"),), 0, 21, Projection())
    text = build(plan).text
    assert text.splitlines()[2] == (
        "  WHERE (n0.`name` CONTAINS $p0 AND n0.`name` STARTS WITH $p1 AND n0.`name` ENDS WITH $p2 "
        "AND n0.`status` <> $p3 AND NOT n0.`status` IN $p4 AND n0.`orderDate` < $p5 "
        "AND $p6 IN n0.`sourceSystems` "
        "AND n0.`customerReference` IS NULL AND n0.`currency` IS NOT NULL "
        "AND (n0.`status` = $p7 OR NOT (n0.`status` <= $p8)) "
        "AND EXISTS { MATCH (n0)<-[:`ITEM_OF`]-(n1) WHERE n1.`orderedQuantity` > $p9 } "
        "AND NOT EXISTS { MATCH (n0)<-[:`ITEM_OF`]-(n2) } "
        "AND NOT EXISTS { MATCH (n0)-[:`ORDERED_BY`]->(n3) WHERE NOT (n3.`customerGroup` = $p10) })"
    )


def test_empty_junctions_are_constants() -> None:
    plan = PageQuery("Lot", AnyOf(()), (SortKey(None),), 0, 1, Projection())
    text = build(plan).text
    assert "WHERE false" in text and "ORDER BY elementId(n0)" in text
    assert "WHERE true" in build(PageQuery("Lot", AllOf(()), (), 0, 1, Projection())).text


@pytest.mark.parametrize("value", ["' OR 1=1 //", "}) DETACH DELETE n //", "`) MATCH (m) DETACH DELETE m //"])
def test_client_text_only_ever_reaches_the_parameters(value: str) -> None:
    where = AllOf((Compare("name", "eq", value), Compare("name", "contains", value)))
    statement = build(PageQuery("Lot", where, (SortKey("lotNumber"),), 0, 1, Projection()))
    assert value not in statement.text
    assert list(statement.params.values()).count(value) == 2


def test_aliased_relation_columns_come_from_the_model_never_from_the_alias() -> None:
    read = RelationRead("myAlias", "hasItem__1", ITEMS, True, Projection(), limit=1, order=(SortKey("x"),))
    text = build(KeyLookup("SalesOrder", (("salesOrderNumber", "1"),), Projection((), (read,)))).text
    assert "`hasItem__1`: COLLECT" in text and "myAlias" not in text


@pytest.mark.parametrize("name", ["a`b", "a b", "", "1abc", "x)-[:Y]->(z"])
def test_names_that_are_not_plain_identifiers_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        identifier(name)
    with pytest.raises(ValueError):
        build(KeyLookup(name, (("k", 1),), Projection()))


def test_temporal_properties_are_read_once_as_iso_text_and_masked_ones_stay_null() -> None:
    projection = Projection(
        (("salesOrderNumber", "salesOrderNumber"), ("day", "orderDate"), ("at", "firstEventTime")),
        masked=("birthDate",),
        as_text=(("day", "Date"), ("at", "DateTime")),
    )
    statement = build(KeyLookup("SalesOrder", (("salesOrderNumber", "SO-1"),), projection))
    assert statement.text.splitlines()[-1] == (
        "RETURN n0 {.`salesOrderNumber`, "
        "`day`: head([n1 IN [n0.`orderDate`] | CASE WHEN n1 IS :: DATE AND 0 < n1.year < 10000 "
        "THEN toString(n1) ELSE n1 END]), "
        "`at`: head([n2 IN [n0.`firstEventTime`] | CASE WHEN n2 IS :: ZONED DATETIME AND 0 < n2.year < 10000 "
        "AND n2.timezone = n2.offset AND n2.offsetSeconds % 60 = 0 THEN left(toString(n2), 19) "
        "+ CASE n2.microsecond WHEN 0 THEN '' ELSE '.' + right('00000' + toString(n2.microsecond), 6) END "
        "+ CASE n2.offset WHEN 'Z' THEN '+00:00' ELSE n2.offset END ELSE n2 END]), "
        "`birthDate`: null} AS node"
    )


def test_every_scalar_the_planner_asks_as_text_has_its_text() -> None:
    assert set(TEXTS) == TEXT_SCALARS
