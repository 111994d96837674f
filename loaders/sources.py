"""Event sources: files and directories (Kafka lives in :mod:`loaders.kafka_source`).

A file holds JSON Lines (one event per line, ``.jsonl``/``.ndjson``) or one JSON array of events
(or a single event object, ``.json``), plain or gzip-compressed; which one is read from its first
bytes, so a misnamed file still loads. Memory stays bounded by the event size limit whatever a
file holds: a line or array element longer than the limit is never read whole.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

from loaders.errors import LoaderError
from loaders.limits import PREVIEW_BYTES, Limits
from loaders.pipeline import Record

#: Reads of the rest of a line too long to load, skipped on the way to the next line.
SKIP_CHUNK = 1 << 20
#: Bytes read at a time while splitting a JSON array into its elements.
ARRAY_CHUNK = 1 << 16
#: File names a directory's events are taken from (each also gzip-compressed, ``.gz``).
EVENT_SUFFIXES = (".jsonl", ".ndjson", ".json")
GZIP_MAGIC = b"\x1f\x8b"
#: The path that names standard input (``digispine load -``); its records' origins read ``stdin:N``.
STDIN = "-"
STDIN_ORIGIN = "stdin"
_BLANK = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileSelection:
    """The event files found under the paths given, and the files passed over (not events)."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def is_event_file_name(path: Path) -> bool:
    """True for ``*.jsonl``, ``*.ndjson``, ``*.json`` and their ``.gz``."""
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(EVENT_SUFFIXES)


def event_files(paths: Sequence[Path]) -> FileSelection:
    """The files named (whatever their name), and the event files under the directories named,
    in a stable order; the other files under those directories are listed as skipped."""
    selection = FileSelection()
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                (selection.files if is_event_file_name(found) else selection.skipped).append(found)
        elif path.is_file():
            selection.files.append(path)
        else:
            raise LoaderError(f"{path}: no such file or directory")
    return selection


def jsonl_files(paths: Sequence[Path]) -> list[Path]:
    """The event files of :func:`event_files` (kept for callers that need no skipped list)."""
    return event_files(paths).files


def read_files(files: Sequence[Path], limits: Limits | None = None) -> Iterator[Record]:
    """One record per event: per non-empty line (origin ``file:line``) or per element of a JSON
    array (origin ``file#/index``, a JSON pointer).

    An event longer than the size limit is never read whole: its record holds its first
    :data:`~loaders.limits.PREVIEW_BYTES` and its size, and the pipeline dead-letters it.
    """
    max_bytes = (limits or Limits()).max_event_bytes
    for path in files:
        for origin, head, size in file_events(path, max_bytes):
            if size > max_bytes:
                yield Record(raw=head[:PREVIEW_BYTES], origin=origin, size=size)
            else:
                yield Record(raw=head, origin=origin)


def count_records(path: Path, limits: Limits | None = None) -> int:
    """How many records :func:`read_files` yields for ``path`` (for a progress bar)."""
    max_bytes = (limits or Limits()).max_event_bytes
    return sum(1 for _ in file_events(path, max_bytes))


def file_events(path: Path, max_bytes: int) -> Iterator[tuple[str, bytes, int]]:
    """(origin, bytes cut after ``max_bytes + 1``, whole size) of each event in the file."""
    kind = _kind(path, max_bytes)
    with _open(path) as fh:
        if kind == "array":
            _skip_to_array(fh)
            for index, (head, size) in enumerate(_array_elements(fh, max_bytes)):
                yield f"{path}#/{index}", head, size
        elif kind == "object":
            whole = fh.read()
            yield f"{path}:1", whole.strip(), len(whole.strip())
        else:
            for number, (head, size) in enumerate(_lines(fh, max_bytes), start=1):
                if head.strip():
                    yield f"{path}:{number}", head, size


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")  # type: ignore[return-value]


