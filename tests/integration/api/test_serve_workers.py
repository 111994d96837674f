"""``digispine serve --workers 2``: two API processes on one port, each with its own schema, RDF
view and caches, answer every connection alike, are both counted by one scrape of /metrics, and
stop together."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from graph_service.security import hash_key
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_KEYS, auth, free_port

REPO = Path(__file__).resolve().parents[3]
ORDER_REQUESTS = ("digispine_graphql_requests_total", {"root_field": "salesOrders"})
ORDERS = "SELECT (COUNT(?o) AS ?n) WHERE { ?o a <https://w3id.org/digispine/ontology#SalesOrder> }"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _answers(url: str) -> tuple[Any, Any]:
    """What one new connection (so whichever worker the kernel picks) answers."""
    with httpx.Client(base_url=url, timeout=30) as client:
        gql = client.post("/graphql", json={"query": "{ salesOrders { totalCount } }"}, headers=auth("admin"))
        sparql = client.get("/sparql", params={"query": ORDERS}, headers=auth("analyst"))
    total = gql.json()["data"]["salesOrders"]["totalCount"] if gql.status_code == 200 else gql.text
    count = (
        sparql.json()["results"]["bindings"][0]["n"]["value"] if sparql.status_code == 200 else sparql.text
    )
    return total, count


def _requests_of(files: list[Path], scratch: Path) -> float:
    """``salesOrders`` requests counted in these multiprocess files alone (one worker's)."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    for file in files:
        shutil.copy(file, scratch / file.name)
    return sum(
        sample.value
        for family in MultiProcessCollector(None, path=str(scratch)).collect()
        for sample in family.samples
        if sample.name == "digispine_graphql_requests_total"
        and sample.labels == {"root_field": "salesOrders"}
    )


def _scraped(url: str) -> float:
    response = httpx.get(f"{url}/metrics", headers=auth("admin"), timeout=30)
    assert response.status_code == 200, response.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "digispine_graphql_requests_total"
        and sample.labels == {"root_field": "salesOrders"}
    )


def test_two_workers_answer_every_connection_alike_and_stop_together(
    plant: list[dict[str, Any]], graph: Neo4jStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NEO4J_URI": neo4j_settings.bolt_uri,
        "NEO4J_USER": neo4j_settings.neo4j_user,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password.get_secret_value(),
        "DIGISPINE_API_KEYS": ";".join(f"{n}:{hash_key(k)}:{roles}" for n, (k, roles) in TEST_KEYS.items()),
        "DIGISPINE_ONTOLOGY_DIR": str(REPO / "ontology"),
        "DIGISPINE_SHAPES_DIR": str(REPO / "shapes"),
        "DIGISPINE_DATA_DIR": str(tmp_path),
        "DIGISPINE_RDF_REFRESH_S": "1",
        "DIGISPINE_PRODUCT_VALIDATION_S": "0",
    }
    digispine = str(Path(sys.executable).with_name("digispine"))
    command = [digispine, "serve", "--port", str(port), "--workers", "2"]
    # a previous run's metrics file, unreadable: the server empties its directory at start
    metrics_dir = tmp_path / "metrics" / f"serve-{port}"
    metrics_dir.mkdir(parents=True)
    (metrics_dir / "counter_1.db").write_bytes(b"an earlier run's figures")
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    expected = graph.read("MATCH (o:SalesOrder) RETURN count(o) AS n")[0]["n"]
    try:
        workers = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            workers = _children(server.pid)
            try:
                answers = [_answers(url) for _ in range(12)]
            except httpx.TransportError:
                answers = []
            if len(workers) == 2 and answers and all(a == (expected, str(expected)) for a in answers):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(
                f"not every connection answered {expected}: {(tmp_path / 'serve.log').read_text()}"
            )
        assert len(workers) == 2, workers
        assert not (metrics_dir / "counter_1.db").exists()

        # every worker counts in its own files; one scrape (whichever worker answers) sums them all
        def per_worker() -> list[float]:
            return [
                _requests_of(list(metrics_dir.glob(f"*_{pid}.db")), tmp_path / f"scratch-{pid}")
                for pid in workers
            ]

        deadline = time.monotonic() + 60
        while min(per_worker()) == 0:
            assert time.monotonic() < deadline, "one worker never answered a connection"
            _answers(url)
        counts = per_worker()
        for _ in range(4):  # each scrape may be answered by either worker: each sees both
            assert _scraped(url) == sum(counts) > max(counts), counts
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    assert server.returncode == 0, (tmp_path / "serve.log").read_text()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived the server"
