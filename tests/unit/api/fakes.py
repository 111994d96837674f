"""A fake store for unit tests of the GraphQL layer: records the statements, answers canned rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph_service.observability.statements import NO_OBSERVER, StatementObserver


class FakeRecord:
    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def items(self) -> list[tuple[str, Any]]:
        return list(self._values.items())


class FakeStore:
    """Stands in for Neo4jStore: ``answer(text, params)`` gives the record for each statement."""

    database = "neo4j"
    observer: StatementObserver = NO_OBSERVER

    def __init__(self, answer: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []
        self._answer = answer or _empty_answer

    @property
    def driver(self) -> FakeStore:
        return self

    def session(self, **_config: Any) -> FakeStore:
        return self

    def __enter__(self) -> FakeStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def run(self, query: Any, parameters: dict[str, Any]) -> list[FakeRecord]:
        self.statements.append((query.text, dict(parameters)))
        record = self._answer(query.text, parameters)
        return [] if record is None else [FakeRecord(record)]

    def call(self, work: Callable[[], Any]) -> Any:
        return work()


def _empty_answer(text: str, _params: dict[str, Any]) -> dict[str, Any] | None:
    if text.rstrip().endswith("AS node"):
        return None
    return {"total": 0, "nodes": []}
