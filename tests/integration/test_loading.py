"""Loading events into the real Neo4j: counts, idempotency, order independence, dead letters."""

from __future__ import annotations

import random
import threading
from collections import Counter

import orjson
import pytest

from graph_service.settings import Settings, load_settings
from graph_service.store import Neo4jStore
from graph_service.store.schema import apply_schema
from loaders.assembly import LoaderParts, build_pipeline, load_parts
from loaders.pipeline import LoadStats, Record
from loaders.simulation import simulate
from loaders.simulation.faults import inject_faults
from tests.support.graph import counts_by_label, snapshot
from tests.support.paths import REPO


@pytest.fixture(scope="module")
def parts(neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> LoaderParts:
    settings = load_settings(
        neo4j_uri=neo4j_settings.bolt_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dir=tmp_path_factory.mktemp("loader-data"),
    )
    return load_parts(settings)


@pytest.fixture(scope="module")
def history() -> list[dict]:
    return simulate(seed=11, days=4)


def records(events: list[dict]) -> list[Record]:
    return [Record(orjson.dumps(e), f"test:{i}") for i, e in enumerate(events)]


def load(parts: LoaderParts, store: Neo4jStore, recs: list[Record], batch_size: int = 200):
    return build_pipeline(parts, store, batch_size=batch_size).run(recs)


def expected_counts(events: list[dict]) -> dict[str, int]:
    """Hand-derived from the payloads, independently of the mappings."""

    def distinct(event_type: str, *fields: str) -> set:
        return {tuple(e["data"][f] for f in fields) for e in events if e["type"].split(".")[2] == event_type}

    lots = {(e["data"]["lotNumber"],) for e in events if "lotNumber" in e["data"]}
    lots |= {(c["lotNumber"],) for e in events for c in e["data"].get("consumedLots", [])}
    return {
        "DomainEvent": len(events),
        "SalesOrder": len(distinct("SalesOrderCreated", "salesOrderNumber")),
        "SalesOrderItem": sum(len(e["data"]["items"]) for e in events if "SalesOrderCreated" in e["type"]),
        "ProductionOrder": len(distinct("ProductionOrderReleased", "productionOrderNumber")),
        "Operation": sum(
            len(e["data"]["operations"]) for e in events if "ProductionOrderReleased" in e["type"]
        ),
        "Customer": len(distinct("CustomerRegistered", "customerNumber")),
        "Lot": len(lots),
        "EquipmentStateChange": len(distinct("EquipmentStateChanged", "stateChangeId")),
        "Shipment": len(distinct("ShipmentDispatched", "shipmentNumber")),
        "Inspection": len(distinct("InspectionRecorded", "inspectionId")),
        "WorkUnit": len(
            [
                e
                for e in events
                if "EquipmentMasterChanged" in e["type"] and e["data"]["equipmentLevel"] == "WORK_UNIT"
            ]
        ),
        "SourceSystem": len({e["source"] for e in events}),
    }


def test_loading_a_simulated_history_gives_the_expected_counts_per_class(
    store: Neo4jStore, parts: LoaderParts, history: list[dict]
) -> None:
    apply_schema(store, parts.model)
    stats = load(parts, store, records(history))
    assert stats.read == len(history)
    assert stats.loaded == len(history)
    assert stats.rejected_total == 0, parts.deadletters.all()[:3]
    counts = counts_by_label(store)
    for label, expected in expected_counts(history).items():
        assert counts.get(label, 0) == expected, label
    # Lineage: every event names a stored source system by its key (no relationship to that one
    # node: it would be a supernode), and affected entities know their sources.
    orphans = store.read(
        "MATCH (e:DomainEvent) WHERE NOT EXISTS { MATCH (:SourceSystem {sourceSystemId: e.source}) } "
        "RETURN count(e) AS n"
    )
    assert orphans == [{"n": 0}]
    assert store.read("MATCH ()-[r:REPORTED_BY]->() RETURN count(r) AS n") == [{"n": 0}]
    lot = store.read(
        "MATCH (l:Lot)<-[:AFFECTED]-(e:DomainEvent) WITH l, count(e) AS touches WHERE touches > 1 "
        "RETURN l.firstEventTime < l.lastEventTime AS ordered, l.sourceSystems AS sources LIMIT 1"
    )
    assert lot and lot[0]["ordered"] is True
    assert lot[0]["sources"] == sorted(lot[0]["sources"])


def test_loading_the_same_stream_again_changes_nothing(
    store: Neo4jStore, parts: LoaderParts, history: list[dict]
) -> None:
    first = load(parts, store, records(history))
    before = snapshot(store)
    again = load(parts, store, records(history))
    assert again.loaded == 0
    assert again.duplicates == first.loaded
    assert snapshot(store) == before


def test_shuffling_the_event_order_yields_the_same_graph(
    store: Neo4jStore, parts: LoaderParts, history: list[dict]
) -> None:
    load(parts, store, records(history))
    in_order = snapshot(store)
    store.write("MATCH (n) DETACH DELETE n")
    shuffled = list(history)
    random.Random(5).shuffle(shuffled)
    stats = load(parts, store, records(shuffled), batch_size=97)
    assert stats.rejected_total == 0
    assert snapshot(store) == in_order


def test_the_batch_size_does_not_change_the_graph(
    store: Neo4jStore, parts: LoaderParts, history: list[dict]
) -> None:
    """In one batch of everything nearly every node is new (created with its values at once); in
    batches of three nearly every node already exists (looked up, locked, updated by version).
    Both paths must write the same graph."""
    stats = load(parts, store, records(history), batch_size=len(history))
    assert stats.batches == 1
    whole = snapshot(store)
    store.write("MATCH (n) DETACH DELETE n")
    small = load(parts, store, records(history), batch_size=3)
    assert small.rejected_total == 0 and small.loaded == len(history)
    assert snapshot(store) == whole


def test_faulty_events_are_dead_lettered_with_their_reason_and_the_rest_loads(
    store: Neo4jStore, parts: LoaderParts, history: list[dict]
) -> None:
    load(parts, store, records(history))
    clean = snapshot(store)
    store.write("MATCH (n) DETACH DELETE n")
    lines, log = inject_faults(history, rate=0.08, seed=3)
    assert log.expected_rejections(), "the fault injector injected nothing"
    before = len(parts.deadletters.all())
    stats = load(parts, store, [Record(line, f"faulty:{i}") for i, line in enumerate(lines)])
    assert stats.rejected == log.expected_rejections()
    assert stats.duplicates == log.injected["duplicate"]
    letters = parts.deadletters.all()[before:]
    assert Counter(d.reason for d in letters) == log.expected_rejections()
    by_id = {d.event_id: d.reason for d in letters if d.event_id}
    for event_id, reason in log.rejected_ids.items():
        assert by_id.get(event_id) == reason
    shacl = [d for d in letters if d.reason == "shacl"]
    assert all(d.report and "MinCountConstraintComponent" in d.report for d in shacl)
    assert all(d.original for d in letters)
    assert snapshot(store) == clean


def changed(event_id: str, time: str, status: str, order: str = "SO-9") -> Record:
    """A SalesOrderChanged event setting the status of ``order``."""
    return Record(
        orjson.dumps(
            {
                "specversion": "1.0",
                "id": event_id,
                "source": "erp/s4",
                "type": "digispine.erp.SalesOrderChanged.v1",
                "time": time,
                "datacontenttype": "application/json",
                "data": {"salesOrderNumber": order, "status": status},
            }
        ),
        event_id,
    )


def test_an_older_update_does_not_overwrite_a_newer_value(store: Neo4jStore, parts: LoaderParts) -> None:
    newer = load(parts, store, [changed("new", "2026-02-01T10:00:00Z", "COMPLETED")])
    older = load(parts, store, [changed("old", "2026-02-01T09:00:00Z", "OPEN")])
    assert newer.loaded == 1 and older.loaded == 1
    rows = store.read(
        "MATCH (o:SalesOrder {salesOrderNumber: 'SO-9'}) RETURN o.status AS s, "
        "o.firstEventTime AS first, o.lastEventTime AS last"
    )
    assert rows[0]["s"] == "COMPLETED"
    assert rows[0]["first"].iso_format().startswith("2026-02-01T09:00")
    assert rows[0]["last"].iso_format().startswith("2026-02-01T10:00")


def test_two_loaders_at_once_end_in_the_graph_one_loader_makes(
    store: Neo4jStore, parts: LoaderParts, history: list[dict]
) -> None:
    """Two pipelines load interleaved halves of one history into one graph at the same time: they
    race to create the same customers, materials and equipment and to update the same orders and
    lots. The uniqueness constraints, the retried batch and the node locks of the versioned update
    must leave exactly the graph of one loader."""
    apply_schema(store, parts.model)
    load(parts, store, records(history))
    alone = snapshot(store)
    store.write("MATCH (n) DETACH DELETE n")
    halves = [records(history[0::2]), records(history[1::2])]
    results: dict[int, LoadStats] = {}
    failures: list[BaseException] = []

    def run(half: int) -> None:
        try:
            results[half] = load(parts, store, halves[half], batch_size=25)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(half,)) for half in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert sum(r.loaded for r in results.values()) == len(history)
    assert all(r.rejected_total == 0 for r in results.values()), [r.summary() for r in results.values()]
    assert snapshot(store) == alone


