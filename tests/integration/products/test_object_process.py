"""objectProcess on the fixed plant plus a small event log of its own: the object-centric
directly-follows graph, computed by hand.

The fixed plant holds two events (SalesOrderChanged on SO-1 at 03-05 10:10 and on SO-3 at 03-07
08:10). This module adds the events below, AFFECTING the plant's objects; the fixed plant is
written once for the module and not changed (the tests only read).

  PRD-1  ProductionOrderReleased 03-02 05:00 (also affects operation PRD-1/0010),
         LotProduced 03-02 13:05 (also affects lot L-FG-1), ProductionOrderCompleted 03-02 13:05
         (same time: ordered by event id, EV-K2-02 before EV-K2-03)
  PRD-2  ProductionOrderReleased 03-02 05:00, ProductionOrderCompleted 03-02 15:35
  PRD-4  ProductionOrderReleased 03-03 09:00, ProductionOrderCompleted 03-03 10:00
  PRD-5  ProductionOrderReleased 03-02 18:00, ProductionOrderCompleted 03-03 08:00
  PRD-3  ProductionOrderReleased 03-02 18:00 only (one event: no edge)
  PRD-1/0010  OperationStarted 03-02 06:00, OperationCompleted 03-02 13:00
  L-FG-1 LotStatusChanged 03-04 13:05, GoodsMovementPosted 03-05 10:00
  SO-1   SalesOrderCreated 03-02 04:00 (also affects item SO-1/10: one event, no edge)
  WU-1   EquipmentMasterChanged 03-01 12:00, EquipmentStateChanged 03-02 06:00 (a WorkUnit, which
         events affect, so typed WorkUnit and not Equipment)
"""

from __future__ import annotations

import datetime as dt

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, build_data_products
from graph_service.store import Neo4jStore
from tests.conftest import reset_database
from tests.integration.products.conftest import SHIPPED, execute
from tests.integration.products.dataset import load_fixed_plant

# (event id, event class, time, the keys of the objects it affects)
LOG = [
    ("EV-K2-01", "ProductionOrderReleased", "2026-03-02T05:00:00Z", ["PRD-1", "PRD-1/0010"]),
    ("EV-K2-02", "LotProduced", "2026-03-02T13:05:00Z", ["PRD-1", "L-FG-1"]),
    ("EV-K2-03", "ProductionOrderCompleted", "2026-03-02T13:05:00Z", ["PRD-1"]),
    ("EV-K2-04", "ProductionOrderReleased", "2026-03-02T05:00:00Z", ["PRD-2"]),
    ("EV-K2-05", "ProductionOrderCompleted", "2026-03-02T15:35:00Z", ["PRD-2"]),
    ("EV-K2-06", "ProductionOrderReleased", "2026-03-03T09:00:00Z", ["PRD-4"]),
    ("EV-K2-07", "ProductionOrderCompleted", "2026-03-03T10:00:00Z", ["PRD-4"]),
    ("EV-K2-08", "ProductionOrderReleased", "2026-03-02T18:00:00Z", ["PRD-5"]),
    ("EV-K2-09", "ProductionOrderCompleted", "2026-03-03T08:00:00Z", ["PRD-5"]),
    ("EV-K2-10", "ProductionOrderReleased", "2026-03-02T18:00:00Z", ["PRD-3"]),
    ("EV-K2-11", "OperationStarted", "2026-03-02T06:00:00Z", ["PRD-1/0010"]),
    ("EV-K2-12", "OperationCompleted", "2026-03-02T13:00:00Z", ["PRD-1/0010"]),
    ("EV-K2-13", "LotStatusChanged", "2026-03-04T13:05:00Z", ["L-FG-1"]),
    ("EV-K2-14", "GoodsMovementPosted", "2026-03-05T10:00:00Z", ["L-FG-1"]),
    ("EV-K2-15", "SalesOrderCreated", "2026-03-02T04:00:00Z", ["SO-1", "SO-1/10"]),
    ("EV-K2-16", "EquipmentMasterChanged", "2026-03-01T12:00:00Z", ["WU-1"]),
    ("EV-K2-17", "EquipmentStateChanged", "2026-03-02T06:00:00Z", ["WU-1"]),
]
KEYS = (
    "productionOrderNumber",
    "operationId",
    "lotNumber",
    "salesOrderNumber",
    "salesOrderItemId",
    "equipmentId",
)


