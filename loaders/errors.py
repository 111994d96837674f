"""Errors of the loaders. Each names what was wrong and where (file, line, event id)."""

from __future__ import annotations

from graph_service.errors import DigiSpineError


class LoaderError(DigiSpineError):
    """Base of loader errors."""


class ShapeError(LoaderError):
    """A payload shape cannot be compiled by the fast validator."""


class MappingError(LoaderError):
    """A mapping file is wrong: names the file and line."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class EventRejected(LoaderError):
    """An event cannot be loaded; carries the reason code for the dead-letter store."""

    def __init__(self, reason: str, message: str, report: str | None = None) -> None:
        self.reason = reason
        self.report = report
        super().__init__(message)


class LoadInterrupted(LoaderError):
    """Neo4j went away during a load. Says what happened, what is committed, and how to resume."""

    def __init__(self, what: str, committed: str, resume: str) -> None:
        self.what = what
        self.committed = committed
        self.resume = resume
        super().__init__(f"{what}\n{committed}\n{resume}")
