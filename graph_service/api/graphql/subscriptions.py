"""The ``Subscription`` type: changes of every class from the change log, every declared stream,
and ``dataProductChanged``. See docs/graphql.md, "Subscriptions".

Fields are plain graphql-core subscription fields, as the generated query fields are: the
``subscribe`` function checks the caller (roles, personal data in ``where``) before anything is
read, then reads a :class:`~graph_service.streams.hub.Feed` (live, or replayed from ``after``) and
yields the delivered dicts; the field's ``resolve`` hands each one to the selection (or raises the
error an item carries: a subscription that fell behind ends with it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import strawberry
from graphql import GraphQLError

from graph_service.api.graphql import naming
from graph_service.api.graphql.change_events import ChangeView
from graph_service.api.graphql.errors import FORBIDDEN, SchemaBuildError, bad_input, client_error
from graph_service.api.graphql.fields import ClassFields
from graph_service.api.graphql.filters import InputTypes
from graph_service.api.graphql.object_types import argument
from graph_service.api.graphql.scalars import PYTHON_TYPES
from graph_service.api.graphql.stream_events import StreamField, stream_fields
from graph_service.api.graphql.subscription_sharing import SUBSCRIBER_TOO_SLOW, note_cursor
from graph_service.ontology.model import DomainModel
from graph_service.security import READER, current_principal
from graph_service.streams.errors import StreamError
from graph_service.streams.hub import BadCursor, Feed, Position, StreamHub, TopicMessage

if TYPE_CHECKING:
    from graph_service.products import DataProducts
    from graph_service.streams import StreamRegistry

CHANGE_LOG_OFF = "CHANGE_LOG_OFF"
STREAM_UNAVAILABLE = "STREAM_UNAVAILABLE"
#: Graph changes to one data product within this many seconds make one signal.
PRODUCT_SIGNAL_COALESCE_S = 1.0
#: How often the products' validation status is looked at for a change.
PRODUCT_STATUS_POLL_S = 1.0

Subscribe = Callable[..., Any]


@strawberry.enum(description="What a change log entry did.")
class ChangeKind(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ADDED = "ADDED"
    REPOINTED = "REPOINTED"


@strawberry.type(description="One property of a business key.")
class KeyValue:
    name: str
    value: Optional[str]  # noqa: UP045


@strawberry.type(description="An entity named by its class and business key.")
class EntityRef:
    class_name: str = strawberry.field(description="The entity's class (its most specific).")
    key: list[KeyValue]
    subject: Optional[str] = strawberry.field(  # noqa: UP045
        description="`<Class>/<key…>`: the change log's Kafka key (null when a key value is masked)."
    )


@strawberry.type(description="The operational event that caused a change.")
class ChangeCause:
    id: Optional[str]  # noqa: UP045
    type: Optional[str]  # noqa: UP045
    source: Optional[str]  # noqa: UP045
    time: Optional[dt.datetime]  # noqa: UP045


@strawberry.type(description="A relationship added, or a to-one relationship re-pointed.")
class RelationshipChange:
    relation: Optional[str] = strawberry.field(description="The ontology's relation (`orderedBy`).")  # noqa: UP045
    relationship_type: str = strawberry.field(description="The Neo4j relationship type.")
    from_: EntityRef = strawberry.field(name="from")
    to: EntityRef
    previous: list[EntityRef] = strawberry.field(description="Targets a re-pointed relation left.")


@strawberry.enum(description="Why a data product's result may have changed.")
class DataProductChangeReason(enum.Enum):
    GRAPH_CHANGED = "GRAPH_CHANGED"
    VALIDATION_CHANGED = "VALIDATION_CHANGED"


@dataclass
class Sources:
    """What the subscriptions read: the hub (None: no Kafka is read), the change log topic (empty:
    off), the streams, the data products."""

    hub: StreamHub | None
    change_log_topic: str = ""
    streams: StreamRegistry | None = None
    products: DataProducts | None = None
    topics: set[str] = field(default_factory=set)


class Subscriptions:
    """Builds the ``Subscription`` type's fields and their subscribe functions."""

    def __init__(self, model: DomainModel, sources: Sources) -> None:
        self.model = model
        self.sources = sources
        self.subscribers: dict[str, Subscribe] = {}
        self._namespace: dict[str, Any] = {"__annotations__": {}}
        self._codes: Mapping[tuple[str, str], frozenset[str]] = {}

    def build(
        self,
        fields: Mapping[str, ClassFields],
        inputs: InputTypes,
        codes: Mapping[tuple[str, str], frozenset[str]] | None = None,
    ) -> type:
        """The strawberry ``Subscription`` type (the subscribe functions are in :attr:`subscribers`).
        ``codes``: the closed code lists a ``where`` value is checked against, as in queries."""
        self._codes = codes or {}
        if self.sources.products is not None and len(self.sources.products.registry):
            self._add_product_field()  # first: the ontology's class DataProduct yields to it
        self._add_change_fields(fields, inputs)
        for spec in stream_fields(self.sources.streams):
            self._add(
                spec.field_name,
                Optional[spec.event_type],  # noqa: UP045
                spec.description,
                spec.arguments(),
                self._stream(spec),
            )
        if not self.subscribers:
            self._add("ping", Optional[str], "Nothing to subscribe to on this server.", [], _nothing)  # noqa: UP045
        return strawberry.type(type("Subscription", (), self._namespace), name="Subscription")

    def _add(self, name: str, annotation: Any, doc: str, arguments: list[Any], subscribe: Subscribe) -> None:
        if name in self.subscribers:
            raise SchemaBuildError(
                f"two subscription fields would be called {name!r}; rename a class or stream"
            )
        self._namespace["__annotations__"][name] = annotation
        field_ = strawberry.subscription(name=name, description=doc)
        field_.arguments = arguments
        self._namespace[name] = field_
        self.subscribers[name] = subscribe

    # -- class changes --------------------------------------------------------------------------

    def _add_change_fields(self, fields: Mapping[str, ClassFields], inputs: InputTypes) -> None:
        for name in sorted(fields):
            cls = fields[name].cls
            if cls.is_event:
                continue
            view = ChangeView.of(self.model, fields[name], self._codes)
            change_type = _change_type(fields[name])
            where = _change_where(fields[name], inputs)
            subclasses = " and of its subclasses" if self.model.subclasses(name) else ""
            doc = (
                f"Changes of {cls.graphql_name} entities{subclasses}"
                " from the graph change log: created/updated with the changed values, and relationships "
                "added or re-pointed at either end. Needs the role `reader`; personal data is null without "
                "`personal-data`."
            )
            field_name = naming.lower_first(cls.graphql_name) + "Changed"
            if field_name in self.subscribers:  # dataProductChanged: the signal keeps the name
                field_name = naming.lower_first(cls.graphql_name) + "EntityChanged"
            self._add(
                field_name,
                Optional[change_type],  # noqa: UP045
                doc,
                [
                    argument("where", Optional[where], "Only changes matching all of this."),  # noqa: UP045
                    argument("after", Optional[str], "Resume after the item of this `cursor`."),  # noqa: UP045
                ],
                self._changes(view),
            )
        if self.sources.change_log_topic:
            self.sources.topics.add(self.sources.change_log_topic)

    def _changes(self, view: ChangeView) -> Subscribe:
        async def subscribe(_source: Any, _info: Any, where: Any = None, after: str | None = None) -> Any:
            principal = current_principal()
            if not principal.has_role(READER):
                raise client_error(
                    f"{principal.name} may not subscribe to {view.fields.cls.graphql_name} changes: the "
                    f"role `{READER}` is needed",
                    FORBIDDEN,
                )
            personal = principal.may_see_personal_data
            condition = view.condition(where, personal=personal)  # bad input first, as in queries
            topic = self.sources.change_log_topic
            if not topic or self.sources.hub is None:
                raise client_error(
                    "the graph change log is off on this server, so there are no changes to subscribe "
                    "to: set DIGISPINE_CHANGE_LOG_TOPIC (e.g. digispine.changes) for the loaders and the "
                    "API, and restart them",
                    CHANGE_LOG_OFF,
                )
            feed = self._feed(topic, after)

            async def changes() -> AsyncIterator[Any]:
                async for message in _messages(feed):
                    if isinstance(message, GraphQLError):
                        yield message
                        return
                    for item in view.items(message.value, "", personal=personal):
                        if condition(item):  # the cursor only for what is delivered: it costs
                            item["change"] = ChangeKind(item["change"])
                            item["cursor"] = message.position.encode()
                            note_cursor(item["cursor"])
                            yield item

            return changes()

        return subscribe

    def _feed(self, topic: str, after: str | None) -> Feed:
        hub = self.sources.hub
        if hub is None:
            raise client_error(f"topic {topic} is not read by this server", STREAM_UNAVAILABLE)
        try:
            return hub.replay(Position.decode(after, topic)) if after else hub.live(topic)
        except BadCursor as exc:
            raise bad_input(f"`after`: {exc}") from None
        except StreamError as exc:
            raise client_error(str(exc), STREAM_UNAVAILABLE) from None

    async def _feed_since(self, topic: str, after: str | None, since: dt.datetime) -> Feed:
        """A replay from where ``topic`` was at ``since`` (then live, as every replay goes on)."""
        hub = self.sources.hub
        if after is not None:
            raise bad_input("give `after` (resume at a cursor) or `since` (from a time), not both")
        if since.tzinfo is None:
            raise bad_input("`since` needs a time zone (e.g. 2026-03-02T06:00:00Z)")
        if hub is None:
            raise client_error(f"topic {topic} is not read by this server", STREAM_UNAVAILABLE)
        try:
            position = await asyncio.to_thread(hub.position_at, topic, int(since.timestamp() * 1000))
            return hub.replay(position)
        except StreamError as exc:
            raise client_error(str(exc), STREAM_UNAVAILABLE) from None

    # -- streams --------------------------------------------------------------------------------

    def _stream(self, spec: StreamField) -> Subscribe:
        self.sources.topics.add(spec.descriptor.topic)

        async def subscribe(
            _source: Any,
            _info: Any,
            where: Any = None,
            after: str | None = None,
            since: dt.datetime | None = None,
        ) -> Any:
            principal = current_principal()
            roles = spec.descriptor.access_roles
            if not principal.has_any(roles):
                raise client_error(
                    f"{principal.name} may not subscribe to the stream {spec.descriptor.name}: it needs one "
                    f"of the roles {', '.join(roles)}",
                    FORBIDDEN,
                )
            condition = spec.condition(where)
            if since is not None:
                feed = await self._feed_since(spec.descriptor.topic, after, since)
            else:
                feed = self._feed(spec.descriptor.topic, after)

            async def events() -> AsyncIterator[Any]:
                async for message in _messages(feed):
                    if isinstance(message, GraphQLError):
                        yield message
                        return
                    item = spec.item(message, condition)
                    if item is not None:
                        note_cursor(item["cursor"])
                        yield item

            return events()

        return subscribe

    # -- data products --------------------------------------------------------------------------

    def _add_product_field(self) -> None:
        products = self.sources.products
        assert products is not None
        watched = [_WatchedProduct.of(self.model, p) for p in products.registry]
        topic = self.sources.change_log_topic
        by_label = {c.neo4j_label: c.name for c in self.model.classes.values()}

        def labels_of(label: str) -> tuple[str, ...]:
            return self.model.labels_for(by_label[label]) if label in by_label else (label,)

        async def subscribe(_source: Any, _info: Any, name: str | None = None) -> Any:
            principal = current_principal()
            mine = [w for w in watched if principal.has_any(w.product.descriptor.access_roles)]
            if name is not None:
                known = [w for w in watched if w.product.name == name]
                if not known:
                    raise bad_input(f"there is no data product {name!r}")
                mine = [w for w in mine if w.product.name == name]
                if not mine:
                    raise client_error(f"{principal.name} may not read the data product {name}", FORBIDDEN)
            feed = self._feed(topic, None) if topic and self.sources.hub is not None else None
            return _product_signals(mine, feed, products, labels_of)

        self._add(
            "dataProductChanged",
            Optional[DataProductChange],  # noqa: UP045
            "A signal that a data product's result may have changed: the graph changed in a class or "
            "relationship its query reads (changes within a second make one signal; needs the change "
            "log), or its validation status changed. Re-run the product to see its new result. Only "
            "products the caller may read.",
            [argument("name", Optional[str], "Only this product (its name).")],  # noqa: UP045
            subscribe,
        )


