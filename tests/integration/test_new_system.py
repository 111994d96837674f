"""A new source system onboarded by files alone, kept outside the checkout, loads into Neo4j.

The plant's files (an ontology extension module and a mapping with its system declaration) are
copied from tests/data/sources/wms/ into a temporary directory and named by the settings only
(DIGISPINE_ONTOLOGY_DIRS, DIGISPINE_MAPPINGS_DIRS, next to the shipped systems): nothing of the
repository's own ontology, mappings or shapes changes, and the new event classes' payload
contracts are compiled at start-up from the two.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from graph_service.api.explore import Explorer
from graph_service.ontology.compiler import load_model
from graph_service.settings import SHIPPED_MAPPINGS, Settings, load_settings
from graph_service.store import Neo4jStore
from tests.support.loading import REPO, load_fresh

pytestmark = pytest.mark.integration

PACKED = "com.acme.wms.parcel.packed"
HANDED_OVER = "com.acme.wms.parcel.handedover"


def _event(event_id: str, event_type: str, time: str, data: dict[str, Any], **extra: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "urn:acme:wms:hall-3",
        "type": event_type,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
        **extra,
    }


EVENTS = [
    _event(
        "p-1",
        PACKED,
        "2026-03-02T09:00:00+01:00",
        {
            "header": {
                "shipment": "SH-9",
                "shipDate": "03.03.2026",
                "state": "P",
                "packedBy": "OP-7",
                "soldTo": "C-1",
            },
            "labels": [{"code": "TRK-OLD"}, {"code": "TRK-1"}],
            "parcels": [
                {"parcelNo": 1, "lines": [{"line": 1, "lot": "L-1", "material": "M-1", "weightG": 1500}]},
                {"parcelNo": 2, "lines": [{"line": 1, "lot": "L-2", "material": "M-2", "weightG": 250}]},
            ],
            "materials": [{"number": "M-1"}, {"number": "M-2"}],
        },
        subject="parcel run 42",
    ),
    # handed over twice, the later one first: the carrier history is ordered by event time
    _event(
        "h-2",
        HANDED_OVER,
        "2026-03-03T12:00:00Z",
        {"shipment": "SH-9", "carrier": "UPS", "partners": [{"role": "forwarder", "id": "S-2"}]},
    ),
    _event(
        "h-1",
        HANDED_OVER,
        "2026-03-03T08:00:00Z",
        {
            "shipment": "SH-9",
            "carrier": "DHL",
            "partners": [{"role": "shipper", "id": "S-0"}, {"role": "forwarder", "id": "S-1"}],
        },
    ),
]


@pytest.fixture()
def plant_files(tmp_path: Path) -> Path:
    """The plant's own files, in a directory of their own (as in the plant's repository)."""
    target = tmp_path / "plant"
    shutil.copytree(REPO / "tests" / "data" / "sources" / "wms", target)
    return target


def test_a_new_system_with_two_event_types_from_files_outside_the_repository_loads(
    neo4j_settings: Settings, store: Neo4jStore, plant_files: Path, tmp_path: Path
) -> None:
    stats = load_fresh(
        neo4j_settings,
        store,
        tmp_path / "data",
        EVENTS,
        "wms",
        ontology_dirs=(plant_files / "ontology",),
        mappings_dirs=(SHIPPED_MAPPINGS, plant_files / "mappings"),
    )
    assert (stats.loaded, stats.rejected_total) == (len(EVENTS), 0), stats.rejected

    shipment = store.read(
        "MATCH (s:Shipment {shipmentNumber: 'SH-9'}) "
        "RETURN s.name AS name, toString(s.plannedShipDate) AS day, s.status AS status, "
        "s.trackingNumber AS tracking, s.carrier AS carrier, toString(s.shippedAt) AS shipped"
    )
    assert shipment == [
        {
            "name": "parcel run 42",  # $subject
            "day": "2026-03-03",  # format: %d.%m.%Y
            "status": "PACKED",  # map: P → PACKED
            "tracking": "TRK-1",  # labels[-1]
            "carrier": "UPS",  # the newest event's value
            "shipped": "2026-03-03T12:00:00Z",  # $time
        }
    ]
    items = store.read(
        "MATCH (i:ShipmentItem)-[:ITEM_OF_SHIPMENT|itemOfShipment]->(:Shipment) "
        "OPTIONAL MATCH (i)-[]->(l:Lot)-[]->(m:Material) "
        "RETURN i.shipmentItemId AS id, i.shippedQuantity AS kg, l.lotNumber AS lot, "
        "m.materialNumber AS material ORDER BY id"
    )
    assert items == [  # lines inside parcels, ../ in the key, g → kg, lots joined to another list's materials
        {"id": "SH-9/1/1", "kg": 1.5, "lot": "L-1", "material": "M-1"},
        {"id": "SH-9/2/1", "kg": 0.25, "lot": "L-2", "material": "M-2"},
    ]
    roles = store.read(
        "MATCH (e:DomainEvent)-[a]->(n) WHERE a.role IS NOT NULL "
        "RETURN e.eventId AS event, a.role AS role, coalesce(n.personId, n.supplierId) AS who ORDER BY event"
    )
    assert roles == [  # qualified lineage links to entities the events only name
        {"event": "h-1", "role": "forwarder", "who": "S-1"},
        {"event": "h-2", "role": "forwarder", "who": "S-2"},
        {"event": "p-1", "role": "packer", "who": "OP-7"},
    ]
    history = store.read(
        "MATCH (e:DomainEvent)-[a]->(:Shipment {shipmentNumber: 'SH-9'}) WHERE a.carrier IS NOT NULL "
        "RETURN a.carrier AS carrier ORDER BY e.eventTime"
    )
    assert [row["carrier"] for row in history] == ["DHL", "UPS"]
    system = store.read("MATCH (s:SourceSystem) RETURN s.sourceSystemId AS id")
    assert system == [{"id": "urn:acme:wms:hall-3"}]

    # the explorer's lineage view reads the same links: each event's entities with role and kept values
    model = load_model(
        load_settings(
            ontology_dir=REPO / "ontology", ontology_dirs=(plant_files / "ontology",)
        ).ontology_paths
    )
    explorer = Explorer(model, store)
    packed = explorer.lineage("p-1", None, 50, "en")
    assert packed is not None
    assert {(t.node.class_, t.node.key, t.role) for t in packed.touched if t.role} == {
        ("Operator", "OP-7", "packer")
    }
    handed = explorer.lineage("h-1", "urn:acme:wms:hall-3", 50, "en")
    assert handed is not None
    kept = {t.node.key: {p.name: p.value for p in t.kept} for t in handed.touched}
    assert kept["SH-9"] == {"carrier": "DHL"} and kept["S-1"] == {}
    assert next(t.role for t in handed.touched if t.node.key == "S-1") == "forwarder"
    timeline = explorer.events("Shipment", "SH-9", 50, "en", oldest_first=True)
    assert [e.id for e in timeline] == ["p-1", "h-1", "h-2"]
