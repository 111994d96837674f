"""GraphQL subscriptions over graphql-transport-ws against a real uvicorn, a real Kafka and the
real change log's CloudEvents (``loaders.changelog.change_event``) on a topic of the test's own:
delivery, ``where``, personal-data masking, refused keys, superclasses, cursors, one execution per
event for identical subscriptions, and slow clients dropped with bounded memory."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import Producer
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from graph_service.api.app import create_app
from graph_service.kafka import create_topic
from graph_service.ontology.model import DomainModel
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from loaders.changelog import change_event, change_key
from tests.conftest import TEST_KEYS, auth, keyed
from tests.integration.api.conftest import served

PROTOCOL = "graphql-transport-ws"
CLIENT_QUEUE = 32
CAUSE = {
    "source": "crm/main",
    "id": "e-1",
    "type": "digispine.crm.ContactUpdated.v1",
    "time": "2026-01-05T09:00:00Z",
}


class Server:
    """The served app, its topic, and a producer of change-log events onto it."""

    def __init__(self, app: FastAPI, url: str, topic: str, bootstrap: str) -> None:
        self.app = app
        self.url = url.replace("http://", "ws://") + "/graphql"
        self.topic = topic
        self.producer = Producer({"bootstrap.servers": bootstrap})

    def publish(self, *changes: dict[str, Any]) -> None:
        for change in changes:
            event = change_event(change, "2026-01-05T09:00:01Z")
            self.producer.produce(self.topic, key=change_key(change), value=orjson.dumps(event))
        assert self.producer.flush(10) == 0

    @property
    def hub(self) -> Any:
        return self.app.state.hub

    def metric(self, name: str, field: str) -> float:
        """One sample of the served ``GET /metrics`` (0 when absent)."""
        base = self.url.replace("ws://", "http://").removesuffix("/graphql")
        response = httpx.get(f"{base}/metrics", headers=auth("admin"), timeout=30)
        assert response.status_code == 200, response.text
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == name and sample.labels.get("field") == field:
                    return sample.value
        return 0.0

    @property
    def sharing(self) -> Any:
        return self.app.state.subscriptions


@pytest.fixture(scope="module")
def server(
    kafka_settings: Settings,  # noqa: F811
    neo4j_settings: Settings,
    session_store: Neo4jStore,
    model: DomainModel,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    topic = f"test.changes.{uuid.uuid4().hex[:8]}"
    # create_topic waits until every partition has a leader: a hub started on a topic just created
    # could read its watermarks first (NOT_LEADER_FOR_PARTITION), stop its reader, and leave every
    # test of the module waiting out its 30 s timeouts.
    create_topic(kafka_settings.kafka_bootstrap_servers, topic, partitions=3, replication_factor=1)
    settings = keyed(
        neo4j_settings,
        change_log_topic=topic,
        kafka_bootstrap=kafka_settings.kafka_bootstrap_servers,
        subscription_client_queue=CLIENT_QUEUE,
        streams_dir=tmp_path_factory.mktemp("no-streams"),
    )
    app = create_app(settings, session_store, model=model, data_products=False)
    with served(app) as url:
        yield Server(app, url, topic, kafka_settings.kafka_bootstrap_servers)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def entity(
    cls: str, key: dict[str, Any], properties: dict[str, Any], kind: str = "updated"
) -> dict[str, Any]:
    return {"change": kind, "entity": {"class": cls, "key": key}, "properties": properties, "cause": CAUSE}


async def open_socket(server: Server, payload: dict[str, Any] | None, **kwargs: Any) -> ClientConnection:
    ws = await connect(server.url, subprotocols=[PROTOCOL], **kwargs)  # type: ignore[list-item]
    await ws.send(orjson.dumps({"type": "connection_init", "payload": payload or {}}).decode())
    return ws


async def subscribed(
    server: Server,
    key: str,
    query: str,
    variables: dict[str, Any] | None = None,
    op: str = "1",
    **kwargs: Any,
) -> ClientConnection:
    ws = await open_socket(server, {"apiKey": TEST_KEYS[key][0]}, **kwargs)
    assert orjson.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        orjson.dumps(
            {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
        ).decode()
    )
    return ws


async def next_payload(ws: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert message["type"] == "next", message
    return message["payload"]


def feeds_open(server: Server, count: int) -> Callable[[], bool]:
    return lambda: server.hub.stats.feeds >= count and server.hub.ready(server.topic)


async def until(condition: Callable[[], bool], what: str) -> None:
    await asyncio.to_thread(wait_for, condition, what)


async def settled(server: Server) -> None:
    """No subscription of an earlier test is still open, so the counts below are this test's."""
    await until(lambda: server.hub.stats.feeds == 0 and server.sharing.stats.members == 0, "a quiet server")


