"""valueStream on the fixed plant: the value stream map (Rother & Shook) of FG-A, computed by hand.

The fixed plant's sales order items have no material link; this module adds the ERP's
orderedMaterial (every item orders FG-A) on top of it, once for the module, and an item of 5 FG-A
on the stub SO-9, which has no order date (so it is in no period's demand).

FG-A's production orders, their release (first event) and operations (all times UTC, 2026-03):
  PRD-1  released 02 05:00; 10 Machine housing 02 06:00–13:00 (600 produced, 588 good, 6 rework);
         for SO-1/10, shipped 05 10:00
  PRD-2  released 02 05:00; 10 Assemble pump 02 13:20–15:30 (100, 96, 0); for SO-2/10, shipped 05 09:00
  PRD-3  released 02 18:00; 10 Machine housing 03 06:00–07:30 (50, 50, 0); 20 Assemble pump started
         03 08:00; 30 Leak test waiting; for SO-2/20, not shipped
  PRD-4  released 03 09:00; 10 Machine housing and 20 Assemble pump not started (planned 20)
  PRD-5  released 02 18:00; 10 Machine housing 03 07:30–08:00 (10, 10, 0); 20 Assemble pump waiting
So the steps, ordered by their lowest sequence: Machine housing (10), Assemble pump (10 in PRD-2,
20 elsewhere), Leak test (30), then the shipment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import DataProducts, build_data_products
from graph_service.store import Neo4jStore
from tests.conftest import reset_database
from tests.integration.products.conftest import SHIPPED, execute
from tests.integration.products.dataset import load_fixed_plant

AS_OF = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
WEEK = (dt.datetime(2026, 3, 2, tzinfo=dt.UTC), dt.datetime(2026, 3, 9, tzinfo=dt.UTC))
WEEK_MINUTES = 7 * 24 * 60  # 10 080


@pytest.fixture(scope="module")
def products(session_store: Neo4jStore, model: DomainModel) -> DataProducts:
    reset_database(session_store)
    load_fixed_plant(session_store)
    session_store.write(
        "MATCH (m:Material {materialNumber: 'FG-A'}), (i:SalesOrderItem) CREATE (i)-[:ORDERED_MATERIAL]->(m)"
    )
    # An item of the stub SO-9, whose SalesOrderCreated never arrived: no order time, so no demand.
    session_store.write(
        "MATCH (m:Material {materialNumber: 'FG-A'}), (so:SalesOrder {salesOrderNumber: 'SO-9'}) "
        "CREATE (i:SalesOrderItem:OrderItem:LineItem:Entity {salesOrderItemId: 'SO-9/10', "
        "orderedQuantity: 5.0}) "
        "CREATE (i)-[:ITEM_OF]->(so), (i)-[:ORDERED_MATERIAL]->(m)"
    )
    return build_data_products(SHIPPED, model, session_store)


def stream(
    products: DataProducts, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> dict[str, Any]:
    (row,) = products.query("valueStream", asOf=as_of, **{"from": start, "to": end})
    return row


def steps_by_name(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in row["steps"]}


def test_the_week_of_fg_a_as_a_value_stream_map(products: DataProducts) -> None:
    row = stream(products, *WEEK, AS_OF)
    # SF-H (PRD-6, no operations) has nothing in the week: FG-A is the only row.
    assert row["materialNumber"] == "FG-A"
    assert (row["periodStart"], row["periodEnd"]) == WEEK
    assert [(s["kind"], s["name"], s["sequence"]) for s in row["steps"]] == [
        ("OPERATION", "Machine housing", 10),
        ("OPERATION", "Assemble pump", 10),
        ("OPERATION", "Leak test", 30),
        ("SHIPMENT", "Shipment", None),
    ]
    steps = steps_by_name(row)

    machining = steps["Machine housing"]
    # Completed: PRD-1/0010 420 min (600), PRD-3/0010 90 min (50), PRD-5/0010 30 min (10).
    assert machining["workCenterIds"] == ["WC-1"]
    assert (machining["completedCount"], machining["producedQuantity"]) == (3, 660)
    assert machining["cycleTimeSeconds"] == pytest.approx(540 * 60 / 660)  # 49.09 s per unit
    assert machining["processTimeMinutes"] == pytest.approx(540 / 3)  # 180
    assert machining["firstPassYield"] == pytest.approx((588 + 50 + 10 - 6) / 660)  # 0.9727
    # Queues from release: PRD-1 05:00→06:00 60 min, PRD-3 18:00→06:00 720, PRD-5 18:00→07:30 810;
    # PRD-4 from 03 09:00 is still waiting at asOf: inside the week until 09 00:00 = 8 100 min.
    assert (machining["waitCount"], machining["waitingTimeMinutes"]) == (
        3,
        pytest.approx((60 + 720 + 810) / 3),
    )
    assert machining["averageWipOrders"] == pytest.approx((60 + 720 + 810 + 8100) / WEEK_MINUTES)  # 0.9613
    # In units, each queue weighs the order's planned quantity: 600, 50, 10 and 20.
    units = 600 * 60 + 50 * 720 + 10 * 810 + 20 * 8100
    assert machining["averageWipQuantity"] == pytest.approx(units / WEEK_MINUTES)  # 24.02
    assert (machining["wipOrdersAtAsOf"], machining["wipQuantityAtAsOf"]) == (1, 20)  # PRD-4

    assembly = steps["Assemble pump"]
    # Completed: PRD-2/0010 130 min, 100 produced, 96 good. PRD-3/0020 still running.
    assert assembly["workCenterIds"] == ["WC-2"]
    assert (assembly["completedCount"], assembly["producedQuantity"]) == (1, 100)
    assert assembly["cycleTimeSeconds"] == pytest.approx(130 * 60 / 100)  # 78 s per unit
    assert assembly["processTimeMinutes"] == pytest.approx(130)
    assert assembly["firstPassYield"] == pytest.approx(0.96)
    # Queues: PRD-2 05:00→13:20 500 min (from release, 100 planned); PRD-3 07:30→08:00 30 min
    # (50 good from machining); PRD-5 from 03 08:00, still waiting: 8 160 min in the week (10 good).
    # PRD-4's machining has not ended: no queue in front of its assembly yet.
    assert (assembly["waitCount"], assembly["waitingTimeMinutes"]) == (2, pytest.approx((500 + 30) / 2))
    assert assembly["averageWipOrders"] == pytest.approx((500 + 30 + 8160) / WEEK_MINUTES)  # 0.8621
    units = 100 * 500 + 50 * 30 + 10 * 8160
    assert assembly["averageWipQuantity"] == pytest.approx(units / WEEK_MINUTES)  # 13.20
    assert (assembly["wipOrdersAtAsOf"], assembly["wipQuantityAtAsOf"]) == (1, 10)  # PRD-5

    leak_test = steps["Leak test"]
    # PRD-3/0030 waits for an assembly still running: no queue, nothing done, no work center.
    assert leak_test["workCenterIds"] == []
    assert (leak_test["completedCount"], leak_test["waitCount"], leak_test["averageWipOrders"]) == (0, 0, 0)
    assert (
        leak_test["cycleTimeSeconds"]
        is leak_test["waitingTimeMinutes"]
        is leak_test["firstPassYield"]
        is None
    )

    shipment = steps["Shipment"]
    # PRD-1 ended 02 13:00, SO-1/10 shipped 05 10:00: 4 140 min of 588 good; PRD-2 ended 15:30,
    # SO-2/10 shipped 05 09:00: 3 930 min of 96. PRD-3 has not finished.
    assert (shipment["completedCount"], shipment["waitCount"]) == (2, 2)
    assert shipment["waitingTimeMinutes"] == pytest.approx((4140 + 3930) / 2)
    assert shipment["averageWipOrders"] == pytest.approx((4140 + 3930) / WEEK_MINUTES)  # 0.8006
    assert shipment["averageWipQuantity"] == pytest.approx((588 * 4140 + 96 * 3930) / WEEK_MINUTES)  # 278.9
    assert (shipment["wipOrdersAtAsOf"], shipment["producedQuantity"], shipment["cycleTimeSeconds"]) == (
        0,
        None,
        None,
    )

    # The stream: items shipped in the week, ordered at the start of their order date (no event time):
    # SO-1/10 02 00:00 → 05 10:00 = 4 920 min, worked 420; SO-2/10 → 05 09:00 = 4 860, worked 130;
    # SO-3/10 03 00:00 → 07 08:00 = 6 240, shipped from stock (worked 0).
    assert row["shippedItemCount"] == 3
    assert row["leadTimeMinutes"] == pytest.approx((4920 + 4860 + 6240) / 3)  # 5 340
    assert row["processTimeMinutes"] == pytest.approx((420 + 130 + 0) / 3)  # 183.3
    assert row["valueAddedRatio"] == pytest.approx(550 / 16020)  # 0.0343
    # Takt: shifts S-A and S-B, 2 × (480 − 30) = 900 min available; demand 600 + 100 + 50 + 10.
    assert (row["availableTimeMinutes"], row["demandQuantity"]) == (pytest.approx(900), 760)
    assert row["taktTimeSeconds"] == pytest.approx(900 * 60 / 760)  # 71.05 s per unit


def test_before_the_shipments_the_finished_orders_wait_in_front_of_the_shipment(
    products: DataProducts,
) -> None:
    # At 03 07:00, for [02 00:00, 04 00:00) cut at asOf: 31 h = 1 860 min. PRD-4 is not released
    # yet; PRD-3/0010 is running (in process, not waiting); PRD-5 waits for machining since 02 18:00.
    as_of = dt.datetime(2026, 3, 3, 7, tzinfo=dt.UTC)
    row = stream(products, WEEK[0], dt.datetime(2026, 3, 4, tzinfo=dt.UTC), as_of)
    assert row["periodEnd"] == as_of
    minutes = 31 * 60
    steps = steps_by_name(row)

    machining = steps["Machine housing"]
    # Only PRD-1/0010 completed: 420 min for 600 → 42 s per unit, FPY (588 − 6) / 600.
    assert (machining["completedCount"], machining["cycleTimeSeconds"]) == (1, pytest.approx(42))
    assert machining["firstPassYield"] == pytest.approx(0.97)
    # Queues ended in the period: PRD-1 60 min and PRD-3 720; PRD-5 open since 18:00 (780 min).
    assert (machining["waitCount"], machining["waitingTimeMinutes"]) == (2, pytest.approx(390))
    assert machining["averageWipOrders"] == pytest.approx((60 + 720 + 780) / minutes)  # 0.8387
    assert machining["averageWipQuantity"] == pytest.approx((600 * 60 + 50 * 720 + 10 * 780) / minutes)
    assert (machining["wipOrdersAtAsOf"], machining["wipQuantityAtAsOf"]) == (1, 10)

    shipment = steps["Shipment"]
    # Both finished orders wait: PRD-1 since 02 13:00 (1 080 min, 588) and PRD-2 since 15:30 (930, 96).
    assert (shipment["completedCount"], shipment["waitCount"], shipment["waitingTimeMinutes"]) == (0, 0, None)
    assert (shipment["wipOrdersAtAsOf"], shipment["wipQuantityAtAsOf"]) == (2, 588 + 96)
    assert shipment["averageWipOrders"] == pytest.approx((1080 + 930) / minutes)  # 1.0806
    assert shipment["averageWipQuantity"] == pytest.approx((588 * 1080 + 96 * 930) / minutes)  # 389.4

    # Nothing shipped yet: no lead time. Demand: every order is dated 02 or 03 00:00, before asOf.
    assert (row["shippedItemCount"], row["leadTimeMinutes"], row["valueAddedRatio"]) == (0, None, None)
    assert row["demandQuantity"] == 760
    assert row["taktTimeSeconds"] == pytest.approx(900 * 60 / 760)


def test_a_material_without_production_has_no_value_stream(products: DataProducts) -> None:
    rows = products.query(
        "valueStream", asOf=AS_OF, materialNumber="RM-S", **{"from": WEEK[0], "to": WEEK[1]}
    )
    assert rows == []


def test_the_graphql_field_serves_the_same_numbers(products: DataProducts) -> None:
    data = execute(
        products,
        """query($asOf: DateTime, $from: DateTime!, $to: DateTime!) {
             valueStream(asOf: $asOf, from: $from, to: $to, materialNumber: "FG-A") {
               materialNumber leadTimeMinutes valueAddedRatio taktTimeSeconds
               steps { name cycleTimeSeconds waitingTimeMinutes averageWipOrders wipOrdersAtAsOf }
             }
           }""",
        {"asOf": AS_OF.isoformat(), "from": WEEK[0].isoformat(), "to": WEEK[1].isoformat()},
    )
    (row,) = data["valueStream"]
    assert row["leadTimeMinutes"] == pytest.approx(5340)
    assert row["valueAddedRatio"] == pytest.approx(550 / 16020)
    assert row["taktTimeSeconds"] == pytest.approx(900 * 60 / 760)
    first = row["steps"][0]
    assert (first["name"], first["cycleTimeSeconds"], first["wipOrdersAtAsOf"]) == (
        "Machine housing",
        pytest.approx(540 * 60 / 660),
        1,
    )
