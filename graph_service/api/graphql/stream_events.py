"""One subscription field per declared stream: its derived events as a typed GraphQL object.

The latest active major version of a stream is the field named as the stream (``equipmentOee``);
every major version is also ``<name>V<major>`` (``equipmentOeeV1``), so a client can stay on one.
An event is ``{id, time, key, source, type, final, revision, cursor, data}`` with ``data`` typed
by the stream's output shape (the fields of the derived event's ``data``, as a data product's
row is typed by its shape).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import strawberry
from rdflib import XSD

from graph_service.api.graphql.change_events import typed
from graph_service.api.graphql.naming import upper_first
from graph_service.api.graphql.object_types import argument
from graph_service.products.graphql_types import generate_type
from graph_service.products.shape import NodeShape
from graph_service.streams.hub import TopicMessage

if TYPE_CHECKING:
    from graph_service.streams import StreamDescriptor, StreamRegistry

_TEMPORAL = {str(XSD.dateTime): "DateTime", str(XSD.date): "Date"}


@strawberry.input(description="Conditions on a stream's derived events; all must hold.")
class StreamEventWhere:
    key: Optional[list[str]] = strawberry.field(  # noqa: UP045
        default=strawberry.UNSET, description="Only events of these keys (the stream's key values)."
    )
    final: Optional[bool] = strawberry.field(  # noqa: UP045
        default=strawberry.UNSET, description="true: only final windows; false: only revisions."
    )


@dataclass(frozen=True)
class StreamField:
    """A subscription field of one stream version."""

    field_name: str
    descriptor: StreamDescriptor
    event_type: type
    build_data: Callable[[Mapping[str, Any]], Any]
    shape: NodeShape

    @property
    def description(self) -> str:
        d = self.descriptor
        roles = ", ".join(d.access_roles)
        return (
            f"{d.title} (stream {d.name} v{d.version}, topic {d.topic}): its derived events as they are "
            f"produced. Needs one of the roles {roles}. {d.description.strip()}"
        )

    def arguments(self) -> list[Any]:
        return [
            argument("where", Optional[StreamEventWhere], "Only events matching this."),  # noqa: UP045
            argument("after", Optional[str], "Resume after the event of this `cursor`."),  # noqa: UP045
            argument(
                "since",
                Optional[dt.datetime],  # noqa: UP045
                "First the events produced since this time (read back from the stream's topic), then "
                "live ones: a page opened now sees what came before it.",
            ),
        ]

    def condition(self, where: Mapping[str, Any] | None) -> Callable[[str, bool | None], bool]:
        """``where`` as a test on an event's key and ``final``."""
        keys = set((where or {}).get("key") or ())
        final = (where or {}).get("final")

        def test(key: str, is_final: bool | None) -> bool:
            return (not keys or key in keys) and (final is None or is_final is final)

        return test

    def item(self, message: TopicMessage, test: Callable[[str, bool | None], bool]) -> dict[str, Any] | None:
        """The delivered event of one message; None for what is not this stream's output or
        fails ``test`` (checked before the event is built)."""
        event = message.value
        if not isinstance(event, dict) or event.get("type") != self.descriptor.output_type:
            return None
        found = event.get("data")
        data: dict[str, Any] = found if isinstance(found, dict) else {}
        key = str(event.get("subject") or message.key or "")
        final = data.get("final") if isinstance(data.get("final"), bool) else None
        if not test(key, final):
            return None
        return {
            "id": str(event.get("id", "")),
            "time": typed("DateTime", event.get("time")),
            "key": key,
            "source": event.get("source"),
            "type": event.get("type"),
            "final": final,
            "revision": data.get("revision") if isinstance(data.get("revision"), int) else None,
            "cursor": message.position.encode(),
            "data": self.build_data(_typed_data(self.shape, data)),
        }


def _typed_data(shape: NodeShape, data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for field in shape.fields:
        value = data.get(field.name)
        if field.node is not None and isinstance(value, Mapping):
            out[field.name] = _typed_data(field.node, value)
        elif field.node is not None and isinstance(value, list):
            out[field.name] = [_typed_data(field.node, v) if isinstance(v, Mapping) else v for v in value]
        elif str(field.datatype) in _TEMPORAL:
            out[field.name] = typed(_TEMPORAL[str(field.datatype)], value)
    return out


def stream_fields(registry: StreamRegistry | None) -> Iterator[StreamField]:
    """The fields of every stream version: ``<name>V<major>``, and ``<name>`` for the latest."""
    if registry is None:
        return
    for name in registry.names():
        latest = registry.latest(name)
        for descriptor in registry.versions(name):
            names = [f"{name}V{descriptor.major}"]
            if descriptor is latest:
                names.insert(0, name)
            base = f"{upper_first(name)}V{descriptor.major}"
            shape = registry.shape(descriptor).row
            data = generate_type(shape, f"{base}Data", f"The data of a {name} v{descriptor.major} event.")
            event_type = _event_type(base, data.type)
            for field_name in names:
                yield StreamField(field_name, descriptor, event_type, data.build, shape)


def _event_type(base: str, data_type: type) -> type:
    namespace: dict[str, Any] = {
        "__annotations__": {
            "id": str,
            "time": Optional[dt.datetime],  # noqa: UP045
            "key": str,
            "source": Optional[str],  # noqa: UP045
            "type": Optional[str],  # noqa: UP045
            "final": Optional[bool],  # noqa: UP045
            "revision": Optional[int],  # noqa: UP045
            "cursor": str,
            "data": data_type,
        },
        "id": strawberry.field(description="The derived event's deterministic id (same on a replay)."),
        "time": strawberry.field(description="Event time: the newest input event time in it."),
        "key": strawberry.field(description="The stream's key value (CloudEvents subject)."),
        "source": strawberry.field(),
        "type": strawberry.field(),
        "final": strawberry.field(
            description="Windowed streams: the window is closed (no revision follows)."
        ),
        "revision": strawberry.field(description="Windowed streams: the window's revision number."),
        "cursor": strawberry.field(description="Pass it as `after` to resume after this event."),
        "data": strawberry.field(),
    }
    return strawberry.type(type(f"{base}Event", (), namespace), description="A derived event of a stream.")
