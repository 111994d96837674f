"""Stream subscriptions (a stream declared in a folder of the test's own, its derived events put on
its topic as the processors write them) and ``dataProductChanged`` (a change-log event touching a
class a data product reads), against a real uvicorn and Kafka."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from graph_service.api.app import create_app
from graph_service.kafka import create_topic
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from loaders.changelog import change_event, change_key
from tests.conftest import auth, keyed
from tests.integration.api.conftest import served
from tests.integration.api.test_subscriptions import Server, next_payload, settled, subscribed, until
from tests.support.paths import REPO

DESCRIPTOR = """name: machineAlerts
version: "1.0.0"
title: Machine alerts (test)
domain: production
owner: Tests
description: An alert per machine state change (a stream of the tests).
status: active
inputs: [digispine.mes.EquipmentStateChanged.v1]
key: ds:equipmentId
windows: []
emit: alert
outputType: digispine.stream.MachineAlerts.v1
topic: {topic}
latencySla: PT1S
freshnessSla: PT5M
accessRoles: [analyst]
outputShape: dss:MachineAlertsV1Shape
"""

SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dss: <https://w3id.org/digispine/streams#> .
dss:MachineAlertsV1Shape a sh:NodeShape ;
  sh:targetClass dss:MachineAlertsV1Event ;
  sh:property [ sh:path dss:equipmentId ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] ,
              [ sh:path dss:state ; sh:datatype xsd:string ; sh:maxCount 1 ] ,
              [ sh:path dss:since ; sh:datatype xsd:dateTime ; sh:maxCount 1 ] .
"""


class StreamServer(Server):
    def __init__(self, app: Any, url: str, changes: str, stream_topic: str, bootstrap: str) -> None:
        super().__init__(app, url, changes, bootstrap)
        self.stream_topic = stream_topic

    def derive(self, key: str, data: dict[str, Any]) -> None:
        event = {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": "digispine/streams/machineAlerts/v1",
            "type": "digispine.stream.MachineAlerts.v1",
            "subject": key,
            "time": "2026-01-05T10:00:00Z",
            "data": data,
        }
        self.producer.produce(self.stream_topic, key=key, value=orjson.dumps(event))
        assert self.producer.flush(10) == 0


@pytest.fixture(scope="module")
def server(
    kafka_settings: Settings,  # noqa: F811
    neo4j_settings: Settings,
    session_store: Neo4jStore,
    model: DomainModel,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StreamServer]:
    suffix = uuid.uuid4().hex[:8]
    changes, stream_topic = f"test.changes.{suffix}", f"test.stream.{suffix}"
    for topic in (changes, stream_topic):  # each with its leader, before a hub reads it
        create_topic(kafka_settings.kafka_bootstrap_servers, topic, replication_factor=1)
    root = tmp_path_factory.mktemp("stream-decl")
    folder = root / "streams" / "machineAlerts" / "v1"
    folder.mkdir(parents=True)
    (folder / "stream.yaml").write_text(DESCRIPTOR.format(topic=stream_topic), encoding="utf-8")
    shutil.copytree(REPO / "shapes", root / "shapes")
    (root / "shapes" / "streams" / "machineAlerts-v1.ttl").write_text(SHAPE, encoding="utf-8")
    settings = keyed(
        neo4j_settings,
        change_log_topic=changes,
        kafka_bootstrap=kafka_settings.kafka_bootstrap_servers,
        streams_dir=root / "streams",
        shapes_dir=root / "shapes",
    )
    app = create_app(settings, session_store, model=model)
    with served(app) as url:
        yield StreamServer(app, url, changes, stream_topic, kafka_settings.kafka_bootstrap_servers)


ALERTS = """subscription($keys: [String!]) { machineAlerts(where: {key: $keys}) {
  id key time cursor data { equipmentId state since } } }"""


def test_a_stream_delivers_its_derived_events_filtered_by_key(server: StreamServer) -> None:
    mine = f"WU-{uuid.uuid4().hex[:6]}"

    async def scenario() -> dict[str, Any]:
        await settled(server)
        ws = await subscribed(server, "analyst", ALERTS, {"keys": [mine]})
        await until(lambda: server.hub.ready(server.stream_topic) and server.hub.stats.feeds >= 1, "the feed")
        await asyncio.to_thread(server.derive, "WU-other", {"equipmentId": "WU-other", "state": "DOWN"})
        await asyncio.to_thread(
            server.derive, mine, {"equipmentId": mine, "state": "DOWN", "since": "2026-01-05T09:59:00Z"}
        )
        got = (await next_payload(ws))["data"]["machineAlerts"]
        await ws.close()
        return got

    event = asyncio.run(scenario())
    assert event["key"] == mine
    assert event["data"] == {"equipmentId": mine, "state": "DOWN", "since": "2026-01-05T09:59:00+00:00"}
    assert event["time"] == "2026-01-05T10:00:00+00:00" and event["cursor"]


SINCE = """subscription($keys: [String!], $since: DateTime, $after: String) {
  machineAlerts(where: {key: $keys}, since: $since, after: $after) { key data { state } } }"""