def write_log(store: Neo4jStore) -> None:
    for event_id, kind, time, objects in LOG:
        # The event class is a label: written per class (labels cannot be parameters).
        store.write(
            f"CREATE (ev:`{kind}`:DomainEvent {{eventId: $id, eventTime: datetime($time)}}) "
            "WITH ev MATCH (o:Entity) WHERE any(k IN $keys WHERE o[k] IN $objects) "
            "CREATE (ev)-[:AFFECTED]->(o)",
            {"id": event_id, "time": time, "objects": objects, "keys": list(KEYS)},
        )


@pytest.fixture(scope="module")
def products(session_store: Neo4jStore, model: DomainModel) -> DataProducts:
    reset_database(session_store)
    load_fixed_plant(session_store)
    write_log(session_store)
    return build_data_products(SHIPPED, model, session_store)


def edges(products: DataProducts, start: str, end: str, **parameters: object) -> dict:
    rows = products.query(
        "objectProcess",
        **{"from": dt.datetime.fromisoformat(start), "to": dt.datetime.fromisoformat(end)},
        **parameters,
    )
    return {(r["objectType"], r["fromEventType"], r["toEventType"]): r for r in rows}


def stats(row: dict) -> tuple:
    return (
        row["frequency"],
        row["objectCount"],
        row["meanMinutes"],
        row["medianMinutes"],
        row["p90Minutes"],
        row["minMinutes"],
        row["maxMinutes"],
    )


def test_each_object_type_has_the_directly_follows_graph_of_its_traces(products: DataProducts) -> None:
    found = edges(products, "2026-03-01T00:00:00+00:00", "2026-03-10T00:00:00+00:00")
    assert set(found) == {
        ("ProductionOrder", "ProductionOrderReleased", "LotProduced"),
        ("ProductionOrder", "LotProduced", "ProductionOrderCompleted"),
        ("ProductionOrder", "ProductionOrderReleased", "ProductionOrderCompleted"),
        ("Operation", "ProductionOrderReleased", "OperationStarted"),
        ("Operation", "OperationStarted", "OperationCompleted"),
        ("Lot", "LotProduced", "LotStatusChanged"),
        ("Lot", "LotStatusChanged", "GoodsMovementPosted"),
        ("SalesOrder", "SalesOrderCreated", "SalesOrderChanged"),
        ("WorkUnit", "EquipmentMasterChanged", "EquipmentStateChanged"),
    }
    # Released → Completed: PRD-2 05:00 → 15:35 = 635 min, PRD-4 60 min, PRD-5 18:00 → 08:00 = 840.
    # Mean 1535 / 3; sorted 60, 635, 840: median 635; p90 at rank (3 − 1) × 0.9 = 1.8:
    # 635 + 0.8 × (840 − 635) = 799.
    row = found[("ProductionOrder", "ProductionOrderReleased", "ProductionOrderCompleted")]
    assert stats(row) == (3, 3, pytest.approx(1535 / 3), pytest.approx(635), pytest.approx(799), 60, 840)
    # PRD-1: released 05:00, lot produced 13:05 (485 min), completed at the same minute: the tie
    # is ordered by event id, so LotProduced → Completed takes 0 min.
    assert stats(found[("ProductionOrder", "ProductionOrderReleased", "LotProduced")])[:3] == (1, 1, 485)
    assert stats(found[("ProductionOrder", "LotProduced", "ProductionOrderCompleted")])[2:] == (0, 0, 0, 0, 0)
    # One event, many objects: PRD-1's release starts the operation's trace too (05:00 → 06:00).
    assert found[("Operation", "ProductionOrderReleased", "OperationStarted")]["meanMinutes"] == 60
    assert found[("Operation", "OperationStarted", "OperationCompleted")]["meanMinutes"] == 420
    # L-FG-1: produced 03-02 13:05, status 03-04 13:05 (2 days = 2880), moved 03-05 10:00 (1255).
    assert found[("Lot", "LotProduced", "LotStatusChanged")]["medianMinutes"] == 2880
    assert found[("Lot", "LotStatusChanged", "GoodsMovementPosted")]["maxMinutes"] == 1255
    # SO-1: created 03-02 04:00, closed (the fixed plant's event) 03-05 10:10 = 3 d 6 h 10 min.
    assert found[("SalesOrder", "SalesOrderCreated", "SalesOrderChanged")]["meanMinutes"] == 3 * 1440 + 370
    # WU-1 03-01 12:00 → 03-02 06:00 = 1080 min, under its most specific affected class.
    assert found[("WorkUnit", "EquipmentMasterChanged", "EquipmentStateChanged")]["minMinutes"] == 1080
    # Rows come by object type, then the most frequent edge first.
    rows = products.query(
        "objectProcess",
        **{"from": dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "to": dt.datetime(2026, 3, 10, tzinfo=dt.UTC)},
    )
    order = [(r["objectType"], -r["frequency"], r["fromEventType"], r["toEventType"]) for r in rows]
    assert order == sorted(order)


