"""The ingest benchmark's adapters part (``bench/ingest.py --adapters``): each adapter's load rate
beside the file loader's.

For each adapter, N wire records built from its samples' shapes (tests/data/adapters/) are loaded
through the pipeline with the adapter and its mapping pack, into an empty graph; the baseline is
the same events, decoded into CloudEvents before the clock starts, loaded by the same pipeline
without an adapter (what the file loader does with CloudEvents). The ratio is what decoding costs;
the file loader's rate on the simulated plant (batch 1,000, the bench's main figure) is printed
beside them for scale (other payloads, so no ratio to it).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from bench.common import empty_graph
from graph_service.settings import load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders import adapters
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.pipeline import Pipeline, Record

if TYPE_CHECKING:
    from bench.ingest import Runs

T0 = 1_772_442_000_000  # 2026-03-02T09:00:00Z, in ms


def debezium_records(n: int) -> list[Record]:
    """Sales order headers and their items as PostgreSQL row creates (bare envelopes, keyed)."""
    records = []
    for i in range(n):
        order = f"SO-{i:07d}"
        if i % 3:
            table, row, key = (
                "sales_order_item",
                {
                    "order_no": f"SO-{i - i % 3:07d}",
                    "item_no": 10 * (i % 3),
                    "material_no": f"M-{i % 50}",
                    "quantity": 2.0,
                    "unit": "PC",
                    "net_price": 12.5,
                },
                {"order_no": f"SO-{i - i % 3:07d}", "item_no": 10 * (i % 3)},
            )
        else:
            table, row, key = (
                "sales_order_header",
                {
                    "order_no": order,
                    "customer_no": f"C-{i % 40}",
                    "order_date": 20514,
                    "requested_delivery": 20528,
                    "currency": "EUR",
                    "net_amount": 25.0,
                    "status": "A",
                },
                {"order_no": order},
            )
        source = {
            "version": "2.7.3.Final",
            "connector": "postgresql",
            "name": "erpdb",
            "ts_ms": T0 + i,
            "snapshot": "false",
            "db": "erp",
            "schema": "erp",
            "table": table,
            "txId": 1000 + i // 3,
            "lsn": 34_000_000 + 88 * i,
        }
        value = {"before": None, "after": row, "source": source, "op": "c", "ts_ms": T0 + i + 37}
        records.append(Record(orjson.dumps(value), f"bench:{i}", key=orjson.dumps(key)))
    return records


def sap_records(n: int) -> list[Record]:
    """Sales orders created (thin notifications, structured mode)."""
    return [
        Record(
            orjson.dumps(
                {
                    "type": "sap.s4.beh.salesorder.v1.SalesOrder.Created.v1",
                    "specversion": "1.0",
                    "source": "/default/sap.s4.beh/244572008",
                    "id": f"bench-{i:012d}",
                    "time": "2026-03-02T08:37:02Z",
                    "datacontenttype": "application/json",
                    "data": {
                        "SalesOrder": f"{i:010d}",
                        "SalesOrderType": "OR",
                        "SalesOrganization": "1010",
                        "SoldToParty": f"{i % 40:010d}",
                    },
                }
            ),
            f"bench:{i}",
        )
        for i in range(n)
    ]


def salesforce_records(n: int) -> list[Record]:
    """Opportunity creates and, every fourth, a mass update of the last three (several record ids)."""
    records = []
    for i in range(n):
        ids = [f"006R{j:014d}" for j in range(max(i - 3, 0), i)] if i % 4 == 3 else [f"006R{i:014d}"]
        change = "UPDATE" if len(ids) > 1 else "CREATE"
        payload: dict[str, Any] = {
            "ChangeEventHeader": {
                "entityName": "Opportunity",
                "recordIds": ids,
                "changeType": change,
                "transactionKey": f"bench-{i:08d}",
                "sequenceNumber": 1,
                "commitTimestamp": T0 + i,
                "commitUser": "005R0000000IGDdIAO",
                "changedFields": ["StageName"] if change == "UPDATE" else [],
            },
            "StageName": "Negotiation/Review" if change == "UPDATE" else "Prospecting",
        }
        if change == "CREATE":
            payload.update(
                Amount=1000.0, CurrencyIsoCode="EUR", CloseDate="2026-06-30", AccountId=f"001R{i % 40:014d}"
            )
        records.append(Record(orjson.dumps(payload), f"bench:{i}"))
    return records


def ocel_records(n: int) -> list[Record]:
    """An order-management OCEL 2.0 log of about ``n`` events (bench/ocel_log.py) in the JSON form,
    read by the adapter into its wire records (events and object records) before the clock starts."""
    import tempfile
    from pathlib import Path

    from bench.ocel_log import order_management_log
    from graph_service.ocel.ocel_json import write_json

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "order-management.json"
        write_json(order_management_log(n), path)
        return list(adapters.file_records(adapters.get("ocel"), path))


def uns_records(n: int) -> list[Record]:
    """MQTT messages as a connector puts them on Kafka (the MQTT topic as the key): 20 machines'
    state changes and operation counts as JSON on ISA-95 topics, every third a Sparkplug B DDATA
    read by the aliases of the births that open the stream."""
    from loaders.adapters import mqtt_protobuf as pb

    def record(topic: str, value: bytes, i: int) -> Record:
        return Record(value, f"bench:{i}", key=topic.encode())

    births = [
        record("spBv1.0/plant1/NBIRTH/line9", pb.encode([], timestamp=T0, seq=0), -2),
        record(
            "spBv1.0/plant1/DBIRTH/line9/SP-1",
            pb.encode(
                [{"name": "state", "alias": 1, "datatype": "String", "value": "IDLE"}], timestamp=T0, seq=1
            ),
            -1,
        ),
    ]
    records, states = births, ("RUNNING", "DOWN", "IDLE", "SETUP")
    for i in range(max(n - len(births), 0)):
        when = T0 + 1000 * i
        if i % 3 == 2:
            value = pb.encode(
                [{"alias": 1, "datatype": "String", "value": states[i % 4]}],
                timestamp=when,
                seq=(i // 3 + 2) % 256,
            )
            records.append(record("spBv1.0/plant1/DDATA/line9/SP-1", value, i))
        elif i % 7 == 0:
            counts = {
                "operationId": f"PO-{i}/0010",
                "productionOrderNumber": f"PO-{i}",
                "good": 95,
                "scrap": 5,
            }
            topic = f"acme/plant1/fab/line2/cnc-{i % 20}/operation/completed"
            records.append(record(topic, orjson.dumps({**counts, "timestamp": when}), i))
        else:
            body = {"state": states[i % 4], "reason": "BENCH", "timestamp": when}
            records.append(record(f"acme/plant1/fab/line2/cnc-{i % 20}/state", orjson.dumps(body), i))
    return records


CASES: tuple[tuple[str, str, Callable[[int], list[Record]]], ...] = (
    ("debezium", "debezium-erp", debezium_records),
    ("sap-events", "sap-s4", sap_records),
    ("salesforce-cdc", "salesforce-cdc", salesforce_records),
    ("ocel", "ocel-order-management", ocel_records),
    ("uns", "uns", uns_records),
)


def adapter_rates(runs: Runs, n: int = 3000, rounds: int = 3) -> None:
    """Print each adapter's rate (wire records/s and events/s) against its CloudEvents baseline."""
    print(f"\nadapters ({n:,} wire records each, batch 1,000; medians of {rounds} alternating rounds):")
    file_rate = runs.pipeline(1000)
    print(f"  {'file loader, simulated plant (CloudEvents)':44s} {file_rate:>10,.0f} events/s")
    print(
        f"  {'adapter':16s} {'records/s':>10} {'events/s':>10} {'CloudEvents ev/s':>17} {'ratio':>6}"
        f" {'µs decode':>9} {'µs prepare':>9} {'share':>6}"
    )
    for name, pack, make in CASES:
        parts = _pack_parts(runs, pack)
        wire = make(n)
        adapter = adapters.get(name)
        events = [Record(r.raw, r.origin) for w in wire for r in adapters.decoded_records(adapter, w)]
        with Neo4jStore(runs.server.settings) as store:
            apply_schema(store, parts.model)
            timings = [
                (_rate(parts, store, wire, name), _rate(parts, store, events, None)) for _ in range(rounds)
            ]
        (records_s, events_s), baseline = _medians(timings, len(events) / len(wire))
        ratio = events_s / baseline
        cpu = [(_decode_cpu(adapter, wire), _prepare_cpu(parts, events)) for _ in range(rounds)]
        decode, prepare = (statistics.median(c[i] for c in cpu) * 1e6 / len(events) for i in (0, 1))
        print(
            f"  {name:16s} {records_s:>10,.0f} {events_s:>10,.0f} {baseline:>17,.0f} {ratio:>6.2f}"
            f" {decode:>9,.0f} {prepare:>9,.0f} {decode / prepare:>6.2f}"
        )
    print(
        "  (ratio: events/s through the adapter / the same events as CloudEvents; 1.00 = decoding is free;\n"
        "   µs: process CPU time per event of the adapter's decoding, and of preparing the CloudEvent\n"
        "   (parse, map, validate); share = decode / prepare; no Neo4j involved, so they hold under load)"
    )


