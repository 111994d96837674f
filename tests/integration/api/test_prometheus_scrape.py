"""A real Prometheus (Debian's package) scrapes the API's /metrics with a metrics-role key, and
its query API answers with the API's series."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from graph_service import processes
from graph_service.api.app import create_app
from graph_service.observability.local_prometheus import LocalPrometheus, ScrapeTarget
from graph_service.ontology.model import DomainModel
from graph_service.security import hash_key
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import auth, free_port, keyed
from tests.integration.api.conftest import served

SCRAPER_KEY = "dsk_test-scraper-key"
LOT_QUERY = '{ lot(lotNumber: "L-1") { lotNumber } }'
# Over the last minute: a scrape that times out on a loaded machine marks the series stale, and
# an instant query would then find nothing.
LOT_REQUESTS = 'max_over_time(digispine_graphql_requests_total{job="digispine-api", root_field="lot"}[1m])'
LOT_BUCKETS = 'last_over_time(digispine_graphql_duration_seconds_bucket{root_field="lot"}[1m])'
LOT_MEDIAN = f"histogram_quantile(0.5, sum by (le) ({LOT_BUCKETS}))"
READS = 'max_over_time(digispine_neo4j_statement_duration_seconds_count{mode="read"}[1m])'


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    server = LocalPrometheus(tmp_path_factory.mktemp("prometheus"), free_port(), interval_s=1.0)
    yield server
    pid = server.pid()
    assert server.stop() and pid is not None and not processes.alive(pid)  # none left running


def scraper_settings(neo4j_settings: Settings) -> Settings:
    settings = keyed(neo4j_settings)
    assert settings.api_keys is not None
    entries = f"{settings.api_keys.get_secret_value()};scraper:{hash_key(SCRAPER_KEY)}:metrics"
    return settings.model_copy(update={"api_keys": SecretStr(entries)})


def wait_for(
    prometheus: LocalPrometheus, promql: str, ok: Any, timeout: float = 60.0
) -> list[dict[str, Any]]:
    """The query's result once ``ok(result)`` holds (Prometheus scrapes every second)."""
    deadline = time.monotonic() + timeout
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = prometheus.query(promql)
        if ok(result):
            return result
        time.sleep(0.2)
    raise AssertionError(f"{promql}: {result} after {timeout:.0f} s; targets {prometheus.targets_health()}")


def test_prometheus_reads_the_graphql_and_neo4j_series_of_the_api(
    plant: list[dict[str, Any]],
    session_store: Neo4jStore,
    model: DomainModel,
    neo4j_settings: Settings,
    prometheus: LocalPrometheus,
) -> None:
    app = create_app(scraper_settings(neo4j_settings), session_store, model=model, data_products=False)
    with served(app) as url:
        scraper = {"Authorization": f"Bearer {SCRAPER_KEY}"}
        assert httpx.get(f"{url}/metrics", headers=scraper).status_code == 200
        refused = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, headers=scraper)
        assert refused.status_code == 403  # the scraper's key reads /metrics and nothing else
        prometheus.start([ScrapeTarget("digispine-api", url.removeprefix("http://"), token=SCRAPER_KEY)])
        for _ in range(4):
            response = httpx.post(f"{url}/graphql", json={"query": LOT_QUERY}, headers=auth("reader"))
            assert response.status_code == 200 and not response.json().get("errors")
        requests = wait_for(prometheus, LOT_REQUESTS, lambda r: r and float(r[0]["value"][1]) >= 4)
        assert float(requests[0]["value"][1]) == 4
        # at least one scrape succeeded (on a loaded machine one may time out, and `up` reads 0)
        assert float(prometheus.query('max_over_time(up{job="digispine-api"}[5m])')[0]["value"][1]) == 1
        median = prometheus.query(LOT_MEDIAN)
        assert median and float(median[0]["value"][1]) > 0
        statements = prometheus.query(READS)
        assert statements and float(statements[0]["value"][1]) >= 4
