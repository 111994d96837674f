"""GraphQL benchmark: the generated API against hand-written Cypher for the same reads.

Run: ``.venv/bin/python -m bench.graphql [--nodes 1000000]`` (see docs/graphql.md). On one Neo4j,
in one run, it loads a simulated plant of at least ``--nodes`` nodes, serves the API with
``digispine serve`` in its own process and prints, for a key lookup, a filtered page with a
two-level nested selection and a data product (or a third entity query when the data products
are not installed):

- p50/p99 latency and requests/s of the GraphQL request over HTTP (sequential), the p50 of the
  same GraphQL query executed in this process (``schema.execute``, no HTTP), and of the same read
  as hand-written Cypher through the driver, and the ratios;
- the db hits (PROFILE) of the generated statement and of the hand-written one;
- the latency of a 1,000-row page, both ways.
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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import neo4j
import orjson
import uvloop
from pydantic import SecretStr

from bench.common import REPO, neo4j_for_bench, timed
from bench.ingest import bare_statements, run_bare
from graph_service.api.app import create_app
from graph_service.api.auth import hash_key, new_key
from graph_service.ontology.compiler import load_model
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import build_pipeline, load_parts
from loaders.envelope import parse_line
from loaders.pipeline import Record
from loaders.simulation import simulate

SEED = 17
#: Events per write batch of the bare load.
BATCH = 5000
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
        for i in range(0, len(events), BATCH):
            mapped = [parts.mapper.map(parse_line(orjson.dumps(e))) for e in events[i : i + BATCH]]
            run_bare(store, [bare_statements(mapped)])
    del events
    total = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    rels = store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    seconds = time.perf_counter() - started
    print(f"graph: {total:,} nodes, {rels:,} relationships ({loader} load, {seconds:.0f} s)")
    return int(total)


# -- serving --------------------------------------------------------------------------------------


@contextmanager
def serve(settings: Settings, api_keys: str, log_path: Path) -> Iterator[str]:
    """``digispine serve`` in its own process, as it runs in production (its own interpreter and
    event loop: the client's work does not share its GIL), answering at the URL yielded."""
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
    }
    command = [str(Path(sys.executable).with_name("digispine")), "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(server, url, log_path)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()


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
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self._headers = {"Content-Type": "application/json", **headers}

    def post_json(self, path: str, document: dict[str, Any]) -> tuple[int, Any]:
        self._conn.request("POST", path, body=orjson.dumps(document), headers=self._headers)
        response = self._conn.getresponse()
        return response.status, orjson.loads(response.read())

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


#: Requests of one way in a row before the next way's turn (see :func:`measure`).
BLOCK = 20


def measure(calls: list[Callable[[int], Any]], rounds: int, warmup: int = 10) -> list[Timing]:
    """Time each of ``calls`` ``rounds`` times, in turns of :data:`BLOCK` requests per way (A×20,
    B×20, C×20, A×20, …): a noisy neighbour or Neo4j's background work falls on every way alike,
    so the ratios hold, while each way still runs back to back as a client in a loop would
    (alternating every request slowed the hand-written driver path by about a quarter, which would
    have flattered the ratios). Requests per second are one over the mean time of a request."""
    for i in range(warmup):
        for call in calls:
            call(i)
    samples: list[list[float]] = [[] for _ in calls]
    for start in range(0, rounds, BLOCK):
        for call, times in zip(calls, samples, strict=True):
            for i in range(start, min(start + BLOCK, rounds)):
                t0 = time.perf_counter()
                call(i)
                times.append((time.perf_counter() - t0) * 1000)
    timings = []
    for times in samples:
        times.sort()
        p99 = times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)]
        timings.append(Timing(statistics.median(times), p99, 1000 / statistics.fmean(times)))
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