def _pack_parts(runs: Runs, pack: str) -> LoaderParts:
    settings = runs.server.settings
    return load_parts(
        load_settings(
            neo4j_uri=settings.neo4j_uri,
            neo4j_password=settings.neo4j_password,
            data_dir=settings.data_dir,
            ontology_dir=settings.ontology_dir,
            shapes_dir=settings.shapes_dir,
            **adapters.pack_dirs(pack),
        )
    )


def _rate(parts: LoaderParts, store: Neo4jStore, records: list[Record], adapter: str | None) -> float:
    """Events/s of one load of ``records`` into an empty graph (nothing may be refused)."""
    empty_graph(store)
    decoder = adapters.get(adapter) if adapter else None
    stats = build_pipeline(parts, store, batch_size=1000, adapter=decoder).run(records)
    assert stats.rejected_total == 0, stats.summary()
    return stats.loaded / stats.seconds


def _decode_cpu(adapter: adapters.Adapter, records: list[Record]) -> float:
    """Process CPU seconds the adapter takes to decode ``records`` into CloudEvent records."""
    started = time.process_time()
    for record in records:
        adapters.decoded_records(adapter, record)
    return time.process_time() - started


def _prepare_cpu(parts: LoaderParts, records: list[Record]) -> float:
    """Process CPU seconds to prepare CloudEvent ``records`` (parse, map, validate), nothing written."""
    pipeline = Pipeline(parts.mapper, parts.validator, None, parts.deadletters)  # type: ignore[arg-type]
    started = time.process_time()
    for record in records:
        pipeline.prepare(record)
    return time.process_time() - started


def _medians(timings: list[tuple[float, float]], per_record: float) -> tuple[tuple[float, float], float]:
    through = statistics.median(t[0] for t in timings)
    return (through / per_record, through), statistics.median(t[1] for t in timings)
