"""Analytical streams: declared, checked artefacts (``streams/<name>/v<major>/stream.yaml``) whose
derived events Quix Streams processors compute from the operational events (docs/streams.md).

Public API of the declarations: :func:`load_streams` → :class:`StreamRegistry` of
:class:`StreamDescriptor`; :class:`StreamDefinitionError` lists every problem with file and line.
"""

from graph_service.streams.descriptor import DESCRIPTOR_FILE, STREAMS_NS, StreamDescriptor, Window
from graph_service.streams.errors import Problem, StreamDefinitionError, StreamError, UnknownStream
from graph_service.streams.registry import (
    StreamPaths,
    StreamRegistry,
    declared_access_roles,
    load_streams,
    read_descriptors,
)

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