PERSON = """subscription($id: String!) { personChanged(where: {personId: {eq: $id}}) {
  change className cursor changedProperties maskedFields entity { subject key { name value } }
  values { personId fullName email } cause { id type source time } } }"""


def test_changes_are_delivered_filtered_and_masked_by_role(server: Server) -> None:
    mine, other = f"P-{uuid.uuid4().hex[:6]}", f"P-{uuid.uuid4().hex[:6]}"

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        await settled(server)
        reader = await subscribed(server, "reader", PERSON, {"id": mine})
        hr = await subscribed(server, "hr", PERSON, {"id": mine})
        await until(feeds_open(server, 2), "two subscriptions")
        await asyncio.to_thread(
            server.publish,
            entity("Person", {"personId": other}, {"fullName": "Not Mine"}),
            entity("Person", {"personId": mine}, {"fullName": "Ada Lovelace", "email": "ada@example.com"}),
        )
        got = (await next_payload(reader), await next_payload(hr))
        await reader.close()
        await hr.close()
        return got

    masked, shown = asyncio.run(scenario())
    change = masked["data"]["personChanged"]
    assert change["change"] == "UPDATED" and change["className"] == "Person"
    assert change["values"] == {"personId": mine, "fullName": None, "email": None}
    assert change["maskedFields"] == ["Person.email", "Person.fullName"]
    assert change["changedProperties"] == ["email", "fullName"]
    assert change["cause"]["id"] == "e-1" and change["cause"]["source"] == "crm/main"
    assert change["entity"]["key"] == [{"name": "personId", "value": mine}]
    visible = shown["data"]["personChanged"]
    assert visible["values"] == {"personId": mine, "fullName": "Ada Lovelace", "email": "ada@example.com"}
    assert visible["maskedFields"] == []


