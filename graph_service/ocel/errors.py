"""Errors of reading and writing OCEL 2.0 logs; each names the file and what is wrong in it."""

from __future__ import annotations

from graph_service.errors import DigiSpineError


class OcelError(DigiSpineError):
    """An OCEL 2.0 log that cannot be read or written: the file, where in it, and what is wrong."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")
