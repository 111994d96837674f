"""Event sources: JSON Lines files and directories (Kafka lives in :mod:`loaders.kafka_source`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from loaders.errors import LoaderError
from loaders.limits import PREVIEW_BYTES, Limits
from loaders.pipeline import Record

#: Reads of the rest of a line too long to load, skipped on the way to the next line.
SKIP_CHUNK = 1 << 20


def jsonl_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and every ``*.jsonl`` under the directories named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise LoaderError(f"{path}: no such file or directory")
    return files


def read_files(files: Sequence[Path], limits: Limits | None = None) -> Iterator[Record]:
    """One record per non-empty line, with ``file:line`` as its origin.

    A line longer than the event size limit is never read whole: its record holds its first
    :data:`~loaders.limits.PREVIEW_BYTES` and its size, and the pipeline dead-letters it.
    """
    max_bytes = (limits or Limits()).max_event_bytes
    for path in files:
        with open(path, "rb") as fh:
            for number, (head, size) in enumerate(_lines(fh, max_bytes), start=1):
                if not head.strip():
                    continue
                if size > max_bytes:
                    yield Record(raw=head[:PREVIEW_BYTES], origin=f"{path}:{number}", size=size)
                else:
                    yield Record(raw=head, origin=f"{path}:{number}")


def count_records(path: Path, limits: Limits | None = None) -> int:
    """How many records :func:`read_files` yields for ``path`` (for a progress bar)."""
    max_bytes = (limits or Limits()).max_event_bytes
    with open(path, "rb") as fh:
        return sum(1 for head, _ in _lines(fh, max_bytes) if head.strip())


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