def test_an_edge_counts_in_the_period_of_its_later_event(products: DataProducts) -> None:
    found = edges(products, "2026-03-03T00:00:00+00:00", "2026-03-10T00:00:00+00:00")
    # From 03-03 on: PRD-4 (60 min) and PRD-5, released on 03-02 18:00 before the period and
    # completed on 03-03 08:00 inside it (840 min). Median (60 + 840) / 2 = 450; p90 at rank 0.9:
    # 60 + 0.9 × 780 = 762. PRD-1's, PRD-2's, the operation's and WU-1's edges end on 03-02.
    row = found[("ProductionOrder", "ProductionOrderReleased", "ProductionOrderCompleted")]
    assert stats(row) == (2, 2, 450, 450, pytest.approx(762), 60, 840)
    assert set(found) == {
        ("ProductionOrder", "ProductionOrderReleased", "ProductionOrderCompleted"),
        ("Lot", "LotProduced", "LotStatusChanged"),
        ("Lot", "LotStatusChanged", "GoodsMovementPosted"),
        ("SalesOrder", "SalesOrderCreated", "SalesOrderChanged"),
    }
    # The period's end cuts later events: up to 03-05 00:00 the lot's move (03-05 10:00) and the
    # order's close (03-05 10:10) have not happened.
    assert set(edges(products, "2026-03-03T00:00:00+00:00", "2026-03-05T00:00:00+00:00")) == {
        ("ProductionOrder", "ProductionOrderReleased", "ProductionOrderCompleted"),
        ("Lot", "LotProduced", "LotStatusChanged"),
    }


def test_one_object_type_and_the_graphql_field(products: DataProducts) -> None:
    data = execute(
        products,
        """{ objectProcess(from: "2026-03-01T00:00:00Z", to: "2026-03-10T00:00:00Z", objectType: "Lot") {
               objectType fromEventType toEventType frequency objectCount meanMinutes p90Minutes } }""",
    )
    assert [(r["fromEventType"], r["toEventType"], r["frequency"]) for r in data["objectProcess"]] == [
        ("LotProduced", "LotStatusChanged", 1),
        ("LotStatusChanged", "GoodsMovementPosted", 1),
    ]
    assert {r["objectType"] for r in data["objectProcess"]} == {"Lot"}
    result = products.validate("objectProcess")
    assert result.conforms is True and result.row_count > 0, result.as_dict()
