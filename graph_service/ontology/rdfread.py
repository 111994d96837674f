"""Small typed readers over an rdflib graph: literals by language, booleans, RDF lists."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node


def iris(graph: Graph, subject: str, predicate: URIRef) -> list[str]:
    """Sorted IRI objects of ``subject predicate ?o`` (blank nodes and literals left out)."""
    return sorted(str(o) for o in graph.objects(URIRef(subject), predicate) if isinstance(o, URIRef))


def blank_objects(graph: Graph, subject: str, predicate: URIRef) -> list[BNode]:
    return [o for o in graph.objects(URIRef(subject), predicate) if isinstance(o, BNode)]


def literals(graph: Graph, subject: str, predicate: URIRef) -> list[Literal]:
    found = [o for o in graph.objects(URIRef(subject), predicate) if isinstance(o, Literal)]
    return sorted(found, key=lambda lit: (lit.language or "", str(lit)))


def by_language(graph: Graph, subject: str, predicate: URIRef) -> tuple[dict[str, str], list[str]]:
    """Language → text (untagged under ``""``), and the languages that appear more than once."""
    texts: dict[str, str] = {}
    duplicated: list[str] = []
    for lit in literals(graph, subject, predicate):
        lang = lit.language or ""
        if lang in texts and lang not in duplicated:
            duplicated.append(lang)
        texts.setdefault(lang, " ".join(str(lit).split()))
    return texts, duplicated


def all_by_language(graph: Graph, subject: str, predicate: URIRef) -> dict[str, tuple[str, ...]]:
    """Language → every text in it, sorted (for repeatable values such as skos:altLabel)."""
    grouped: dict[str, list[str]] = {}
    for lit in literals(graph, subject, predicate):
        grouped.setdefault(lit.language or "", []).append(str(lit))
    return {lang: tuple(sorted(texts)) for lang, texts in sorted(grouped.items())}


def first_text(graph: Graph, subject: str, predicate: URIRef, lang: str = "en") -> str | None:
    """The text in ``lang``, else an untagged one, else any; None when there is none."""
    found = literals(graph, subject, predicate)
    for wanted in (lang, ""):
        for lit in found:
            if (lit.language or "") == wanted:
                return str(lit)
    return str(found[0]) if found else None


def is_true(graph: Graph, subject: str, predicate: URIRef) -> bool:
    """True for ``true``, ``"true"`` or ``1`` (Protégé writes booleans in several ways)."""
    return any(str(lit).strip().lower() in ("true", "1") for lit in literals(graph, subject, predicate))


def rdf_list(graph: Graph, head: Node) -> Iterator[Node]:
    """The members of an RDF collection (for ``owl:hasKey ( … )``)."""
    yield from Collection(graph, head)
