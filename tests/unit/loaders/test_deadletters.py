"""The dead-letter store: one letter per rejected event and origin, kept across restarts."""

from __future__ import annotations

from pathlib import Path

from loaders.deadletters import DeadLetterStore


def reject(store: DeadLetterStore, origin: str | None, original: str = '{"id": "e1"}', reason: str = "shacl"):
    return store.add(reason=reason, message="violates", original=original, event_id="e1", origin=origin)


def test_a_redelivered_event_is_recorded_once_even_after_a_restart(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path)
    first = reject(store, "kafka:plant/0@41")
    assert first is not None
    assert reject(store, "kafka:plant/0@41") is None  # redelivered after a crash: same letter
    restarted = DeadLetterStore(tmp_path)  # the loader process started again
    assert reject(restarted, "kafka:plant/0@41") is None
    assert [d.id for d in restarted.all()] == [first.id]


def test_another_origin_reason_or_content_is_another_letter(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path)
    reject(store, "kafka:plant/0@41")
    assert reject(store, "kafka:plant/0@42") is not None
    assert reject(store, "kafka:plant/0@41", reason="mapping") is not None
    assert reject(store, "kafka:plant/0@41", original='{"id": "e2"}') is not None
    assert reject(store, None) is not None and reject(store, None) is not None  # no origin: no check
    assert len(store.all()) == 6


def test_a_retried_letter_no_longer_holds_its_origin(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path)
    first = reject(store, "plant.jsonl:7")
    assert first is not None
    store.mark_retried([first.id])
    again = reject(store, "plant.jsonl:7")  # the file loaded again after the retry
    assert again is not None and again.id != first.id
    assert [d.id for d in store.all()] == [again.id]
    assert {d.id for d in store.all(include_retried=True)} == {first.id, again.id}
