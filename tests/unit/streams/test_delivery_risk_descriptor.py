"""deliveryRisk's declaration: it passes the start-up checks against the shipped ontology and
mappings, and its shape accepts every transition the state machine emits."""

from __future__ import annotations

from graph_service.ontology.model import DomainModel
from graph_service.streams import load_streams
from graph_service.streams.envelope import OutputValidator
from graph_service.streams.processors import delivery_risk_logic as risk
from tests.support.paths import REPO


def test_the_shipped_declaration_passes_the_checks(model: DomainModel) -> None:  # noqa: F811
    registry = load_streams(
        [REPO / "streams"], model, REPO / "loaders" / "mappings", shapes_dirs=[REPO / "shapes" / "streams"]
    )
    stream = registry.get("deliveryRisk")
    assert (stream.key, stream.emit) == ("salesOrderNumber", "alert")
    assert stream.key_fields["digispine.mes.ProductionOrderReleased.v1"] == "salesOrderNumber"


def test_every_transition_conforms_and_a_wrong_state_does_not() -> None:
    so = "SO-1"
    created = {"requestedDeliveryDate": "2026-01-05", "items": [{"itemNumber": 10}]}
    events = [
        risk.OrderEvent(risk.SALES_ORDER_CREATED, "2026-01-05T20:00:00Z", created, so),
        risk.OrderEvent(
            risk.SALES_ORDER_CHANGED, "2026-01-05T20:10:00Z", {"requestedDeliveryDate": "2026-01-09"}, so
        ),
        risk.OrderEvent(
            risk.SALES_ORDER_CHANGED, "2026-01-05T20:20:00Z", {"requestedDeliveryDate": "2026-01-05"}, so
        ),
        risk.OrderEvent(
            risk.SHIPMENT_DISPATCHED, "2026-01-05T21:00:00Z", {"items": [{"salesOrderItemNumber": 10}]}, so
        ),
    ]
    state = None
    records = []
    for event in events:
        state, changes = risk.step(state, event)
        records += [c.data for c in changes]
    assert [r["riskState"] for r in records] == ["AT_RISK", "ON_TRACK", "AT_RISK", "CLEARED"]
    check = OutputValidator.from_file(
        REPO / "shapes" / "streams" / "deliveryRisk-v1.ttl",
        "https://w3id.org/digispine/streams#DeliveryRiskV1Shape",
    )
    assert [check.validate(r) for r in records] == [[]] * 4
    wrong = check.validate({**records[0], "riskState": "MAYBE", "dueAt": "tomorrow"})
    assert {v["path"] for v in wrong} >= {"riskState", "dueAt"}
