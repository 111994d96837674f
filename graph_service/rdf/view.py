"""The RDF view: the ontology plus the instance data in a pyoxigraph store, for SPARQL.

The view is built from Neo4j with the exporter's mapping (the same IRIs and triples as
``digispine export``) and kept fresh incrementally: each refresh reads the events ingested since
the last watermark (with an overlap, since batches commit out of order), the entities they
affected and the nodes those link to, and replaces those subjects' triples. A full rebuild (at
start-up, or on demand) loads a new store and swaps it in, so queries never see a half-built view.

Only the loaders write the graph, and every write is an event, so events ingested since the
watermark cover every change. Freshness (last refresh, watermark, triple count, errors) is
reported by :meth:`RdfView.status`.

Personal data (properties the ontology marks ``ds:personalData``) lives in its own named graph,
:data:`PERSONAL_GRAPH`. A query runs against a dataset fixed by the caller's role, not by the query:
with ``personal-data`` the default graph is the union of both, without it the personal graph is in
neither the default graph nor the named graphs, so no ``GRAPH ?g``, ``FROM``/``FROM NAMED``, path
or filter can reach it. A value that cannot be held (a literal over the size limit, a line the
parser refuses) is left out alone, logged and counted in the status; the rest of the refresh goes
on. Queries run in forked children bounded in time and size (:mod:`graph_service.rdf.bounded`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import neo4j
import pyoxigraph as ox

from graph_service.ontology.model import EVENT_ROOT
from graph_service.rdf.bounded import BoundedRunner, Bounds, FrameWriter, Outcome
from graph_service.rdf.export import ROOTS, records
from graph_service.rdf.federation import check_federation, parse_allowlist
from graph_service.rdf.mapping import NodeRecord, RdfMapper, Triple
from graph_service.store.lineage import SOURCE_SYSTEM_KEY, SOURCE_SYSTEM_LABEL, affected_type

if TYPE_CHECKING:
    from graph_service.ontology.model import DomainModel
    from graph_service.settings import Settings
    from graph_service.store import Neo4jStore

log = logging.getLogger(__name__)

#: Events committed out of ingest order within this window are still picked up.
OVERLAP = dt.timedelta(seconds=120)
CHUNK = 5000
#: The named graph of personal-data triples, visible only to callers with ``personal-data``.
PERSONAL_GRAPH = "urn:digispine:graph:personal-data"
_PERSONAL_TERM = f"<{PERSONAL_GRAPH}>"
#: How many of the values left out the status lists (all are counted).
SKIPPED_SHOWN = 20

#: Serializes a pyoxigraph result to the writer (in the query's child); returns its metadata.
Render = Callable[[Any, FrameWriter], dict[str, Any]]


def _changed_query(model: DomainModel) -> str:
    """The events ingested since ``$since``, what they affected, their source systems, and the
    nodes those link to (labels and the lineage relationship type from the model). The source
    systems are collected on their own first: Neo4j refuses an aggregate beside a grouping key in
    one expression (``changed + collect(s)``)."""
    event, affected = _q(EVENT_ROOT), _q(affected_type(model))
    source, source_key = _q(SOURCE_SYSTEM_LABEL), _q(SOURCE_SYSTEM_KEY)
    return f"""
