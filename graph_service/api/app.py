"""FastAPI application factory. The lifespan is the composition root of the service: it builds the
store, the DomainModel, the data products and the GraphQL schema, and mounts ``/graphql``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import orjson
import strawberry
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graph_service import __version__
from graph_service.api.auth import AuthMiddleware, served_keyring
from graph_service.api.explorer_page import mount_explorer
from graph_service.api.graphql import Limits, default_extensions, make_schema
from graph_service.api.graphql.subscription_sharing import SharedSubscriptions
from graph_service.api.graphql.subscription_transport import transport_handler
from graph_service.api.graphql.subscriptions import Sources, Subscriptions
from graph_service.api.graphql_http import GraphQLRequestGate
from graph_service.api.pages import graphiql_html, is_page, mount_pages
from graph_service.api.ratelimit import CallerLimits
from graph_service.errors import DigiSpineError
from graph_service.observability.requests import RequestContextMiddleware
from graph_service.observability.service import Observability
from graph_service.ontology.compiler import load_model
from graph_service.ontology.model import DomainModel
from graph_service.security import READER
from graph_service.settings import Settings
from graph_service.store import LoopReader, Neo4jStore
from graph_service.streams.hub import StreamHub

if TYPE_CHECKING:
    from pathlib import Path

    from opentelemetry.sdk.trace import TracerProvider

    from graph_service.products import DataProducts

log = logging.getLogger(__name__)

GRAPHQL_PATH = "/graphql"
#: Seconds a websocket may stay open without a successful ``connection_init`` (then 4408).
CONNECTION_INIT_TIMEOUT_S = 10


def _code_lists(settings: Settings, domain: DomainModel) -> dict[tuple[str, str], frozenset[str]]:
    """The closed code lists a GraphQL filter value is checked against (``"BLOKED"`` is an error)."""
    from loaders.code_lists import by_queried_class, read_code_lists
    from loaders.errors import LoaderError

    try:
        lists = read_code_lists(domain, settings.shapes_dir, settings.mappings_dirs)
        return by_queried_class(domain, lists)
    except LoaderError as exc:  # an ontology the shipped mappings do not fit (a test's own): no lists
        log.warning("GraphQL filter values are not checked against code lists: %s", exc)
        return {}


def create_app(
    settings: Settings,
    store: Neo4jStore | None = None,
    *,
    model: DomainModel | None = None,
    data_products: bool = True,
    limits: Limits | None = None,
    tracer_provider: TracerProvider | None = None,
    metrics_dir: Path | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the app. Pass ``store`` to share a driver and ``model`` to skip compiling the ontology
    (tests); else the lifespan owns them. ``data_products=False`` serves only the generated
    schema. Products are validated every ``DIGISPINE_PRODUCT_VALIDATION_S`` (0: on demand only).
    ``tracer_provider``: where spans go (tests); default: OTLP when ``DIGISPINE_OTLP_ENDPOINT`` is set.
    ``metrics_dir``: the multiprocess metrics directory of ``serve --workers`` (every worker's figures).
    ``freeze_heap``: once started, move every object built so far out of the garbage collector's
    sight (``gc.freeze``), as ``digispine serve`` does (not for tests: they build many apps)."""

    limits = limits or Limits.from_settings(settings)
    keyring = served_keyring(settings)  # a bad key entry stops the start, naming the entry
    observability = Observability(settings, tracer_provider, metrics_dir)
    rate_limits = CallerLimits.from_settings(settings, observability.metrics.refused_by_rate_limit)
    if not keyring.keys and not keyring.anonymous_roles:
        log.warning(
            "no API keys (DIGISPINE_API_KEYS) and no DIGISPINE_ANONYMOUS_ROLES are configured: every "
            "request but /healthz and /readyz will be refused; create a key with `digispine apikey create`"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        current = store or Neo4jStore(settings, connection_timeout=3.0, max_attempts=2)
        app.state.store = current
        app.state.settings = settings
        added: list[BaseRoute] = []
        products: DataProducts | None = None
        view_task: asyncio.Task[None] | None = None
        hub: StreamHub | None = None
        # GraphQL reads on this event loop, without a hop to a worker thread per query
        reader = LoopReader(current)
        try:
            domain = model or load_model(settings.ontology_paths)
            app.state.model = domain  # the glossary page renders it
            products = _data_products(settings, domain, current) if data_products else None
            if products is not None:
                products.use_async(reader)
            observability.attach(current, reader, products)
            hub = StreamHub(
                settings.kafka_bootstrap_servers,
                feed_size=settings.subscription_feed_size,
                max_replays=settings.subscription_max_replays,
            )
            # the change log's reader starts now (its cursors count from the server's start); a
            # stream topic's with its first subscription, so a server without Kafka never dials it
            await hub.start(
                [settings.change_log_topic] if settings.change_log_topic else [], ready_timeout_s=5.0
            )
            app.state.hub = hub
            schema = make_schema(
                domain,
                current,
                extensions=[
                    *default_extensions(limits),
                    *observability.extensions(),
                    *([products.extension] if products else []),
                ],
                extra_types=[*([products.query_type] if products else []), _explore_type(domain, current)],
                limits=limits,
                reader=reader,
                subscriptions=_subscriptions(settings, domain, products, hub),
                codes=_code_lists(settings, domain),
            )
            observability.instrument(schema)
            app.state.schema = schema
            sharing = SharedSubscriptions(
                schema,
                client_queue=settings.subscription_client_queue,
                max_tokens=limits.max_tokens,
                max_bytes=limits.max_document_bytes,
                metrics=observability.metrics.subscriptions,
            )
            app.state.subscriptions = sharing
            before = list(app.router.routes)
            # first: the routes are tried in order, and trying FastAPI's included routers before
            # it cost a key lookup ~7 % of its CPU (no other route serves /graphql)
            app.router.routes[0:0] = graphql_routes(
                schema,
                access_roles=_graphql_roles(products),
                max_body_bytes=settings.graphql_max_body_bytes,
                websocket=transport_handler(keyring, sharing, rate_limits),
                max_operations=settings.subscription_max_per_socket,
            )
            app.include_router(_cypher_router(settings, current, domain, products))
            view_task = _mount_sparql(app, settings, current, domain)
            if products is not None:
                app.include_router(products.router)
                if settings.product_validation_s > 0:
                    products.start_scheduler(settings.product_validation_s)
            added = [route for route in app.router.routes if route not in before]
            if freeze_heap:
                _freeze_heap()
            yield
        finally:
            if hub is not None:
                await hub.stop()  # its reader threads return before the process goes on
            if view_task is not None:
                app.state.rdf_view.stop()
                view_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await view_task  # its thread returns before the driver is closed
            if products is not None:
                await products.stop_scheduler()
            app.router.routes[:] = [route for route in app.router.routes if route not in added]
            observability.detach(current)
            observability.close()
            await reader.close()
            if owned:
                current.close()

    app = FastAPI(
        title="DigiSpine",
        version=__version__,
        description="Knowledge graph and semantic layer for manufacturing.",
        lifespan=lifespan,
        # /docs and /redoc are served from the package (FastAPI's own load their scripts from a CDN)
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        AuthMiddleware,
        keyring=keyring,
        open_paths=lambda method, path: is_open_path(method, path) or observability.is_open(method, path),
        limits=rate_limits,
    )
    # outermost: a request refused by AuthMiddleware has a request id and a log line too
    app.add_middleware(RequestContextMiddleware, tracer=observability.tracer)
    app.include_router(observability.router())
    mount_explorer(app)
    mount_pages(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive (says nothing about Neo4j)."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        """Ready when Neo4j answers: 200 with its version, 503 with the reason otherwise."""
        current: Neo4jStore = request.app.state.store
        try:
            info = await run_in_threadpool(current.health)
        except DigiSpineError as exc:
            return JSONResponse(status_code=503, content={"status": "unavailable", "reason": str(exc)})
        return JSONResponse(
            content={
                "status": "ready",
                "neo4j": {
                    "version": info.version,
                    "edition": info.edition,
                    "uri": info.uri,
                    "database": info.database,
                },
            }
        )

    return app


def _freeze_heap() -> None:
    """Keep the start-up heap (model, schema, products, caches) out of every later collection.

    A key lookup allocates enough to trigger several young collections, and every so often a full
    one that walked the whole start-up heap: the collector took about a fifth of a lookup's CPU
    (py-spy --native on ``digispine serve``). Frozen objects are still freed by reference counting;
    only cycles among them are never collected, and they live as long as the process anyway.
    """
    gc.collect()
    gc.freeze()


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages as text frames: orjson's bytes would go out as binary
    frames, which a browser's client (GraphiQL's graphql-ws) cannot parse."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class _GraphQLApp(GraphQL):
    """strawberry's ASGI GraphQL app, answering in JSON encoded by orjson."""

    websocket_adapter_class = _TextFrames

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()  # bundled: strawberry's own loads GraphiQL from a CDN


def graphql_route(
    schema: strawberry.Schema, *, access_roles: Iterable[str] = (READER,), max_body_bytes: int = 1_048_576
) -> Route:
    """``/graphql`` served by strawberry's plain ASGI app rather than its FastAPI router: no
    dependency injection per request (and the router's default context getter, a plain function,
    cost a thread-pool hop each time). Queries only by POST: GET serves GraphiQL, open to load, its
    requests keyed. A POST from a caller without one of ``access_roles``, or with a body larger
    than ``max_body_bytes``, is refused before it is read (:class:`GraphQLRequestGate`)."""
    route = graphql_routes(schema, access_roles=access_roles, max_body_bytes=max_body_bytes)[0]
    assert isinstance(route, Route)
    return route


def graphql_routes(
    schema: strawberry.Schema,
    *,
    access_roles: Iterable[str] = (READER,),
    max_body_bytes: int = 1_048_576,
    websocket: type | None = None,
    max_operations: int = 100,
) -> list[BaseRoute]:
    """:func:`graphql_route`, and with ``websocket`` (a graphql-transport-ws handler class,
    :func:`~graph_service.api.graphql.subscription_transport.transport_handler`) the same path
    for websockets: subscriptions (and queries) over graphql-transport-ws, at most
    ``max_operations`` at once per socket."""
    protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,) if websocket is not None else ()
    app = _GraphQLApp(
        schema,
        graphql_ide="graphiql",
        allow_queries_via_get=False,
        subscription_protocols=protocols,
        # a socket that has not authenticated holds a connection and no role: not for a minute
        connection_init_wait_timeout=dt.timedelta(seconds=CONNECTION_INIT_TIMEOUT_S),
        max_subscriptions_per_connection=max_operations,
    )
    gate = GraphQLRequestGate(app, access_roles=access_roles, max_body_bytes=max_body_bytes)
    routes: list[BaseRoute] = [Route(GRAPHQL_PATH, gate, methods=["GET", "POST"], name="graphql")]
    if websocket is not None:
        app.graphql_transport_ws_handler_class = websocket
        routes.append(WebSocketRoute(GRAPHQL_PATH, app, name="graphql-ws"))
    return routes


def _subscriptions(
    settings: Settings, model: DomainModel, products: DataProducts | None, hub: StreamHub
) -> Subscriptions:
    """The subscription fields: the change log's (errors while it is off), one per declared
    stream, ``dataProductChanged``. Wrong stream descriptors are logged with file and line and
    serve no field (their processors refuse to start): the graph is still served."""
    from graph_service.streams import StreamDefinitionError, StreamRegistry, load_streams

    streams: StreamRegistry | None = None
    if products is not None and products.streams is not None:
        streams = products.streams.registry  # loaded and checked once, for the catalog
    else:
        try:
            streams = load_streams(settings, model)
        except StreamDefinitionError as exc:
            log.error("no stream subscriptions are served: %s", exc)
    return Subscriptions(model, Sources(hub, settings.change_log_topic, streams=streams, products=products))


def _graphql_roles(products: DataProducts | None) -> set[str]:
    """Roles that grant some GraphQL access: ``reader`` (entities, explore) and the access roles
    of every data product and stream served."""
    roles = {READER}
    for product in products.registry if products else ():
        roles.update(product.descriptor.access_roles)
    if products is not None and products.streams is not None:
        roles.update(products.streams.registry.access_roles())
    return roles


#: Paths served without an API key: health, the API's docs, and pages whose requests carry the key.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
OPEN_PAGES = frozenset({GRAPHQL_PATH, GRAPHQL_PATH + "/", "/explore", "/explore/"})


def is_open_path(method: str, path: str) -> bool:
    page = path in OPEN_PAGES or path.startswith("/explore/assets/") or is_page(path)
    return path in OPEN_PATHS or (method in ("GET", "HEAD") and page)


def _explore_type(model: DomainModel, store: Neo4jStore) -> type:
    from graph_service.api.explore import make_explore_type

    return make_explore_type(model, store)


def _mount_sparql(
    app: FastAPI, settings: Settings, store: Neo4jStore, model: DomainModel
) -> asyncio.Task[None] | None:
    """Mount ``/sparql`` over a fresh RDF view; refreshed in the background every
    ``DIGISPINE_RDF_REFRESH_S`` seconds (0: only on demand)."""
    from graph_service.rdf.routes import make_sparql_router, refresh_periodically
    from graph_service.rdf.view import RdfView, ViewLimits

    view = RdfView(store, model, settings.rdf_base, limits=ViewLimits.from_settings(settings))
    app.state.rdf_view = view
    app.include_router(make_sparql_router(view))
    if settings.rdf_refresh_s <= 0:
        return None
    return asyncio.create_task(refresh_periodically(view, settings.rdf_refresh_s))


def _cypher_router(
    settings: Settings, store: Neo4jStore, model: DomainModel, products: DataProducts | None
) -> APIRouter:
    from graph_service.analytics.cypher import ReadOnlyCypher
    from graph_service.analytics.routes import make_cypher_router

    products_registry = products.registry if products else None
    return make_cypher_router(ReadOnlyCypher.from_settings(settings, store, model, products_registry))


def _data_products(settings: Settings, model: DomainModel, store: Neo4jStore) -> DataProducts:
    # Imported here: a service without data products never loads their modules.
    from graph_service.products import build_data_products
    from graph_service.streams import load_streams
    from graph_service.streams.catalog import StreamCatalog

    # The declared streams are real-time data products of the catalog; a wrong descriptor stops
    # the start as a wrong product does, naming file and line.
    streams = StreamCatalog.from_settings(load_streams(settings, model), settings, graphql_path=GRAPHQL_PATH)
    return build_data_products(settings, model, store, graphql_path=GRAPHQL_PATH, streams=streams)
