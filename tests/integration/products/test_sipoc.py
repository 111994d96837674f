"""sipoc on the fixed plant: suppliers, inputs, outputs and customers per work center, by hand.

On top of the fixed plant (dataset.py) this module adds, once: the goods issues (261) of 600 PCE
of L-RM-2 to PRD-1 and of 30 KG of L-RM-1 to PRD-2, and PRD-6's operation 10 (Machine housing on
WU-1, 03-01 08:00–11:30, 40 produced and good), which made the housings lot L-SF-1.

The processes in the week of 03-02 (all times UTC, 2026-03, asOf the 10th):
  WC-1 Machining  PRD-1/0010 (first and last: consumes L-SF-1 and L-RM-2, makes L-FG-1 588 for SO-1
                  of C-1), PRD-3/0010 (then PRD-3/0020 ran on WU-2 of WC-2; 50 good) and PRD-5/0010
                  (its next operation has not run: its work center is unknown; 10 good)
  WC-2 Assembly   PRD-2/0010 (first and last: consumes L-RM-1 of SUP-1 via PO-1, makes L-FG-2 96
                  for SO-2 of C-2); PRD-3/0020 is still running
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
SUNDAY = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 2, tzinfo=dt.UTC))

ADDITIONS = """
MATCH (prd1:ProductionOrder {productionOrderNumber: 'PRD-1'}),
      (prd2:ProductionOrder {productionOrderNumber: 'PRD-2'}),
      (prd6:ProductionOrder {productionOrderNumber: 'PRD-6'}), (rm1:Lot {lotNumber: 'L-RM-1'}),
      (rm2:Lot {lotNumber: 'L-RM-2'}), (wu1:WorkUnit {equipmentId: 'WU-1'})
CREATE (gi1:GoodsMovement:Entity {documentNumber: 'GI-1', movementType: '261', movementQuantity: 600.0,
        movementUnit: 'PCE'})-[:POSTED_FOR_PRODUCTION_ORDER]->(prd1), (gi1)-[:MOVED_LOT]->(rm2)
CREATE (gi2:GoodsMovement:Entity {documentNumber: 'GI-2', movementType: '261', movementQuantity: 30.0,
        movementUnit: 'KG'})-[:POSTED_FOR_PRODUCTION_ORDER]->(prd2), (gi2)-[:MOVED_LOT]->(rm1)
CREATE (op6:Operation:ProductionWork:Entity {operationId: 'PRD-6/0010', sequence: 10, name: 'Machine housing',
        status: 'COMPLETED', actualStart: datetime('2026-03-01T08:00:00Z'),
        actualEnd: datetime('2026-03-01T11:30:00Z'),
        producedQuantity: 40.0, goodQuantity: 40.0, scrapQuantity: 0.0, reworkQuantity: 0.0})
