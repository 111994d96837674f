"""The graph change log, pure part: what a committed batch changed, and its CloudEvents.

The writer tells :func:`batch_changes` what its statements actually did (nodes created, the
properties the versioned update really changed, relationships added or re-pointed); this module
names each change's causing event and orders them. :func:`change_event` turns one change into the
CloudEvent the publisher (``loaders/changelog_publisher.py``) sends. Nothing here touches Neo4j or
Kafka, so all of it is unit-tested without them. The design is in docs/loaders.md ("Graph change log").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

from loaders.envelope import Envelope
from loaders.mapping import EntityRef, MappedEvent

#: ``source`` of every change event: the loader, not the system whose event caused the change.
CHANGE_SOURCE = "digispine/loader"
ENTITY_CHANGED = "digispine.graph.EntityChanged.v1"
RELATIONSHIP_CHANGED = "digispine.graph.RelationshipChanged.v1"
#: Label of the transactional outbox node (not in the ontology; the Cypher guard refuses it, and
#: the property holding the changes, to callers without ``personal-data``: guard.PERSONAL_INTERNAL).
OUTBOX_LABEL = "ChangeOutbox"
OUTBOX_CHANGES = "_changes"


@dataclass(frozen=True)
class NodeOutcome:
    """What the transaction did to one node of the batch."""

    ref: EntityRef
    created: bool
    #: property -> (version token of the event whose value was written, value)
    properties: dict[str, tuple[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkOutcome:
    """A relationship the transaction created (``previous``: targets a to-one relation left)."""

    rel_type: str
    source: EntityRef
    target: EntityRef
    version: str | None  # the causing event's version token (to-one), None: the first that says it
    previous: tuple[dict[str, Any], ...] = ()


def entity_key(ref: EntityRef) -> str:
    """``<Class>/<key>``: the Kafka key and CloudEvents ``subject`` of an entity's changes. Key
    values are percent-encoded, so a ``/`` in one cannot be confused with the separator."""
    return "/".join([ref.label, *(quote(str(v), safe="") for v in ref.key)])


def _ref_doc(ref: EntityRef) -> dict[str, Any]:
    return {"class": ref.label, "key": dict(zip(ref.key_props, ref.key, strict=True))}


def _cause(env: Envelope) -> dict[str, str]:
    return {"source": env.source, "id": env.id, "type": env.type, "time": env.time_text}


def batch_changes(
    events: Sequence[MappedEvent],
    nodes: Sequence[NodeOutcome],
    links: Sequence[LinkOutcome],
    source_ref: Any,
) -> list[dict[str, Any]]:
    """The changes of one written batch, each naming its causing event, in a deterministic order
    (causing event's time and id, then entities before relationships, then target).

    ``events`` are the batch's events the transaction wrote (not the duplicates); ``source_ref``
    maps an envelope to the ref of its source system node (which no mapping names). A property is
    attributed to the event whose value was written (its version token); a node created without
    properties, and a to-many relationship, to the earliest event of the batch that names it.
    """
    by_version: dict[str, Envelope] = {}
    first: dict[Any, Envelope] = {}
    for event in sorted(events, key=lambda e: e.envelope.version_token):
        env = event.envelope
        by_version.setdefault(env.version_token, env)
        first.setdefault(source_ref(env), env)
        for write in event.entities:
            first.setdefault(write.ref, env)
        for rel in event.relations:
            first.setdefault((rel.rel_type, rel.source, rel.target), env)
    rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for node in nodes:
        groups: dict[str, dict[str, Any]] = {}
        for prop, (version, value) in node.properties.items():
            groups.setdefault(version, {})[prop] = value
        versions = sorted(groups)
        if node.created:
            opener = first[node.ref].version_token
            if not versions or versions[0] > opener:
                versions.insert(0, opener)
                groups[opener] = {}
        for n, version in enumerate(versions):
            env = by_version[version]
            kind = "created" if node.created and n == 0 else "updated"
            change: dict[str, Any] = {
                "change": kind,
                "entity": _ref_doc(node.ref),
                "properties": dict(sorted(groups[version].items())),
                "cause": _cause(env),
            }
            rows.append(((env.version_token, env.source, 0, entity_key(node.ref)), change))
    for link in links:
        env = by_version[link.version] if link.version else first[(link.rel_type, link.source, link.target)]
        change = {
            "change": "repointed" if link.previous else "added",
            "relationship": link.rel_type,
            "from": _ref_doc(link.source),
            "to": _ref_doc(link.target),
            "cause": _cause(env),
        }
        if link.previous:
            change["previous"] = list(link.previous)
        order = (
            env.version_token,
            env.source,
            1,
            entity_key(link.source),
            link.rel_type,
            entity_key(link.target),
        )
        rows.append((order, change))
    rows.sort(key=lambda row: row[0])
    return [change for _, change in rows]


def _ref_of(doc: Mapping[str, Any]) -> EntityRef:
    key = doc["key"]
    return EntityRef(doc["class"], tuple(key), tuple(key.values()))


def change_key(change: Mapping[str, Any]) -> str:
    """The Kafka key of a change: its entity, or the entity a relationship starts from (whose
    to-one relations it orders)."""
    return entity_key(_ref_of(change["entity"] if "entity" in change else change["from"]))


def change_event(change: Mapping[str, Any], committed_at: str) -> dict[str, Any]:
    """The CloudEvent (structured mode) of one change. Its ``id`` depends only on the causing
    event and the change's target, so a change published again after a crash carries the same
    id (consumers dedupe on it); ``time`` is the commit time of the batch, kept in the outbox."""
    cause = change["cause"]
    if "entity" in change:
        kind, target = ENTITY_CHANGED, ["entity", change_key(change)]
    else:
        kind = RELATIONSHIP_CHANGED
        target = [change["relationship"], change_key(change), entity_key(_ref_of(change["to"]))]
    digest = hashlib.blake2b(
        orjson.dumps([cause["source"], cause["id"], change["change"], *target]), digest_size=16
    ).hexdigest()
    return {
        "specversion": "1.0",
        "id": digest,
        "source": CHANGE_SOURCE,
        "type": kind,
        "subject": change_key(change),
        "time": committed_at,
        "datacontenttype": "application/json",
        "causeid": cause["id"],
        "causesource": cause["source"],
        "causetype": cause["type"],
        "causetime": cause["time"],
        "data": change,
    }


def outbox_text(changes: Sequence[Mapping[str, Any]]) -> str:
    """The outbox's copy of a batch's changes: JSON, dates and times as ISO 8601 text."""
    return orjson.dumps(list(changes), default=_json_default).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if hasattr(value, "iso_format"):  # neo4j.time values
        return value.iso_format()
    raise TypeError(f"{type(value).__name__} is not JSON")