def test_an_update_waits_for_another_writer_of_the_same_node(store: Neo4jStore, parts: LoaderParts) -> None:
    """Another writer holds a newer, uncommitted status of an order while our loader updates it with
    an older one. Read before that writer commits, the stored version would say "write", and the
    older value would land last; the loader must lock the node first and read after the commit."""
    apply_schema(store, parts.model)
    load(parts, store, [changed("first", "2026-02-01T09:00:00Z", "OPEN", "SO-77")])
    with store.driver.session(database=store.database) as session:
        newer = session.begin_transaction()
        newer.run(
            "MATCH (o:SalesOrder {salesOrderNumber: 'SO-77'}) "
            "SET o.status = 'COMPLETED', o._v_status = '2026-02-01T11:00:00.000000Z|other-writer'"
        ).consume()
        older = [changed("older", "2026-02-01T10:00:00Z", "IN_PROCESS", "SO-77")]
        results: list[LoadStats] = []
        loading = threading.Thread(target=lambda: results.append(load(parts, store, older)))
        loading.start()
        loading.join(timeout=2.0)  # blocked on the other writer's lock, or done if it took none
        newer.commit()
    loading.join(timeout=60)
    assert results and results[0].loaded == 1, results
    rows = store.read("MATCH (o:SalesOrder {salesOrderNumber: 'SO-77'}) RETURN o.status AS s")
    assert rows == [{"s": "COMPLETED"}]


