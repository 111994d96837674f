"""Streaming export of the graph (or one class) as Turtle, N-Triples or JSON-LD.

Nodes are read with one statement per root label whose records the driver fetches in chunks, and
each node's triples are written as soon as its record arrives, so memory stays flat however large
the graph is: nothing but the current chunk is held.

Personal data (properties the ontology marks ``ds:personalData``) is left out unless the caller
asks for it; the stats count what was left out per property, so nothing goes missing silently.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import neo4j
from neo4j.exceptions import DriverError, Neo4jError

from graph_service.errors import DigiSpineError
from graph_service.ontology.model import ENTITY_ROOT, EVENT_ROOT
from graph_service.rdf.mapping import PROV, RDF_TYPE, XSD, NodeRecord, RdfMapper, Triple

if TYPE_CHECKING:
    from graph_service.ontology.model import DomainModel
    from graph_service.store import Neo4jStore

FORMATS = ("ttl", "nt", "jsonld")
FETCH_SIZE = 2000
#: Every entity and every event node carries one of the model's two roots as a label.
ROOTS = (ENTITY_ROOT, EVENT_ROOT)

_NODES = """MATCH (n:{label})
RETURN labels(n) AS labels, properties(n) AS props,
       [(n)-[r]->(m) | [type(r), labels(m), [k IN $keys | m[k]], properties(r)]] AS out"""


class ExportError(DigiSpineError):
    """The export cannot run (an unknown class or format); says which."""


@dataclass
class ExportStats:
    entities: int = 0
    triples: int = 0
    seconds: float = 0.0
    #: Personal-data values left out, per ``Class.property``.
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.triples / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.triples:,} triples of {self.entities:,} nodes in {self.seconds:.1f} s "
            f"({self.rate:,.0f} triples/s)"
        )

    def left_out_summary(self) -> str | None:
        """What personal data was left out, or None when nothing was."""
        if not self.left_out:
            return None
        parts = ", ".join(f"{name} {count:,}" for name, count in sorted(self.left_out.items()))
        return f"left out {sum(self.left_out.values()):,} personal-data values ({parts})"


def records(store: Neo4jStore, mapper: RdfMapper, labels: tuple[str, ...]) -> Iterator[NodeRecord]:
    """The nodes of ``labels`` (model labels only, never user text), streamed."""
    keys = list(mapper.key_properties)
    with store.driver.session(
        database=store.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=FETCH_SIZE
    ) as session:
        for label in labels:
            for record in session.run(_NODES.format(label=f"`{label}`"), keys=keys):
                yield NodeRecord(record["labels"], record["props"], record["out"])


def export(
    store: Neo4jStore,
    model: DomainModel,
    out: IO[str],
    *,
    fmt: str = "ttl",
    class_name: str | None = None,
    base: str | None = None,
    progress: Callable[[ExportStats], None] | None = None,
    include_personal_data: bool = False,
) -> ExportStats:
    """Write the graph (or the instances of ``class_name`` and its subclasses) to ``out``;
    personal-data properties only with ``include_personal_data``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if class_name is not None and class_name not in model.classes:
        from graph_service.ontology.errors import UnknownTermError

        try:
            model.cls(class_name)
        except UnknownTermError as exc:
            raise ExportError(str(exc)) from None
    mapper = RdfMapper(model, base) if base else RdfMapper(model)
    labels = (model.classes[class_name].neo4j_label,) if class_name else ROOTS
    writer = _WRITERS[fmt](out, model.namespace)
    stats = ExportStats()
    personal = frozenset() if include_personal_data else mapper.personal_predicates
    started = time.perf_counter()
    writer.start()
    try:
        for record in records(store, mapper, labels):
            triples = list(mapper.triples(record))
            if not triples:
                continue
            if personal:
                triples = _without(triples, personal, mapper.property_names, stats.left_out)
            for group in _by_subject(triples):
                writer.subject(group)
            stats.entities += 1
            stats.triples += len(triples)
            if progress is not None and stats.entities % 10_000 == 0:
                stats.seconds = time.perf_counter() - started
                progress(stats)
    except (DriverError, Neo4jError) as exc:
        raise ExportError(
            f"reading from Neo4j at {store.uri} failed after {stats.entities:,} nodes: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    writer.end()
    stats.seconds = time.perf_counter() - started
    return stats


def _by_subject(triples: list[Triple]) -> list[list[Triple]]:
    """A record's triples by subject, in order of appearance: a node's own first, then what its
    lineage links add (qualified usages, roles, the entity as of the event)."""
    if all(t[0] == triples[0][0] for t in triples):  # nearly every record: one subject
        return [triples]
    groups: dict[str, list[Triple]] = {}
    for triple in triples:
        groups.setdefault(triple[0], []).append(triple)
    return list(groups.values())


def _without(
    triples: list[Triple], personal: frozenset[str], names: dict[str, str], left_out: dict[str, int]
) -> list[Triple]:
    kept = []
    for triple in triples:
        if triple[1] in personal:
            name = names[triple[1]]
            left_out[name] = left_out.get(name, 0) + 1
        else:
            kept.append(triple)
    return kept


# -- writers --------------------------------------------------------------------------------------


class _NTriples:
    def __init__(self, out: IO[str], namespace: str) -> None:
        self.out = out

    def start(self) -> None:
        pass

    def subject(self, triples: list[Triple]) -> None:
        self.out.write("".join(f"{s} {p} {o} .\n" for s, p, o in triples))

    def end(self) -> None:
        pass


class _Turtle(_NTriples):
    def __init__(self, out: IO[str], namespace: str) -> None:
        super().__init__(out, namespace)
        self.prefixes = {namespace: "ds:", XSD: "xsd:", PROV: "prov:"}

    def start(self) -> None:
        self.out.write(
            "".join(f"@prefix {short} <{full}> .\n" for full, short in self.prefixes.items()) + "\n"
        )

    def _short(self, term: str) -> str:
        if term == RDF_TYPE:
            return "a"
        if term.startswith("<"):
            for full, short in self.prefixes.items():
                if term.startswith("<" + full) and _plain_local(term[len(full) + 1 : -1]):
                    return short + term[len(full) + 1 : -1]
            return term
        if term.endswith(">") and f"^^<{XSD}" in term:
            head, _, dtype = term.rpartition("^^<")
            return f"{head}^^xsd:{dtype[len(XSD) : -1]}"
        return term

    def subject(self, triples: list[Triple]) -> None:
        s = triples[0][0]
        body = " ;\n    ".join(f"{self._short(p)} {self._short(o)}" for _, p, o in triples)
        self.out.write(f"{s} {body} .\n")


class _JsonLd(_NTriples):
    """Expanded JSON-LD: one node object per subject, in one top-level array."""

    def __init__(self, out: IO[str], namespace: str) -> None:
        super().__init__(out, namespace)
        self.first = True

    def start(self) -> None:
        self.out.write("[\n")

    def subject(self, triples: list[Triple]) -> None:
        node: dict[str, Any] = {"@id": triples[0][0][1:-1]}
        types: list[str] = []
        for _, p, o in triples:
            if p == RDF_TYPE:
                types.append(o[1:-1])
                continue
            node.setdefault(p[1:-1], []).append(_json_term(o))
        node["@type"] = types
        self.out.write(("" if self.first else ",\n") + json.dumps(node, ensure_ascii=False))
        self.first = False

    def end(self) -> None:
        self.out.write("\n]\n")


def _json_term(term: str) -> dict[str, str]:
    if term.startswith("<"):
        return {"@id": term[1:-1]}
    closing = term.rfind('"')
    text = _ESCAPE.sub(lambda m: _UNESCAPE[m[1]], term[1:closing])
    rest = term[closing + 1 :]
    if rest.startswith("^^<"):
        return {"@value": text, "@type": rest[3:-1]}
    return {"@value": text}


def _plain_local(name: str) -> bool:
    return name.replace("_", "a").isalnum() and not name[:1].isdigit()


_ESCAPE = re.compile(r"\\(.)")
_UNESCAPE = {"n": "\n", "r": "\r", '"': '"', "\\": "\\"}

_WRITERS = {"nt": _NTriples, "ttl": _Turtle, "jsonld": _JsonLd}
