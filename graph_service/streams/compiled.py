"""A stream checked once, for its processors: the runtime's fields and the compiled output check.

Checking a descriptor needs the ontology compiler, every mapping and the shape library (the
registry's full check, :func:`graph_service.streams.load_streams`): ~40 MB and a second of a
processor's start, for a result that changes only when those files do. So a processor reads a
small JSON artefact instead — ``$DIGISPINE_DATA_DIR/streams/compiled/<name>-v<major>.json`` — that
records what the check found (the fields the runtime and the processors read, the output shape as
a :class:`~graph_service.streams.output_check.FlatShape`) and a digest of every file the check
read (ontology, mappings, stream descriptors, stream shapes). When the digest no longer matches,
or there is no artefact, the processor runs the full check in a short-lived child process
(``python -m graph_service.streams.compiled NAME``), which refuses a stream the registry refuses,
exactly as before, and writes the artefact; the processor itself never imports the compiler,
rdflib or pySHACL when the shape is flat. A restart (kill -9, a rebalance) finds the artefact and
starts that much sooner.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from graph_service.settings import Settings, load_settings
from graph_service.streams.output_check import FlatShape

#: Bumped when the artefact's fields change: an older artefact is then recompiled.
FORMAT = 1
_SOURCE_SUFFIXES = frozenset({".ttl", ".yaml", ".yml", ".json", ".jsonld", ".owl", ".rdf"})


class StreamCheckFailed(SystemExit):
    """The full check refused the stream (its message lists every problem, file:line)."""


@dataclass(frozen=True)
class CompiledStream:
    """What a processor needs of a checked descriptor (the runtime reads these fields only)."""

    name: str
    version: str
    inputs: tuple[str, ...]
    output_type: str
    topic: str
    grace: dt.timedelta
    shape_iri: str
    shape_path: Path
    emit: str
    consumer_group: str
    source: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    processor: str | None = None
    #: The output check, when the shape is flat; else None (the general validator is used).
    flat_shape: FlatShape | None = None

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    def to_json(self, digest: str) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "sources": digest,
            "name": self.name,
            "version": self.version,
            "inputs": list(self.inputs),
            "outputType": self.output_type,
            "topic": self.topic,
            "graceSeconds": self.grace.total_seconds(),
            "shapeIri": self.shape_iri,
            "shapePath": str(self.shape_path),
            "emit": self.emit,
            "consumerGroup": self.consumer_group,
            "source": self.source,
            "parameters": dict(self.parameters),
            "processor": self.processor,
            "flatShape": self.flat_shape.to_json() if self.flat_shape is not None else None,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> CompiledStream:
        flat = value.get("flatShape")
        return cls(
            name=value["name"],
            version=value["version"],
            inputs=tuple(value["inputs"]),
            output_type=value["outputType"],
            topic=value["topic"],
            grace=dt.timedelta(seconds=float(value["graceSeconds"])),
            shape_iri=value["shapeIri"],
            shape_path=Path(value["shapePath"]),
            emit=value["emit"],
            consumer_group=value["consumerGroup"],
            source=value["source"],
            parameters=dict(value.get("parameters") or {}),
            processor=value.get("processor"),
            flat_shape=FlatShape.from_json(flat) if flat else None,
        )

    @classmethod
    def of(cls, descriptor: Any) -> CompiledStream:
        """From the registry's checked descriptor (its output shape compiled when it is flat)."""
        from graph_service.streams.envelope import read_shape_file
        from graph_service.streams.output_check import compile_flat

        flat = compile_flat(read_shape_file(Path(descriptor.shape_path)), descriptor.shape_iri)
        return cls(
            name=descriptor.name,
            version=descriptor.version,
            inputs=tuple(descriptor.inputs),
            output_type=descriptor.output_type,
            topic=descriptor.topic,
            grace=descriptor.grace,
            shape_iri=descriptor.shape_iri,
            shape_path=Path(descriptor.shape_path).resolve(),
            emit=descriptor.emit,
            consumer_group=descriptor.consumer_group,
            source=descriptor.source,
            parameters=dict(getattr(descriptor, "parameters", None) or {}),
            processor=getattr(descriptor, "processor", None),
            flat_shape=flat,
        )


