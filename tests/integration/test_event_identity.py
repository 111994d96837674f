"""An event is its source and id (CloudEvents): same id from two sources is two events, and the same
source and id with another payload is a conflict kept as a dead letter, never silently dropped."""

from __future__ import annotations

from typing import Any

import orjson

from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import LoaderParts
from loaders.envelope import parse_line
from loaders.pipeline import Record
from loaders.writer import _NO_REPLAN, _STORED_EVENTS
from tests.integration import test_loading
from tests.integration.test_loading import load

parts = test_loading.parts  # the loader parts fixture, shared with the loading tests


def opened(source: str, event_id: str, description: str, number: str = "C-1") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": "digispine.crm.ComplaintOpened.v1",
        "time": "2026-02-01T10:00:00Z",
        "subject": number,
        "datacontenttype": "application/json",
        "data": {
            "complaintNumber": number,
            "customerNumber": "CU-1",
            "openedAt": "2026-02-01T10:00:00Z",
            "severity": "HIGH",
            "description": description,
        },
    }


def recs(*events: dict[str, Any], prefix: str = "t") -> list[Record]:
    return [Record(orjson.dumps(e), f"{prefix}:{i}") for i, e in enumerate(events, start=1)]


def letters(parts: LoaderParts, reason: str, before: int) -> list:  # type: ignore[type-arg]
    return [d for d in parts.deadletters.all()[before:] if d.reason == reason]


def test_the_same_id_from_two_sources_is_two_events(store: Neo4jStore, parts: LoaderParts) -> None:
    apply_schema(store, parts.model)  # the uniqueness constraint is on (source, eventId)
    stats = load(
        parts, store, recs(opened("crm/main", "e-1", "A", "C-1"), opened("crm/other", "e-1", "B", "C-2"))
    )
    assert stats.loaded == 2 and stats.duplicates == 0 and stats.rejected_total == 0
    again = load(parts, store, recs(opened("crm/other", "e-1", "B", "C-2")))
    assert again.loaded == 0 and again.duplicates == 1
    rows = store.read("MATCH (e:DomainEvent {eventId: 'e-1'}) RETURN e.source AS s ORDER BY s")
    assert rows == [{"s": "crm/main"}, {"s": "crm/other"}]


def test_a_resent_event_with_another_payload_is_a_conflicting_duplicate(
    store: Neo4jStore, parts: LoaderParts
) -> None:
    apply_schema(store, parts.model)
    first = opened("crm/main", "e-7", "Scratched housing")
    assert load(parts, store, recs(first)).loaded == 1
    before = len(parts.deadletters.all())
    corrected = opened("crm/main", "e-7", "Scratched housing and cover")
    stats = load(parts, store, recs(first, corrected, prefix="resend"))
    assert stats.duplicates == 1 and stats.loaded == 0
    assert stats.rejected == {"conflicting-duplicate": 1}
    (letter,) = letters(parts, "conflicting-duplicate", before)
    assert orjson.loads(letter.original) == corrected and letter.event_id == "e-7"
    assert letter.stored is not None and letter.stored["source"] == "crm/main"
    assert letter.stored["payloadHash"] and letter.stored["payloadHash"] in letter.message
    assert letter.stored["ingestedAt"]  # from the event node: when the first one was accepted
    assert letter.stored["data"] == first["data"]  # the first payload, though its batch was another run's
    kept = store.read("MATCH (c:Complaint {complaintNumber: 'C-1'}) RETURN c.description AS d")
    assert kept == [{"d": "Scratched housing"}]  # the graph keeps the first, visibly


def test_a_conflict_inside_one_batch_keeps_both_payloads(store: Neo4jStore, parts: LoaderParts) -> None:
    before = len(parts.deadletters.all())
    first, other = opened("crm/main", "e-9", "One"), opened("crm/main", "e-9", "Two")
    stats = load(parts, store, recs(first, first, other, prefix="batch"))
    assert (stats.loaded, stats.duplicates, stats.rejected_total) == (1, 1, 1)
    (letter,) = letters(parts, "conflicting-duplicate", before)
    assert orjson.loads(letter.original) == other
    assert letter.stored is not None and letter.stored["data"] == first["data"]


