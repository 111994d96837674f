"""The plant simulation: customers order, production runs, lots flow, quality finds, trucks ship.

Everything is derived from one ``random.Random(seed)`` and a fixed start date, so a seed gives
the same history byte for byte. Events are CloudEvents 1.0 envelopes in time order.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from loaders.simulation import masterdata as md

START = dt.datetime(2026, 1, 5, 5, 0, tzinfo=dt.UTC)


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RawLot:
    lot: str
    material: str
    remaining: float


@dataclass
class Plant:
    rng: random.Random
    orders_per_day: float
    #: 05:00 UTC of the first day; the live plant (loaders/simulation/live.py) starts near now.
    start: dt.datetime = START
    events: list[tuple[dt.datetime, int, dict[str, Any]]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    machine_free: dict[str, dt.datetime] = field(default_factory=dict)
    stock: dict[str, deque[RawLot]] = field(default_factory=dict)
    shipments_due: list[tuple[dt.datetime, dict[str, Any]]] = field(default_factory=list)
    produced_lots: dict[tuple[str, int], list[tuple[str, float]]] = field(default_factory=dict)

    # -- plumbing --------------------------------------------------------------------------------
    def next_id(self, prefix: str, width: int = 6) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:0{width}d}"

    def emit(self, when: dt.datetime, system: str, event: str, data: dict[str, Any], subject: str) -> None:
        envelope = {
            "specversion": "1.0",
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "source": md.SOURCES[system],
            "type": f"digispine.{system}.{event}.v1",
            "time": iso(when),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
        }
        self.events.append((when, len(self.events), envelope))

    # -- master data -----------------------------------------------------------------------------
    def master_data(self, when: dt.datetime) -> None:
        for material, (name, unit, _) in md.RAW_MATERIALS.items():
            self.emit(
                when,
                "erp",
                "MaterialMasterChanged",
                {
                    "materialNumber": material,
                    "description": name,
                    "materialType": "RAW",
                    "baseUnit": unit,
                    "batchManaged": True,
                },
                material,
            )
            self.stock[material] = deque()
        for fg in md.FINISHED_GOODS:
            self.emit(
                when,
                "erp",
                "MaterialMasterChanged",
                {
                    "materialNumber": fg.material,
                    "description": fg.name,
                    "materialType": "FINISHED",
                    "baseUnit": "PCE",
                    "batchManaged": True,
                    "standardCycleTimeSeconds": sum(r.seconds_per_unit for r in fg.routing),
                },
                fg.material,
            )
            self.emit(
                when,
                "erp",
                "BillOfMaterialsChanged",
                {
                    "bomId": f"BOM-{fg.material}",
                    "materialNumber": fg.material,
                    "baseQuantity": 1,
                    "validFrom": when.date().isoformat(),
                    "items": [
                        {
                            "itemNumber": (i + 1) * 10,
                            "componentMaterialNumber": comp,
                            "quantity": qty,
                            "unit": md.RAW_MATERIALS[comp][1],
                        }
                        for i, (comp, qty) in enumerate(fg.components)
                    ],
                },
                f"BOM-{fg.material}",
            )
        for supplier, name in md.SUPPLIERS.items():
            self.emit(when, "erp", "SupplierMasterChanged", {"supplierId": supplier, "name": name}, supplier)
        for char, (name, low, high, unit) in md.CHARACTERISTICS.items():
            self.emit(
                when,
                "qms",
                "InspectionPlanChanged",
                {
                    "characteristicId": char,
                    "name": name,
                    "lowerLimit": low,
                    "upperLimit": high,
                    "targetValue": round((low + high) / 2, 4),
                    "unit": unit,
                },
                char,
            )
        for number, name, country in md.CUSTOMERS:
            self.emit(
                when,
                "crm",
                "CustomerRegistered",
                {
                    "customerNumber": number,
                    "name": name,
                    "countryCode": country,
                    "segment": self.rng.choice(["UTILITY", "INDUSTRY", "FOOD"]),
                },
                number,
            )
            for _ in range(self.rng.randint(1, 2)):
                first, last = self.rng.choice(md.FIRST_NAMES), self.rng.choice(md.LAST_NAMES)
                contact = self.next_id("CT-", 4)
                self.emit(
                    when,
                    "crm",
                    "ContactUpdated",
                    {
                        "contactId": contact,
                        "customerNumber": number,
                        "fullName": f"{first} {last}",
                        "email": f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
                        "phone": f"+49 {self.rng.randint(100, 999)} {self.rng.randint(100000, 999999)}",
                        "role": self.rng.choice(["PURCHASING", "QUALITY", "ENGINEERING"]),
                    },
                    contact,
                )
        for area, name in md.AREAS.items():
            self.equipment(when, area, name, "AREA", None)
        for center, (name, area) in md.WORK_CENTERS.items():
            self.equipment(when, center, name, "WORK_CENTER", area)
        for machine in md.MACHINES:
            self.equipment(when, machine.equipment_id, machine.name, "WORK_UNIT", machine.work_center)
            self.machine_free[machine.equipment_id] = when
            self.state(when, machine, "IDLE", "READY")

    def equipment(
        self, when: dt.datetime, equipment_id: str, name: str, level: str, parent: str | None
    ) -> None:
        data: dict[str, Any] = {
            "equipmentId": equipment_id,
            "name": name,
            "equipmentLevel": level,
            "siteCode": md.SITE,
        }
        if parent:
            data["parentEquipmentId"] = parent
        self.emit(when, "mes", "EquipmentMasterChanged", data, equipment_id)

    def state(self, when: dt.datetime, machine: md.Machine, state: str, reason: str) -> None:
        self.emit(
            when,
            "mes",
            "EquipmentStateChanged",
            {
                "stateChangeId": self.next_id("ESC-", 7),
                "equipmentId": machine.equipment_id,
                "state": state,
                "since": iso(when),
                "reasonCode": reason,
            },
            machine.equipment_id,
        )

    # -- a day -------------------------------------------------------------------------------------
    def day(self, index: int) -> None:
        day_start = self.start + dt.timedelta(days=index)
        self.shifts(day_start)
        if index % 2 == 0:
            self.purchase(day_start + dt.timedelta(hours=3))
        count = self.rng.choices([0, 1, 2, 3, 4], weights=[1, 3, 3, 2, 1])[0] * self.orders_per_day / 2
        for _ in range(max(0, round(count))):
            self.sales_order(day_start + dt.timedelta(hours=self.rng.uniform(2, 10)))
        if self.rng.random() < 0.3:
            customer = self.rng.choice(md.CUSTOMERS)[0]
            self.emit(
                day_start + dt.timedelta(hours=11),
                "crm",
                "OpportunityUpdated",
                {
                    "opportunityId": self.next_id("OPP-", 5),
                    "customerNumber": customer,
                    "stage": self.rng.choice(
                        ["QUALIFICATION", "PROPOSAL", "NEGOTIATION", "CLOSED_WON", "CLOSED_LOST"]
                    ),
                    "expectedValue": round(self.rng.uniform(5000, 90000), 2),
                    "currency": "EUR",
                    "closeDate": (day_start + dt.timedelta(days=30)).date().isoformat(),
                },
                customer,
            )

    def purchase(self, when: dt.datetime) -> None:
        for supplier, _name in md.SUPPLIERS.items():
            po = self.next_id("PO-45", 5)
            materials = [m for m, (_, _, s) in md.RAW_MATERIALS.items() if s == supplier]
            items: list[dict[str, Any]] = [
                {
                    "itemNumber": (i + 1) * 10,
                    "materialNumber": m,
                    "quantity": self.raw_quantity(m),
                    "unit": md.RAW_MATERIALS[m][1],
                    "netPrice": round(self.rng.uniform(1, 80), 2),
                    "deliveryDate": (when + dt.timedelta(days=1)).date().isoformat(),
                }
                for i, m in enumerate(materials)
            ]
            self.emit(
                when,
                "erp",
                "PurchaseOrderCreated",
                {
                    "purchaseOrderNumber": po,
                    "supplierId": supplier,
                    "supplierName": md.SUPPLIERS[supplier],
                    "orderDate": when.date().isoformat(),
                    "currency": "EUR",
                    "items": items,
                },
                po,
            )
            received = when + dt.timedelta(hours=20)
            for item in items:
                lot = self.next_id("L-RM-", 6)
                self.goods_movement(
                    received,
                    "101",
                    item["materialNumber"],
                    lot,
                    item["quantity"],
                    item["unit"],
                    purchase_order=po,
                )
                self.stock[item["materialNumber"]].append(
                    RawLot(lot, item["materialNumber"], item["quantity"])
                )
                self.inspection(received + dt.timedelta(hours=1), lot, "INCOMING", fail_rate=0.02)

    def raw_quantity(self, material: str) -> float:
        return (
            float(self.rng.choice([200, 400, 800]))
            if md.RAW_MATERIALS[material][1] == "KG"
            else float(self.rng.choice([500, 1000, 2000]))
        )

    def goods_movement(
        self,
        when: dt.datetime,
        movement: str,
        material: str,
        lot: str,
        quantity: float,
        unit: str,
        *,
        purchase_order: str | None = None,
        production_order: str | None = None,
    ) -> None:
        doc = self.next_id("49", 8)
        data: dict[str, Any] = {
            "documentNumber": doc,
            "movementType": movement,
            "materialNumber": material,
            "lotNumber": lot,
            "quantity": quantity,
            "unit": unit,
            "postingDate": iso(when),
            "storageLocation": "SL-0001",
            "siteCode": md.SITE,
        }
        if purchase_order:
            data["purchaseOrderNumber"] = purchase_order
        if production_order:
            data["productionOrderNumber"] = production_order
        self.emit(when, "erp", "GoodsMovementPosted", data, doc)

    def sales_order(self, when: dt.datetime) -> None:
        so = self.next_id("SO-", 6)
        customer = self.rng.choice(md.CUSTOMERS)[0]
        items: list[dict[str, Any]] = []
        for i in range(self.rng.choice([1, 1, 2])):
            fg = self.rng.choice(md.FINISHED_GOODS)
            qty = float(self.rng.choice([10, 20, 25, 40, 50]))
            items.append(
                {
                    "itemNumber": (i + 1) * 10,
                    "materialNumber": fg.material,
                    "quantity": qty,
                    "unit": "PCE",
                    "netPrice": fg.price,
                }
            )
        requested = (when + dt.timedelta(days=self.rng.randint(3, 8))).date()
        self.emit(
            when,
            "erp",
            "SalesOrderCreated",
            {
                "salesOrderNumber": so,
                "customerNumber": customer,
                "orderDate": when.date().isoformat(),
                "requestedDeliveryDate": requested.isoformat(),
                "currency": "EUR",
                "totalNetAmount": round(sum(i["quantity"] * i["netPrice"] for i in items), 2),
                "items": items,
            },
            so,
        )
        finished_at = when
        for item in items:
            fg = next(f for f in md.FINISHED_GOODS if f.material == item["materialNumber"])
            done = self.production_order(when + dt.timedelta(hours=1), so, item, fg)
            finished_at = max(finished_at, done)
        ship_at = finished_at + dt.timedelta(hours=self.rng.uniform(2, 30))
        self.shipments_due.append(
            (ship_at, {"so": so, "customer": customer, "items": items, "requested": requested})
        )

    def production_order(
        self, when: dt.datetime, so: str, item: dict[str, Any], fg: md.FinishedGood
    ) -> dt.datetime:
        po = self.next_id("PRD-", 6)
        qty = item["quantity"]
        operations: list[dict[str, Any]] = [
            {
                "operationId": f"{po}/{r.sequence:04d}",
                "sequence": r.sequence,
                "workCenterId": r.work_center,
                "description": r.description,
                "plannedRunTimePerUnitSeconds": r.seconds_per_unit,
            }
            for r in fg.routing
        ]
        self.emit(
            when,
            "mes",
            "ProductionOrderReleased",
            {
                "productionOrderNumber": po,
                "materialNumber": fg.material,
                "plannedQuantity": qty,
                "unit": "PCE",
                "plannedStart": iso(when + dt.timedelta(hours=2)),
                "plannedEnd": iso(when + dt.timedelta(days=2)),
                "workCenterId": fg.routing[0].work_center,
                "salesOrderNumber": so,
                "salesOrderItemNumber": item["itemNumber"],
                "operations": operations,
            },
            po,
        )
        consumed = self.consume(when + dt.timedelta(hours=2), po, fg, qty)
        ready = when + dt.timedelta(hours=2)
        good = qty
        for routing, op in zip(fg.routing, operations, strict=True):
            ready, good = self.operation(ready, po, op, routing, good)
        lot = self.next_id("L-FG-", 6)
        self.emit(
            ready,
            "mes",
            "LotProduced",
            {
                "lotNumber": lot,
                "materialNumber": fg.material,
                "quantity": good,
                "unit": "PCE",
                "producedAt": iso(ready),
                "productionOrderNumber": po,
                "consumedLots": [{"lotNumber": lot_id, "quantity": q} for lot_id, q in consumed],
            },
            lot,
        )
        self.goods_movement(ready, "101", fg.material, lot, good, "PCE", production_order=po)
        self.emit(
            ready + dt.timedelta(minutes=5),
            "mes",
            "ProductionOrderCompleted",
            {
                "productionOrderNumber": po,
                "completedAt": iso(ready + dt.timedelta(minutes=5)),
                "producedQuantity": qty,
                "goodQuantity": good,
                "scrapQuantity": round(qty - good, 3),
            },
            po,
        )
        self.inspection(
            ready + dt.timedelta(minutes=20),
            lot,
            "FINAL",
            fail_rate=0.08,
            operation=operations[-1]["operationId"],
        )
        self.produced_lots.setdefault((so, item["itemNumber"]), []).append((lot, good))
        return ready + dt.timedelta(minutes=30)

    def consume(self, when: dt.datetime, po: str, fg: md.FinishedGood, qty: float) -> list[tuple[str, float]]:
        consumed: list[tuple[str, float]] = []
        for material, per_unit in fg.components:
            need = per_unit * qty
            lots = self.stock[material]
            while need > 1e-9:
                if not lots:  # stock-out: an emergency receipt keeps the history consistent
                    lot_id = self.next_id("L-RM-", 6)
                    amount = max(self.raw_quantity(material), need)
                    self.goods_movement(
                        when - dt.timedelta(minutes=30),
                        "101",
                        material,
                        lot_id,
                        amount,
                        md.RAW_MATERIALS[material][1],
                    )
                    lots.append(RawLot(lot_id, material, amount))
                lot = lots[0]
                take = min(lot.remaining, need)
                lot.remaining -= take
                need -= take
                consumed.append((lot.lot, round(take, 3)))
                self.goods_movement(
                    when,
                    "261",
                    material,
                    lot.lot,
                    round(take, 3),
                    md.RAW_MATERIALS[material][1],
                    production_order=po,
                )
                self.emit(
                    when,
                    "mes",
                    "LotConsumed",
                    {
                        "lotNumber": lot.lot,
                        "productionOrderNumber": po,
                        "quantity": round(take, 3),
                        "consumedAt": iso(when),
                    },
                    lot.lot,
                )
                if lot.remaining <= 1e-9:
                    lots.popleft()
        return consumed

    def operation(
        self,
        ready: dt.datetime,
        po: str,
        op: dict[str, Any],
        routing: md.Routing,
        qty: float,
    ) -> tuple[dt.datetime, float]:
        machines = [m for m in md.MACHINES if m.work_center == routing.work_center]
        machine = min(machines, key=lambda m: self.machine_free[m.equipment_id])
        start = self.in_shift(max(ready, self.machine_free[machine.equipment_id]))
        shift = self.shift_of(start)
        operator = f"P-{self.rng.randint(1, 12):03d}"
        self.emit(
            start,
            "mes",
            "OperationStarted",
            {
                "operationId": op["operationId"],
                "productionOrderNumber": po,
                "equipmentId": machine.equipment_id,
                "operatorId": operator,
                "shiftId": shift,
                "startedAt": iso(start),
            },
            op["operationId"],
        )
        setup = dt.timedelta(minutes=self.rng.choice([10, 15, 20]))
        self.state(start, machine, "SETUP", "CHANGEOVER")
        running = start + setup
        self.state(running, machine, "RUNNING", "PRODUCING")
        run = dt.timedelta(seconds=qty * routing.seconds_per_unit * self.rng.uniform(1.05, 1.35))
        end = running + run
        if self.rng.random() < 0.25:
            down_at = running + run / 2
            down = dt.timedelta(minutes=self.rng.randint(10, 45))
            self.state(down_at, machine, "DOWN", self.rng.choice(["JAM", "TOOL_BREAK", "NO_MATERIAL"]))
            self.state(down_at + down, machine, "RUNNING", "PRODUCING")
            end += down
        self.state(end, machine, "IDLE", "ORDER_DONE")
        self.machine_free[machine.equipment_id] = end
        scrap = float(sum(1 for _ in range(int(qty)) if self.rng.random() < 0.03))
        rework = float(self.rng.choice([0, 0, 0, 1])) if qty > scrap + 1 else 0.0
        good = qty - scrap
        self.emit(
            end,
            "mes",
            "OperationCompleted",
            {
                "operationId": op["operationId"],
                "productionOrderNumber": po,
                "completedAt": iso(end),
                "producedQuantity": qty,
                "goodQuantity": good,
                "scrapQuantity": scrap,
                "reworkQuantity": rework,
            },
            op["operationId"],
        )
        return end, good

    def in_shift(self, when: dt.datetime) -> dt.datetime:
        if when.hour < 6:
            return when.replace(hour=6, minute=0, second=0)
        if when.hour >= 22:
            return (when + dt.timedelta(days=1)).replace(hour=6, minute=0, second=0)
        return when

    def shift_of(self, when: dt.datetime) -> str:
        return f"S-{when:%Y%m%d}-{'A' if when.hour < 14 else 'B'}"

    def shifts(self, day_start: dt.datetime) -> None:
        for name, hour, hours in md.SHIFTS:
            start = day_start.replace(hour=hour)
            self.emit(
                start,
                "mes",
                "ShiftStarted",
                {
                    "shiftId": f"S-{start:%Y%m%d}-{name}",
                    "siteCode": md.SITE,
                    "shiftName": name,
                    "shiftStart": iso(start),
                    "shiftEnd": iso(start + dt.timedelta(hours=hours)),
                    "plannedBreakMinutes": 30,
                },
                f"S-{start:%Y%m%d}-{name}",
            )

    def inspection(
        self, when: dt.datetime, lot: str, kind: str, *, fail_rate: float, operation: str | None = None
    ) -> None:
        inspection = self.next_id("INSP-", 6)
        failed = self.rng.random() < fail_rate
        results = []
        chars = ["CHR-LEAK", "CHR-FLOW"] if kind == "FINAL" else ["CHR-DIAM"]
        for index, char in enumerate(chars):
            name, low, high, unit = md.CHARACTERISTICS[char]
            span = high - low
            value = self.rng.uniform(low + span * 0.1, high - span * 0.1)
            if failed and index == 0:
                value = high + span * self.rng.uniform(0.05, 0.5)
            results.append(
                {
                    "characteristicId": char,
                    "characteristicName": name,
                    "lowerLimit": low,
                    "upperLimit": high,
                    "unit": unit,
                    "measuredValue": round(value, 4),
                    "conforming": low <= value <= high,
                }
            )
        data: dict[str, Any] = {
            "inspectionId": inspection,
            "lotNumber": lot,
            "inspectionType": kind,
            "inspectedAt": iso(when),
            "result": "FAIL" if failed else "PASS",
            "results": results,
        }
        if operation:
            data["operationId"] = operation
        self.emit(when, "qms", "InspectionRecorded", data, inspection)
        if failed:
            self.nonconformance(when + dt.timedelta(minutes=15), lot, inspection=inspection)

    def nonconformance(
        self, when: dt.datetime, lot: str, *, inspection: str | None = None, complaint: str | None = None
    ) -> None:
        nc = self.next_id("NC-", 5)
        data: dict[str, Any] = {
            "nonconformanceNumber": nc,
            "lotNumber": lot,
            "raisedAt": iso(when),
            "severity": self.rng.choice(["MINOR", "MAJOR", "CRITICAL"]),
            "defectCode": self.rng.choice(["LEAK", "DIMENSION", "SURFACE", "NOISE"]),
            "quantityAffected": float(self.rng.randint(1, 5)),
        }
        if inspection:
            data["inspectionId"] = inspection
        if complaint:
            data["complaintNumber"] = complaint
        self.emit(when, "qms", "NonconformanceRaised", data, nc)
        self.emit(
            when + dt.timedelta(minutes=1),
            "qms",
            "LotStatusChanged",
            {"lotNumber": lot, "status": "BLOCKED", "reason": f"nonconformance {nc}"},
            lot,
        )
        action = self.next_id("CA-", 5)
        self.emit(
            when + dt.timedelta(hours=4),
            "qms",
            "CorrectiveActionPlanned",
            {
                "correctiveActionId": action,
                "nonconformanceNumber": nc,
                "description": self.rng.choice(
                    ["Replace worn tool", "Retrain operator", "Tighten supplier spec", "Add in-process check"]
                ),
                "dueDate": (when + dt.timedelta(days=14)).date().isoformat(),
                "status": "PLANNED",
            },
            action,
        )

    def ship(self, when: dt.datetime, order: dict[str, Any]) -> None:
        shipment = self.next_id("DLV-8", 6)
        items: list[dict[str, Any]] = []
        for item in order["items"]:
            for lot, qty in self.produced_lots.get((order["so"], item["itemNumber"]), []):
                items.append(
                    {
                        "itemNumber": (len(items) + 1) * 10,
                        "salesOrderItemNumber": item["itemNumber"],
                        "materialNumber": item["materialNumber"],
                        "lotNumber": lot,
                        "quantity": qty,
                        "unit": "PCE",
                    }
                )
        self.emit(
            when,
            "erp",
            "ShipmentDispatched",
            {
                "shipmentNumber": shipment,
                "salesOrderNumber": order["so"],
                "customerNumber": order["customer"],
                "shippedAt": iso(when),
                "carrier": self.rng.choice(["DHL Freight", "Kuehne+Nagel", "DB Schenker"]),
                "siteCode": md.SITE,
                "items": items,
            },
            shipment,
        )
        for item in items:
            self.goods_movement(
                when, "601", item["materialNumber"], item["lotNumber"], item["quantity"], "PCE"
            )
        self.emit(
            when + dt.timedelta(minutes=10),
            "erp",
            "SalesOrderChanged",
            {
                "salesOrderNumber": order["so"],
                "status": "COMPLETED",
            },
            order["so"],
        )
        if self.rng.random() < 0.12 and items:
            complaint = self.next_id("CMP-", 5)
            opened = when + dt.timedelta(days=self.rng.randint(2, 6))
            lots = sorted({i["lotNumber"] for i in items})
            self.emit(
                opened,
                "crm",
                "ComplaintOpened",
                {
                    "complaintNumber": complaint,
                    "customerNumber": order["customer"],
                    "salesOrderNumber": order["so"],
                    "lotNumbers": lots,
                    "openedAt": iso(opened),
                    "severity": self.rng.choice(["LOW", "MEDIUM", "HIGH"]),
                    "description": self.rng.choice(
                        ["Pump leaks at the seal", "Flow below specification", "Noise during operation"]
                    ),
                },
                complaint,
            )
            self.nonconformance(opened + dt.timedelta(hours=6), lots[0], complaint=complaint)
            closed = opened + dt.timedelta(days=self.rng.randint(5, 15))
            self.emit(
                closed,
                "crm",
                "ComplaintClosed",
                {
                    "complaintNumber": complaint,
                    "closedAt": iso(closed),
                    "resolution": self.rng.choice(["CREDIT_NOTE", "REPLACEMENT", "REJECTED"]),
                },
                complaint,
            )


def simulate(seed: int, days: int, *, orders_per_day: float = 2.0) -> list[dict[str, Any]]:
    """The history of ``days`` days of the plant, as CloudEvents envelopes in time order."""
    if days < 1:
        raise ValueError("days must be at least 1")
    plant = Plant(rng=random.Random(seed), orders_per_day=orders_per_day)
    plant.master_data(START)
    for index in range(days):
        plant.day(index)
    for when, order in sorted(plant.shipments_due, key=lambda s: (s[0], s[1]["so"])):
        plant.ship(when, order)
    # Production spills over past the last simulated day: those days' shifts start too.
    last = max(when for when, _, _ in plant.events)
    extra = days
    while START + dt.timedelta(days=extra) <= last:
        plant.shifts(START + dt.timedelta(days=extra))
        extra += 1
    plant.events.sort(key=lambda e: (e[0], e[1]))
    return [envelope for _, _, envelope in plant.events]
