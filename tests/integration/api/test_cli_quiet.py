"""`digispine rdf status` against a real server prints its answer and no library log lines
(httpx logs one INFO line per request)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from graph_service.api.app import create_app
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from tests.conftest import TEST_KEYS, keyed
from tests.integration.api.conftest import served


def test_rdf_status_prints_the_view_and_no_http_client_log_lines(
    neo4j_settings: Settings, session_store: Neo4jStore, model: DomainModel
) -> None:
    app = create_app(keyed(neo4j_settings), session_store, model=model, data_products=False)
    with served(app) as url:
        env = {**os.environ, "DIGISPINE_API_KEY": TEST_KEYS["analyst"][0], "DIGISPINE_LOG_LEVEL": "INFO"}
        done = subprocess.run(
            [sys.executable, "-m", "graph_service.cli.main", "rdf", "status", "--url", url],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert "state" in json.loads(done.stdout)
    assert "HTTP Request" not in done.stderr and " INFO " not in done.stderr, done.stderr
