"""The shapes graph's nodes, typed as the compiler uses them.

rdflib types what a graph read returns as ``Node``, the base of every term class including N3's
quoted graphs. A shapes graph parsed from Turtle holds only URIs, blank nodes and literals, all
:class:`~rdflib.term.Identifier`, so the narrowing here is exact for every graph the compiler is
given; it costs nothing at run time (a cast, no check).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import cast

from rdflib.term import Identifier, Node, URIRef


def term(node: Node) -> Identifier:
    """One node of a Turtle-parsed graph."""
    return cast(Identifier, node)


def terms(nodes: Iterable[Node]) -> Iterator[Identifier]:
    """The nodes a graph read yields (``subjects``, ``objects``, ``items``)."""
    return cast(Iterator[Identifier], iter(nodes))


def predicate(node: Node) -> URIRef:
    """A predicate of a Turtle-parsed graph: always an IRI."""
    return cast(URIRef, node)
