"""Event sources: JSON Lines files and directories (Kafka lives in :mod:`loaders.kafka_source`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from loaders.errors import LoaderError
from loaders.pipeline import Record


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


def read_files(files: Sequence[Path]) -> Iterator[Record]:
    """One record per non-empty line, with ``file:line`` as its origin."""
    for path in files:
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield Record(raw=line.rstrip(b"\r\n"), origin=f"{path}:{number}")
