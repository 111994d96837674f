"""The graph's rows as an OCEL 2.0 log (no Neo4j): what becomes an event, an object, a qualifier
and an attribute value with its time, and what is left out."""

from __future__ import annotations

import datetime as dt

from graph_service.ocel.export import build_log
from graph_service.ocel.log import EPOCH, OBJECT_RECORD_TYPE_PREFIX
from graph_service.ontology.model import DomainModel

T1 = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def _entity(node: str, labels: list[str], **props: object) -> dict[str, object]:
    return {"id": node, "labels": labels, "p": props}


def test_rows_become_events_objects_qualified_links_and_dated_values(model: DomainModel) -> None:
    entities = [
        _entity(
            "n1",
            ["Customer", "Organization", "Party", "Entity"],
            customerNumber="7",
            name="ACME",
            _v_name="2026-03-01T08:00:00.000000Z|e1",
            firstEventTime=T1,
            sourceSystems=["crm"],
        ),
        _entity(
            "n2",
            ["SalesOrder", "CommercialOrder", "Entity"],
            salesOrderNumber="7",
            status="OPEN",
            _v_status="2026-03-02T08:00:00.000000Z|e2",
        ),
        _entity("n3", ["Contact", "Person", "Party", "Entity"], contactId="P-1", email="a@b.c"),
    ]
    events = [
        {
            "id": "x1",
            "labels": ["SalesOrderCreated", "DomainEvent"],
            "eventId": "e1",
            "source": "erp/1",
            "type": "digispine.erp.SalesOrderCreated.v1",
            "time": T1,
        },
        {
            "id": "x2",
            "labels": ["SalesOrderCreated", "DomainEvent"],
            "eventId": "e1",
            "source": "erp/2",
            "type": "digispine.erp.SalesOrderCreated.v1",
            "time": T2,
        },
        {
            "id": "x3",
            "labels": ["DomainEvent"],
            "eventId": "o",
            "source": "ocel/x",
            "type": OBJECT_RECORD_TYPE_PREFIX + "customers",
            "time": T1,
        },
    ]
    links = [
        {"e": "x1", "n": "n2", "p": {}},
        {"e": "x1", "n": "n1", "p": {"role": "sold-to"}},
        {"e": "x3", "n": "n1", "p": {"name": "Acme old"}},  # an object record: a value, no link
    ]
    relations = [{"a": "n2", "t": "ORDERED_BY", "b": "n1"}]

    exported = build_log(model, entities, events, links, relations)
    log = exported.log

    # an object record is no event; two events with one id from two sources get their sources
    assert sorted(e.id for e in log.events) == ["erp/1/e1", "erp/2/e1"]
    assert {e.type for e in log.events} == {"SalesOrderCreated"}
    # a customer and an order keyed "7" get their classes in front
    ids = {o.type: o.id for o in log.objects}
    assert ids == {"Customer": "Customer:7", "SalesOrder": "SalesOrder:7", "Contact": "P-1"}
    first = next(e for e in log.events if e.id == "erp/1/e1")
    assert sorted((r.object_id, r.qualifier) for r in first.relationships) == [
        ("Customer:7", "sold-to"),  # the link's role
        ("SalesOrder:7", model.relations["affected"].label("en")),  # no role: the lineage relation
    ]
    order = next(o for o in log.objects if o.type == "SalesOrder")
    assert [(r.object_id, r.qualifier) for r in order.relationships] == [
        ("Customer:7", model.relations["orderedBy"].label("en"))
    ]
    assert [(a.name, a.value, a.time) for a in order.attributes] == [("status", "OPEN", T2)]
    customer = next(o for o in log.objects if o.type == "Customer")
    # the kept value first, then the current one at the time of the event that set it; bookkeeping
    # (first event time, source systems) and the key are no attributes
    assert [(a.name, a.value, a.time) for a in customer.attributes] == [
        ("name", "Acme old", T1),
        ("name", "ACME", T1),
    ]
    contact = next(o for o in log.objects if o.type == "Contact")
    assert contact.attributes == ()  # personal data left out, and counted
    assert exported.left_out == {"Contact.email": 1}
    with_personal = build_log(model, entities, events, links, relations, include_personal_data=True)
    assert [a.name for o in with_personal.log.objects if o.type == "Contact" for a in o.attributes] == [
        "email"
    ]
    assert EPOCH < T1