@strawberry.type(description="A data product's result may have changed.")
class DataProductChange:
    product: str
    version: str
    field_name: str = strawberry.field(description="The product's GraphQL query field.")
    reason: DataProductChangeReason
    classes: list[str] = strawberry.field(description="Classes (or relationship types) that changed.")
    changes: int = strawberry.field(description="Change log entries behind this signal.")
    validation_status: str
    cursor: Optional[str] = strawberry.field(  # noqa: UP045
        description="Position in the change log after the last change behind this signal."
    )


@dataclass(frozen=True)
class _WatchedProduct:
    product: Any
    labels: frozenset[str]  # Neo4j labels and relationship types its query names

    @classmethod
    def of(cls, model: DomainModel, product: Any) -> _WatchedProduct:
        from graph_service.products.cypher_check import blank_strings_and_comments

        text = blank_strings_and_comments(product.query)
        names = {c.neo4j_label for c in model.classes.values()} | {
            r.rel_type for r in model.relations.values()
        }
        return cls(product, frozenset(n for n in names if re.search(rf":\s*`?{re.escape(n)}\b", text)))


def _touched(model_labels: Callable[[str], tuple[str, ...]], event: Any) -> set[str]:
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return set()
    touched: set[str] = set()
    for end in (data.get("entity"), data.get("from"), data.get("to")):
        if isinstance(end, dict) and isinstance(end.get("class"), str):
            touched.update(model_labels(end["class"]))
    if isinstance(data.get("relationship"), str):
        touched.add(data["relationship"])
    return touched