def source_dirs(settings: Settings) -> list[Path]:
    """Every directory the full check reads."""
    return [
        *settings.ontology_paths,
        *settings.mappings_dirs,
        settings.streams_dir,
        settings.shapes_dir / "streams",
    ]


def sources_digest(settings: Settings) -> str:
    """blake2b of every source file's path and bytes under :func:`source_dirs` (a few hundred KB)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"format {FORMAT}\n".encode())
    for root in source_dirs(settings):
        digest.update(f"dir {root.resolve()}\n".encode())
        for path in _files(root):
            digest.update(f"{path.relative_to(root)}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _files(root: Path) -> Iterable[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SOURCE_SUFFIXES)


def artefact_path(settings: Settings, name: str, major: int | None) -> Path:
    label = f"v{major}" if major is not None else "latest"
    return Path(settings.data_dir) / "streams" / "compiled" / f"{name}-{label}.json"


def read_artefact(settings: Settings, name: str, major: int | None) -> CompiledStream | None:
    """The artefact of ``name`` when it was written for exactly the current source files."""
    path = artefact_path(settings, name, major)
    try:
        value = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if value.get("format") != FORMAT or value.get("sources") != sources_digest(settings):
        return None
    return CompiledStream.from_json(value)


def write_artefact(settings: Settings, name: str, major: int | None) -> CompiledStream:
    """Run the registry's full check for ``name`` (here, in this process) and write the artefact.
    Raises :class:`StreamCheckFailed` with every problem when the registry refuses it."""
    from graph_service.ontology.compiler import load_model
    from graph_service.streams import load_streams
    from graph_service.streams.errors import StreamDefinitionError, UnknownStream

    digest = sources_digest(settings)  # before reading: a file changed meanwhile recompiles next time
    try:
        registry = load_streams(settings, load_model(settings.ontology_paths))
        descriptor = registry.get(name, major) if major is not None else registry.get(name)
    except (StreamDefinitionError, UnknownStream) as exc:
        raise StreamCheckFailed(str(exc)) from None
    compiled = CompiledStream.of(descriptor)
    path = artefact_path(settings, name, major)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(orjson.dumps(compiled.to_json(digest), option=orjson.OPT_INDENT_2))
    partial.replace(path)  # atomic: two instances starting together never read half a file
    return compiled


def checked_stream(settings: Settings, name: str, major: int | None = None) -> CompiledStream:
    """The checked stream ``name``: from its artefact, else checked by a child process that writes
    it. Raises :class:`StreamCheckFailed` with the child's problems when the check refuses it."""
    found = read_artefact(settings, name, major)
    if found is not None:
        return found
    command = [sys.executable, "-m", "graph_service.streams.compiled", name, "--paths", _paths_json(settings)]
    if major is not None:
        command += ["--major", str(major)]
    # The child reads the rest of its settings from the environment it inherits.
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StreamCheckFailed(result.stderr.strip() or result.stdout.strip() or "the stream check failed")
    found = read_artefact(settings, name, major)
    if found is None:
        raise StreamCheckFailed(
            f"the stream check of {name} wrote no artefact to {artefact_path(settings, name, major)}"
        )
    return found


#: The settings the check reads files from, passed to the child as they are in the parent (which
#: may have had them from options, not the environment).
_PATH_SETTINGS = ("data_dir", "streams_dir", "shapes_dir", "ontology_dir", "ontology_dirs", "mappings_dirs")


def _paths_json(settings: Settings) -> str:
    def plain(value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, tuple | list) else str(value)

    return orjson.dumps({k: plain(getattr(settings, k)) for k in _PATH_SETTINGS}).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check one stream fully and write its artefact.")
    parser.add_argument("name")
    parser.add_argument("--major", type=int, default=None)
    parser.add_argument("--paths", default="{}", help="JSON: the path settings of the parent process")
    args = parser.parse_args(argv)
    paths = orjson.loads(args.paths)
    overrides = {k: tuple(Path(p) for p in v) if isinstance(v, list) else Path(v) for k, v in paths.items()}
    try:
        write_artefact(load_settings(**overrides), args.name, args.major)
    except StreamCheckFailed as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
