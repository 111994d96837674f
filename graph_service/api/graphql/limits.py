"""Limits of the generated GraphQL API. The defaults here are the settings' defaults
(``DIGISPINE_GRAPHQL_*``); :meth:`Limits.from_settings` builds the ones a server uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph_service.settings import Settings

#: Rows per page when a list field is asked without ``first``.
DEFAULT_PAGE_SIZE = 20
#: The most rows one page may ask for (``first``); more is a GraphQL error, not a silent cut.
MAX_PAGE_SIZE = 1000
#: Items per nested to-many relation field when it is asked without ``first``.
DEFAULT_NESTED_LIMIT = 100
#: Seconds one root field's Cypher statement may run before Neo4j stops it.
QUERY_TIMEOUT_S = 10.0
#: Deepest selection a query may have (root field = 1).
MAX_QUERY_DEPTH = 12
#: The most nodes one operation may ask for, estimated from page sizes before it runs.
MAX_COST = 1_000_000
#: Largest document (UTF-8 bytes); refused before parsing.
MAX_DOCUMENT_BYTES = 32_768
#: Most lexical tokens of a document; the parser stops at the next one.
MAX_TOKENS = 5_000
#: Most selections (fields, inline fragments, fragment spreads) with every fragment expanded where
#: it is spread; checked after parsing, before validation (see :mod:`expansion`).
MAX_SELECTIONS = 2_000
#: Root-field selections whose plan and completion are kept (see :mod:`selection_cache`).
SELECTION_CACHE = 512


@dataclass(frozen=True)
class Limits:
    """What one schema allows. Built in the composition root; defaults are the constants above."""

    default_page_size: int = DEFAULT_PAGE_SIZE
    max_page_size: int = MAX_PAGE_SIZE
    default_nested_limit: int = DEFAULT_NESTED_LIMIT
    query_timeout_s: float = QUERY_TIMEOUT_S
    max_query_depth: int = MAX_QUERY_DEPTH
    max_cost: int = MAX_COST
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    max_tokens: int = MAX_TOKENS
    max_selections: int = MAX_SELECTIONS
    selection_cache: int = SELECTION_CACHE

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            default_page_size=settings.graphql_default_page_size,
            max_page_size=settings.graphql_max_page_size,
            query_timeout_s=settings.graphql_timeout_s,
            max_query_depth=settings.graphql_max_depth,
            max_cost=settings.graphql_max_cost,
            max_document_bytes=settings.graphql_max_document_bytes,
            max_tokens=settings.graphql_max_tokens,
            max_selections=settings.graphql_max_selections,
            selection_cache=settings.graphql_selection_cache,
        )