MATCH (e:{event}) WHERE e.ingestedAt > $since
OPTIONAL MATCH (e)-[:{affected}]->(n)
WITH collect(DISTINCT e) + collect(DISTINCT n) AS changed, collect(DISTINCT e.source) AS sources
OPTIONAL MATCH (s:{source}) WHERE s.{source_key} IN sources
WITH changed, collect(s) AS systems
WITH changed + systems AS changed
UNWIND changed AS c
OPTIONAL MATCH (c)-->(t) WHERE NOT t:{event}
WITH changed, collect(DISTINCT t) AS targets
UNWIND changed + targets AS n
WITH DISTINCT n
RETURN labels(n) AS labels, properties(n) AS props,
       [(n)-[r]->(m) | [type(r), labels(m), [k IN $keys | m[k]], properties(r)]] AS out"""


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class ViewLimits:
    """The view's and the endpoint's limits (see the settings of the same names)."""

    max_literal_bytes: int = 1_048_576
    timeout_s: float = 30.0
    max_result_bytes: int = 64 * 1_048_576
    max_concurrent: int = 4
    service_allowlist: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> ViewLimits:
        return cls(
            max_literal_bytes=settings.rdf_max_literal_bytes,
            timeout_s=settings.sparql_timeout_s,
            max_result_bytes=settings.sparql_max_result_bytes,
            max_concurrent=settings.sparql_max_concurrent,
            service_allowlist=parse_allowlist(settings.sparql_service_allowlist),
        )


@dataclass(frozen=True)
class Skipped:
    """A value the view left out: whose, which property, and why."""

    subject: str
    predicate: str
    reason: str
    detail: str

    def as_dict(self, names: dict[str, str]) -> dict[str, str]:
        return {
            "subject": self.subject[1:-1],
            "property": names.get(self.predicate, self.predicate[1:-1]),
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass
class ViewStatus:
    state: str = "empty"
    refreshed_at: dt.datetime | None = None
    full_at: dt.datetime | None = None
    watermark: dt.datetime | None = None
    triples: int = 0
    last_changed: int = 0
    last_seconds: float = 0.0
    error: str | None = None
    #: The values currently left out of the view, per subject (a subject's entry is replaced
    #: whenever its triples are).
    skipped: dict[str, list[Skipped]] = field(default_factory=dict)
    property_names: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        # list() copies in one step: a refresh may be changing the dict in another thread
        skipped = [s for entries in list(self.skipped.values()) for s in entries]
        reasons: dict[str, int] = {}
        for entry in skipped:
            reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
        return {
            "state": self.state,
            "refreshedAt": _iso(self.refreshed_at),
            "lastFullRefreshAt": _iso(self.full_at),
            "watermark": _iso(self.watermark),
            "ageSeconds": round((now - self.refreshed_at).total_seconds(), 1) if self.refreshed_at else None,
            "triples": self.triples,
            "lastChangedSubjects": self.last_changed,
            "lastRefreshSeconds": round(self.last_seconds, 2),
            "error": self.error,
            "skippedValues": len(skipped),
            "skippedReasons": dict(sorted(reasons.items())),
            "skipped": [s.as_dict(self.property_names) for s in skipped[:SKIPPED_SHOWN]],
        }


class RefreshStopped(Exception):
    """A refresh ended early because the service is stopping."""


class RdfView:
    """The SPARQL-queryable view; thread-safe (refreshes are serialised, queries run alongside)."""

    def __init__(
        self,
        store: Neo4jStore,
        model: DomainModel,
        base: str | None = None,
        limits: ViewLimits | None = None,
    ) -> None:
        self.neo4j = store
        self.model = model
        self.mapper = RdfMapper(model, base) if base else RdfMapper(model)
        self.limits = limits or ViewLimits()
        self._changed = _changed_query(model)
        self.store = ox.Store()
        self.status = ViewStatus(property_names=self.mapper.property_names)
        self.runner = BoundedRunner(
            Bounds(self.limits.timeout_s, self.limits.max_result_bytes), self.limits.max_concurrent
        )
        self._lock = threading.Lock()
        #: Held while the live store is written, and while a query's child is forked from it.
        self._mutating = threading.Lock()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Make a refresh in progress end at its next chunk, and later ones end at once (the
        service is shutting down and is about to close the driver)."""
        self._stopping.set()

    # -- refresh ------------------------------------------------------------------------------

    def refresh(self, *, full: bool = False) -> ViewStatus:
        """Incremental when the view has a watermark, else (or with ``full``) a full rebuild."""
        with self._lock:
            started = time.perf_counter()
            self._check_stopping()
            self.status.state = "refreshing"
            try:
                high = self._high_water()
                if full or self.status.watermark is None:
                    self._rebuild()
                    self.status.full_at = dt.datetime.now(dt.UTC)
                else:
                    self.status.last_changed = self._apply_changes(self.status.watermark - OVERLAP)
                self.status.watermark = (
                    high or self.status.watermark or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
                )
                self.status.error = None
                self.status.state = "ready"
            except RefreshStopped:
                self.status.state = "ready" if self.status.refreshed_at else "empty"
                raise
            except Exception as exc:  # the view keeps serving what it had; the status says why
                log.exception("RDF view refresh failed")
                self.status.error = f"{type(exc).__name__}: {exc}"
                self.status.state = "stale" if self.status.refreshed_at else "empty"
                raise
            finally:
                self.status.last_seconds = time.perf_counter() - started
            self.status.refreshed_at = dt.datetime.now(dt.UTC)
            with self._mutating:
                self.status.triples = len(self.store)
            return self.status

    def _check_stopping(self) -> None:
        if self._stopping.is_set():
            raise RefreshStopped("the service is stopping")

    def _high_water(self) -> dt.datetime | None:
        rows = self.neo4j.read(f"MATCH (e:{_q(EVENT_ROOT)}) RETURN max(e.ingestedAt) AS high")
        high = rows[0]["high"] if rows else None
        return high.to_native() if isinstance(high, neo4j.time.DateTime) else high

    def _rebuild(self) -> None:
        fresh = ox.Store()
        for module in self.model.modules:  # the ontology's own triples, as the compiler read them
            fresh.bulk_load(input=module.turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)
        skipped: dict[str, list[Skipped]] = {}
        self._load(fresh, records(self.neo4j, self.mapper, ROOTS), skipped)
        with self._mutating:
            self.store = fresh  # swapped whole: queries see the old view or the new one
            self.status.skipped = skipped
        self.status.last_changed = -1

    def _load(self, target: ox.Store, source: Iterable[NodeRecord], skipped: dict[str, list[Skipped]]) -> int:
        chunk: list[list[str]] = []
        size = subjects = 0
        for record in source:
            triples = list(self.mapper.triples(record))
            if not triples:
                continue
            subjects += 1
            if subjects % CHUNK == 0:
                self._check_stopping()
            lines = self._quad_lines(triples, skipped)
            chunk.append(lines)
            size += len(lines)
            if size >= CHUNK * 10:
                self._put(target, chunk, skipped, bulk=True)
                chunk, size = [], 0
        if chunk:
            self._put(target, chunk, skipped, bulk=True)
        return subjects

    def _apply_changes(self, since: dt.datetime) -> int:
        changed = [
            NodeRecord(r["labels"], r["props"], r["out"])
            for r in self.neo4j.read(
                self._changed, {"since": since, "keys": list(self.mapper.key_properties)}
            )
        ]
        subjects: list[str] = []
        chunk: list[list[str]] = []
        skipped: dict[str, list[Skipped]] = {}
        for record in changed:
            triples = list(self.mapper.triples(record))
            if triples:
                subjects.append(triples[0][0])
                chunk.append(self._quad_lines(triples, skipped))
        with self._mutating:  # one step for the queries: before these changes, or after
            for subject in subjects:
                node = ox.NamedNode(subject[1:-1])
                for quad in list(self.store.quads_for_pattern(node, None, None, None)):
                    self.store.remove(quad)  # personal graph included: the subject is replaced whole
                self.status.skipped.pop(subject, None)
            self._put(self.store, chunk, skipped, bulk=False)
            self.status.skipped.update(skipped)
        return len(changed)

    # -- what the view holds ------------------------------------------------------------------

    def _quad_lines(self, triples: list[Triple], skipped: dict[str, list[Skipped]]) -> list[str]:
        """N-Quads lines of one subject's triples: personal data in its graph, oversized literals out."""
        limit = self.limits.max_literal_bytes
        personal = self.mapper.personal_predicates
        lines = []
        for s, p, o in triples:
            if len(o) > limit // 4 and o.startswith('"') and _utf8_size(o) > limit:
                self._skip(skipped, Skipped(s, p, "literal-too-large", _too_large(o, limit)))
                continue
            lines.append(f"{s} {p} {o} {_PERSONAL_TERM} .\n" if p in personal else f"{s} {p} {o} .\n")
        return lines

    def _put(
        self, target: ox.Store, chunk: list[list[str]], skipped: dict[str, list[Skipped]], *, bulk: bool
    ) -> None:
        """Load a chunk of subjects' lines (``bulk``: into a store no query reads yet); if that
        fails, subject by subject and then line by line, so a line the parser refuses costs only
        itself. Retrying is safe: a store is a set, and what a failed bulk load left is loaded again."""
        if (
            _try_load(target.bulk_load if bulk else target.load, [line for lines in chunk for line in lines])
            is None
        ):
            return
        for lines in chunk:
            if len(chunk) > 1 and _try_load(target.load, lines) is None:
                continue
            for line in lines:
                error = _try_load(target.load, [line])
                if error is not None:
                    s, p, _ = line.split(" ", 2)
                    self._skip(skipped, Skipped(s, p, "unloadable", error))

    def _skip(self, skipped: dict[str, list[Skipped]], entry: Skipped) -> None:
        log.warning(
            "RDF view: left out a value of %s on %s (%s: %s)",
            self.mapper.property_names.get(entry.predicate, entry.predicate),
            entry.subject,
            entry.reason,
            entry.detail,
        )
        skipped.setdefault(entry.subject, []).append(entry)

    # -- queries ------------------------------------------------------------------------------

    def run(self, text: str, *, personal: bool, render: Render) -> Outcome:
        """Run a SPARQL query in a bounded child and ``render`` its result there.

        ``personal``: whether the caller may see personal data (the dataset follows from it).
        Raises SyntaxError for a bad query and :class:`~graph_service.rdf.errors.SparqlRefused`
        subclasses for a refused SERVICE, a timeout, an oversized answer or a failure."""
        check_federation(text, self.limits.service_allowlist)
        dataset = _dataset(personal)

        def work(out: FrameWriter) -> dict[str, Any]:
            return render(self.store.query(text, **dataset), out)

        return self.runner.run(work, self._mutating)


def _dataset(personal: bool) -> dict[str, Any]:
    """The query dataset of a caller: it replaces whatever FROM / FROM NAMED the query says."""
    default: list[ox.NamedNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    if personal:
        default.append(ox.NamedNode(PERSONAL_GRAPH))
    return {"default_graph": default, "named_graphs": []}


def _try_load(load: Callable[..., None], lines: list[str]) -> str | None:
    """None when the lines loaded, else what went wrong."""
    try:
        load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    except (SyntaxError, ValueError, OSError, MemoryError) as exc:  # UnicodeEncodeError is a ValueError
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def _utf8_size(term: str) -> int:
    return len(term.encode("utf-8", "surrogatepass"))


def _too_large(term: str, limit: int) -> str:
    return f"a literal of {_utf8_size(term):,} bytes; DIGISPINE_RDF_MAX_LITERAL_BYTES is {limit:,}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
