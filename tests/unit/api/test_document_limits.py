"""The document limits of the generated schema: refused before validation, with a clear code."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError

from graph_service.api.graphql import Limits, make_schema
from graph_service.api.graphql.document_gate import DocumentGate
from graph_service.ontology.model import DomainModel
from tests.unit.api.fakes import FakeStore
from tests.unit.api.test_expansion import bomb


@pytest.fixture(scope="module")
def schema(model: DomainModel) -> strawberry.Schema:
    return make_schema(model, FakeStore(), limits=Limits(max_document_bytes=8192, max_tokens=500))


def run(schema: strawberry.Schema, query: str) -> Any:
    return asyncio.run(schema.execute(query))


def only_error(result: Any) -> GraphQLError:
    assert result.data is None
    [error] = result.errors
    return error


def test_a_fragment_bomb_is_refused_before_validation(schema: strawberry.Schema) -> None:
    error = only_error(run(schema, bomb(30)))
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX", "limit": 2000}
    assert "DIGISPINE_GRAPHQL_MAX_SELECTIONS" in error.message


def test_a_large_document_is_refused_before_parsing(schema: strawberry.Schema) -> None:
    error = only_error(run(schema, "{ " + "__typename " * 100_000 + "}"))
    assert error.extensions == {"code": "DOCUMENT_TOO_LARGE", "limit": 8192}
    assert "DIGISPINE_GRAPHQL_MAX_DOCUMENT_BYTES" in error.message


def test_bytes_are_counted_not_characters(schema: strawberry.Schema) -> None:
    comment = "# " + "é" * 4100 + "\n"  # 4,100 characters, 8,200 bytes
    assert only_error(run(schema, comment + "{ __typename }")).extensions["code"] == "DOCUMENT_TOO_LARGE"


def test_too_many_tokens_are_refused_while_parsing(schema: strawberry.Schema) -> None:
    error = only_error(run(schema, "{ " + "__typename " * 600 + "}"))
    assert error.extensions == {"code": "DOCUMENT_TOO_LARGE", "limit": 500}
    assert "500 tokens" in error.message


def test_fields_overlapping_beyond_the_budget_stop_validation_with_a_clear_error(
    model: DomainModel,
) -> None:
    schema = make_schema(model, FakeStore())  # default limits: 2,000 x __typename fits them
    error = only_error(run(schema, "{ " + "__typename " * 2000 + "}"))
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert "overlap" in error.message


def test_queries_under_the_limits_still_answer_also_synchronously(schema: strawberry.Schema) -> None:
    query = "{ a: __typename ...F } fragment F on Query { b: __typename }"
    assert run(schema, query).data == {"a": "Query", "b": "Query"}
    assert schema.execute_sync(query).data == {"a": "Query", "b": "Query"}
    assert run(schema, "{ __typename").errors[0].message.startswith("Syntax Error")


def test_large_documents_are_parsed_off_the_calling_thread(model: DomainModel) -> None:
    gate = DocumentGate(Limits(), inline_bytes=16)
    seen: list[str] = []
    original = gate.parse

    def parse(query: str) -> Any:
        seen.append(threading.current_thread().name)
        return original(query)

    gate.parse = parse  # type: ignore[method-assign]
    asyncio.run(gate.parsed("{ __typename }"))  # 14 bytes: on the loop
    asyncio.run(gate.parsed("{ x: __typename }"))  # 17 bytes: in the worker
    assert seen[0] == threading.current_thread().name
    assert seen[1].startswith("graphql-documents")


def _as(caller: str) -> None:
    """Act as the caller ``caller`` in the current task (what AuthMiddleware does per request)."""
    from graph_service.security import Principal, use_principal

    use_principal(Principal(caller, frozenset({"reader"})))


def test_one_callers_documents_do_not_queue_ahead_of_anybody_elses() -> None:
    gate = DocumentGate(Limits(), inline_bytes=0)
    order: list[str] = []
    release = threading.Event()
    original = gate.parse

    def parse(query: str) -> Any:
        if not order:  # the first document holds the worker until the others have queued
            release.wait(timeout=10)
        order.append(query)
        return original(query)

    gate.parse = parse  # type: ignore[method-assign]

    async def send(caller: str, query: str) -> None:
        _as(caller)
        await gate.parsed(query)

    async def main() -> None:
        busy = [asyncio.create_task(send("flooder", f"{{ a{i}: __typename }}")) for i in range(5)]
        await asyncio.sleep(0)  # the flooder's documents are all waiting before the other caller's
        other = asyncio.create_task(send("other", "{ other: __typename }"))
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*busy, other)

    asyncio.run(main())
    # the other caller waited behind one flooder document (the one in the worker) and the next one
    # in line at most, never behind all five
    assert order.index("{ other: __typename }") <= 2, order


def test_a_caller_with_too_many_documents_waiting_is_refused() -> None:
    from graph_service.api.graphql.document_gate import MAX_WAITING_PER_CALLER

    gate = DocumentGate(Limits(), inline_bytes=0)
    release = threading.Event()
    original = gate.parse

    def parse(query: str) -> Any:
        release.wait(timeout=10)
        return original(query)

    gate.parse = parse  # type: ignore[method-assign]

    async def send(caller: str, query: str) -> str:
        _as(caller)
        try:
            await gate.parsed(query)
        except GraphQLError as error:
            return str((error.extensions or {}).get("code"))
        return "ok"

    async def main() -> list[str]:
        tasks = [
            asyncio.create_task(send("flooder", f"{{ a{i}: __typename }}"))
            for i in range(MAX_WAITING_PER_CALLER + 2)
        ]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*tasks)

    outcomes = asyncio.run(main())
    assert outcomes.count("TOO_MANY_REQUESTS") == 2
    assert outcomes.count("ok") == MAX_WAITING_PER_CALLER