def test_since_a_time_a_subscription_first_reads_back_what_came_before_it_then_goes_on_live(
    server: StreamServer,
) -> None:
    mine = f"WU-{uuid.uuid4().hex[:6]}"
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)  # the broker stamps at production

    async def scenario() -> tuple[list[str], dict[str, Any], dict[str, Any]]:
        await settled(server)
        for state in ("DOWN", "SETUP"):  # raised before anyone subscribed
            await asyncio.to_thread(server.derive, mine, {"equipmentId": mine, "state": state})
        ws = await subscribed(server, "analyst", SINCE, {"keys": [mine], "since": before.isoformat()})
        states = [(await next_payload(ws))["data"]["machineAlerts"]["data"]["state"] for _ in range(2)]
        await asyncio.to_thread(server.derive, mine, {"equipmentId": mine, "state": "RUNNING"})
        states.append((await next_payload(ws))["data"]["machineAlerts"]["data"]["state"])
        await ws.close()
        later = await subscribed(
            server, "analyst", SINCE, {"keys": [mine], "since": dt.datetime.now(dt.UTC).isoformat()}, op="2"
        )
        await asyncio.to_thread(server.derive, mine, {"equipmentId": mine, "state": "IDLE"})
        fresh = await next_payload(later)  # nothing of before its time: the next one is the new event
        await later.close()
        both = await subscribed(
            server, "analyst", SINCE, {"keys": [mine], "since": before.isoformat(), "after": "x"}, op="3"
        )
        refused = orjson.loads(await asyncio.wait_for(both.recv(), 30))
        await both.close()
        return states, fresh, refused

    states, fresh, refused = asyncio.run(scenario())
    assert states == ["DOWN", "SETUP", "RUNNING"]
    assert fresh["data"]["machineAlerts"]["data"]["state"] == "IDLE"
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert "not both" in errors[0]["message"]


def test_a_stream_needs_one_of_its_access_roles(server: StreamServer) -> None:
    async def scenario() -> dict[str, Any]:
        ws = await subscribed(server, "reader", ALERTS, {"keys": ["x"]})
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        await ws.close()
        return message

    message = asyncio.run(scenario())
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_a_graph_change_in_a_class_a_product_reads_signals_the_product(server: StreamServer) -> None:
    query = (
        'subscription { dataProductChanged(name: "lotGenealogy") { product reason classes changes cursor } }'
    )
    lot = f"L-{uuid.uuid4().hex[:6]}"

    async def scenario() -> dict[str, Any]:
        await settled(server)
        ws = await subscribed(server, "analyst", query)
        await until(lambda: server.hub.ready(server.topic) and server.hub.stats.feeds >= 1, "the feed")
        change = {
            "change": "created",
            "entity": {"class": "Lot", "key": {"lotNumber": lot}},
            "properties": {"status": "RELEASED"},
            "cause": {"source": "mes", "id": "e-1", "type": "t", "time": "2026-01-05T09:00:00Z"},
        }
        event = change_event(change, "2026-01-05T09:00:01Z")
        await asyncio.to_thread(
            lambda: (
                server.producer.produce(server.topic, key=change_key(change), value=orjson.dumps(event)),
                server.producer.flush(10),
            )
        )
        got = (await next_payload(ws))["data"]["dataProductChanged"]
        await ws.close()
        return got

    signal = asyncio.run(scenario())
    assert signal["product"] == "lotGenealogy" and signal["reason"] == "GRAPH_CHANGED"
    assert "Lot" in signal["classes"] and signal["changes"] >= 1 and signal["cursor"]


def test_a_product_signal_needs_the_products_access_role(server: StreamServer) -> None:
    query = 'subscription { dataProductChanged(name: "lotGenealogy") { product } }'

    async def scenario() -> dict[str, Any]:
        ws = await subscribed(server, "sales", query)
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        await ws.close()
        return message

    message = asyncio.run(scenario())
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_a_products_validation_status_changing_signals_the_product(server: StreamServer) -> None:
    query = 'subscription { dataProductChanged(name: "lotGenealogy") { product reason validationStatus } }'

    async def scenario() -> dict[str, Any]:
        await settled(server)
        ws = await subscribed(server, "analyst", query)
        await until(lambda: server.hub.stats.feeds >= 1, "the feed")
        http = server.url.replace("ws://", "http://").removesuffix("/graphql")
        response = await asyncio.to_thread(
            httpx.post, f"{http}/products/lotGenealogy/1.0.0/validate", headers=auth("analyst"), timeout=60
        )
        assert response.status_code == 200, response.text
        got = (await next_payload(ws))["data"]["dataProductChanged"]
        await ws.close()
        return {**got, "validated": response.json()["status"]}

    signal = asyncio.run(scenario())
    assert signal["reason"] == "VALIDATION_CHANGED" and signal["product"] == "lotGenealogy"
    assert signal["validationStatus"] == signal["validated"] != "NOT_CHECKED"
