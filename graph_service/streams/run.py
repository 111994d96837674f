"""Process entry point of one stream instance: ``python -m graph_service.streams.run NAME [--instance ID]``.

`digispine streams run` is the documented command; this module is what tests (and the SIGKILL
tests in particular) start as a separate process. Settings come from the environment as usual.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from graph_service.settings import Settings, load_settings
from graph_service.streams.descriptor import StreamDescriptor, load_descriptor
from graph_service.streams.runtime import run_stream

log = logging.getLogger(__name__)


def read_minimal(path: Path, shapes_dir: Path) -> StreamDescriptor:
    """One ``stream.yaml`` checked on its own (no checks against ontology or mappings): the
    descriptor tests hand the runtime. The same type and reading as the registry's, so the
    fields the runtime reads cannot drift from a copy."""
    return load_descriptor(path, shapes_dir)


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