@pytest.mark.parametrize("change_log", [None, "warm-up-test"])
def test_warming_the_writer_up_plans_its_statements_and_leaves_the_graph_as_it_was(
    store: Neo4jStore, parts: LoaderParts, change_log: str | None
) -> None:
    from loaders.writer import GraphWriter

    apply_schema(store, parts.model)
    load(parts, store, records(simulate(seed=2, days=1)[:30]))
    before = snapshot(store)
    writer = GraphWriter(store.driver, store.database, parts.model, change_log=change_log)
    assert writer.warm_up() > 0  # the statements a first load sends (a wrong one raises)
    assert snapshot(store) == before


def test_a_batch_into_an_empty_graph_looks_nothing_up_and_the_graph_is_the_same(
    store: Neo4jStore, parts: LoaderParts, history: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first batch into an empty graph skips the per-label lookups (every node is new); the
    next writer, on a graph that holds nodes, looks up again. The graph is the one a single load
    makes."""
    import loaders.writer as writer_module
    from loaders.mapping import MappedEvent

    apply_schema(store, parts.model)
    store.write("MATCH (n) DETACH DELETE n")
    load(parts, store, records(history))
    alone = snapshot(store)
    store.write("MATCH (n) DETACH DELETE n")

    sent: list[str] = []
    original = writer_module._run

    def spy(tx, result, cypher, **params):  # type: ignore[no-untyped-def]
        sent.append(cypher)
        return original(tx, result, cypher, **params)

    monkeypatch.setattr(writer_module, "_run", spy)
    pipeline = build_pipeline(parts, store)
    mapped = [pipeline.prepare(r) for r in records(history)]
    assert all(isinstance(m, MappedEvent) for m in mapped)
    half = len(mapped) // 2
    first = writer_module.GraphWriter(store.driver, store.database, parts.model)
    assert first.write(mapped[:half]).loaded
    lookups = [c for c in sent if "RETURN r.i AS i, elementId(n) AS id, labels(n)" in c]
    assert lookups == [] and writer_module._ANY_NODE in sent
    sent.clear()
    second = writer_module.GraphWriter(store.driver, store.database, parts.model)
    assert second.write(mapped[half:]).loaded
    assert any("RETURN r.i AS i, elementId(n) AS id, labels(n)" in c for c in sent)
    assert snapshot(store) == alone