def test_a_conflict_across_batches_of_one_file_is_found_too(store: Neo4jStore, parts: LoaderParts) -> None:
    before = len(parts.deadletters.all())
    events = [
        opened("crm/main", "e-11", "One"),
        opened("crm/main", "e-12", "x", "C-3"),
        opened("crm/main", "e-11", "Two"),
    ]
    stats = load(parts, store, recs(*events, prefix="file"), batch_size=1)
    assert stats.loaded == 2 and stats.rejected == {"conflicting-duplicate": 1}
    assert len(letters(parts, "conflicting-duplicate", before)) == 1


def test_a_conflict_across_runs_keeps_both_payloads(store: Neo4jStore, parts: LoaderParts) -> None:
    first = opened("crm/main", "e-30", "Scratched housing")
    assert load(parts, store, recs(first, prefix="monday")).loaded == 1
    before = len(parts.deadletters.all())
    corrected = opened("crm/main", "e-30", "Scratched housing and cover")
    stats = load(parts, store, recs(corrected, prefix="tuesday"))
    assert stats.loaded == 0 and stats.rejected == {"conflicting-duplicate": 1}
    (letter,) = letters(parts, "conflicting-duplicate", before)
    assert orjson.loads(letter.original)["data"] == corrected["data"]
    assert letter.stored is not None and letter.stored["data"] == first["data"]
    assert "note" not in letter.stored and "payloads were kept" not in letter.message
    # what `digispine deadletters show` prints: both payloads
    shown = letter.to_json()
    assert "Scratched housing and cover" in shown["original"]
    assert shown["stored"]["data"]["description"] == "Scratched housing"


def test_a_replay_reads_no_payload_back(store: Neo4jStore, parts: LoaderParts) -> None:
    """Stored payloads come back only for a conflict: a replayed input does not pull them all."""
    event = opened("crm/main", "e-31", "One")
    load(parts, store, recs(event))
    env = parse_line(orjson.dumps(event))
    same = store.read(_STORED_EVENTS, {"keys": [[*env.key, [env.payload_hash]]]})
    assert len(same) == 1 and same[0]["payload"] is None
    other = store.read(_STORED_EVENTS, {"keys": [[*env.key, [env.payload_hash, "0" * 32]]]})
    assert orjson.loads(other[0]["payload"]) == event["data"]


def test_events_stored_without_a_payload_say_so_in_the_letter(store: Neo4jStore, parts: LoaderParts) -> None:
    load(parts, store, recs(opened("crm/main", "e-32", "One")))
    store.write("MATCH (e:DomainEvent) REMOVE e._payload")  # as loaded before payloads were kept
    before = len(parts.deadletters.all())
    stats = load(parts, store, recs(opened("crm/main", "e-32", "Two")))
    assert stats.rejected == {"conflicting-duplicate": 1}
    (letter,) = letters(parts, "conflicting-duplicate", before)
    assert letter.stored is not None and "data" not in letter.stored
    assert "before payloads were kept" in letter.stored["note"]
    assert "before payloads were kept" in letter.message


def test_events_stored_without_a_digest_count_as_plain_duplicates(
    store: Neo4jStore, parts: LoaderParts
) -> None:
    load(parts, store, recs(opened("crm/main", "e-20", "One")))
    store.write("MATCH (e:DomainEvent) REMOVE e._payloadHash")  # as loaded before digests were kept
    stats = load(parts, store, recs(opened("crm/main", "e-20", "Two")))
    assert stats.duplicates == 1 and stats.rejected_total == 0


def test_the_stored_events_check_seeks_the_composite_key(store: Neo4jStore, parts: LoaderParts) -> None:
    apply_schema(store, parts.model)
    with store.driver.session(database=store.database) as session:
        plan = (
            session.run("EXPLAIN " + _NO_REPLAN + _STORED_EVENTS, keys=[["crm/main", "e-1", ["0" * 32]]])
            .consume()
            .plan
        )
    operators = str(plan)
    assert "NodeUniqueIndexSeek" in operators, operators