CREATE (op6)-[:OPERATION_OF]->(prd6), (op6)-[:PERFORMED_ON]->(wu1)
"""


@pytest.fixture(scope="module")
def products(session_store: Neo4jStore, model: DomainModel) -> DataProducts:
    reset_database(session_store)
    load_fixed_plant(session_store)
    session_store.write(ADDITIONS)
    return build_data_products(SHIPPED, model, session_store)


def processes(products: DataProducts, period: tuple[dt.datetime, dt.datetime], **parameters: Any) -> dict:
    rows = products.query("sipoc", asOf=AS_OF, **{"from": period[0], "to": period[1]}, **parameters)
    return {row["processId"]: row for row in rows}


def flows(entries: list[dict[str, Any]], key: str) -> list[tuple[Any, ...]]:
    return [(e["kind"], e[key], e["orderCount"], e["lotCount"], e["quantity"]) for e in entries]


def test_machining_in_the_week(products: DataProducts) -> None:
    rows = processes(products, WEEK)
    assert list(rows) == ["WC-1", "WC-2"]
    row = rows["WC-1"]
    assert (row["processName"], row["operationNames"]) == ("Machining", ["Machine housing"])
    # PRD-1/0010 600 produced, 588 good, 12 scrap; PRD-3/0010 50/50/0; PRD-5/0010 10/10/0.
    assert (row["operationCount"], row["productionOrderCount"]) == (3, 3)
    assert (row["producedQuantity"], row["goodQuantity"], row["scrapQuantity"]) == (660, 648, 12)
    # S: L-SF-1 was made by PRD-6, whose last operation ran at WC-1 (no goods issue records its
    # quantity); L-RM-2 was received without a purchase order: a supplier the graph does not name.
    assert flows(row["suppliers"], "id") == [("PROCESS", "WC-1", 1, 1, None), ("SUPPLIER", None, 1, 1, 600)]
    # I: both lots enter at PRD-1's first (and only) operation; PRD-3 and PRD-5 have made no lot
    # yet and no goods issue is posted for them, so their inputs are unknown.
    assert flows(row["inputs"], "materialNumber") == [("LOT", "RM-M", 1, 1, 600), ("LOT", "SF-H", 1, 1, None)]
    # O: PRD-3's and PRD-5's FG-A in process (50 + 10 good) and PRD-1's lot L-FG-1 (588).
    assert flows(row["outputs"], "materialNumber") == [
        ("IN_PROCESS", "FG-A", 2, 0, 60),
        ("LOT", "FG-A", 1, 1, 588),
    ]
    # C: C-1 of SO-1 gets PRD-1's 588; PRD-3/0020 ran at WC-2 (50); PRD-5/0020 has not run (10).
    assert flows(row["customers"], "id") == [
        ("CUSTOMER", "C-1", 1, 0, 588),
        ("PROCESS", "WC-2", 1, 0, 50),
        ("PROCESS", None, 1, 0, 10),
    ]
    assert row["customers"][0]["name"] == "Alpha Pumps GmbH"


def test_assembly_in_the_week_is_supplied_from_outside_and_delivers_to_a_customer(
    products: DataProducts,
) -> None:
    row = processes(products, WEEK, processId="WC-2")["WC-2"]
    # PRD-2/0010: 100 produced, 96 good, 4 scrap; PRD-3/0020 is still running (not counted).
    assert (row["operationCount"], row["producedQuantity"], row["goodQuantity"], row["scrapQuantity"]) == (
        1,
        100,
        96,
        4,
    )
    # L-RM-1 (steel) came from SUP-1 on PO-1; 30 KG were issued to PRD-2.
    assert flows(row["suppliers"], "id") == [("SUPPLIER", "SUP-1", 1, 1, 30)]
    assert row["suppliers"][0]["name"] == "Steel Works"
    assert flows(row["inputs"], "materialNumber") == [("LOT", "RM-S", 1, 1, 30)]
    assert flows(row["outputs"], "materialNumber") == [("LOT", "FG-A", 1, 1, 96)]  # L-FG-2
    assert flows(row["customers"], "id") == [("CUSTOMER", "C-2", 1, 0, 96)]


def test_an_order_made_to_stock_delivers_to_the_process_that_consumes_its_lots(
    products: DataProducts,
) -> None:
    rows = processes(products, SUNDAY)
    assert list(rows) == ["WC-1"]
    row = rows["WC-1"]
    # PRD-6/0010 made L-SF-1 (40) from L-RM-1 of SUP-1 (no goods issue: quantity unknown). PRD-6
    # is for no sales order; L-FG-1, made by PRD-1 whose first operation ran at WC-1, consumed it.
    assert (row["operationCount"], row["producedQuantity"]) == (1, 40)
    assert flows(row["suppliers"], "id") == [("SUPPLIER", "SUP-1", 1, 1, None)]
    assert flows(row["inputs"], "materialNumber") == [("LOT", "RM-S", 1, 1, None)]
    assert flows(row["outputs"], "materialNumber") == [("LOT", "SF-H", 1, 1, 40)]
    assert flows(row["customers"], "id") == [("PROCESS", "WC-1", 1, 1, 40)]


def test_the_graphql_field_serves_the_same_numbers(products: DataProducts) -> None:
    data = execute(
        products,
        """query($asOf: DateTime, $from: DateTime!, $to: DateTime!) {
             sipoc(asOf: $asOf, from: $from, to: $to, processId: "WC-2") {
               processId processName operationCount
               suppliers { kind id name quantity } inputs { kind materialNumber quantity }
               outputs { kind materialNumber lotCount quantity } customers { kind id quantity }
             }
           }""",
        {"asOf": AS_OF.isoformat(), "from": WEEK[0].isoformat(), "to": WEEK[1].isoformat()},
    )
    (row,) = data["sipoc"]
    assert (row["processId"], row["processName"], row["operationCount"]) == ("WC-2", "Assembly", 1)
    assert row["suppliers"] == [{"kind": "SUPPLIER", "id": "SUP-1", "name": "Steel Works", "quantity": 30}]
    assert row["inputs"] == [{"kind": "LOT", "materialNumber": "RM-S", "quantity": 30}]
    assert row["outputs"] == [{"kind": "LOT", "materialNumber": "FG-A", "lotCount": 1, "quantity": 96}]
    assert row["customers"] == [{"kind": "CUSTOMER", "id": "C-2", "quantity": 96}]
