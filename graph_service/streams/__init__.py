"""Analytical streams: declared, checked artefacts (``streams/<name>/v<major>/stream.yaml``) whose
derived events Quix Streams processors compute from the operational events (docs/streams.md).

Public API of the declarations: :func:`load_streams` → :class:`StreamRegistry` of
:class:`StreamDescriptor`; :class:`StreamDefinitionError` lists every problem with file and line.
The names are imported on first use: the data products (which the stream modules build on) list
the streams in their catalog, so neither package may need the other whole at import time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_service.streams.descriptor import DESCRIPTOR_FILE, STREAMS_NS, StreamDescriptor, Window
    from graph_service.streams.errors import Problem, StreamDefinitionError, StreamError, UnknownStream
    from graph_service.streams.registry import (
        StreamPaths,
        StreamRegistry,
        declared_access_roles,
        load_streams,
        read_descriptors,
    )

_HOMES = {
    "DESCRIPTOR_FILE": "descriptor",
    "STREAMS_NS": "descriptor",
    "StreamDescriptor": "descriptor",
    "Window": "descriptor",
    "Problem": "errors",
    "StreamDefinitionError": "errors",
    "StreamError": "errors",
    "UnknownStream": "errors",
    "StreamPaths": "registry",
    "StreamRegistry": "registry",
    "declared_access_roles": "registry",
    "load_streams": "registry",
    "read_descriptors": "registry",
}

__all__ = [
    "DESCRIPTOR_FILE",
    "STREAMS_NS",
    "Problem",
    "StreamDefinitionError",
    "StreamDescriptor",
    "StreamError",
    "StreamPaths",
    "StreamRegistry",
    "UnknownStream",
    "Window",
    "declared_access_roles",
    "load_streams",
    "read_descriptors",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
