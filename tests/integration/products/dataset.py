"""A small fixed plant written by hand in Cypher; every product test computes its expectations from it.

The day is Monday 2026-03-02 (all times UTC). Two shifts, S-A 06:00–14:00 and S-B 14:00–22:00,
each with a 30-minute planned break. Two work units: WU-1 (in work center WC-1) and WU-2 (in
WC-2). Labels are those the loaders give (a WorkUnit is also an Equipment and an Entity).

Production and equipment states (for equipmentOEE)
  WU-1  06:00 SETUP, 06:10 RUNNING, 09:00 DOWN, 09:30 RUNNING, 13:00 IDLE
        PRD-1/0010 06:00–13:00 in S-A: 600 produced, 588 good, 12 scrap, 6 rework, 30 s/unit
  WU-2  13:20 SETUP, 13:30 RUNNING, 15:30 IDLE
        PRD-2/0010 13:20–15:30, reported in S-A: 100 produced, 96 good, 4 scrap, 0 rework, 54 s/unit
  Next day (no shift defined, so no OEE rows): PRD-3/0010 and PRD-5/0010 completed on WU-1,
  PRD-3/0020 started on WU-2 at 08:00 and still running.

Orders (for orderFulfillment and workInProgress)
  SO-1  C-1, placed 03-02, wanted 03-06, COMPLETED; item 10: 600 FG-A   ← PRD-1 (COMPLETED, 588 good)
        shipped in DLV-1 on 03-05 10:00: 588 of lot L-FG-1; closed by the ERP at 10:10
  SO-2  C-2, placed 03-02, wanted 03-04, OPEN; item 10: 100 FG-A ← PRD-2 (COMPLETED, 96 good),
        item 20: 50 FG-A ← PRD-3 (RELEASED; ops 10 done, 20 running, 30 waiting)
        shipped in DLV-2 on 03-05 09:00: 96 of lot L-FG-2
  SO-3  C-1, placed 03-03, wanted 03-05, COMPLETED; item 10: 10 FG-A, no production
        shipped in DLV-3 on 03-07 08:00: 10 of lot L-FG-3; closed by the ERP at 08:10
  SO-9  a stub known only by its key (its SalesOrderCreated never arrived)
  PRD-4 RELEASED at 03-03 09:00 to WC-1, nothing started; PRD-5 RELEASED to WC-1, op 10 done,
        op 20 waiting. PRD-6 made the housings lot L-SF-1 on 03-01.

Lots (for lotGenealogy)
  L-RM-1 steel (100 KG received from SUP-1 on PO-1) → L-SF-1 housings (40) → L-FG-1 (588)
  L-RM-1 → L-FG-2 (96, BLOCKED); L-RM-2 motors (50 PCE received, no PO) → L-FG-1

Quality (for customerQuality)
  NC-1  03-02 16:00, found in final inspection INSP-1 of L-FG-2 (shipped to C-2 later)
  CMP-2 C-2, opened 03-06 10:00, closed 03-07 10:00, about SO-2 and L-FG-2
  CMP-1 C-1, opened 03-08 09:00, open, about SO-1 and L-FG-1; NC-2 03-08 15:00 raised for it on L-FG-1
  C-3   a customer with nothing at all
"""

from __future__ import annotations

from pathlib import Path

from graph_service.store import Neo4jStore

FIXED_PLANT = (Path(__file__).parent / "fixtures" / "fixed_plant.cypher").read_text(encoding="utf-8")


def load_fixed_plant(store: Neo4jStore) -> None:
    """Write the fixed plant into the (empty) database."""
    store.write(FIXED_PLANT)
