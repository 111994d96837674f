"""The one table of filter operators: every consumer derives from it."""

from __future__ import annotations

from graph_service.api.graphql.change_events import compare
from graph_service.api.graphql.cypher_builder import build
from graph_service.api.graphql.operators import OPERATORS, field_kind, operators_for
from graph_service.api.graphql.plan import COMPARISONS, Compare, PageQuery, SortKey


def test_the_plan_accepts_exactly_the_tables_operators() -> None:
    assert set(COMPARISONS) == set(OPERATORS)


def test_each_field_kind_gets_the_operators_that_name_it_in_table_order() -> None:
    for graphql_type, is_list in (("String", False), ("Int", False), ("Boolean", False), ("String", True)):
        kind = field_kind(graphql_type, is_list)
        names = operators_for(graphql_type, is_list)
        assert names == tuple(n for n, op in OPERATORS.items() if kind in op.kinds)
        assert "isNull" in names


def test_every_operator_renders_its_cypher_with_the_operand_as_a_parameter() -> None:
    for name, op in OPERATORS.items():
        value = True if op.operand == "flag" else ("x",) if op.operand == "values" else "x"
        text = build(
            PageQuery("Lot", Compare("lotNumber", name, value), (SortKey("lotNumber"),), 0, 1, None, True)
        ).text
        assert op.cypher.format(x="n0.`lotNumber`", v="$p0") in text, (name, text)
        assert "'x'" not in text


def test_change_event_filters_use_the_tables_python_tests() -> None:
    assert compare("startsWith", "OP-1", "OP")
    assert not compare("eq", "a", "b")
    assert compare("isNull", None, True) and not compare("isNull", "a", True)
