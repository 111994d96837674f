"""Identical subscriptions executed once per event, their results sent to every client.

Executing a subscription's selection costs about 0.33 ms of CPU per event and client (issue 14),
so clients that subscribed with the same document, operation, variables and roles form one
**group**: the group runs the subscription once (as its first member; the roles are the same, so
are masking and refusals) and hands each result to every member. A member joining later receives
the results from then on, as a subscription of its own would.

Subscriptions resumed from a cursor or a time (an ``after`` or ``since`` argument that is not
null) are never shared: each replays from its own position, executed for its client alone, and is
slowed down by that client rather than buffered.

Slow clients never grow memory: a member holds at most ``client_queue`` results. One that is that
far behind is **dropped**: its queue is emptied, it leaves the group, and its subscription ends
with an error (``SUBSCRIBER_TOO_SLOW``, ``extensions.cursor``: resume with ``after``) followed by
``complete``; the other members are not slowed down.

With ``metrics``, every subscription (shared or alone) is counted per root field while it is open,
each result sent to a client is a delivery, and each dropped member is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSyntaxError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
)
from strawberry.types.execution import ExecutionResult

from graph_service.api.graphql.errors import client_error

if TYPE_CHECKING:
    from graph_service.observability.metrics import SubscriptionMetrics
from graph_service.security import current_principal

log = logging.getLogger(__name__)

SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"
#: Arguments that make a subscription replay from a position of its own (never shared when set).
RESUMING = ("after", "since")
#: Documents whose sharing decision is remembered (clients repeat the same few subscriptions).
DECISIONS = 512


@dataclass
class CursorNote:
    """The cursor of the item a subscription's source yielded last (set by the source, read by
    the group to tell a dropped member where to resume)."""

    cursor: str | None = None


_note: ContextVar[CursorNote | None] = ContextVar("digispine_subscription_cursor", default=None)


def note_cursor(cursor: str) -> None:
    """Called by a subscription source right before it yields the item of ``cursor``."""
    note = _note.get()
    if note is not None:
        note.cursor = cursor


@dataclass
class SharingStats:
    """Counts for operations and tests: executions are results computed (once per group)."""

    executions: int = 0
    deliveries: int = 0
    dropped: int = 0
    groups: int = 0
    members: int = 0


class _Member:
    """One client of a group: a bounded queue of results."""

    def __init__(self, group: _Group, size: int) -> None:
        self.group = group
        self.size = size
        self.queue: deque[ExecutionResult] = deque()
        self.wake = asyncio.Event()
        self.too_slow: str | None = None  # the cursor to resume from, once dropped
        self.done = False
        self.last_cursor: str | None = None

    def offer(self, result: ExecutionResult, cursor: str | None) -> None:
        if self.done:
            return
        if len(self.queue) >= self.size:
            self.queue.clear()  # free it now: the client may never read again
            self.too_slow = self.last_cursor or ""
            self.done = True
            self.group.leave(self, dropped=True)
        else:
            self.queue.append(result)
            if cursor is not None:
                self.last_cursor = cursor
        self.wake.set()

    def finish(self) -> None:
        self.done = True
        self.wake.set()

    async def results(self) -> AsyncGenerator[ExecutionResult, None]:
        try:
            while True:
                while not self.queue:
                    if self.too_slow is not None:
                        yield _too_slow(self.too_slow, self.size)
                        return
                    if self.done:
                        return
                    self.wake.clear()
                    await self.wake.wait()
                yield self.queue.popleft()
        finally:
            self.group.leave(self)


def _too_slow(cursor: str, size: int) -> ExecutionResult:
    error = client_error(
        f"this client fell {size} results behind and was dropped from the subscription; "
        "subscribe again, with `after` set to `extensions.cursor` to resume where it stopped",
        SUBSCRIBER_TOO_SLOW,
        cursor=cursor or None,
        limit=size,
    )
    return ExecutionResult(data=None, errors=[error])


@dataclass
class _Group:
    key: tuple[Any, ...]
    owner: SharedSubscriptions
    members: list[_Member] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    field_name: str = "-"  # the root field, as the metrics name it

    def join(self, size: int) -> _Member:
        member = _Member(self, size)
        self.members.append(member)
        self.owner.stats.members += 1
        return member

    def leave(self, member: _Member, *, dropped: bool = False) -> None:
        if member not in self.members:
            return
        self.members.remove(member)
        self.owner.stats.members -= 1
        if dropped:
            self.owner.stats.dropped += 1
            if self.owner.metrics is not None:
                self.owner.metrics.dropped(self.field_name)
            log.info("a subscriber was dropped: %d results behind", member.size)
        if not self.members:
            self.owner.forget(self)

    async def pump(self, source: AsyncIterator[Any], note: CursorNote) -> None:
        try:
            async for result in source:
                self.owner.stats.executions += 1
                for member in tuple(self.members):
                    member.offer(result, note.cursor)
                    self.owner.stats.deliveries += 1
                # let the members send before the next result: executing a burst without
                # yielding would fill every member's queue, the fastest client's too
                await asyncio.sleep(0)
        finally:
            with contextlib.suppress(Exception):
                await source.aclose()  # type: ignore[attr-defined]
            self.owner.forget(self)  # a subscription joining now starts a group of its own
            for member in tuple(self.members):
                member.finish()


class SharedSubscriptions:
    """Stands in for the schema in the websocket handler: ``stream()`` joins identical
    subscriptions into groups; everything else (queries over the websocket, resumed
    subscriptions) runs as the schema runs it."""

    def __init__(
        self,
        schema: Any,
        *,
        client_queue: int,
        max_tokens: int,
        max_bytes: int,
        metrics: SubscriptionMetrics | None = None,
    ) -> None:
        self.schema = schema
        self.client_queue = client_queue
        self.max_tokens = max_tokens
        self.max_bytes = max_bytes
        self.metrics = metrics
        self.stats = SharingStats()
        self._fields: OrderedDict[tuple[str, str | None], str | None] = OrderedDict()
        self._groups: dict[tuple[Any, ...], _Group] = {}
        self._decisions: OrderedDict[tuple[str, str | None], tuple[bool, frozenset[str]]] = OrderedDict()

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any = None,
        root_value: Any = None,
        operation_name: str | None = None,
        **kwargs: Any,
    ) -> AsyncGenerator[Any, None]:
        arguments = {
            "variable_values": variable_values,
            "context_value": context_value,
            "root_value": root_value,
            "operation_name": operation_name,
            **kwargs,
        }
        name = self._field_label(query, operation_name)
        if query is None or not self._shareable(query, operation_name, variable_values):
            return self._counted(name, self._alone(await self.schema.stream(query, **arguments)))
        key = (
            query,
            operation_name,
            orjson.dumps(variable_values or {}, option=orjson.OPT_SORT_KEYS, default=str),
            tuple(sorted(current_principal().roles)),
        )
        group = self._groups.get(key)
        if group is None or (group.task is not None and group.task.done()):
            group = _Group(key, self, field_name=name)
            self._groups[key] = group
            self.stats.groups = len(self._groups)
            note = CursorNote()
            token = _note.set(note)
            try:  # the task copies this context: the caller's principal and the cursor note
                source = await self.schema.stream(query, **arguments)
                group.task = asyncio.create_task(group.pump(source, note))
            finally:
                _note.reset(token)
        return self._counted(name, group.join(self.client_queue).results())

    def _counted(self, name: str, results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
        """``results`` as they are sent, counted (as they are when there are no metrics)."""
        return results if self.metrics is None else self._counting(self.metrics, name, results)

    @staticmethod
    async def _counting(
        metrics: SubscriptionMetrics, name: str, results: AsyncGenerator[Any, None]
    ) -> AsyncGenerator[Any, None]:
        """Open while it runs, one delivery per result sent."""
        metrics.opened(name)
        try:
            async for result in results:
                metrics.delivered(name)
                yield result
        finally:
            metrics.closed(name)
            await results.aclose()

    def _field_label(self, query: str | None, operation_name: str | None) -> str:
        """The subscription's root field as the metrics name it (``-`` when not one of the schema's)."""
        if self.metrics is None or query is None:
            return "-"
        key = (query, operation_name)
        if key in self._fields:
            self._fields.move_to_end(key)
            return self.metrics.label(self._fields[key])
        found = None
        if len(query) <= self.max_bytes:
            try:
                found = _root_field(parse(query, max_tokens=self.max_tokens), operation_name)
            except (GraphQLSyntaxError, GraphQLError):
                found = None
        self._fields[key] = found
        if len(self._fields) > DECISIONS:
            self._fields.popitem(last=False)
        return self.metrics.label(found)

    async def _alone(self, source: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
        try:
            async for result in source:
                self.stats.executions += 1
                self.stats.deliveries += 1
                yield result
        finally:
            with contextlib.suppress(Exception):
                await source.aclose()  # type: ignore[attr-defined]

    def forget(self, group: _Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]
        self.stats.groups = len(self._groups)
        task = group.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    # -- which documents are shared -------------------------------------------------------------

    def _shareable(self, query: str, operation_name: str | None, variables: dict[str, Any] | None) -> bool:
        """A subscription operation whose root fields take no non-null ``after``."""
        decision = self._decision(query, operation_name)
        if decision is None:
            return False
        shared, after_variables = decision
        return shared and not any((variables or {}).get(name) is not None for name in after_variables)

    def _decision(self, query: str, operation_name: str | None) -> tuple[bool, frozenset[str]] | None:
        key = (query, operation_name)
        if key in self._decisions:
            self._decisions.move_to_end(key)
            return self._decisions[key]
        decision = None
        if len(query) <= self.max_bytes:  # the schema refuses larger ones itself
            try:
                decision = _decide(parse(query, max_tokens=self.max_tokens), operation_name)
            except (GraphQLSyntaxError, GraphQLError):
                decision = None  # the schema reports the error
        if decision is not None:
            self._decisions[key] = decision
            if len(self._decisions) > DECISIONS:
                self._decisions.popitem(last=False)
        return decision


def _decide(document: DocumentNode, operation_name: str | None) -> tuple[bool, frozenset[str]] | None:
    """(is a subscription without a literal ``after``, variables that feed ``after``)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None
    operation = chosen[0]
    if operation.operation != OperationType.SUBSCRIPTION:
        return (False, frozenset())
    defaults = {
        d.variable.name.value
        for d in operation.variable_definitions or ()
        if d.default_value is not None and not isinstance(d.default_value, NullValueNode)
    }
    variables: set[str] = set()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):  # a fragment at the root: not worth reading
            return (False, frozenset())
        for argument in selection.arguments or ():
            if argument.name.value not in RESUMING:
                continue
            if isinstance(argument.value, VariableNode):
                if argument.value.name.value in defaults:
                    return (False, frozenset())
                variables.add(argument.value.name.value)
            elif not isinstance(argument.value, NullValueNode):
                return (False, frozenset())
    return (True, frozenset(variables))


def _root_field(document: DocumentNode, operation_name: str | None) -> str | None:
    """The name of the chosen operation's first root field (a subscription has exactly one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None
    for selection in chosen[0].selection_set.selections:
        if isinstance(selection, FieldNode):
            return selection.name.value
    return None
