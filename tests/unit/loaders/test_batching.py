"""How the pipeline cuts a stream into batches: a source's "nothing more at hand" (None) hands a
partial batch to a waiting writer, and only to a waiting one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from loaders.pipeline import Pipeline, Record
from tests.unit.loaders.test_refused_input import event, make_pipeline


class _Planner:
    """The writer's planning step only (batching never writes)."""

    def plan(self, events: list[Any]) -> None:
        return None


def _pipeline(model: Any, tmp_path: Path) -> Pipeline:
    pipeline = make_pipeline(model, tmp_path)
    pipeline.writer = _Planner()  # type: ignore[assignment]
    return pipeline


def _records(*pattern: str) -> Iterator[Record | None]:
    """``"e"``: an event (ids in order), ``"-"``: the source has nothing more at hand."""
    for i, mark in enumerate(pattern):
        yield None if mark == "-" else Record(orjson.dumps(event(id=f"evt-{i}")), f"test:{i}", position=i)


def _sizes(
    pipeline: Pipeline, records: Iterator[Record | None], waiting: threading.Event | None
) -> list[int]:
    return [batch.read for batch in pipeline._batches(records, threading.Event(), waiting)]


def test_a_waiting_writer_gets_what_was_read_as_soon_as_the_source_has_nothing_more(
    model, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    waiting = threading.Event()
    waiting.set()
    assert _sizes(_pipeline(model, tmp_path), _records("e", "e", "-", "e", "-", "-"), waiting) == [2, 1]


def test_a_busy_writer_lets_the_batch_grow_until_it_waits_or_the_batch_is_full(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pipeline = _pipeline(model, tmp_path)
    pipeline.batch_size = 3
    busy = threading.Event()  # never set: the writer is writing all along
    assert _sizes(pipeline, _records("e", "-", "e", "-", "e", "e", "-", "e"), busy) == [3, 2]


def test_every_event_read_is_in_exactly_one_batch_in_order(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    waiting = threading.Event()
    pattern = ("e", "-", "e", "e", "-", "e", "-", "-", "e")

    def records() -> Iterator[Record | None]:
        for i, record in enumerate(_records(*pattern)):
            if i == 3:
                waiting.set()  # the writer finished what it was writing and waits from now on
            yield record

    batches = [
        b.positions for b in _pipeline(model, tmp_path)._batches(records(), threading.Event(), waiting)
    ]
    assert batches == [[0, 2, 3], [5], [8]]
