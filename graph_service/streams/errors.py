"""Errors of the analytical streams: what was wrong, in which file and line, and what to do next."""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.errors import DigiSpineError
from graph_service.products.errors import Problem

__all__ = ["Problem", "StreamDefinitionError", "StreamError", "UnknownStream"]


class StreamError(DigiSpineError):
    """Base of every stream error."""


class StreamDefinitionError(StreamError):
    """Stream descriptors (or their shapes) are wrong. Carries every problem found, each with its
    file and, when known, line (the same :class:`Problem` as the data products')."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the stream definitions; "
            f"fix them and restart:\n{lines}"
        )


class UnknownStream(StreamError, KeyError):
    """No stream (or no such major version of it) is registered."""

    def __init__(self, name: str, major: int | str | None, known: Sequence[str]) -> None:
        self.name = name
        self.major = major
        what = f"{name} v{str(major).removeprefix('v')}" if major is not None else name
        super().__init__(f"no stream {what!r}; known streams: {', '.join(known) or 'none'}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
