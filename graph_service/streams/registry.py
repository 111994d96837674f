"""Every analytical stream and major version, read from stream folders and checked at start-up.

Layout: ``<streams dir>/<name>/v<major>/stream.yaml`` (the descriptor) and, in the shapes
directory (``<DIGISPINE_SHAPES_DIR>/streams``), ``<name>-v<major>.ttl`` with the SHACL shape of
the derived events' ``data``. :func:`load_streams` reads them all, checks them against the
ontology and the event mappings and raises one :class:`StreamDefinitionError` listing every
problem with its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph_service.ontology.diff import StreamUse
from graph_service.ontology.model import DomainModel
from graph_service.products.registry import version_folders
from graph_service.products.shape import OutputShape, ShapeLibrary
from graph_service.settings import Settings
from graph_service.streams.check import check_stream, check_unique
from graph_service.streams.descriptor import DESCRIPTOR_FILE, StreamDescriptor, load_descriptor
from graph_service.streams.errors import Problem, StreamDefinitionError, UnknownStream
from loaders.errors import MappingError
from loaders.mapping import Mapper, load_mappings
from loaders.yamlsource import load_yaml

#: Where stream shapes live relative to the shapes directory, when nothing else is said.
SHAPES_SUBDIR = "streams"


@dataclass(frozen=True)
class StreamPaths:
    """Directories of stream folders and of their shapes."""

    streams_dirs: tuple[Path, ...]
    shapes_dirs: tuple[Path, ...] = (Path("shapes") / SHAPES_SUBDIR,)

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamPaths:
        return cls((settings.streams_dir,), (settings.shapes_dir / SHAPES_SUBDIR,))


class StreamRegistry:
    """Every registered stream version, sorted by name and major version."""

    def __init__(
        self, streams: Iterable[StreamDescriptor], shapes: dict[tuple[str, int], OutputShape] | None = None
    ) -> None:
        self.streams = tuple(sorted(streams, key=lambda d: (d.name, d.major)))
        self._shapes = dict(shapes or {})

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({d.name for d in self.streams}))

    def versions(self, name: str) -> tuple[StreamDescriptor, ...]:
        found = tuple(d for d in self.streams if d.name == name)
        if not found:
            raise UnknownStream(name, None, self.names())
        return found

    def get(self, name: str, major: int | str | None = None) -> StreamDescriptor:
        """``major`` as 1, ``"v1"``, ``"1"`` or ``"1.0.0"``; None: :meth:`latest`."""
        if major is None:
            return self.latest(name)
        text = str(major).removeprefix("v").removeprefix("V").split(".", 1)[0]
        for d in self.versions(name):
            if str(d.major) == text:
                return d
        raise UnknownStream(name, major, [d.qualified_name for d in self.versions(name)])

    def latest(self, name: str) -> StreamDescriptor:
        """The highest non-deprecated major version; the highest of all when every one is deprecated."""
        versions = self.versions(name)
        current = [d for d in versions if not d.deprecated]
        return (current or list(versions))[-1]

    def shape(self, descriptor: StreamDescriptor) -> OutputShape:
        """The output shape of ``descriptor`` (its row: the fields of the derived events' data)."""
        return self._shapes[(descriptor.name, descriptor.major)]

    def access_roles(self) -> frozenset[str]:
        return frozenset(role for d in self.streams for role in d.access_roles)

    def __iter__(self) -> Iterator[StreamDescriptor]:
        return iter(self.streams)

    def __len__(self) -> int:
        return len(self.streams)


def load_streams(
    source: Settings | StreamPaths | Path | Sequence[Path],
    model: DomainModel,
    mapper: Mapper | Path | None = None,
    *,
    shapes_dirs: Sequence[Path] | None = None,
) -> StreamRegistry:
    """Read and check every stream folder; one :class:`StreamDefinitionError` lists all problems.

    ``source``: the settings (``DIGISPINE_STREAMS_DIR``, ``<DIGISPINE_SHAPES_DIR>/streams``),
    :class:`StreamPaths`, or stream directories (then ``shapes_dirs``, default ``shapes/streams``).
    ``mapper``: the loaders' compiled mappings, a mappings directory, or None for the settings'
    ``DIGISPINE_MAPPINGS_DIRS`` (``loaders/mappings`` when ``source`` is no Settings). A streams
    directory that does not exist holds no streams."""
    paths = _paths(source, shapes_dirs)
    problems: list[Problem] = []
    descriptors = _read_descriptors(paths, problems)
    if not descriptors and not problems:
        return StreamRegistry(())
    mappings = _mapper(mapper if mapper is not None or not isinstance(source, Settings) else source, model)
    shapes = ShapeLibrary.load(paths.shapes_dirs)
    problems += shapes.problems
    checked: dict[tuple[str, int], tuple[StreamDescriptor, OutputShape]] = {}
    for descriptor in check_unique(descriptors, problems):
        result = check_stream(descriptor, model, mappings, shapes, problems)
        if result is not None:
            checked[(descriptor.name, descriptor.major)] = result
    if problems:
        raise StreamDefinitionError(problems)
    return StreamRegistry(
        (d for d, _ in checked.values()), {key: shape for key, (_, shape) in checked.items()}
    )


def read_descriptors(source: Settings | StreamPaths | Path | Sequence[Path]) -> list[StreamDescriptor]:
    """The descriptors that read well on their own, without the model (``ontology diff``, roles);
    a broken one is left out here and reported by :func:`load_streams`."""
    return _read_descriptors(_paths(source, None), [])


def declared_access_roles(source: Settings | StreamPaths | Path | Sequence[Path]) -> frozenset[str]:
    """Every access role the readable stream descriptors name (roles API keys may then carry)."""
    return frozenset(role for d in read_descriptors(source) for role in d.access_roles)


def stream_uses(
    source: Settings | StreamPaths | Path | Sequence[Path],
    mappings_dir: Path | Sequence[Path] | None = None,
) -> list[StreamUse]:
    """What each readable stream relies on in the ontology, for ``ontology diff``. The input types'
    event classes are read from the mapping files as written (``type``/``event``), without checking
    them against a model: the diff compares two models the mappings may not both fit."""
    from loaders.assembly import MAPPINGS_DIR

    default = source.mappings_dirs if isinstance(source, Settings) else MAPPINGS_DIR
    classes = mapped_event_classes(mappings_dir or default)
    return [
        StreamUse(
            name=f"{d.name} v{d.major}",
            file=str(d.file),
            key=d.key,
            inputs=tuple((t, classes.get(t)) for t in d.inputs),
        )
        for d in read_descriptors(source)
    ]


def mapped_event_classes(mappings_dir: Path | Sequence[Path]) -> dict[str, str]:
    """CloudEvents type → event class local name, as the mapping files say; unreadable files are
    skipped (the loader reports them)."""
    classes: dict[str, str] = {}
    folders = [mappings_dir] if isinstance(mappings_dir, Path) else list(mappings_dir)
    for path in (p for folder in folders for p in sorted(folder.glob("*.yaml"))):
        try:
            document = load_yaml(path)
        except MappingError:
            continue
        events = document.get("events") if isinstance(document, dict) else None
        for entry in events if isinstance(events, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("type"), str) and entry.get("event"):
                classes[entry["type"]] = str(entry["event"])
    return classes


def _paths(
    source: Settings | StreamPaths | Path | Sequence[Path], shapes_dirs: Sequence[Path] | None
) -> StreamPaths:
    if isinstance(source, Settings):
        paths = StreamPaths.from_settings(source)
    elif isinstance(source, StreamPaths):
        paths = source
    elif isinstance(source, Path):
        paths = StreamPaths((source,))
    else:
        paths = StreamPaths(tuple(source))
    if shapes_dirs is not None:
        paths = StreamPaths(paths.streams_dirs, tuple(shapes_dirs))
    return paths


def _mapper(mapper: Mapper | Path | Settings | None, model: DomainModel) -> Mapper:
    if isinstance(mapper, Mapper):
        return mapper
    if isinstance(mapper, Settings):  # the loader's own directories (DIGISPINE_MAPPINGS_DIRS)
        return load_mappings(mapper.mappings_dirs, model)
    from loaders.assembly import MAPPINGS_DIR

    return load_mappings(mapper or MAPPINGS_DIR, model)


def _read_descriptors(paths: StreamPaths, problems: list[Problem]) -> list[StreamDescriptor]:
    descriptors = []
    for folder in version_folders(
        paths.streams_dirs, problems, descriptor_file=DESCRIPTOR_FILE, kind="stream", required=False
    ):
        try:
            descriptors.append(load_descriptor(folder / DESCRIPTOR_FILE, _shapes_dir(paths)))
        except StreamDefinitionError as exc:
            problems += exc.problems
    return descriptors


def _shapes_dir(paths: StreamPaths) -> Path:
    """Where a stream's own shape file is expected: the first shapes directory."""
    return paths.shapes_dirs[0] if paths.shapes_dirs else Path("shapes") / SHAPES_SUBDIR
