"""Stream processors: one module per stream (or family), found by the runtime through its ``STREAMS``.

Each module exposes ``STREAMS = ("<streamName>", ...)`` and ``create(descriptor, settings)``
returning a :class:`graph_service.streams.runtime.StreamProcessor` (see docs/streams.md, Processing).
"""
