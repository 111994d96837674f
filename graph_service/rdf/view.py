"""The RDF view: the ontology plus the instance data in a pyoxigraph store, for SPARQL.

The view is built from Neo4j with the exporter's mapping (the same IRIs and triples as
``digispine export``) and kept fresh incrementally: each refresh reads the events ingested since
the last watermark (with an overlap, since batches commit out of order), the entities they
affected and the nodes those link to, and replaces those subjects' triples. A full rebuild (at
start-up, or on demand) loads a new store and swaps it in, so queries never see a half-built view.

Only the loaders write the graph, and every write is an event, so events ingested since the
watermark cover every change. Freshness (last refresh, watermark, triple count, errors) is
reported by :meth:`RdfView.status`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j
import pyoxigraph as ox

from graph_service.rdf.export import ROOTS, records
from graph_service.rdf.mapping import NodeRecord, RdfMapper

if TYPE_CHECKING:
    from graph_service.ontology.model import DomainModel
    from graph_service.store import Neo4jStore

log = logging.getLogger(__name__)

#: Events committed out of ingest order within this window are still picked up.
OVERLAP = dt.timedelta(seconds=120)
CHUNK = 5000

_CHANGED = """
MATCH (e:DomainEvent) WHERE e.ingestedAt > $since
OPTIONAL MATCH (e)-[:AFFECTED|REPORTED_BY]->(n)
WITH collect(DISTINCT e) + collect(DISTINCT n) AS changed
UNWIND changed AS c
OPTIONAL MATCH (c)-->(t) WHERE NOT t:DomainEvent
WITH changed, collect(DISTINCT t) AS targets
UNWIND changed + targets AS n
WITH DISTINCT n
RETURN labels(n) AS labels, properties(n) AS props,
       [(n)-[r]->(m) | [type(r), labels(m), [k IN $keys | m[k]]]] AS out"""


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

    def as_dict(self) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
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
        }


class RefreshStopped(Exception):
    """A refresh ended early because the service is stopping."""


class RdfView:
    """The SPARQL-queryable view; thread-safe (refreshes are serialised, queries run alongside)."""

    def __init__(
        self, store: Neo4jStore, model: DomainModel, ontology_dir: Path, base: str | None = None
    ) -> None:
        self.neo4j = store
        self.model = model
        self.mapper = RdfMapper(model, base) if base else RdfMapper(model)
        self.ontology_files = sorted(Path(ontology_dir).glob("*.ttl"))
        self.store = ox.Store()
        self.status = ViewStatus()
        self._lock = threading.Lock()
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
            self.status.triples = len(self.store)
            return self.status

    def _check_stopping(self) -> None:
        if self._stopping.is_set():
            raise RefreshStopped("the service is stopping")

    def _high_water(self) -> dt.datetime | None:
        rows = self.neo4j.read("MATCH (e:DomainEvent) RETURN max(e.ingestedAt) AS high")
        high = rows[0]["high"] if rows else None
        return high.to_native() if isinstance(high, neo4j.time.DateTime) else high

    def _rebuild(self) -> None:
        fresh = ox.Store()
        for path in self.ontology_files:
            fresh.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        self._load(fresh, records(self.neo4j, self.mapper, ROOTS))
        self.store = fresh  # swapped whole: queries see the old view or the new one
        self.status.last_changed = -1

    def _load(self, target: ox.Store, source: Iterable[NodeRecord]) -> int:
        lines: list[str] = []
        subjects = 0
        for record in source:
            triples = list(self.mapper.triples(record))
            if not triples:
                continue
            subjects += 1
            if subjects % CHUNK == 0:
                self._check_stopping()
            lines.extend(f"{s} {p} {o} .\n" for s, p, o in triples)
            if len(lines) >= CHUNK * 10:
                target.bulk_load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
                lines.clear()
        if lines:
            target.bulk_load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return subjects

    def _apply_changes(self, since: dt.datetime) -> int:
        changed = [
            NodeRecord(r["labels"], r["props"], r["out"])
            for r in self.neo4j.read(_CHANGED, {"since": since, "keys": list(self.mapper.key_properties)})
        ]
        lines: list[str] = []
        for record in changed:
            triples = list(self.mapper.triples(record))
            if not triples:
                continue
            subject = ox.NamedNode(triples[0][0][1:-1])
            for quad in list(self.store.quads_for_pattern(subject, None, None, ox.DefaultGraph())):
                self.store.remove(quad)
            lines.extend(f"{s} {p} {o} .\n" for s, p, o in triples)
        if lines:
            self.store.load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return len(changed)

    # -- queries ------------------------------------------------------------------------------

    def query(self, text: str) -> Any:
        """Run a SPARQL query (pyoxigraph raises SyntaxError for a bad one)."""
        return self.store.query(text)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
