"""`digispine deadletters list/show/retry` with the letters of every new reason: what they keep shows."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service.cli.main import app
from loaders.deadletters import DeadLetterStore

NEW_REASONS = ("malformed-utf8", "too-large", "future-event", "conflicting-duplicate")


@pytest.fixture()
def letters(tmp_path: Path) -> DeadLetterStore:
    store = DeadLetterStore(tmp_path / "deadletters")
    bad = b'{"id": "e-1", "name": "M\xfcller"}'
    store.add(
        reason="malformed-utf8",
        message="not valid UTF-8: byte 0xfc at byte offset 24",
        original=bad.decode("utf-8", errors="replace"),
        original_base64=base64.b64encode(bad).decode(),
        origin="f.jsonl:1",
    )
    store.add(
        reason="too-large",
        message="the event is 52,428,800 bytes; the limit is 1,048,576 bytes",
        original='{"id": "e-2", "name": "xxxx',
        original_size=52_428_800,
        origin="f.jsonl:2",
    )
    store.add(
        reason="future-event", message="time 9999-12-31T23:59:59Z is ahead", original="{}", origin="f.jsonl:3"
    )
    store.add(
        reason="conflicting-duplicate",
        message="event e-4 from crm/main was accepted before with another payload",
        original='{"id": "e-4"}',
        event_id="e-4",
        origin="f.jsonl:4",
        stored={"source": "crm/main", "eventId": "e-4", "payloadHash": "abc123", "ingestedAt": "2026-01-01"},
    )
    return store


def run(tmp_path: Path, *args: str) -> str:
    env = {"DIGISPINE_DATA_DIR": str(tmp_path), "COLUMNS": "250", "NEO4J_URI": ""}
    result = CliRunner().invoke(app, ["deadletters", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_list_shows_every_new_reason_and_filters_by_it(letters: DeadLetterStore, tmp_path: Path) -> None:
    listed = run(tmp_path, "list")
    for reason in NEW_REASONS:
        assert reason in listed
    only = run(tmp_path, "list", "--reason", "conflicting-duplicate")
    assert "1 dead letter(s)" in only and "e-4" in only


def test_show_prints_what_each_letter_keeps(letters: DeadLetterStore, tmp_path: Path) -> None:
    by_reason = {d.reason: d for d in letters.all()}
    conflict = run(tmp_path, "show", by_reason["conflicting-duplicate"].id)
    assert "stored" in conflict and "abc123" in conflict and "crm/main" in conflict
    large = run(tmp_path, "show", by_reason["too-large"].id)
    assert "original_size" in large and "52428800" in large
    utf8 = run(tmp_path, "show", by_reason["malformed-utf8"].id)
    assert "original_base64" in utf8


def test_retry_skips_letters_that_keep_only_a_preview(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "deadletters")
    store.add(reason="too-large", message="big", original="{", original_size=10_000_000, origin="f:1")
    out = run(tmp_path, "retry")
    assert "skipped" in out and "10,000,000-byte event" in out and "nothing to retry" in out


def test_show_prints_an_original_that_looks_like_markup_as_it_is_and_json_whole(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "deadletters")
    store.add(reason="malformed-json", message="a JSON list", original='["bold", "[red]x[/]"]', origin="f:1")
    (letter,) = store.all()
    assert '["bold", "[red]x[/]"]' in run(tmp_path, "show", letter.id)
    shown = json.loads(run(tmp_path, "show", letter.id, "--json"))
    assert shown["original"] == '["bold", "[red]x[/]"]' and shown["id"] == letter.id
