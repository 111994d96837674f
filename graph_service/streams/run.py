"""Process entry point of one stream instance: ``python -m graph_service.streams.run NAME [--instance ID]``.

`digispine streams run` is the documented command; this module is what tests (and the SIGKILL
tests in particular) start as a separate process. Settings come from the environment as usual.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph_service.settings import Settings, load_settings
from graph_service.streams.runtime import run_stream

log = logging.getLogger(__name__)

STREAMS_NS = "https://w3id.org/digispine/streams#"
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")


@dataclass(frozen=True)
class MinimalDescriptor:
    """The fields the runtime reads, for when the full registry cannot load (see :func:`find_descriptor`)."""

    name: str
    version: str
    inputs: tuple[str, ...]
    output_type: str
    topic: str
    grace: dt.timedelta
    shape_iri: str
    shape_path: Path
    emit: str = "revisions"
    parameters: dict[str, Any] = field(default_factory=dict)
    processor: str | None = None

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def consumer_group(self) -> str:
        return f"digispine-stream-{self.name}-v{self.major}"

    @property
    def source(self) -> str:
        return f"digispine/streams/{self.name}/v{self.major}"


def duration(text: str | None) -> dt.timedelta:
    match = _DURATION.match(text or "PT0S")
    if not match:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return dt.timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def read_minimal(path: Path, shapes_dir: Path) -> MinimalDescriptor:
    """The runtime's fields of one ``stream.yaml`` (no checks against ontology or mappings)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    name, version = doc["name"], str(doc["version"])
    major = int(version.split(".")[0])
    return MinimalDescriptor(
        name=name,
        version=version,
        # Optional inputs ({type, optional}) too: without the mappings it cannot tell which are mapped.
        inputs=tuple(i["type"] if isinstance(i, dict) else i for i in doc["inputs"]),
        output_type=doc["outputType"],
        topic=doc.get("topic") or f"digispine.stream.{name}.v{major}",
        grace=duration(doc.get("grace")),
        shape_iri=STREAMS_NS + str(doc["outputShape"]).removeprefix("dss:"),
        shape_path=shapes_dir / f"{name}-v{major}.ttl",
        emit=doc.get("emit", "revisions"),
        parameters=dict(doc.get("parameters") or {}),
        processor=doc.get("processor"),
    )


def find_descriptor(settings: Settings, name: str, major: int | None = None) -> Any:
    """The checked stream (:class:`~graph_service.streams.compiled.CompiledStream`): from its
    artefact when the sources are those it was checked against, else checked in full by a child
    process. A registry that refuses the definitions stops the processor with every problem
    (file:line): a processor never runs a stream whose declaration the API and the catalog would
    refuse."""
    from graph_service.streams.compiled import checked_stream

    return checked_stream(settings, name, major)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name")
    parser.add_argument("--major", type=int, default=None)
    parser.add_argument("--instance", default="0")
    parser.add_argument("--stop-after-idle", type=float, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    descriptor = find_descriptor(settings, args.name, args.major)
    run_stream(descriptor, settings, instance=args.instance, stop_after_idle=args.stop_after_idle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
