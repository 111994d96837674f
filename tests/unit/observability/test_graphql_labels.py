"""The root_field label of an error is a field of the schema, through aliases and fragments."""

from __future__ import annotations

from types import SimpleNamespace

from graphql import parse

from graph_service.observability.graphql import _root_names


def test_aliases_and_fragments_at_the_root_map_to_field_names() -> None:
    document = parse(
        """
        query Q { a: lot(lotNumber: "L-1") { lotNumber } ...More ... on Query { c: lots { totalCount } } }
        fragment More on Query { b: workOrders { totalCount } ...More }
        """
    )
    names = _root_names(SimpleNamespace(graphql_document=document))
    assert names == {"a": "lot", "b": "workOrders", "c": "lots"}


def test_without_a_document_nothing_is_named() -> None:
    assert _root_names(SimpleNamespace(graphql_document=None)) == {}