async def _product_signals(
    watched: Sequence[_WatchedProduct],
    feed: Feed | None,
    products: DataProducts,
    labels_of: Callable[[str], tuple[str, ...]],
) -> AsyncIterator[Any]:
    from graph_service.products.validation import status_of

    def status(w: _WatchedProduct) -> str:
        return status_of(products.latest_result(w.product)).value

    last_status = {w.product.key: status(w) for w in watched}
    pending: dict[str, dict[str, Any]] = {}
    deadline: float | None = None
    next_poll = time.monotonic() + PRODUCT_STATUS_POLL_S
    try:
        while True:
            now = time.monotonic()
            wait = min(next_poll, deadline or next_poll) - now
            message: Any = None
            if feed is not None:
                try:
                    message = await asyncio.wait_for(feed.get(), max(wait, 0.0))
                except TimeoutError:
                    message = None
                else:
                    if message is None:  # the feed lost messages or closed
                        if feed.gap is not None:
                            yield _gap_error(feed)
                        return
            else:
                await asyncio.sleep(max(wait, 0.0))
            if isinstance(message, TopicMessage):
                touched = _touched(labels_of, message.value)
                for w in watched:
                    hit = touched & w.labels
                    if hit:
                        entry = pending.setdefault(w.product.key, {"w": w, "classes": set(), "changes": 0})
                        entry["classes"] |= hit
                        entry["changes"] += 1
                        entry["cursor"] = message.position.encode()
                        deadline = deadline or time.monotonic() + PRODUCT_SIGNAL_COALESCE_S
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                for entry in pending.values():
                    w = entry["w"]
                    note_cursor(entry["cursor"])
                    yield _signal(
                        w,
                        DataProductChangeReason.GRAPH_CHANGED,
                        sorted(entry["classes"]),
                        entry["changes"],
                        status(w),
                        entry["cursor"],
                    )
                pending.clear()
                deadline = None
            if now >= next_poll:
                next_poll = now + PRODUCT_STATUS_POLL_S
                for w in watched:
                    current = status(w)
                    if current != last_status[w.product.key]:
                        last_status[w.product.key] = current
                        yield _signal(w, DataProductChangeReason.VALIDATION_CHANGED, [], 0, current, None)
    finally:
        if feed is not None:
            feed.close()


