"""GraphQL benchmark: the generated API against hand-written Cypher for the same reads.

Run: ``.venv/bin/python -m bench.graphql [--nodes 1000000] [--reuse]`` (see docs/graphql.md,
"Benchmark"). On one Neo4j, in one run, it builds (or, with ``--reuse``, reuses) a simulated plant
of at least ``--nodes`` nodes, serves the API with ``digispine serve`` in its own process and
prints, for a key lookup, a filtered page with a two-level nested selection, a data product (or
a third entity query when the data products are not installed) and a 1,000-row page:

- p50/p99 latency of the GraphQL request over HTTP and of the hand-written read;
- CPU per request: the server process's own (from /proc), the same query executed in this
  process with the one-walk completion and field by field, and the hand-written read's; server
  CPU per row, and issue 16's figures of the official @neo4j/graphql library beside them;
- the db hits (PROFILE) of the generated statement and of the hand-written one;
- requests/s at several concurrencies (``--clients``) per worker count (``--workers``), with the
  cores each process kept busy, against the hand-written read through the asyncio driver.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import neo4j
import orjson
import uvloop
from pydantic import SecretStr

from bench.common import REPO, neo4j_for_bench, stop_process, timed
from bench.graphql_load import cpu_seconds, driver_throughput, http_throughput, machine_cpu_seconds
from bench.graphql_plant import write_plant
from graph_service.api.app import create_app
from graph_service.api.graphql.completion import FieldByFieldExecutionContext
from graph_service.ontology.compiler import load_model
from graph_service.security import hash_key, new_key
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.pipeline import Record
from loaders.simulation import simulate

SEED = 17
#: Neo4j time per statement of the API under test (the default 10 s failed cases on a loaded machine).
TIMEOUT_S = 120
#: Nodes per simulated event, measured on the simulated plant (entities plus the event node).
NODES_PER_EVENT = 2.0


# -- a recording store: which statements the API sent ---------------------------------------------


class RecordingStore:
    """The real store, remembering the last statement the GraphQL executor ran through it."""

    def __init__(self, store: Neo4jStore) -> None:
        self._store = store
        self.last: tuple[str, dict[str, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def driver(self) -> Any:
        return _RecordingDriver(self._store.driver, self)

    def async_driver(self) -> Any:
        return _RecordingDriver(self._store.async_driver(), self)


class _RecordingDriver:
    """Either driver: sessions of the sync one record in ``run``, of the asyncio one in ``run``
    too (the coroutine it returns is the session's)."""

    def __init__(self, driver: Any, owner: RecordingStore) -> None:
        self._driver, self._owner = driver, owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def session(self, **config: Any) -> Any:
        return _RecordingSession(self._driver.session(**config), self._owner)


class _RecordingSession:
    def __init__(self, session: neo4j.Session, owner: RecordingStore) -> None:
        self._session, self._owner = session, owner

    def __enter__(self) -> _RecordingSession:
        self._session.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._session.__exit__(*exc)

    async def __aenter__(self) -> _RecordingSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.__aexit__(*exc)

    def run(self, query: Any, parameters: dict[str, Any]) -> Any:
        self._owner.last = (getattr(query, "text", query), dict(parameters))
        return self._session.run(query, parameters)


# -- loading --------------------------------------------------------------------------------------


def load_plant(settings: Settings, store: Neo4jStore, nodes: int, orders_per_day: float, loader: str) -> int:
    """Simulate enough days for ``nodes`` nodes and load them: through the loaders' pipeline, or
    (``bare``, the default, kept so figures compare across runs) as the plain ``UNWIND … MERGE`` statements
    of the mapping, as ``bench/ingest.py`` writes them (no versions and no lineage properties)."""
    # The simulated plant starts on 2026-01-05 and runs for years: most of it lies in the future,
    # which the loader refuses beyond its clock skew (a day by default).
    parts = load_parts(settings.model_copy(update={"loader_max_clock_skew_s": 1e11}))
    apply_schema(store, parts.model)
    probe = simulate(SEED, 10, orders_per_day=orders_per_day)
    days = max(1, math.ceil(nodes / (NODES_PER_EVENT * len(probe) / 10) * 1.05))
    events, seconds = timed(lambda: simulate(SEED, days, orders_per_day=orders_per_day))
    print(f"simulated {days} days: {len(events):,} events in {seconds:.0f} s")
    started = time.perf_counter()
    if loader == "pipeline":
        stats = build_pipeline(parts, store, batch_size=5000).run(
            Record(orjson.dumps(e), f"bench:{i}") for i, e in enumerate(events)
        )
        print(f"loaded: {stats.summary()}")
    else:
        write_plant(store, parts.mapper, events)
    del events
    total = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    rels = store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    seconds = time.perf_counter() - started
    print(f"graph: {total:,} nodes, {rels:,} relationships ({loader} load, {seconds:.0f} s)")
    return int(total)


# -- serving --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    url: str
    pid: int  # the server's process (its workers are its children)


@contextmanager
def serve(
    settings: Settings,
    api_keys: str,
    log_path: Path,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    cwd: Path = REPO,
) -> Iterator[Served]:
    """``digispine serve`` in its own process, as it runs in production (its own interpreter and
    event loop: the client's work does not share its GIL), answering at the URL yielded
    (``extra_env``: settings of this server only, e.g. for an A/B run)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "DIGISPINE_API_KEYS": api_keys,
        "DIGISPINE_ONTOLOGY_DIR": str(settings.ontology_dir.resolve()),
        "DIGISPINE_SHAPES_DIR": str(settings.shapes_dir.resolve()),
        # no background work while measuring: the SPARQL view and product checks run on demand
        "DIGISPINE_RDF_REFRESH_S": "0",
        "DIGISPINE_PRODUCT_VALIDATION_S": "0",
        # a loaded machine must slow the figures down, not fail the cases
        "DIGISPINE_GRAPHQL_TIMEOUT_S": str(TIMEOUT_S),
        # the benchmark measures what the server can serve one key: the per-caller rate limit
        # (1,000/s per process by default, a ceiling one process nears on this machine) would cap
        # the throughput runs instead (docs/security.md, rate limit)
        "DIGISPINE_RATE_LIMIT_ENABLED": "false",
        **(extra_env or {}),
    }
    command = [
        str(Path(sys.executable).with_name("digispine")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(server, url, log_path)
            yield Served(url, server.pid)
        finally:
            stop_process(server)


def _wait_ready(server: subprocess.Popen[bytes], url: str, log_path: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"digispine serve exited ({server.returncode}):\n{_tail(log_path)}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"digispine serve not ready after {timeout_s:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class KeepAliveClient:
    """One HTTP/1.1 keep-alive connection (stdlib ``http.client``), as a service calling the API
    would hold. The least work per request on the client's side, so the timing is the server's:
    httpx spent about 0.3 ms of its own per request here, as much as the whole server did on a
    trivial query."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self._address = (parts.hostname or "127.0.0.1", parts.port)
        self._conn = http.client.HTTPConnection(*self._address, timeout=60)
        self._headers = {"Content-Type": "application/json", **headers}
        self.reconnects = 0

    def post_json(self, path: str, document: dict[str, Any]) -> tuple[int, Any]:
        body = orjson.dumps(document)
        try:
            return self._post(path, body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle connection (uvicorn's keep-alive timeout is 5 s, and the
            # bench idles longer between queries): open a new one and send the request again.
            self._conn.close()
            self._conn = http.client.HTTPConnection(*self._address, timeout=60)
            self.reconnects += 1
            return self._post(path, body)

    def _post(self, path: str, body: bytes) -> tuple[int, Any]:
        status, raw = self._post_raw(path, body)
        return status, orjson.loads(raw)

    def post_raw(self, path: str, document: dict[str, Any]) -> tuple[int, bytes]:
        """:meth:`post_json` with the body's bytes as the server sent them."""
        body = orjson.dumps(document)
        try:
            return self._post_raw(path, body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self._conn.close()
            self._conn = http.client.HTTPConnection(*self._address, timeout=60)
            self.reconnects += 1
            return self._post_raw(path, body)

    def _post_raw(self, path: str, body: bytes) -> tuple[int, bytes]:
        self._conn.request("POST", path, body=body, headers=self._headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self._conn.close()


class InProcess:
    """The app built in this process (its lifespan entered), for the in-process timings and to
    learn, through the recording store, which statement a GraphQL query compiles to."""

    def __init__(self, app: Any) -> None:
        self.loop = uvloop.new_event_loop()  # the loop `digispine serve` runs on
        self._lifespan = app.router.lifespan_context(app)
        self.loop.run_until_complete(self._lifespan.__aenter__())
        self.schema = app.state.schema

    def close(self) -> None:
        self.loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        self.loop.close()


# -- measuring ------------------------------------------------------------------------------------


@dataclass
class Timing:
    p50_ms: float
    p99_ms: float
    per_s: float
    cpu_ms: float  # CPU per request of the process that serves it (the server, or this one)


#: Requests of one way in a row before the next way's turn (see :func:`measure`).
BLOCK = 20


def measure(
    calls: list[Callable[[int], Any]], cpu: list[Callable[[], float]], rounds: int, warmup: int = 10
) -> list[Timing]:
    """Time each of ``calls`` ``rounds`` times, in turns of :data:`BLOCK` requests per way (A×20,
    B×20, C×20, A×20, …): a noisy neighbour or Neo4j's background work falls on every way alike,
    so the ratios hold, while each way still runs back to back as a client in a loop would
    (alternating every request slowed the hand-written driver path by about a quarter, which would
    have flattered the ratios). Requests per second are one over the mean time of a request."""
    for i in range(warmup):
        for call in calls:
            call(i)
    samples: list[list[float]] = [[] for _ in calls]
    spent = [0.0 for _ in calls]
    for start in range(0, rounds, BLOCK):
        for way, (call, times) in enumerate(zip(calls, samples, strict=True)):
            before = cpu[way]()
            for i in range(start, min(start + BLOCK, rounds)):
                t0 = time.perf_counter()
                call(i)
                times.append((time.perf_counter() - t0) * 1000)
            spent[way] += cpu[way]() - before
    timings = []
    for times, seconds in zip(samples, spent, strict=True):
        times.sort()
        p99 = times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)]
        timings.append(
            Timing(statistics.median(times), p99, 1000 / statistics.fmean(times), seconds * 1000 / len(times))
        )
    return timings


def db_hits(store: Neo4jStore, cypher: str, params: dict[str, Any]) -> int:
    with store.driver.session(database=store.database) as session:
        result = session.run("PROFILE " + cypher, params)
        list(result)  # the profile is complete once every row is read
        summary = result.consume()
    return _sum_hits(summary.profile or {})


def _sum_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_sum_hits(child) for child in plan.get("children", []))


@dataclass
class Case:
    name: str
    graphql: str
    variables: Callable[[int], dict[str, Any]]
    cypher: str
    params: Callable[[int], dict[str, Any]]
    check: Callable[[dict[str, Any]], int]  # rows in a GraphQL answer (sanity: not empty)


#: Server CPU per request of the official Neo4j GraphQL Library (@neo4j/graphql 7.6.3 on Apollo
#: Server) on the same queries, as issue 16 measured it (54k-node plant, loaded machine), in ms.
PEER_CPU_MS = {
    "key lookup (sales order + customer)": "6.7-9.1",
    "filtered page, 2-level nesting": "17-18",
    "1,000-row page": "0.072-0.079/row",
}


@dataclass
class CaseResult:
    case: Case
    rows: int
    http: Timing
    walk: Timing
    field_by_field: Timing
    hand: Timing
    hits_generated: int
    hits_hand: int


def run_case(
    case: Case,
    client: KeepAliveClient,
    server_pid: int,
    spy: RecordingStore,
    store: Neo4jStore,
    local: InProcess,
    rounds: int,
) -> CaseResult:
    schema = local.schema

    served_context = schema.execution_context_class  # the schema's own (with its walk cache)

    def in_process(i: int, context: type | None = None) -> Any:
        schema.execution_context_class = context or served_context
        result = local.loop.run_until_complete(
            schema.execute(case.graphql, variable_values=case.variables(i))
        )
        schema.execution_context_class = served_context
        if result.errors:
            raise RuntimeError(f"{case.name}: {result.errors}")
        return result.data

    def field_by_field(i: int) -> Any:
        return in_process(i, FieldByFieldExecutionContext)

    def graphql(i: int) -> dict[str, Any]:
        status, body = client.post_json("/graphql", {"query": case.graphql, "variables": case.variables(i)})
        if status != 200 or body.get("errors"):
            raise RuntimeError(f"{case.name}: {status} {str(body)[:500]}")
        return body["data"]

    def cypher(i: int) -> list[dict[str, Any]]:
        return store.read(case.cypher, case.params(i))

    spy.last = None
    rows = case.check(in_process(0))
    if in_process(0) != field_by_field(0):
        raise RuntimeError(f"{case.name}: the walk and field-by-field completion answer differently")
    case.check(graphql(0))
    # A data product runs its own hand-written query (not through the generated executor).
    generated, generated_params = spy.last or (case.cypher, case.params(0))
    server_cpu = partial(cpu_seconds, server_pid)
    g, p, f, h = measure(
        [graphql, in_process, field_by_field, cypher],
        [server_cpu, time.process_time, time.process_time, time.process_time],
        rounds,
    )
    result = CaseResult(
        case,
        rows,
        g,
        p,
        f,
        h,
        db_hits(store, generated, generated_params),
        db_hits(store, case.cypher, case.params(0)),
    )
    print_case(result)
    return result


def print_case(r: CaseResult) -> None:
    g, p, f, h = r.http, r.walk, r.field_by_field, r.hand
    print(
        f"{r.case.name:36s} {g.p50_ms:7.2f} {g.p99_ms:7.2f} {h.p50_ms:7.2f} {g.p50_ms / h.p50_ms:5.2f}   "
        f"{g.cpu_ms:7.2f} {p.cpu_ms:7.2f} {f.cpu_ms:7.2f} {h.cpu_ms:7.2f} {g.cpu_ms / h.cpu_ms:5.2f} "
        f"{f.cpu_ms / p.cpu_ms:5.2f}   {r.hits_generated:>9,} {r.hits_hand:>9,} "
        f"{r.hits_generated / max(r.hits_hand, 1):5.2f}   {r.rows:5d} {g.cpu_ms / max(r.rows, 1):6.3f}   "
        f"{PEER_CPU_MS.get(r.case.name, '-')}"
    )


def print_header(rounds: int) -> None:
    print(
        f"sequential requests, {rounds} per query and way, in turns of {BLOCK} (after 10 warm-up requests);"
        "\nCPU ms per request: 'server' is digispine serve's own CPU (HTTP, auth, GraphQL, driver), "
        "'walk'/'f-by-f' the same query executed in this process with the compiled walk / graphql-core's "
        "field-by-field completion, 'hand' the hand-written read through the driver in this process"
    )
    print(
        f"{'':36s} {'latency p50/p99 ms, http : hand':>30s}   {'CPU ms per request':>45s}   "
        f"{'db hits (PROFILE)':>25s}   {'rows, server CPU/row':>13s}   peer CPU ms"
    )
    print(
        f"{'query':36s} {'http':>7s} {'p99':>7s} {'hand':>7s} {'ratio':>5s}   "
        f"{'server':>7s} {'walk':>7s} {'f-by-f':>7s} {'hand':>7s} {'s/h':>5s} {'f/w':>5s}   "
        f"{'generated':>9s} {'hand':>9s} {'ratio':>5s}"
    )


# -- the cases --------------------------------------------------------------------------------------


def cases(store: Neo4jStore, settings: Settings, products: bool) -> list[Case]:
    orders = [r["n"] for r in store.read("MATCH (o:SalesOrder) RETURN o.salesOrderNumber AS n ORDER BY n")]
    rng = random.Random(SEED)
    picks = [rng.choice(orders) for _ in range(10_000)]
    starts = [r["s"] for r in store.read("MATCH (p:ProductionOrder) RETURN p.plannedStart AS s ORDER BY s")]
    cut = starts[len(starts) // 2].iso_format()
    found: list[Case] = [
        Case(
            "key lookup (sales order + customer)",
            "query($n: String!) { salesOrder(salesOrderNumber: $n) { salesOrderNumber orderDate status "
            "totalNetAmount currency orderedBy { customerNumber name } } }",
            lambda i: {"n": picks[i]},
            "MATCH (o:SalesOrder {salesOrderNumber: $n}) RETURN o {.salesOrderNumber, .orderDate, .status, "
            ".totalNetAmount, .currency, "
            "orderedBy: head([(o)-[:ORDERED_BY]->(c) | c {.customerNumber, .name}])} AS o",
            lambda i: {"n": picks[i]},
            lambda d: int(d["salesOrder"] is not None),
        ),
        Case(
            "filtered page, 2-level nesting",
            'query($from: DateTime!) { productionOrders(first: 50, where: {status: {eq: "COMPLETED"}, '
            "plannedStart: {gte: $from}}, orderBy: [{field: plannedStart, direction: DESC}]) { totalCount "
            "nodes { productionOrderNumber plannedStart goodQuantity hasOperation { operationId sequence "
            "performedOn { equipmentId } } lotsViaProducedBy { lotNumber lotQuantity } } } }",
            lambda i: {"from": cut},
            "CALL () { MATCH (p:ProductionOrder) WHERE p.status = 'COMPLETED' "
            "AND p.plannedStart >= datetime($from) RETURN count(p) AS total } "
            "MATCH (p:ProductionOrder) WHERE p.status = 'COMPLETED' AND p.plannedStart >= datetime($from) "
            "WITH total, p ORDER BY p.plannedStart DESC, p.productionOrderNumber LIMIT 51 "
            "RETURN total, p {.productionOrderNumber, .plannedStart, .goodQuantity, "
            "hasOperation: [(p)<-[:OPERATION_OF]-(op) | op {.operationId, .sequence, "
            "performedOn: head([(op)-[:PERFORMED_ON]->(e) | e {.equipmentId}])}], "
            "lotsViaProducedBy: [(p)<-[:PRODUCED_BY]-(l) | l {.lotNumber, .lotQuantity}]} AS p",
            lambda i: {"from": cut},
            lambda d: len(d["productionOrders"]["nodes"]),
        ),
    ]
    if products:
        found.append(_product_case(store, settings, rng))
    else:
        found.append(_entity_case(rng, picks))
    return found


def _product_case(store: Neo4jStore, settings: Settings, rng: random.Random) -> Case:
    from graph_service.products.registry import ProductRegistry
    from graph_service.products.service import ProductPaths

    paths = ProductPaths.from_settings(settings)
    model = load_model(settings.ontology_paths)
    registry = ProductRegistry.load(paths.queries_dirs, paths.shapes_dirs, model)
    query = registry.latest("lotGenealogy").query
    lots = [
        r["n"]
        for r in store.read("MATCH (l:Lot)<-[:SHIPS_LOT]-() RETURN DISTINCT l.lotNumber AS n LIMIT 500")
    ]
    picks = [rng.choice(lots) for _ in range(10_000)]
    return Case(
        "data product lotGenealogy",
        "query($lot: String!) { lotGenealogy(lotNumber: $lot) { lotNumber direction depth materialNumber "
        "shipments { shipmentNumber customerNumber quantity } } }",
        lambda i: {"lot": picks[i]},
        query,
        lambda i: {"lotNumber": picks[i], "maxDepth": 10},
        lambda d: len(d["lotGenealogy"]),
    )


def _entity_case(rng: random.Random, orders: list[str]) -> Case:
    return Case(
        "customer with its recent orders",
        "query($n: String!) { salesOrder(salesOrderNumber: $n) { orderedBy { customerNumber "
        "salesOrdersViaOrderedBy(first: 10, orderBy: [{field: orderDate, direction: DESC}]) "
        "{ salesOrderNumber orderDate } } } }",
        lambda i: {"n": orders[i]},
        "MATCH (:SalesOrder {salesOrderNumber: $n})-[:ORDERED_BY]->(c) "
        "RETURN c {.customerNumber, orders: COLLECT { MATCH (c)<-[:ORDERED_BY]-(o) WITH o "
        "ORDER BY o.orderDate DESC LIMIT 10 RETURN o {.salesOrderNumber, .orderDate} }} AS c",
        lambda i: {"n": orders[i]},
        lambda d: int(d["salesOrder"] is not None),
    )


PAGE_1000 = (
    "{ salesOrders(first: 1000) { nodes { salesOrderNumber orderDate requestedDeliveryDate status "
    "currency totalNetAmount } } }"
)
PAGE_1000_CYPHER = (
    "MATCH (o:SalesOrder) WITH o ORDER BY o.salesOrderNumber LIMIT 1001 RETURN o {.salesOrderNumber, "
    ".orderDate, .requestedDeliveryDate, .status, .currency, .totalNetAmount} AS o"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=1_000_000, help="at least this many nodes (default 1M)")
    parser.add_argument("--orders-per-day", type=float, default=8.0)
    parser.add_argument(
        "--loader", choices=["bare", "pipeline"], default="bare", help="how to load the plant"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep Neo4j's database in --data-dir and reuse a plant built there by an earlier run",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where --reuse keeps the database (default: <tmp>/digispine-bench-graphql-<nodes>-<loader>)",
    )
    parser.add_argument("--rounds", type=int, default=300, help="timed requests per query and way")
    parser.add_argument("--page-rounds", type=int, default=30, help="timed 1,000-row pages per way")
    parser.add_argument(
        "--workers", default="1,2", help="server worker processes of the throughput runs (comma-separated)"
    )
    parser.add_argument("--clients", default="8,32,128", help="concurrent clients of the throughput runs")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput run")
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="only the throughput runs (--workers, --clients), not the sequential requests",
    )
    parser.add_argument(
        "--no-hand-throughput",
        dest="hand_throughput",
        action="store_false",
        help="throughput runs of the server only, without the hand-written read's",
    )
    parser.add_argument(
        "--ab",
        action="store_true",
        help="only an A/B run: two servers side by side, one with the selection cache off "
        "(DIGISPINE_GRAPHQL_SELECTION_CACHE=0, the path before it) and one as configured, "
        "alternating turns of requests; their own CPU per request and the ratio",
    )
    parser.add_argument(
        "--cases",
        default="",
        help="with --ab: the queries whose name contains one of these words (comma-separated, "
        "e.g. lookup,filtered,row; default all)",
    )
    parser.add_argument(
        "--baseline-code",
        type=Path,
        default=None,
        help="with --ab: server A runs the code checked out in this directory (e.g. a git worktree "
        "of an older commit, put first on PYTHONPATH) instead of this code with the cache off",
    )
    parser.add_argument("--b-first", action="store_true", help="with --ab: B's turn before A's")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="after the sequential requests, the same three queries against the official Neo4j GraphQL "
        "Library (@neo4j/graphql on Apollo Server, bench/peer, npm ci on first use) on the same Neo4j: "
        "answers compared, then DigiSpine ÷ peer of p50 and of server CPU per request, and db hits",
    )
    parser.add_argument("--peer-only", action="store_true", help="only the peer comparison (implies --peer)")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of the peer comparison (default 3)")
    args = parser.parse_args()
    args.peer = args.peer or args.peer_only
    started = time.perf_counter()
    data_dir = None
    if args.reuse:
        data_dir = (
            args.data_dir
            or Path(tempfile.gettempdir()) / f"digispine-bench-graphql-{args.nodes}-{args.loader}"
        )
        data_dir.mkdir(parents=True, exist_ok=True)
    with (
        neo4j_for_bench(data_dir, _peer_plugins if args.peer else None) as settings,
        Neo4jStore(settings) as store,
    ):
        marker = data_dir / "plant.json" if data_dir is not None else None
        if marker is not None and marker.exists():
            print(f"reusing the plant in {data_dir}: {marker.read_text().strip()}")
        else:
            built = load_plant(settings, store, args.nodes, args.orders_per_day, args.loader)
            if marker is not None:
                marker.write_text(orjson.dumps({"nodes": built, "seed": SEED}).decode())
        if args.ab:
            run_ab(settings, store, args)
        elif args.peer_only:
            _run_peer(settings, store, [*cases(store, settings, False)[:2], _page_case()], args)
        elif args.throughput_only:
            run_throughput(settings, store, args)
        else:
            run_all(settings, store, args)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


def run_all(settings: Settings, store: Neo4jStore, args: argparse.Namespace) -> None:
    products = _products_available()
    spy = RecordingStore(store)
    # Requests carry an API key, as production ones do: authentication is part of the cost.
    key = new_key()
    api_keys = f"bench:{hash_key(key)}:admin"
    keyed = settings.model_copy(
        update={
            "api_keys": SecretStr(api_keys),
            "rdf_refresh_s": 0,
            "product_validation_s": 0,
            "graphql_timeout_s": TIMEOUT_S,
        }
    )
    app = create_app(keyed, spy, data_products=products)  # type: ignore[arg-type]
    local = InProcess(app)
    headers = {"Authorization": f"Bearer {key}"}
    log_path = Path(tempfile.gettempdir()) / "digispine-bench-serve.log"
    found = cases(store, settings, products)
    page = _page_case()
    try:
        with (
            serve(settings, api_keys, log_path) as served,
            contextlib.closing(KeepAliveClient(served.url, headers)) as client,
        ):
            print(f"\nserver: digispine serve in its own process at {served.url} (log: {log_path})")
            print_header(args.rounds)
            for case, rounds in [*((c, args.rounds) for c in found), (page, args.page_rounds)]:
                try:
                    run_case(case, client, served.pid, spy, store, local, rounds)
                except RuntimeError as exc:  # one broken case must not lose the others' figures
                    print(f"{case.name}: FAILED {exc}")
            print(
                f"(the client reconnected {client.reconnects} times after the server closed idle connections)"
            )
    finally:
        local.close()
    if args.peer:
        _run_peer(settings, store, [*found[:2], page], args)
    throughput(settings, store, api_keys, headers, log_path, found[:2], args)


def _peer_plugins(local: LocalNeo4j) -> None:
    # imported here: bench.graphql_peer builds on this module
    from bench.graphql_peer import install_apoc

    install_apoc(local)


def _run_peer(settings: Settings, store: Neo4jStore, chosen: list[Case], args: argparse.Namespace) -> None:
    from bench.graphql_peer import run_peer

    run_peer(settings, store, chosen, args)


def run_throughput(settings: Settings, store: Neo4jStore, args: argparse.Namespace) -> None:
    """Only the throughput runs, for the key lookup and the filtered page, requests keyed."""
    key = new_key()
    api_keys = f"bench:{hash_key(key)}:admin"
    headers = {"Authorization": f"Bearer {key}"}
    log_path = Path(tempfile.gettempdir()) / "digispine-bench-serve.log"
    throughput(settings, store, api_keys, headers, log_path, cases(store, settings, False)[:2], args)


def run_ab(settings: Settings, store: Neo4jStore, args: argparse.Namespace) -> None:
    """Server A (selection cache off: every request plans its selection and prepares its walk,
    as before the cache) and server B (as configured), started side by side on the same Neo4j and
    asked the same requests in alternating turns of :data:`BLOCK`; each one's own CPU per request
    (from /proc) and B ÷ A. Before timing, the bodies of both must be byte for byte the same."""
    key = new_key()
    api_keys = f"bench:{hash_key(key)}:admin"
    headers = {"Authorization": f"Bearer {key}"}
    chosen = [*cases(store, settings, _products_available()), _page_case()]
    words = [w.strip() for w in args.cases.split(",") if w.strip()]
    if words:
        chosen = [c for c in chosen if any(w in c.name for w in words)]
    tmp = Path(tempfile.gettempdir())
    if args.baseline_code is not None:
        # its own tree for what it reads relative to the working directory (streams, queries)
        baseline = args.baseline_code.resolve()
        off = {"PYTHONPATH": str(baseline)}
        what = f"the code in {args.baseline_code}"
    else:
        baseline = REPO
        off = {"DIGISPINE_GRAPHQL_SELECTION_CACHE": "0"}
        what = "selection cache off"
    load = os.getloadavg()
    print(f"\nA/B: A = {what}, B = this code as configured; {args.rounds} requests each per query")
    print(f"machine load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores")
    with (
        serve(settings, api_keys, tmp / "digispine-bench-serve-a.log", extra_env=off, cwd=baseline) as a,
        serve(settings, api_keys, tmp / "digispine-bench-serve-b.log") as b,
        contextlib.closing(KeepAliveClient(a.url, headers)) as client_a,
        contextlib.closing(KeepAliveClient(b.url, headers)) as client_b,
    ):
        print(f"{'query':36s} {'A CPU ms':>9s} {'B CPU ms':>9s} {'B/A':>6s} {'A p50':>7s} {'B p50':>7s}")
        for case in chosen:

            def ask(client: KeepAliveClient, i: int, case: Case = case) -> bytes:
                status, body = client.post_raw(
                    "/graphql", {"query": case.graphql, "variables": case.variables(i)}
                )
                if status != 200 or b'"errors"' in body:
                    raise RuntimeError(f"{case.name}: {status} {body[:500]!r}")
                return body

            for i in range(5):
                if ask(client_a, i) != ask(client_b, i):
                    raise RuntimeError(f"{case.name}: A and B answer differently for request {i}")
            ways = [(partial(ask, client_a), partial(cpu_seconds, a.pid))]
            ways.append((partial(ask, client_b), partial(cpu_seconds, b.pid)))
            if args.b_first:  # which server goes first in each turn, to see any bias of the order
                ways.reverse()
            timings = measure([w[0] for w in ways], [w[1] for w in ways], args.rounds)
            ta, tb = reversed(timings) if args.b_first else timings
            print(
                f"{case.name:36s} {ta.cpu_ms:9.2f} {tb.cpu_ms:9.2f} {tb.cpu_ms / ta.cpu_ms:6.2f} "
                f"{ta.p50_ms:7.2f} {tb.p50_ms:7.2f}"
            )
    load = os.getloadavg()
    print(f"machine load average afterwards {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


def _page_case() -> Case:
    return Case(
        "1,000-row page",
        PAGE_1000,
        lambda i: {},
        PAGE_1000_CYPHER,
        lambda i: {},
        lambda d: len(d["salesOrders"]["nodes"]),
    )


def throughput(
    settings: Settings,
    store: Neo4jStore,
    api_keys: str,
    headers: dict[str, str],
    log_path: Path,
    chosen: list[Case],
    args: argparse.Namespace,
) -> None:
    """Requests/s at several concurrencies, per worker count, with the CPU of every process: the
    requests per CPU second of the server's workers (what a core given wholly to them answers,
    whatever the neighbours take) and whether the cores were saturated by this run."""
    clients = [int(c) for c in args.clients.split(",")]
    cores = os.cpu_count() or 1
    neo4j_pid = LocalNeo4j(settings).pid()
    load = os.getloadavg()
    print(
        f"\nthroughput: {args.duration:g} s per run on {cores} cores, load average {load[0]:.1f} / "
        f"{load[1]:.1f} / {load[2]:.1f}. CPU from /proc: 'cores' = the share of a core each kept busy "
        "(server: all its workers; client: this process, the load generator; machine: every process); "
        "'per srv core' = requests per CPU second of the server (of this process for the hand-written "
        "read), 'per core' = per CPU second of it and Neo4j together; 'ms/req' = the server's and the "
        "client's CPU per request"
    )
    print(
        f"{'query':36s} {'way':>11s} {'clients':>7s} {'req/s':>7s} {'server':>6s} {'neo4j':>6s} "
        f"{'client':>6s} {'machine':>7s} {'per srv core':>12s} {'per core':>8s} {'ms/req':>11s}  saturated?"
    )
    probes: dict[str, Callable[[], float]] = {"client": time.process_time, "machine": machine_cpu_seconds}
    if neo4j_pid is not None:
        probes["neo4j"] = partial(cpu_seconds, neo4j_pid, False)
    password = settings.neo4j_password.get_secret_value()
    for case in chosen if args.hand_throughput else ():
        for n in clients:
            r = driver_throughput(
                settings.bolt_uri,
                (settings.neo4j_user, password),
                settings.neo4j_database,
                case.cypher,
                case.params,
                n,
                args.duration,
                probes,
            )
            _print_throughput(case.name, "hand", n, r, "client", cores, 1)
    for workers in [int(w) for w in args.workers.split(",")]:
        with serve(settings, api_keys, log_path, workers) as served:
            server_probes = {**probes, "server": partial(cpu_seconds, served.pid)}
            for case in chosen:
                for n in clients:
                    r = http_throughput(
                        served.url, case.graphql, case.variables, headers, n, args.duration, server_probes
                    )
                    _print_throughput(case.name, f"{workers} worker", n, r, "server", cores, workers)
                    if r.errors:
                        print(f"  {len(r.errors)} client(s) stopped on an error, the first: {r.errors[0]}")
    load = os.getloadavg()
    print(f"load average afterwards {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


def _print_throughput(
    name: str, way: str, clients: int, r: Any, serving: str, cores: int, workers: int
) -> None:
    """One line; ``serving`` is the process that answers (the server, or this one for the
    hand-written read). Saturated: the machine's cores were all busy; 'by us' when this run's
    processes (server, Neo4j, client) kept at least 90 % of them busy, else the neighbours' share is
    said; 'server-bound' when every worker had ≥ 90 % of a core."""
    ours = r.cores(serving) + r.cores("neo4j") + (r.cores("client") if serving != "client" else 0.0)
    machine = r.cores("machine")
    if machine < 0.9 * cores:
        verdict = f"no: the machine was {machine / cores:.0%} busy"
    elif ours >= 0.9 * cores:
        verdict = "yes, by this run"
    else:
        verdict = f"yes, but {machine - ours:.2f} cores went to other processes"
    if serving == "server" and r.cores("server") >= 0.9 * workers:
        verdict += "; server-bound"
    client_ms = f"/{r.cpu_ms('client'):.2f}" if serving == "server" else ""
    print(
        f"{name[:36]:36s} {way:>11s} {clients:7d} {r.per_s:7.0f} {r.cores(serving):6.2f} "
        f"{r.cores('neo4j'):6.2f} {r.cores('client') if serving == 'server' else 0.0:6.2f} {machine:7.2f} "
        f"{r.per_cpu_s(serving):12.0f} {r.per_cpu_s(serving, 'neo4j'):8.0f} "
        f"{r.cpu_ms(serving):5.2f}{client_ms:<6s}  {verdict}"
    )


def _products_available() -> bool:
    try:
        import graph_service.products  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