def _kind(path: Path, max_bytes: int) -> str:
    """``array`` (a JSON array), ``object`` (one event written over several lines) or ``lines``."""
    try:
        with _open(path) as fh:
            start = fh.read(ARRAY_CHUNK).removeprefix(_BOM).lstrip(_BLANK)
            if start.startswith(b"["):
                return "array"
            if not start.startswith(b"{") or _first_line_parses(start):
                return "lines"
            fh.seek(0)
            whole = fh.read(max_bytes + 1)
    except (OSError, EOFError) as exc:  # a cut or corrupt gzip stream
        raise LoaderError(f"{path}: cannot be read: {exc}") from exc
    if len(whole) <= max_bytes:
        try:
            return "object" if isinstance(orjson.loads(whole), dict) else "lines"
        except orjson.JSONDecodeError:
            pass
    return "lines"


def _first_line_parses(start: bytes) -> bool:
    line, newline, _ = start.partition(b"\n")
    if not newline:
        return True  # one line (or a longer one than the probe): JSON Lines either way
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _skip_to_array(fh: BinaryIO) -> None:
    """Leave ``fh`` just after the opening ``[``."""
    while byte := fh.read(1):
        if byte == b"[":
            return


_STRUCTURE = re.compile(rb'[][{}",]')
_IN_STRING = re.compile(rb'["\\]')


class _ArraySplitter:
    """Splits the bytes after a JSON array's ``[`` into its elements' bytes, keeping at most
    ``max_bytes + 1`` of each (and its whole size). Strings are tracked so that a bracket or comma
    inside one splits nothing; whether an element is valid JSON is the parser's business later."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.ended = False
        self.head = bytearray()
        self.size = 0
        self.done: list[tuple[bytes, int]] = []
        #: What followed the closing ``]`` in the last chunk fed.
        self.rest = b""

    def feed(self, chunk: bytes) -> None:
        start, i, n = 0, 0, len(chunk)
        while i < n and not self.ended:
            if self.escaped:
                self.escaped, i = False, i + 1
                continue
            match = (_IN_STRING if self.in_string else _STRUCTURE).search(chunk, i)
            if match is None:
                break
            i, char = match.start(), chunk[match.start()]
            if self.in_string:
                if char == 0x5C:  # backslash: the next byte is escaped, maybe in the next chunk
                    self.escaped = True
                else:
                    self.in_string = False
            elif char == 0x22:
                self.in_string = True
            elif char in (0x5B, 0x7B):  # [ {
                self.depth += 1
            elif self.depth == 0 and char in (0x2C, 0x5D):  # , or the closing ]
                self._take(chunk[start:i])
                self._finish()
                start, self.ended = i + 1, char == 0x5D
            elif char in (0x5D, 0x7D):
                self.depth -= 1
            i += 1
        if self.ended:
            self.rest = chunk[start:]
        else:
            self._take(chunk[start:])

    def close(self) -> None:
        """End of input without the closing ``]``: what was read is one more (cut) element."""
        if not self.ended:
            self._finish()

    def _take(self, piece: bytes) -> None:
        if not self.head and not self.size:
            piece = piece.lstrip(_BLANK)
        room = self.max_bytes + 1 - len(self.head)
        if room > 0:
            self.head += piece[:room]
        self.size += len(piece)

    def _finish(self) -> None:
        head = bytes(self.head).rstrip(_BLANK)
        size = self.size - (len(self.head) - len(head))
        if head:
            self.done.append((head, size))
        self.head, self.size = bytearray(), 0


def _array_elements(
    fh: BinaryIO, max_bytes: int, chunk_size: int = ARRAY_CHUNK
) -> Iterator[tuple[bytes, int]]:
    splitter = _ArraySplitter(max_bytes)
    while not splitter.ended and (chunk := fh.read(chunk_size)):
        splitter.feed(chunk)
        yield from splitter.done
        splitter.done.clear()
    splitter.close()
    yield from splitter.done
    rest = (splitter.rest + fh.read(max_bytes + 1)).strip()
    if rest:  # something after the array: its own (malformed) record, so it is not lost unseen
        yield rest, len(rest)


def _lines(fh: BinaryIO, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Each line without its end, cut after ``max_bytes + 1`` bytes, and its whole size in bytes
    (without the end of line either). Memory stays bounded by the limit whatever a line holds."""
    while True:
        head = fh.readline(max_bytes + 2)  # room for the limit's worth, one byte more and "\n"
        if not head:
            return
        size, last = len(head), head
        while not last.endswith(b"\n") and (last := fh.readline(SKIP_CHUNK)):
            size += len(last)
        ending = 2 if last.endswith(b"\r\n") else 1 if last.endswith(b"\n") else 0
        yield head.rstrip(b"\r\n"), size - ending


