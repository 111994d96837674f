"""The streams benchmark's baseline processor: a bare confluent-kafka consume → produce loop.

Run by ``bench/streams.py`` in its own process: ``python -m bench.streams_bare BOOTSTRAP INPUT
OUTPUT GROUP``. One output per input, a plain (not transactional) consumer and producer, offsets
auto-committed every 100 ms (the processors' commit interval); each input is parsed and its output
built and serialised as a processor would (an id hashed from the input's, the input's Kafka
timestamp as ``inputts``), nothing else. SIGTERM stops it after a flush.
"""

from __future__ import annotations

import hashlib
import signal
import sys
import threading

import orjson
from confluent_kafka import Consumer, Producer


def main() -> None:
    bootstrap, source, target, group = sys.argv[1:5]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
            "auto.commit.interval.ms": 100,
            "session.timeout.ms": 6000,
        }
    )
    out = Producer({"bootstrap.servers": bootstrap})
    consumer.subscribe([source])
    try:
        while not stop.is_set():
            first = consumer.poll(0.1)
            if first is None:
                continue
            # poll returns on the first message (consume would wait out its timeout for a full
            # batch); what else is already fetched is taken at once
            for msg in [first, *consumer.consume(499, timeout=0)]:
                if msg.error():
                    continue
                event = orjson.loads(msg.value())
                derived = {
                    "id": hashlib.blake2b(event["id"].encode(), digest_size=16).hexdigest(),
                    "subject": event.get("subject"),
                    "time": event.get("time"),
                    "inputts": msg.timestamp()[1],
                    "data": event.get("data"),
                }
                out.produce(target, key=msg.key(), value=orjson.dumps(derived))
            out.poll(0)
    finally:
        out.flush(10)
        consumer.close()


if __name__ == "__main__":
    main()
