"""The peer comparison of ``bench/graphql.py --peer``: the official Neo4j GraphQL Library beside DigiSpine.

The peer is @neo4j/graphql 7.6.3 on Apollo Server 5 (``bench/peer/server.mjs``, one Node.js
process), installed on first use with ``npm ci`` into ``bench/peer/node_modules`` from the committed
lock file. It reads the same Neo4j and plant as ``digispine serve``; its type definitions declare
the labels, properties and relationships the three cases read. For each case (key lookup of a
sales order with its customer, filtered page with two-level nesting, 1,000-row page) the bench
first checks that both answer the same content (shapes normalised: the peer's relationship
fields are lists and its pages ``edges { node }``; numbers, date-times and the order of unordered
nested lists compared as values), then asks both the same requests in alternating turns of 20,
``--peer-runs`` times (the first turn alternates between them from run to run), and prints
DigiSpine ÷ peer of the p50 latency and of the server CPU per request (each server process's own
user + system time from ``/proc``), and the db hits of each side's statement (the peer's from a
second peer process that PROFILEs every statement the library sends, never while measuring).

The library formats temporal values with APOC functions, so the bench's local Neo4j gets APOC Core
(``bench/peer/apoc-pom.xml``, resolved with Maven into the cache once) in its plugins directory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
from pydantic import SecretStr

from bench.common import REPO, stop_process
from bench.graphql import (
    TIMEOUT_S,
    Case,
    InProcess,
    KeepAliveClient,
    RecordingStore,
    Served,
    Timing,
    db_hits,
    measure,
    serve,
)
from bench.graphql_load import cpu_seconds
from graph_service.api.app import create_app
from graph_service.security import hash_key, new_key
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.store.local_neo4j import LocalNeo4j

PEER_DIR = REPO / "bench" / "peer"
#: The path Apollo Server's standalone server answers GraphQL at.
PEER_PATH = "/"
#: The APOC function the library calls for DateTime fields: present means APOC Core is installed.
APOC_PROBE = "apoc.date.convertFormat"


# -- installing -----------------------------------------------------------------------------------


def ensure_node_modules(echo: Callable[[str], None] = print) -> None:
    """``npm ci`` into ``bench/peer/node_modules`` when it is missing or older than the lock file."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"--peer needs {tool} (Node.js ≥ 20) on PATH")
    installed = PEER_DIR / "node_modules" / ".package-lock.json"
    lock = PEER_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    echo("› npm ci (bench/peer: @neo4j/graphql on Apollo Server)")
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--no-progress", "--loglevel=error"],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"npm ci in {PEER_DIR} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def install_apoc(local: LocalNeo4j, echo: Callable[[str], None] = print) -> None:
    """Put APOC Core's jars (of the server's version) into the local Neo4j's plugins directory,
    before it starts. Jars that Neo4j already has on its class path are left out."""
    version = local.settings.neo4j_version
    cache = local.settings.cache_dir.expanduser().resolve() / f"apoc-{version}"
    if not (cache / ".complete").exists():
        if shutil.which("mvn") is None:
            raise SystemExit("--peer needs Maven (mvn) once, to fetch APOC Core from Maven Central")
        echo(f"› fetching APOC Core {version} from Maven Central into {cache}")
        staging = Path(tempfile.mkdtemp(prefix="apoc-", dir=cache.parent))
        done = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(PEER_DIR / "apoc-pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                f"-Dneo4j.version={version}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise SystemExit(
                f"Maven could not fetch APOC Core {version}:\n{done.stdout[-3000:]}{done.stderr}"
            )
        shutil.rmtree(cache, ignore_errors=True)
        staging.rename(cache)
        (cache / ".complete").write_text(version)
    provided = {_artifact(jar.name) for jar in local.lib_dir.glob("*.jar")}
    plugins = local.home / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    for jar in cache.glob("*.jar"):
        if _artifact(jar.name) not in provided and not (plugins / jar.name).exists():
            shutil.copy2(jar, plugins / jar.name)


def _artifact(jar_name: str) -> str:
    """``commons-lang3-3.18.0.jar`` → ``commons-lang3``."""
    return re.sub(r"-\d[^-]*(-[a-z]+)?\.jar$", "", jar_name)


def check_apoc(store: Neo4jStore) -> None:
    found = store.read("SHOW FUNCTIONS YIELD name WHERE name = $name RETURN name", {"name": APOC_PROBE})
    if not found:
        raise SystemExit(
            f"--peer: Neo4j has no {APOC_PROBE} (APOC Core), which @neo4j/graphql calls for DateTime "
            "fields; the bench's own Neo4j gets it when it starts (a server already running, or one at "
            "NEO4J_URI, must have APOC Core installed)"
        )


# -- serving --------------------------------------------------------------------------------------


@contextmanager
def serve_peer(settings: Settings, log_path: Path, profile: Path | None = None) -> Iterator[Served]:
    """``node bench/peer/server.mjs`` on a free port against ``settings``' Neo4j (``profile``: the
    file its PROFILE records go to)."""
    env = {
        **os.environ,
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
        "PEER_PORT": "0",
        # Apollo Server as deployed: no landing page, no stack traces in errors
        "NODE_ENV": "production",
    }
    if profile is not None:
        env["PEER_PROFILE"] = str(profile)
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            ["node", "server.mjs"], cwd=PEER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = _wait_ready(server, log_path)
            yield Served(url.rstrip("/"), server.pid)
        finally:
            stop_process(server)


def _wait_ready(server: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if server.poll() is not None:
            raise SystemExit(f"the peer (node server.mjs) exited ({server.returncode}):\n{text[-3000:]}")
        found = re.search(r"^ready (\S+)", text, re.MULTILINE)
        if found:
            url = found.group(1)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.post(url, json={"query": "{ __typename }"}, timeout=5).status_code == 200:
                    return url
        time.sleep(0.2)
    raise SystemExit(f"the peer not ready after {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")


# -- the cases in the peer's syntax, and their answers made comparable ------------------------------


@dataclass(frozen=True)
class PeerCase:
    """The peer's form of a DigiSpine case (matched by ``prefix`` of its name): its query (the
    same variables) and how to bring each side's answer to one comparable form."""

    prefix: str
    graphql: str
    digispine_rows: Callable[[dict[str, Any]], Any]
    peer_rows: Callable[[dict[str, Any]], Any]


#: DigiSpine's to-one relationship fields, which the library answers as lists (it has no to-one).
SINGLE = frozenset({"orderedBy", "performedOn"})
#: xsd:decimal fields, which DigiSpine answers as decimal strings (exact) and the library as Float.
DECIMAL = frozenset({"totalNetAmount", "goodQuantity", "lotQuantity"})

PEER_CASES = (
    PeerCase(
        "key lookup",
        "query($n: String!) { salesOrders(where: {salesOrderNumber: {eq: $n}}) { salesOrderNumber "
        "orderDate status totalNetAmount currency orderedBy { customerNumber name } } }",
        lambda d: [] if d["salesOrder"] is None else [d["salesOrder"]],
        lambda d: d["salesOrders"],
    ),
    PeerCase(
        "filtered page",
        # DigiSpine orders a page by the key after the requested order (a stable page): asked here too.
        'query($from: DateTime!) { productionOrdersConnection(first: 50, where: {status: {eq: "COMPLETED"}, '
        "plannedStart: {gte: $from}}, sort: [{plannedStart: DESC}, {productionOrderNumber: ASC}]) { "
        "totalCount edges { node { productionOrderNumber plannedStart goodQuantity hasOperation { "
        "operationId sequence performedOn { equipmentId } } lotsViaProducedBy { lotNumber lotQuantity } "
        "} } } }",
        lambda d: {"total": d["productionOrders"]["totalCount"], "rows": d["productionOrders"]["nodes"]},
        lambda d: {
            "total": d["productionOrdersConnection"]["totalCount"],
            "rows": [e["node"] for e in d["productionOrdersConnection"]["edges"]],
        },
    ),
    PeerCase(
        "1,000-row page",
        "{ salesOrders(limit: 1000, sort: [{salesOrderNumber: ASC}]) { salesOrderNumber orderDate "
        "requestedDeliveryDate status currency totalNetAmount } }",
        lambda d: d["salesOrders"]["nodes"],
        lambda d: d["salesOrders"],
    ),
)

_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def comparable(rows: Any) -> Any:
    """One form for both sides' answers: to-one fields as lists of zero or one, numbers (decimals
    too) as floats, date-times as UTC instants, nested lists (unordered in both) sorted; a page's
    own order kept."""
    if isinstance(rows, dict) and "rows" in rows:
        return {"total": rows["total"], "rows": [_value(r) for r in rows["rows"]]}
    return [_value(r) for r in rows]


def _value(v: Any, key: str = "") -> Any:
    if key in SINGLE and not isinstance(v, list):
        v = [] if v is None else [v]
    if key in DECIMAL and isinstance(v, str):
        return float(v)
    if isinstance(v, dict):
        return {k: _value(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return sorted((_value(x) for x in v), key=lambda x: orjson.dumps(x, option=orjson.OPT_SORT_KEYS))
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str) and _DATETIME.match(v):
        text = re.sub(r"(\.\d{6})\d+", r"\1", v.replace("Z", "+00:00"))
        return datetime.fromisoformat(text).astimezone(UTC).isoformat()
    return v


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted({*a, *b}):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} against {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {repr(a)[:200]} against {repr(b)[:200]}"


# -- running --------------------------------------------------------------------------------------


@dataclass
class PeerResult:
    name: str
    rows: int
    runs: list[tuple[Timing, Timing]]  # (DigiSpine, peer) per run
    hits_digispine: int
    hits_peer: int


def run_peer(settings: Settings, store: Neo4jStore, chosen: list[Case], args: argparse.Namespace) -> None:
    """The comparison for those of ``chosen`` that have a peer form, ``args.peer_runs`` runs of
    ``args.rounds`` requests per side (``args.page_rounds`` for the 1,000-row page)."""
    ensure_node_modules()
    check_apoc(store)
    pairs = [(c, p) for c in chosen for p in PEER_CASES if c.name.startswith(p.prefix)]
    key = new_key()
    api_keys = f"bench:{hash_key(key)}:admin"
    headers = {"Authorization": f"Bearer {key}"}
    tmp = Path(tempfile.gettempdir())
    hits_ds = _digispine_hits(settings, store, api_keys, [c for c, _ in pairs])
    hits_peer = _peer_hits(settings, [(c, p) for c, p in pairs], tmp)
    load = os.getloadavg()
    print(
        f"\npeer: @neo4j/graphql 7.6.3 on Apollo Server 5 (node {_node_version()}, one process) beside "
        f"digispine serve (one process), same Neo4j and plant; {args.peer_runs} runs, alternating turns "
        f"of 20 requests; machine load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    results = []
    with (
        serve(settings, api_keys, tmp / "digispine-bench-serve-peer.log") as ds,
        serve_peer(settings, tmp / "digispine-bench-peer.log") as peer,
        contextlib.closing(KeepAliveClient(ds.url, headers)) as client_ds,
        contextlib.closing(KeepAliveClient(peer.url, {})) as client_peer,
    ):
        print(
            f"{'query':36s} {'run':>3s} {'rows':>5s} {'p50 ms DS':>9s} {'peer':>7s} {'DS/peer':>7s}   "
            f"{'CPU ms DS':>9s} {'peer':>7s} {'DS/peer':>7s}"
        )
        for case, form in pairs:
            rows = _same_answers(case, form, client_ds, client_peer)
            rounds = args.page_rounds if case.name.startswith("1,000") else args.rounds
            ways = {
                "ds": (
                    partial(_ask, client_ds, "/graphql", case.graphql, case),
                    partial(cpu_seconds, ds.pid),
                ),
                "peer": (
                    partial(_ask, client_peer, PEER_PATH, form.graphql, case),
                    partial(cpu_seconds, peer.pid),
                ),
            }
            runs = []
            for run in range(args.peer_runs):
                order = ["ds", "peer"] if run % 2 == 0 else ["peer", "ds"]  # who goes first in each turn
                timings = dict(
                    zip(
                        order,
                        measure([ways[w][0] for w in order], [ways[w][1] for w in order], rounds),
                        strict=True,
                    )
                )
                d, p = timings["ds"], timings["peer"]
                runs.append((d, p))
                print(
                    f"{case.name:36s} {run + 1:3d} {rows:5d} {d.p50_ms:9.2f} {p.p50_ms:7.2f} "
                    f"{d.p50_ms / p.p50_ms:7.2f}   {d.cpu_ms:9.2f} {p.cpu_ms:7.2f} {d.cpu_ms / p.cpu_ms:7.2f}"
                )
            results.append(PeerResult(case.name, rows, runs, hits_ds.get(case.name, 0), hits_peer[case.name]))
    print_summary(results)
    load = os.getloadavg()
    print(f"machine load average afterwards {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


def print_summary(results: list[PeerResult]) -> None:
    print(
        f"\n{'query':36s} {'DS ÷ peer, p50':>15s} {'DS ÷ peer, CPU':>15s} {'CPU ms DS / peer':>22s} "
        f"{'CPU ms/row DS / peer':>22s} {'db hits DS / peer':>20s}"
    )
    for r in results:
        p50 = [d.p50_ms / p.p50_ms for d, p in r.runs]
        cpu = [d.cpu_ms / p.cpu_ms for d, p in r.runs]
        ds = [d.cpu_ms for d, _ in r.runs]
        peer = [p.cpu_ms for _, p in r.runs]
        per_row = f"{_span([x / r.rows for x in ds], 3)} / {_span([x / r.rows for x in peer], 3)}"
        print(
            f"{r.name:36s} {_span(p50):>15s} {_span(cpu):>15s} "
            f"{_span(ds, 1) + ' / ' + _span(peer, 1):>22s} {per_row if r.rows > 1 else '-':>22s} "
            f"{f'{r.hits_digispine:,} / {r.hits_peer:,}':>20s}"
        )


def _span(values: list[float], digits: int = 2) -> str:
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def _ask(client: KeepAliveClient, path: str, query: str, case: Case, i: int) -> bytes:
    status, body = client.post_raw(path, {"query": query, "variables": case.variables(i)})
    if status != 200 or b'"errors"' in body:
        raise RuntimeError(f"{case.name} ({path}): {status} {body[:500]!r}")
    return body


def _same_answers(
    case: Case, form: PeerCase, client_ds: KeepAliveClient, client_peer: KeepAliveClient
) -> int:
    """Both sides answer the same content for the first requests; returns the rows of the first."""
    rows = 0
    for i in range(5):
        ds = comparable(
            form.digispine_rows(orjson.loads(_ask(client_ds, "/graphql", case.graphql, case, i))["data"])
        )
        peer = comparable(
            form.peer_rows(orjson.loads(_ask(client_peer, PEER_PATH, form.graphql, case, i))["data"])
        )
        if ds != peer:
            raise RuntimeError(
                f"{case.name}: DigiSpine and the peer answer request {i} differently: "
                f"{_first_difference(ds, peer)}"
            )
        if i == 0:
            rows = len(ds["rows"]) if isinstance(ds, dict) else len(ds)
    if rows == 0:
        raise RuntimeError(f"{case.name}: an empty answer proves nothing")
    return rows


def _digispine_hits(
    settings: Settings, store: Neo4jStore, api_keys: str, chosen: list[Case]
) -> dict[str, int]:
    """db hits (PROFILE) of the statement DigiSpine's executor sends for each case's first request."""
    spy = RecordingStore(store)
    keyed = settings.model_copy(
        update={
            "api_keys": SecretStr(api_keys),
            "rdf_refresh_s": 0,
            "product_validation_s": 0,
            "graphql_timeout_s": TIMEOUT_S,
        }
    )
    local = InProcess(create_app(keyed, spy, data_products=False))  # type: ignore[arg-type]
    found = {}
    try:
        for case in chosen:
            spy.last = None
            result = local.loop.run_until_complete(
                local.schema.execute(case.graphql, variable_values=case.variables(0))
            )
            if result.errors or spy.last is None:
                raise RuntimeError(f"{case.name}: {result.errors or 'no statement recorded'}")
            found[case.name] = db_hits(store, *spy.last)
    finally:
        local.close()
    return found


def _peer_hits(settings: Settings, pairs: list[tuple[Case, PeerCase]], tmp: Path) -> dict[str, int]:
    """db hits of the library's statements for each case's first request, from a peer process that
    PROFILEs every statement it sends (see ``server.mjs``)."""
    profile = tmp / "digispine-bench-peer-profile.jsonl"
    profile.unlink(missing_ok=True)
    found = {}
    with (
        serve_peer(settings, tmp / "digispine-bench-peer-profile.log", profile) as peer,
        contextlib.closing(KeepAliveClient(peer.url, {})) as client,
    ):
        for case, form in pairs:
            seen = len(_records(profile))
            _ask(client, PEER_PATH, form.graphql, case, 0)
            found[case.name] = sum(r["dbHits"] for r in _records(profile)[seen:])
    return found


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
