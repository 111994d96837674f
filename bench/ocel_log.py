"""A synthetic OCEL 2.0 order-management log of any size, for the ingest benchmark's ``ocel`` case:
the object and event types of the order-management process (orders, items, packages, customers,
products, employees; place order … package delivered), qualified links, object-to-object links
and product prices that change over time. Deterministic for a given size."""

from __future__ import annotations

import datetime as dt

from graph_service.ocel.log import AttributeValue, Event, Object, OcelLog, Relationship

T0 = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
PRODUCTS = 50
CUSTOMERS = 40
EMPLOYEES = 10


def order_management_log(events: int) -> OcelLog:
    """A log of about ``events`` events (whole orders: 8 events per order of 2 items on average)."""
    orders = max(1, events // 8)
    objects: list[Object] = [
        Object(f"e{j}", "employees", (AttributeValue("role", ("Sales", "Warehousing", "Shipment")[j % 3]),))
        for j in range(EMPLOYEES)
    ]
    objects += [
        Object(
            f"p{j}",
            "products",
            (
                AttributeValue("price", 10.0 + j),
                AttributeValue("weight", 0.5 + j / 10),
                *(AttributeValue("price", 10.0 + j + w, T0 + dt.timedelta(days=w)) for w in range(1, 4)),
            ),
        )
        for j in range(PRODUCTS)
    ]
    customers: dict[str, list[Relationship]] = {f"c{j}": [] for j in range(CUSTOMERS)}
    log_events: list[Event] = []
    for k in range(orders):
        at = T0 + dt.timedelta(minutes=10 * k)
        order, customer, rep, worker = f"o{k}", f"c{k % CUSTOMERS}", f"e{k % 3}", f"e{3 + k % 7}"
        items = [f"i{k}-{n}" for n in range(1 + k % 3)]
        package = f"pk{k}"
        customers[customer].append(Relationship(order, "places"))
        objects.append(
            Object(
                order,
                "orders",
                (AttributeValue("price", 20.0 * len(items)),),
                tuple(Relationship(i, "comprises") for i in items),
            )
        )
        objects += [
            Object(
                i,
                "items",
                (AttributeValue("price", 20.0),),
                (Relationship(f"p{(k + n) % PRODUCTS}", "is a"),),
            )
            for n, i in enumerate(items)
        ]
        objects.append(
            Object(
                package,
                "packages",
                (AttributeValue("weight", 1.5, at + dt.timedelta(hours=3)),),
                tuple(Relationship(i, "contains") for i in items),
            )
        )

        def event(
            name: str, minutes: int, *links: tuple[str, str], order: str = order, at: dt.datetime = at
        ) -> None:
            log_events.append(
                Event(
                    f"{order}-{len(log_events)}",
                    name,
                    at + dt.timedelta(minutes=minutes),
                    (),
                    tuple(Relationship(o, q) for o, q in links),
                )
            )

        event("place order", 0, (order, "order"), (customer, "customer"), *((i, "item") for i in items))
        event("confirm order", 30, (order, "order"), (rep, "sales person"))
        for n, item in enumerate(items):
            event("pick item", 60 + n, (item, "item"), (worker, "picker"))
        event("create package", 180, (package, "package"), *((i, "item") for i in items), (worker, "packer"))
        event("send package", 240, (package, "package"), (worker, "shipper"))
        event(
            "package delivered" if k % 5 else "failed delivery",
            1440,
            (package, "package"),
            (worker, "shipper"),
        )
        event("pay order", 2880, (order, "order"))
    objects += [Object(c, "customers", (), tuple(links)) for c, links in customers.items()]
    return OcelLog(events=tuple(log_events), objects=tuple(objects))