def run_case(
    case: Case, client: KeepAliveClient, spy: RecordingStore, store: Neo4jStore, local: InProcess, rounds: int
) -> None:
    def in_process(i: int) -> Any:
        result = local.loop.run_until_complete(
            local.schema.execute(case.graphql, variable_values=case.variables(i))
        )
        if result.errors:
            raise RuntimeError(f"{case.name}: {result.errors}")
        return result.data

    def graphql(i: int) -> dict[str, Any]:
        status, body = client.post_json("/graphql", {"query": case.graphql, "variables": case.variables(i)})
        if status != 200 or body.get("errors"):
            raise RuntimeError(f"{case.name}: {status} {str(body)[:500]}")
        return body["data"]

    def cypher(i: int) -> list[dict[str, Any]]:
        return store.read(case.cypher, case.params(i))

    spy.last = None
    rows = case.check(in_process(0))
    case.check(graphql(0))
    # A data product runs its own hand-written query (not through the generated executor).
    generated, generated_params = spy.last or (case.cypher, case.params(0))
    g, p, h = measure([graphql, in_process, cypher], rounds)
    hits_g = db_hits(store, generated, generated_params)
    hits_h = db_hits(store, case.cypher, case.params(0))
    print(
        f"{case.name:34s} {g.p50_ms:7.2f} {g.p99_ms:7.2f} {g.per_s:6.0f}   {p.p50_ms:7.2f}   "
        f"{h.p50_ms:7.2f} {h.p99_ms:7.2f} {h.per_s:6.0f}   "
        f"{g.p50_ms / h.p50_ms:5.2f} {p.p50_ms / h.p50_ms:5.2f}   "
        f"{hits_g:>9,} {hits_h:>9,} {hits_g / max(hits_h, 1):5.2f}   ({rows} rows)"
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
    parser.add_argument("--rounds", type=int, default=300, help="timed requests per query and way")
    parser.add_argument("--page-rounds", type=int, default=30, help="timed 1,000-row pages per way")
    args = parser.parse_args()
    started = time.perf_counter()
    with neo4j_for_bench() as settings, Neo4jStore(settings) as store:
        load_plant(settings, store, args.nodes, args.orders_per_day, args.loader)
        products = _products_available()
        spy = RecordingStore(store)
        # Requests carry an API key, as production ones do: authentication is part of the cost.
        key = new_key()
        api_keys = f"bench:{hash_key(key)}:admin"
        keyed = settings.model_copy(
            update={"api_keys": SecretStr(api_keys), "rdf_refresh_s": 0, "product_validation_s": 0}
        )
        app = create_app(keyed, spy, data_products=products)  # type: ignore[arg-type]
        local = InProcess(app)
        headers = {"Authorization": f"Bearer {key}"}
        log_path = Path(tempfile.gettempdir()) / "digispine-bench-serve.log"
        with (
            serve(settings, api_keys, log_path) as url,
            contextlib.closing(KeepAliveClient(url, headers)) as client,
        ):
            print(f"\nserver: digispine serve in its own process at {url} (log: {log_path})")
            print(
                f"sequential requests, {args.rounds} per query and way, in turns of {BLOCK} "
                "(after 10 warm-up requests)"
            )
            print(
                f"{'':34s} {'GraphQL over HTTP':>22s}   {'in-proc':>7s}   {'hand-written Cypher':>22s}   "
                f"{'p50 ratio':>11s}   {'db hits':>25s}"
            )
            print(
                f"{'query':34s} {'p50 ms':>7s} {'p99 ms':>7s} {'req/s':>6s}   {'p50 ms':>7s}   "
                f"{'p50 ms':>7s} {'p99 ms':>7s} {'req/s':>6s}   {'http':>5s} {'proc':>5s}   "
                f"{'generated':>9s} {'hand':>9s} {'ratio':>5s}"
            )
            for case in cases(store, settings, products):
                run_case(case, client, spy, store, local, args.rounds)
            page = Case(
                "1,000-row page",
                PAGE_1000,
                lambda i: {},
                PAGE_1000_CYPHER,
                lambda i: {},
                lambda d: len(d["salesOrders"]["nodes"]),
            )
            run_case(page, client, spy, store, local, args.page_rounds)
        local.close()
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


def _products_available() -> bool:
    try:
        import graph_service.products  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