def stream_events(
    stream: BinaryIO, max_bytes: int, name: str = STDIN_ORIGIN
) -> Iterator[tuple[str, bytes, int]]:
    """(origin, bytes, size) of each event read from a pipe (standard input): the same forms as a
    file (gzip, a JSON array, one event object, JSON Lines), told apart from what arrives first.
    A pipe is read once, from the start, and JSON Lines are handed on as they arrive (a producer
    that writes one line a minute has each loaded in its minute), so nothing waits for the end."""
    start = _arrive(stream, len(GZIP_MAGIC))
    if start.startswith(GZIP_MAGIC):
        stream = gzip.GzipFile(fileobj=_replayed(start, stream))  # type: ignore[assignment]
        start = _arrive(stream, 1)
    start = start.removeprefix(_BOM) if start.startswith(_BOM) else start
    while start.lstrip(_BLANK) == b"" and (more := _read_some(stream)):
        start += more
    first = start.lstrip(_BLANK)[:1]
    if first == b"[":
        fh = _replayed(start, stream)
        _skip_to_array(fh)
        for index, (head, size) in enumerate(_array_elements(fh, max_bytes)):
            yield f"{name}#/{index}", head, size
        return
    if first == b"{":
        while b"\n" not in start and len(start) <= max_bytes and (more := _read_some(stream)):
            start += more
        if not _first_line_parses(start.lstrip(_BLANK)):  # maybe one event over several lines
            while len(start) <= max_bytes and (more := _read_some(stream)):
                start += more
            whole = start.strip(_BLANK)
            if len(start) <= max_bytes and _is_object(whole):
                yield f"{name}:1", whole, len(whole)
                return
    for number, (head, size) in enumerate(_lines(_replayed(start, stream), max_bytes), start=1):
        if head.strip():
            yield f"{name}:{number}", head, size


def read_stream(stream: BinaryIO, limits: Limits | None = None) -> Iterator[Record]:
    """The records of :func:`stream_events`, as :func:`read_files` makes them of a file's."""
    max_bytes = (limits or Limits()).max_event_bytes
    for origin, head, size in stream_events(stream, max_bytes):
        if size > max_bytes:
            yield Record(raw=head[:PREVIEW_BYTES], origin=origin, size=size)
        else:
            yield Record(raw=head, origin=origin)


def _is_object(data: bytes) -> bool:
    try:
        return isinstance(orjson.loads(data), dict)
    except orjson.JSONDecodeError:
        return False


def _read_some(stream: BinaryIO) -> bytes:
    """What the pipe holds now (at least one byte, or nothing at its end): never waits for more."""
    read1 = getattr(stream, "read1", None)
    return bytes(read1(ARRAY_CHUNK)) if read1 is not None else stream.read(ARRAY_CHUNK)


def _arrive(stream: BinaryIO, n: int) -> bytes:
    """At least ``n`` bytes (fewer only at the end of the stream)."""
    data = b""
    while len(data) < n and (more := _read_some(stream)):
        data += more
    return data


class _Replay(io.RawIOBase):
    """The bytes already read from a pipe, then the rest of it (a pipe cannot seek back)."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        read1 = getattr(self._stream, "read1", None)
        data = read1(len(buffer)) if read1 is not None else self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _replayed(prefix: bytes, stream: BinaryIO) -> BinaryIO:
    return io.BufferedReader(_Replay(prefix, stream))
