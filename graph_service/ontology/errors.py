"""Errors of the ontology package. Each carries what a domain expert needs to fix the ontology."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from graph_service.errors import DigiSpineError

if TYPE_CHECKING:
    from graph_service.ontology.problems import Problem


class OntologyError(DigiSpineError):
    """The ontology cannot be compiled. ``problems`` lists every error found, not only the first."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = [message, *(f"  {problem}" for problem in self.problems)]
        super().__init__("\n".join(lines))


class UnknownTermError(OntologyError, KeyError):
    """A class, property or relation name that the model does not define."""

    def __init__(self, kind: str, name: str, close: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.close = tuple(close)
        hint = f"; did you mean {', '.join(self.close)}?" if self.close else ""
        super().__init__(f"the ontology has no {kind} named {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class SourceUnavailable(OntologyError):
    """An ontology directory or git revision could not be read."""
