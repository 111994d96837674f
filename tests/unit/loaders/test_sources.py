"""Event files: JSON Lines, JSON arrays and single objects, plain or gzip, give the same events;
a directory's other files are named as skipped; an array element is never held beyond the limit."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.limits import PREVIEW_BYTES, Limits
from loaders.sources import _array_elements, count_records, event_files, read_files, read_stream

# strings with the bytes that steer the splitter: brackets, commas, quotes and backslashes
TRICKY = st.text(alphabet=st.sampled_from(list('ab],[{}"\\\n é')), max_size=12)
EVENTS = st.lists(
    st.fixed_dictionaries({"id": TRICKY, "data": st.dictionaries(TRICKY, st.lists(TRICKY, max_size=3))}),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(events=EVENTS, chunk=st.integers(min_value=1, max_value=40), indent=st.booleans())
def test_an_array_splits_into_its_elements_whatever_the_chunk_boundaries(
    events: list[dict], chunk: int, indent: bool
) -> None:
    text = orjson.dumps(events, option=orjson.OPT_INDENT_2 if indent else 0)
    fh = io.BytesIO(text[1:])  # after the opening bracket, as the reader leaves it
    assert [orjson.loads(head) for head, _ in _array_elements(fh, 1 << 20, chunk)] == events


def write_all_forms(tmp_path: Path, events: list[dict]) -> dict[str, Path]:
    lines = b"\n".join(orjson.dumps(e) for e in events) + b"\n"
    array = orjson.dumps(events, option=orjson.OPT_INDENT_2)
    forms = {"a.jsonl": lines, "b.ndjson": lines, "c.json": array, "d.json": lines}
    paths = {}
    for name, content in forms.items():
        (tmp_path / name).write_bytes(content)
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(content))
        paths[name], paths[f"{name}.gz"] = tmp_path / name, tmp_path / f"{name}.gz"
    return paths


def test_every_form_and_its_gzip_give_the_same_events_with_their_origins(tmp_path: Path) -> None:
    events = [{"id": f"e-{i}", "note": 'a ] , [ " \\ b'} for i in range(3)]
    for name, path in write_all_forms(tmp_path, events).items():
        records = list(read_files([path]))
        assert [orjson.loads(r.raw) for r in records] == events, name
        assert count_records(path) == len(events)
        suffixes = [r.origin.removeprefix(str(path)) for r in records]
        assert suffixes == (["#/0", "#/1", "#/2"] if name.startswith("c.") else [":1", ":2", ":3"])


class Trickle(io.RawIOBase):
    """A pipe that hands over ``step`` bytes per read (as a slow producer's pipe does)."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.step, len(self.data))
        buffer[:n], self.data = self.data[:n], self.data[n:]
        return n


@settings(max_examples=40, deadline=None)
@given(step=st.integers(min_value=1, max_value=64))
def test_standard_input_reads_every_form_as_its_file_does(step: int, tmp_path_factory: Any) -> None:
    tmp_path = tmp_path_factory.mktemp("forms")
    events = [{"id": f"e-{i}", "note": 'a ] , [ " \\ b'} for i in range(3)]
    one = {"id": "e-1", "data": {"x": 1}}
    (tmp_path / "one.json").write_bytes(orjson.dumps(one, option=orjson.OPT_INDENT_2))
    paths = {**write_all_forms(tmp_path, events), "one.json": tmp_path / "one.json"}
    for name, path in paths.items():
        from_file = list(read_files([path]))
        piped = io.BufferedReader(Trickle(path.read_bytes(), step))
        from_pipe = list(read_stream(piped))  # type: ignore[arg-type]
        assert [r.raw for r in from_pipe] == [r.raw for r in from_file], name
        assert [r.origin.removeprefix("stdin") for r in from_pipe] == [
            r.origin.removeprefix(str(path)) for r in from_file
        ], name


def test_one_event_over_several_lines_is_one_event(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_bytes(orjson.dumps({"id": "e-1", "data": {"x": 1}}, option=orjson.OPT_INDENT_2))
    (record,) = read_files([path])
    assert orjson.loads(record.raw) == {"id": "e-1", "data": {"x": 1}}


def test_a_directory_names_the_files_it_passes_over(tmp_path: Path) -> None:
    write_all_forms(tmp_path, [{"id": "e"}])
    (tmp_path / "notes.txt").write_text("not events")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "events.csv").write_text("id\n")
    selection = event_files([tmp_path])
    assert len(selection.files) == 8
    assert selection.skipped == [tmp_path / "notes.txt", tmp_path / "sub" / "events.csv"]
    assert event_files([tmp_path / "notes.txt"]).files == [tmp_path / "notes.txt"]  # named: read


def test_a_huge_array_element_is_cut_and_what_follows_it_still_reads(tmp_path: Path) -> None:
    events = [{"id": "before"}, {"id": "huge", "x": "y" * 50_000}, {"id": "after"}]
    path = tmp_path / "big.json"
    path.write_bytes(orjson.dumps(events))
    records = list(read_files([path], Limits(max_event_bytes=4096)))
    assert [r.origin.rsplit("/", 1)[1] for r in records] == ["0", "1", "2"]
    assert len(records[1].raw) == PREVIEW_BYTES and records[1].size == len(orjson.dumps(events[1]))
    assert orjson.loads(records[2].raw) == {"id": "after"}


def test_what_is_not_an_array_element_is_kept_to_be_dead_lettered(tmp_path: Path) -> None:
    path = tmp_path / "junk.json"
    path.write_bytes(b'[{"id": "a"}, {"id": "b"}] trailing')
    assert [r.raw for r in read_files([path])] == [b'{"id": "a"}', b'{"id": "b"}', b"trailing"]
