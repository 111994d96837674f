"""graphql-transport-ws on ``/graphql``: authentication at ``connection_init``, shared execution.

strawberry's handler speaks the protocol; ours adds two things. ``connection_init`` is where a
browser's client presents its key (it cannot set websocket headers): a wrong key, or none when
the handshake brought none either, closes the socket with 4403 and a reason before anything is
executed (a ``subscribe`` before the acknowledgement is closed 4401 by the protocol). Each
``subscribe`` spends one request of the caller's rate limit (the key's once ``connection_init``
presented one, else the handshake's): one over it gets an ``error`` message ``RATE_LIMITED`` for
that operation and the socket stays open; so does one ``subscribe`` beyond the operations a socket
may run at once (``TOO_MANY_SUBSCRIPTIONS``, naming the limit and its setting: strawberry's own
refusal carries no code). And operations go through :class:`SharedSubscriptions`, so identical
subscriptions run once.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)

from graph_service.api.auth import connection_principal
from graph_service.api.graphql.subscription_sharing import SharedSubscriptions
from graph_service.api.ratelimit import (
    CALLER_SCOPE_KEY,
    WEBSOCKET_WAY,
    CallerLimits,
    caller_of,
    graphql_error,
)
from graph_service.security import KeyRing, current_principal, use_principal

if TYPE_CHECKING:
    from graphql import GraphQLFormattedError

#: Close code of a refused ``connection_init`` (graphql-transport-ws: Forbidden).
FORBIDDEN_CLOSE = 4403
#: The error code of a ``subscribe`` beyond the socket's limit of operations at once.
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
#: The setting of that limit (``Settings.subscription_max_per_socket``), named in the refusal.
MAX_PER_SOCKET_SETTING = "DIGISPINE_SUBSCRIPTION_MAX_PER_SOCKET"


def too_many_subscriptions(limit: int) -> dict[str, Any]:
    """The error a ``subscribe`` beyond ``limit`` operations at once on one socket gets."""
    return {
        "message": (
            f"this websocket already runs {limit} operations, the most one socket may run at once "
            f"({MAX_PER_SOCKET_SETTING}={limit}); complete one, or open another socket"
        ),
        "extensions": {"code": TOO_MANY_SUBSCRIPTIONS, "limit": limit},
    }


def transport_handler(
    keyring: KeyRing, sharing: SharedSubscriptions, limits: CallerLimits | None = None
) -> type[BaseGraphQLTransportWSHandler]:
    """The handler class of strawberry's ASGI view for graphql-transport-ws; ``limits``: the
    rate limit its ``subscribe`` messages spend."""

    class Handler(BaseGraphQLTransportWSHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.schema = sharing  # type: ignore[assignment]

        async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
            payload = message.get("payload") or {}
            if isinstance(payload, dict) and not self.connection_init_received:
                principal, problem = connection_principal(keyring, current_principal(), payload)
                if principal is None:
                    self.connection_init_received = True
                    if self.connection_init_timeout_task:
                        self.connection_init_timeout_task.cancel()
                    with contextlib.suppress(RuntimeError):  # the client may have gone already
                        await self.websocket.close(code=FORBIDDEN_CLOSE, reason=problem[:120])
                    return
                if principal is not current_principal():  # the payload's key: spend its bucket
                    self._scope()[CALLER_SCOPE_KEY] = caller_of(principal.name, self._scope().get("client"))
                use_principal(principal)  # this task handles every later message of the socket
            await super().handle_connection_init(message)

        async def handle_subscribe(self, message: SubscribeMessage) -> None:
            limit = self.max_subscriptions_per_connection
            if (
                limit is not None
                and self.connection_acknowledged
                and message["id"] not in self.operations  # a reused id: the protocol's 4409
                and len(self.operations) >= limit
            ):
                await self._refuse(message, too_many_subscriptions(limit))
                return
            caller = self._scope().get(CALLER_SCOPE_KEY)
            if limits is not None and self.connection_acknowledged and isinstance(caller, str):
                refusal = limits.check(caller, WEBSOCKET_WAY)
                if refusal is not None:
                    await self._refuse(message, graphql_error(refusal))
                    return
            await super().handle_subscribe(message)

        async def _refuse(self, message: SubscribeMessage, error: dict[str, Any]) -> None:
            payload = [cast("GraphQLFormattedError", error)]
            await self.send_message(ErrorMessage(id=message["id"], type="error", payload=payload))

        def _scope(self) -> dict[str, Any]:
            return self.websocket.ws.scope  # type: ignore[attr-defined,no-any-return]

    return Handler