def _signal(
    w: _WatchedProduct,
    reason: DataProductChangeReason,
    classes: list[str],
    changes: int,
    status: str,
    cursor: str | None,
) -> dict[str, Any]:
    return {
        "product": w.product.name,
        "version": w.product.version,
        "field_name": w.product.field_name,
        "reason": reason,
        "classes": classes,
        "changes": changes,
        "validation_status": status,
        "cursor": cursor,
    }


async def _messages(feed: Feed) -> AsyncIterator[TopicMessage | GraphQLError]:
    """The feed's messages; a :class:`GraphQLError` last when it lost some (then it ends)."""
    try:
        while True:
            message = await feed.get()
            if message is None:
                if feed.gap is not None:
                    yield _gap_error(feed)
                return
            yield message
    finally:
        feed.close()


def _gap_error(feed: Feed) -> GraphQLError:
    cursor = feed.gap.encode() if feed.gap is not None else None
    return client_error(
        f"this subscription fell more than {feed.size} messages behind the topic and was ended; "
        "subscribe again with `after` set to `extensions.cursor` to resume where it stopped",
        SUBSCRIBER_TOO_SLOW,
        cursor=cursor,
    )


async def _nothing(_source: Any, _info: Any) -> Any:
    async def never() -> AsyncIterator[Any]:
        await asyncio.Event().wait()
        yield None

    return never()


