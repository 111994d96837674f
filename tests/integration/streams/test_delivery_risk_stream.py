"""deliveryRisk on the real broker: a sales order falls behind, recovers, falls behind, ships.

The order SO-T1 is requested for 2026-01-05 (due 2026-01-06T00:00Z), one production order of 50
parts with operations of 90, 120 and 45 s per part (212.5 min planned); safety margin 8 h = 480 min.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph_service.settings import Settings
from graph_service.streams.envelope import derived_id
from graph_service.streams.runtime import run_stream
from tests.integration.streams.streams_kafka import produce, read_all, stream_env
from tests.support.cloud_events import cloud_event

ERP = "digispine/erp/test"
MES = "digispine/mes/test"


def sales_order(number: str, time: str, requested: str) -> dict[str, Any]:
    data = {
        "salesOrderNumber": number,
        "customerNumber": "C-1",
        "orderDate": time[:10],
        "requestedDeliveryDate": requested,
        "currency": "EUR",
        "totalNetAmount": 1000.0,
        "items": [
            {"itemNumber": 10, "materialNumber": "FG-1", "quantity": 50.0, "unit": "PCE", "netPrice": 20.0}
        ],
    }
    return cloud_event(ERP, "digispine.erp.SalesOrderCreated.v1", time, number, data)


def changed(number: str, time: str, **data: Any) -> dict[str, Any]:
    return cloud_event(
        ERP, "digispine.erp.SalesOrderChanged.v1", time, number, {"salesOrderNumber": number, **data}
    )


def released(order: str, time: str, sales_order: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "productionOrderNumber": order,
        "materialNumber": "FG-1",
        "plannedQuantity": 50.0,
        "unit": "PCE",
        "plannedStart": time,
        "plannedEnd": time,
        "operations": [
            {"operationId": f"{order}/{seq:04d}", "sequence": seq, "plannedRunTimePerUnitSeconds": secs}
            for seq, secs in ((10, 90.0), (20, 120.0), (30, 45.0))
        ],
    }
    if sales_order:
        data |= {"salesOrderNumber": sales_order, "salesOrderItemNumber": 10}
    return cloud_event(MES, "digispine.mes.ProductionOrderReleased.v1", time, order, data)


def op_done(order: str, seq: int, time: str) -> dict[str, Any]:
    op = f"{order}/{seq:04d}"
    data = {
        "operationId": op,
        "productionOrderNumber": order,
        "completedAt": time,
        "producedQuantity": 50.0,
        "goodQuantity": 50.0,
        "scrapQuantity": 0.0,
        "reworkQuantity": 0.0,
    }
    return cloud_event(MES, "digispine.mes.OperationCompleted.v1", time, op, data)


def order_done(order: str, time: str) -> dict[str, Any]:
    data = {
        "productionOrderNumber": order,
        "completedAt": time,
        "producedQuantity": 50.0,
        "goodQuantity": 50.0,
    }
    return cloud_event(MES, "digispine.mes.ProductionOrderCompleted.v1", time, order, data)


def shipped(number: str, shipment: str, time: str) -> dict[str, Any]:
    data = {
        "shipmentNumber": shipment,
        "salesOrderNumber": number,
        "customerNumber": "C-1",
        "shippedAt": time,
        "items": [{"itemNumber": 10, "salesOrderItemNumber": 10, "materialNumber": "FG-1", "quantity": 50.0}],
    }
    return cloud_event(ERP, "digispine.erp.ShipmentDispatched.v1", time, shipment, data)


def test_an_order_that_falls_behind_is_flagged_and_cleared_when_shipped(
    kafka_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings, descriptor = stream_env(kafka_settings, tmp_path, "deliveryRisk", partitions=1)
    first_op = op_done("PRD-1", 10, "2026-01-05T16:00:00Z")
    events = [
        sales_order("SO-T1", "2026-01-05T08:00:00Z", "2026-01-05"),
        # SO-T3 never hears of production again: at risk from 00:00 − 8 h = 16:00, which the
        # watermark (the plant's event time) reaches with the events below.
        sales_order("SO-T3", "2026-01-05T08:00:00Z", "2026-01-05"),
        # Read before its release: it waits in the production order's state.
        first_op,
        released("PRD-1", "2026-01-05T09:00:00Z", "SO-T1"),
        # After the release (09:00: 687.5 min slack), at risk from 24:00 − 8 h − 212.5 min = 12:27:30
        # unless op 10 completes first; it completes at 16:00, so time made it at risk at 12:27:30
        # (692.5 min left − 212.5 = 480); at 16:00 (137.5 min to run, slack 342.5) it still is.
        # 17:00: due 2026-01-08T00:00Z: 3,300 − 137.5 = 3,162.5: on track.
        changed("SO-T1", "2026-01-05T17:00:00Z", requestedDeliveryDate="2026-01-07"),
        # 17:30: back to the 5th: 390 − 137.5 = 252.5: at risk.
        changed("SO-T1", "2026-01-05T17:30:00Z", requestedDeliveryDate="2026-01-05"),
        # Progress, but not enough: 300 − 37.5 = 262.5; then 240 − 0 = 240: still at risk, no event.
        op_done("PRD-1", 20, "2026-01-05T19:00:00Z"),
        op_done("PRD-1", 30, "2026-01-05T20:00:00Z"),
        order_done("PRD-1", "2026-01-05T20:05:00Z"),
        # Shipped in full: cleared (60 min left, nothing to run: slack 60).
        shipped("SO-T1", "DLV-1", "2026-01-05T23:00:00Z"),
        # An order on time stays quiet; production for stock goes nowhere.
        sales_order("SO-T2", "2026-01-05T08:00:00Z", "2026-01-09"),
        released("PRD-2", "2026-01-05T09:00:00Z", "SO-T2"),
        op_done("PRD-2", 10, "2026-01-05T12:00:00Z"),
        released("PRD-9", "2026-01-05T09:00:00Z", None),
        op_done("PRD-9", 10, "2026-01-05T12:00:00Z"),
        shipped("SO-T2", "DLV-2", "2026-01-06T10:00:00Z"),
    ]
    produce(settings, events)
    run_stream(descriptor, settings, instance="test", stop_after_idle=4.0)

    derived = read_all(settings, descriptor.topic)
    assert read_all(settings, settings.stream_violations_topic) == []
    summary = [
        (e["subject"], e["data"]["riskState"], e["data"]["evaluatedAt"], e["data"]["slackMinutes"])
        for e in derived
    ]
    assert [row for row in summary if row[0] == "SO-T1"] == [
        ("SO-T1", "AT_RISK", "2026-01-05T12:27:30Z", 480.0),
        ("SO-T1", "ON_TRACK", "2026-01-05T17:00:00Z", 3162.5),
        ("SO-T1", "AT_RISK", "2026-01-05T17:30:00Z", 252.5),
        ("SO-T1", "CLEARED", "2026-01-05T23:00:00Z", 60.0),
    ]
    assert [row for row in summary if row[0] != "SO-T1"] == [
        ("SO-T3", "AT_RISK", "2026-01-05T16:00:00Z", 480.0)
    ]
    # Time alone made both: the id names the moment, whichever input or watermark tick brought it.
    stalled = next(e for e in derived if e["subject"] == "SO-T3")
    assert stalled["id"] == derived_id(
        ["deliveryRisk", 1, "SO-T3", "AT_RISK", "time", "2026-01-05T16:00:00Z"]
    )
    at_risk = next(e for e in derived if e["subject"] == "SO-T1")
    assert at_risk["data"] == {
        "salesOrderNumber": "SO-T1",
        "riskState": "AT_RISK",
        "atRisk": True,
        "requestedDeliveryDate": "2026-01-05",
        "dueAt": "2026-01-06T00:00:00Z",
        "evaluatedAt": "2026-01-05T12:27:30Z",
        "timeLeftMinutes": 692.5,
        "remainingRunTimeMinutes": 212.5,
        "slackMinutes": 480.0,
        "safetyMarginMinutes": 480.0,
        "productionOrderCount": 1,
        "openOperationCount": 3,
        "criticalProductionOrderNumber": "PRD-1",
    }
    assert (at_risk["type"], at_risk["time"]) == ("digispine.stream.DeliveryRisk.v1", "2026-01-05T12:27:30Z")
    assert at_risk["id"] == derived_id(
        ["deliveryRisk", 1, "SO-T1", "AT_RISK", "time", "2026-01-05T12:27:30Z"]
    )
    # Its lineage: what the order knew then (its creation and its production order's release).
    assert {(s["source"], s["id"]) for s in at_risk["lineage"]["events"]} == {
        (e["source"], e["id"]) for e in (events[0], events[3])
    }
    # The change that moved the date back caused the second AT_RISK: its id names that input.
    again = [e for e in derived if e["subject"] == "SO-T1"][2]
    assert again["id"] == derived_id(
        ["deliveryRisk", 1, "SO-T1", "AT_RISK", events[5]["source"], events[5]["id"]]
    )
    cleared = [e for e in derived if e["subject"] == "SO-T1"][3]["data"]
    assert (cleared["atRisk"], cleared["timeLeftMinutes"], cleared["remainingRunTimeMinutes"]) == (
        False,
        60.0,
        0.0,
    )
    assert "criticalProductionOrderNumber" not in cleared