def test_filtering_on_personal_data_without_the_role_is_refused(server: Server) -> None:
    query = 'subscription { personChanged(where: {email: {eq: "ada@example.com"}}) { change } }'

    async def scenario() -> dict[str, Any]:
        ws = await subscribed(server, "reader", query)
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        await ws.close()
        return message

    message = asyncio.run(scenario())
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_a_missing_or_bad_key_closes_the_socket_and_nothing_runs(server: Server) -> None:
    async def close_code(payload: dict[str, Any] | None) -> int | None:
        ws = await open_socket(server, payload)
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        return ws.close_code

    async def subscribe_first() -> int | None:
        ws = await connect(server.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": PERSON}}).decode())
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        return ws.close_code

    before = server.sharing.stats.executions
    assert asyncio.run(close_code(None)) == 4403
    assert asyncio.run(close_code({"apiKey": "dsk_wrong"})) == 4403
    assert asyncio.run(close_code({"Authorization": "Bearer dsk_wrong"})) == 4403
    assert asyncio.run(subscribe_first()) == 4401
    assert server.sharing.stats.executions == before


def test_a_key_in_the_handshake_headers_also_authenticates(server: Server) -> None:
    async def scenario() -> str:
        ws = await open_socket(server, None, additional_headers={"X-API-Key": TEST_KEYS["reader"][0]})
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.close()
        return message["type"]

    assert asyncio.run(scenario()) == "connection_ack"


def test_a_superclass_subscription_delivers_subclass_changes_and_relationships(server: Server) -> None:
    unit, center = f"WU-{uuid.uuid4().hex[:6]}", f"WC-{uuid.uuid4().hex[:6]}"
    query = """subscription($ids: [String!]) { equipmentChanged(where: {equipmentId: {in: $ids}}) {
      change className values { equipmentId name }
      relationship { relation relationshipType from { subject } to { subject } } } }"""

    async def scenario() -> list[dict[str, Any]]:
        await settled(server)
        ws = await subscribed(server, "reader", query, {"ids": [unit, center]})
        await until(feeds_open(server, 1), "the subscription")
        link = {
            "change": "added",
            "relationship": "PART_OF",
            "from": {"class": "WorkUnit", "key": {"equipmentId": unit}},
            "to": {"class": "WorkCenter", "key": {"equipmentId": center}},
            "cause": CAUSE,
        }
        await asyncio.to_thread(
            server.publish,
            entity("WorkUnit", {"equipmentId": unit}, {"name": "CNC 1"}, "created"),
            entity("WorkCenter", {"equipmentId": center}, {"name": "Machining"}, "created"),
            link,
        )
        got = [(await next_payload(ws))["data"]["equipmentChanged"] for _ in range(3)]
        await ws.close()
        return got

    got = asyncio.run(scenario())
    by_kind = {(c["className"], c["change"]): c for c in got}
    assert by_kind[("WorkUnit", "CREATED")]["values"] == {"equipmentId": unit, "name": "CNC 1"}
    assert by_kind[("WorkCenter", "CREATED")]["values"]["name"] == "Machining"
    rel = by_kind[("WorkUnit", "ADDED")]["relationship"]
    assert rel["relationshipType"] == "PART_OF" and rel["relation"] == "partOf"
    assert rel["from"]["subject"] == f"WorkUnit/{unit}" and rel["to"]["subject"] == f"WorkCenter/{center}"


def test_resuming_after_a_cursor_delivers_what_came_after_it(server: Server) -> None:
    key = f"SO-{uuid.uuid4().hex[:6]}"
    query = """subscription($key: String!, $after: String) {
      salesOrderChanged(where: {salesOrderNumber: {eq: $key}}, after: $after) {
        cursor values { status } } }"""
    statuses = ["OPEN", "RELEASED", "SHIPPED"]

    async def first() -> list[dict[str, Any]]:
        await settled(server)
        ws = await subscribed(server, "reader", query, {"key": key})
        await until(feeds_open(server, 1), "the subscription")
        changes = [entity("SalesOrder", {"salesOrderNumber": key}, {"status": s}) for s in statuses]
        await asyncio.to_thread(server.publish, *changes)
        got = [(await next_payload(ws))["data"]["salesOrderChanged"] for _ in statuses]
        await ws.close()
        return got

    async def resumed(cursor: str) -> list[str]:
        ws = await subscribed(server, "reader", query, {"key": key, "after": cursor})
        got = [
            (await next_payload(ws))["data"]["salesOrderChanged"]["values"]["status"] for _ in statuses[1:]
        ]
        await ws.close()
        return got

    live = asyncio.run(first())
    assert [c["values"]["status"] for c in live] == statuses
    assert asyncio.run(resumed(live[0]["cursor"])) == statuses[1:]


def test_identical_subscriptions_are_executed_once_per_event(server: Server) -> None:
    key = f"C-{uuid.uuid4().hex[:6]}"
    query = (
        "subscription($k: String!) { customerChanged(where: {customerNumber: {eq: $k}}) { values { name } } }"
    )

    def metric(name: str) -> float:
        return server.metric(name, "customerChanged")

    async def scenario() -> tuple[list[str], int, int, float]:
        await settled(server)
        sent_before = await asyncio.to_thread(metric, "digispine_subscription_deliveries_total")
        clients = [await subscribed(server, "reader", query, {"k": key}) for _ in range(5)]
        await until(lambda: server.sharing.stats.members >= 5 and server.hub.ready(server.topic), "5 members")
        # /metrics counts every client's subscription, though one execution serves them all
        await until(lambda: metric("digispine_subscriptions_active") == 5, "5 active in /metrics")
        before = server.sharing.stats.executions
        await asyncio.to_thread(server.publish, entity("Customer", {"customerNumber": key}, {"name": "ACME"}))
        names = [(await next_payload(ws))["data"]["customerChanged"]["values"]["name"] for ws in clients]
        executed = server.sharing.stats.executions - before
        groups = server.sharing.stats.groups
        sent = await asyncio.to_thread(metric, "digispine_subscription_deliveries_total") - sent_before
        for ws in clients:
            await ws.close()
        await until(lambda: metric("digispine_subscriptions_active") == 0, "none active in /metrics")
        return names, executed, groups, sent

    names, executed, groups, sent = asyncio.run(scenario())
    assert names == ["ACME"] * 5
    assert executed == 1
    assert groups >= 1
    assert sent == 5  # one delivery per client


def test_a_slow_client_is_dropped_without_growing_the_server_memory(server: Server) -> None:
    key = f"L-{uuid.uuid4().hex[:6]}"
    query = (
        "subscription($k: String!) { lotChanged(where: {lotNumber: {eq: $k}}) { cursor values { status } } }"
    )
    count = 300  # of 64 KB each: more than the slow client's queue and its sockets' buffers hold

    async def scenario() -> tuple[int, dict[str, Any], int]:
        # the slow client reads nothing (a small receive buffer, one message queued in the
        # library): the server's socket buffers fill, then its queue
        await settled(server)
        host, port = server.url.removeprefix("ws://").split("/")[0].split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        slow = await subscribed(
            server, "reader", query, {"k": key}, op="slow", sock=sock, max_queue=1, compression=None
        )
        fast = await subscribed(server, "reader", query, {"k": key}, op="fast")
        await until(
            lambda: server.sharing.stats.members >= 2 and server.hub.ready(server.topic), "two members"
        )
        dropped = server.sharing.stats.dropped
        assert server.metric("digispine_subscription_dropped_clients_total", "lotChanged") == 0
        changes = [
            entity("Lot", {"lotNumber": key}, {"status": f"S{i:04d}" + "x" * 65_536}) for i in range(count)
        ]
        publisher = threading.Thread(target=server.publish, args=changes)
        publisher.start()
        received = 0
        while received < count:
            payload = await next_payload(fast)
            assert payload["data"]["lotChanged"]["values"]["status"].startswith(f"S{received:04d}")
            received += 1
        publisher.join()
        await until(lambda: server.sharing.stats.dropped > dropped, "the slow client dropped")
        dropped_in_metrics = await asyncio.to_thread(
            server.metric, "digispine_subscription_dropped_clients_total", "lotChanged"
        )
        last: dict[str, Any] = {}
        while True:  # now read what the slow one was sent: it ends with the error
            message = orjson.loads(await asyncio.wait_for(slow.recv(), 30))
            if message["type"] == "complete":
                break
            last = message["payload"]
        await slow.close()
        await fast.close()
        return received, last, dropped_in_metrics

    received, last, dropped_in_metrics = asyncio.run(scenario())
    assert dropped_in_metrics >= 1  # /metrics counts the drop under the field
    assert received == count  # the fast client was not held back
    assert server.hub.stats.max_queued <= server.hub.feed_size  # what waited for the group stayed bounded
    error = last["errors"][0]
    assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
    assert error["extensions"]["limit"] == CLIENT_QUEUE


def test_without_the_change_log_the_fields_say_how_to_turn_it_on(
    neo4j_settings: Settings, session_store: Neo4jStore, model: DomainModel, tmp_path: Any
) -> None:
    settings = keyed(neo4j_settings, change_log_topic="", streams_dir=tmp_path)
    app = create_app(settings, session_store, model=model, data_products=False)

    async def scenario(url: str) -> dict[str, Any]:
        ws = await connect(url.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL])  # type: ignore[list-item]
        await ws.send(
            orjson.dumps({"type": "connection_init", "payload": {"apiKey": TEST_KEYS["reader"][0]}}).decode()
        )
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription { lotChanged { change } }"},
                }
            ).decode()
        )
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        await ws.close()
        return message

    with served(app) as url:
        message = asyncio.run(scenario(url))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "CHANGE_LOG_OFF"
    assert "DIGISPINE_CHANGE_LOG_TOPIC" in errors[0]["message"]