def resolve_item(item: Any, _info: Any, **_arguments: Any) -> Any:
    """The root field's value for one item: the item, or the error it carries."""
    if isinstance(item, GraphQLError):
        raise item
    return item


def route_subscriptions(schema: strawberry.Schema, subscribers: Mapping[str, Subscribe]) -> None:
    """Serve the subscription fields by their subscribe functions (graphql-core level)."""
    subscription = schema._schema.subscription_type
    assert subscription is not None
    for name, subscribe in subscribers.items():
        subscription.fields[name].subscribe = subscribe
        subscription.fields[name].resolve = resolve_item


# -- generated types ------------------------------------------------------------------------------


def _values_type(fields: ClassFields) -> type:
    type_name = fields.cls.graphql_name + "ChangeValues"
    namespace: dict[str, Any] = {"__annotations__": {}}
    for prop in fields.properties.values():
        python = PYTHON_TYPES[prop.prop.graphql_type]
        namespace["__annotations__"][prop.key] = Optional[list[python]] if prop.is_list else Optional[python]  # type: ignore[valid-type]  # noqa: UP045
        note = " (personal data: null without the role `personal-data`)" if prop.prop.personal_data else ""
        namespace[prop.key] = strawberry.field(
            name=prop.name, description=f"The new value, if it changed{note}."
        )
    if not namespace["__annotations__"]:
        namespace["__annotations__"]["none"] = Optional[str]  # noqa: UP045
        namespace["none"] = strawberry.field(name="_none", description="This class has no properties.")
    return strawberry.type(
        type(type_name, (), namespace),
        description=f"Values of a {fields.cls.graphql_name} change: the key and the changed properties; "
        "the others are null.",
    )


def _change_type(fields: ClassFields) -> type:
    name = fields.cls.graphql_name
    values = _values_type(fields)
    namespace: dict[str, Any] = {
        "__annotations__": {
            "id": str,
            "cursor": str,
            "change": ChangeKind,
            "class_name": str,
            "entity": EntityRef,
            "values": values,
            "changed_properties": list[str],
            "masked_fields": list[str],
            "relationship": Optional[RelationshipChange],  # noqa: UP045
            "cause": ChangeCause,
            "time": Optional[dt.datetime],  # noqa: UP045
        },
        "id": strawberry.field(description="The change log event's id (the same on a resend)."),
        "cursor": strawberry.field(description="Pass it as `after` to resume after this change."),
        "change": strawberry.field(),
        "class_name": strawberry.field(
            description="The entity's class (a subclass for a superclass subscription)."
        ),
        "entity": strawberry.field(description="The entity of this class the change is about."),
        "values": strawberry.field(),
        "changed_properties": strawberry.field(description="Names of the properties this change set."),
        "masked_fields": strawberry.field(description="Changed personal data left null for this caller."),
        "relationship": strawberry.field(description="Set for ADDED and REPOINTED."),
        "cause": strawberry.field(),
        "time": strawberry.field(description="When the loader committed the change."),
    }
    return strawberry.type(type(f"{name}Change", (), namespace), description=f"A change of a {name}.")


def _change_where(fields: ClassFields, inputs: InputTypes) -> type:
    name = fields.cls.graphql_name
    namespace: dict[str, Any] = {
        "__annotations__": {
            "change": Optional[list[ChangeKind]],  # noqa: UP045
            "changed": Optional[list[str]],  # noqa: UP045
            "relation": Optional[list[str]],  # noqa: UP045
        },
        "change": strawberry.field(default=strawberry.UNSET, description="Only these kinds."),
        "changed": strawberry.field(
            default=strawberry.UNSET, description="Only changes setting one of these properties."
        ),
        "relation": strawberry.field(
            default=strawberry.UNSET, description="Only relationship changes of these relations."
        ),
    }
    for prop in fields.properties.values():
        namespace["__annotations__"][prop.key] = Optional[inputs.operator_input(prop)]  # noqa: UP045
        namespace[prop.key] = strawberry.field(name=prop.name, default=strawberry.UNSET)
    return strawberry.input(
        type(f"{name}ChangeWhere", (), namespace),
        description=f"Conditions on {name} changes, all of which must hold. A property condition tests "
        "the value the change carries (the key, or a changed value); a change without the property "
        "matches only `isNull: true`.",
    )


__all__ = ["Sources", "Subscriptions", "route_subscriptions"]
