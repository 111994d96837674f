"""The streams benchmark's websocket ends: the bare broadcast server (the baseline) and the
subscription clients, each run by ``bench/streams.py`` in its own process.

``python -m bench.streams_ws server BOOTSTRAP TOPIC PORT``: a tiny ``websockets`` server that
reads TOPIC (read_committed, from its end) and sends each message, framed once as a
graphql-transport-ws ``next`` message, to every connected client (``websockets.broadcast``:
one frame, written to each socket). No protocol, no authentication, no GraphQL: the floor.

``python -m bench.streams_ws clients URL N OUT [--graphql QUERY --key KEY --id-path P]``: N clients
in one asyncio process. With ``--graphql`` each speaks graphql-transport-ws (connection_init with
the key in its payload, subscribe to QUERY); without, it only listens. Each received event's id
(at ``--id-path`` in the payload's data, ``equipmentOee.id`` by default) and its receipt time
go to OUT (JSON lines, one per client) on SIGTERM.
It prints ``READY <n>`` once every client is connected and subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
import time
from typing import Any

import orjson
import uvloop
import websockets
from confluent_kafka import Consumer, TopicPartition
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

# -- the bare broadcast server ------------------------------------------------------------------


async def _server(bootstrap: str, topic: str, port: int, field: str) -> None:
    clients: set[ServerConnection] = set()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    async def handler(ws: ServerConnection) -> None:
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    def send(value: bytes) -> None:
        frame = b'{"id":"1","type":"next","payload":{"data":{"' + field.encode() + b'":' + value + b"}}}"
        broadcast(clients, frame.decode())

    done = threading.Event()

    def read() -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "bench-ws-broadcast",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in meta.partitions
        }
        consumer.assign([TopicPartition(topic, p, o) for p, o in ends.items()])
        while not done.is_set():
            msg = consumer.poll(0.1)
            if msg is None or msg.error():
                continue
            loop.call_soon_threadsafe(send, msg.value())
        consumer.close()

    reader = threading.Thread(target=read, daemon=True)
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        reader.start()
        print("READY", flush=True)
        await stop.wait()
    done.set()
    reader.join(5)


# -- the clients --------------------------------------------------------------------------------


class Client:
    def __init__(self, url: str, query: str | None, key: str | None, path: list[str]) -> None:
        self.url, self.query, self.key, self.path = url, query, key, path
        self.received: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self.ready = asyncio.Event()

    async def run(self) -> None:
        protocols = ["graphql-transport-ws"] if self.query else None
        async with connect(self.url, subprotocols=protocols, compression=None, max_size=None) as ws:  # type: ignore[arg-type]
            if self.query:
                await ws.send(
                    orjson.dumps({"type": "connection_init", "payload": {"apiKey": self.key}}).decode()
                )
                ack = orjson.loads(await ws.recv())
                if ack.get("type") != "connection_ack":
                    self.errors.append(f"no ack: {ack}")
                    self.ready.set()
                    return
                await ws.send(
                    orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": self.query}}).decode()
                )
            self.ready.set()
            async for raw in ws:
                now = time.time() * 1000
                message = orjson.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await ws.send('{"type":"pong"}')
                    continue
                if kind != "next":
                    self.errors.append(str(message)[:1000])
                    continue
                payload = message["payload"]
                if payload.get("errors"):
                    self.errors.append(str(payload["errors"])[:1000])
                    continue
                self.received.append((_dig(payload["data"], self.path), now))


def _dig(value: Any, path: list[str]) -> str:
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return str(value)


async def _clients(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    path = args.id_path.split(".")
    clients = [Client(args.url, args.graphql, args.key, path) for _ in range(args.n)]
    tasks = []
    for client in clients:  # connect gradually: 100 handshakes at once only measure the accept queue
        tasks.append(asyncio.create_task(_guarded(client)))
        await asyncio.wait_for(client.ready.wait(), 30)
    failed = [c.errors[0] for c in clients if c.errors]
    print(f"READY {len(clients) - len(failed)}" + (f" (failed: {failed[0]})" if failed else ""), flush=True)
    await stop.wait()
    for task in tasks:
        task.cancel()
    with open(args.out, "wb") as out:
        for client in clients:
            out.write(orjson.dumps({"received": client.received, "errors": client.errors[:5]}) + b"\n")


async def _guarded(client: Client) -> None:
    try:
        await client.run()
    except (TimeoutError, OSError, websockets.WebSocketException) as exc:
        client.errors.append(f"{type(exc).__name__}: {exc}")
        client.ready.set()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server")
    server.add_argument("bootstrap")
    server.add_argument("topic")
    server.add_argument("port", type=int)
    server.add_argument("--field", default="equipmentOee")
    clients = sub.add_parser("clients")
    clients.add_argument("url")
    clients.add_argument("n", type=int)
    clients.add_argument("out")
    clients.add_argument("--graphql")
    clients.add_argument("--key")
    clients.add_argument("--id-path", default="equipmentOee.id", help="where the event id is in `data`")
    args = parser.parse_args()
    if args.role == "server":
        uvloop.run(_server(args.bootstrap, args.topic, args.port, args.field))
    else:
        uvloop.run(_clients(args))


if __name__ == "__main__":
    main()
