"""The streams benchmark's engine floor: a Quix Streams pass-through, one output per input.

Run by ``bench/streams.py`` in its own process: ``python -m bench.streams_quix BOOTSTRAP INPUT
OUTPUT GROUP STATE_DIR``. The same engine settings as the stream runtime (exactly-once, its commit
interval ``DIGISPINE_STREAM_COMMIT_INTERVAL_S``, a stable transactional.id), each input parsed and
one output built as the bare loop builds it, no state, no re-keying: what Quix itself costs,
between the bare loop and a processor.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

import orjson
from quixstreams import Application

from graph_service.settings import load_settings


def derive(value: bytes, key: Any, timestamp: int, headers: Any) -> bytes:
    event = orjson.loads(value)
    return orjson.dumps(
        {
            "id": hashlib.blake2b(event["id"].encode(), digest_size=16).hexdigest(),
            "subject": event.get("subject"),
            "time": event.get("time"),
            "inputts": timestamp,
            "data": event.get("data"),
        }
    )


def main() -> None:
    bootstrap, source, target, group, state = sys.argv[1:6]
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        commit_interval=load_settings().stream_commit_interval_s,  # as the runtime's
        processing_guarantee="exactly-once",
        state_dir=state,
        consumer_extra_config={"session.timeout.ms": 6000, "heartbeat.interval.ms": 2000},
        producer_extra_config={"transactional.id": f"{group}-0"},
        loglevel=None,
    )
    inputs = app.topic(source, value_deserializer="bytes", key_deserializer="bytes")
    outputs = app.topic(target, value_serializer="bytes", key_serializer="bytes")
    frame: Any = app.dataframe(inputs)
    frame = frame.apply(derive, metadata=True)
    frame.to_topic(outputs)
    app.run()


if __name__ == "__main__":
    main()
