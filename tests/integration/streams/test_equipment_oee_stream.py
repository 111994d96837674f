"""equipmentOee on the real broker: the fixed plant's final windows, computed by hand, and equal
to the batch product equipmentOEE's rows for the same events loaded into Neo4j."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from graph_service.ontology.model import DomainModel
from graph_service.products import build_data_products
from graph_service.settings import Settings
from graph_service.store import Neo4jStore
from graph_service.streams.runtime import run_stream
from tests.integration.products.conftest import SHIPPED
from tests.integration.streams.streams_kafka import finals, produce, read_all, stream_env
from tests.support.loading import load_fresh
from tests.unit.streams.oee_dataset import fixed_plant_events

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def processed(
    kafka_settings: Settings,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Settings, Any, list[dict[str, Any]]]:
    """The fixed plant through one processor on a one-partition topic, read back to the end."""
    tmp_path = tmp_path_factory.mktemp("oee")
    settings, descriptor = stream_env(kafka_settings, tmp_path, "equipmentOee", partitions=1)
    produce(settings, fixed_plant_events())
    run_stream(descriptor, settings, instance="hand", stop_after_idle=4.0)
    return settings, descriptor, read_all(settings, descriptor.topic)


def test_final_shift_windows_equal_the_hand_computed_oee(processed) -> None:
    settings, descriptor, events = processed
    final = {k: e["data"] for k, e in finals(events).items()}
    wu1 = final[("WU-1", "shift", "2026-03-02T06:00:00Z")]
    # S-A 06:00–14:00 = 480 min − 30 min break → PBT 450. RUNNING 06:10–09:00 + 09:30–13:00 = 380.
    # PRD-1/0010: 600 × 30 s = 300 min planned; 588 good of 600.
    assert wu1["plannedBusyTimeMinutes"] == pytest.approx(450)
    assert wu1["actualProductionTimeMinutes"] == pytest.approx(380)
    assert (wu1["downTimeMinutes"], wu1["setupTimeMinutes"]) == pytest.approx((30, 10))
    assert wu1["plannedRunTimeMinutes"] == pytest.approx(300)
    assert wu1["availability"] == pytest.approx(380 / 450)  # 0.8444
    assert wu1["effectiveness"] == pytest.approx(300 / 380)  # 0.7895
    assert wu1["qualityRatio"] == pytest.approx(0.98)
    assert wu1["oee"] == pytest.approx(0.653333, abs=1e-6)  # 300/450 × 0.98
    assert wu1["firstPassYield"] == pytest.approx(0.97)  # (588 − 6) / 600
    assert (wu1["shiftId"], wu1["operationCount"]) == ("S-A", 1)
    # WU-2 runs PRD-2/0010 13:30–15:30: 30 min in S-A, 90 in S-B → quantities 1/4 and 3/4 of 100.
    early = final[("WU-2", "shift", "2026-03-02T06:00:00Z")]
    late = final[("WU-2", "shift", "2026-03-02T14:00:00Z")]
    assert (early["producedQuantity"], early["goodQuantity"], early["scrapQuantity"]) == pytest.approx(
        (25, 24, 1)
    )
    assert (late["producedQuantity"], late["goodQuantity"], late["scrapQuantity"]) == pytest.approx(
        (75, 72, 3)
    )
    assert early["oee"] == pytest.approx(30 / 450 * 0.75 * 0.96)  # 0.048
    assert late["oee"] == pytest.approx(90 / 450 * 0.75 * 0.96)  # 0.144
    # WU-1 in S-B: IDLE from 13:00, nothing produced → no window (the product has no row either).
    assert ("WU-1", "shift", "2026-03-02T14:00:00Z") not in final
    # Hours: WU-1 06:00–07:00 SETUP 10 min, RUNNING 50 → PBT 60 (an hour has no break), APT 50;
    # 50/380 of PRD-1's 600 parts = 78.947; effectiveness is the operation's own (300/380).
    hour = final[("WU-1", "hour", "2026-03-02T06:00:00Z")]
    assert hour["availability"] == pytest.approx(50 / 60)
    assert hour["producedQuantity"] == pytest.approx(600 * 50 / 380)
    assert hour["effectiveness"] == pytest.approx(300 / 380)
    assert hour["oee"] == pytest.approx(50 / 60 * 300 / 380 * 0.98)
    # Hours in which each unit ran: WU-1 06..12 (7), WU-2 13, 14, 15 (3).
    hours = sorted((k[0], k[2][11:13]) for k in final if k[1] == "hour")
    assert hours == [("WU-1", f"{h:02d}") for h in range(6, 13)] + [("WU-2", h) for h in ("13", "14", "15")]


def test_open_windows_are_revised_then_finalised_once(processed) -> None:
    _settings, descriptor, events = processed
    sa = [
        e
        for e in events
        if (e["data"]["equipmentId"], e["data"]["windowName"], e["data"]["windowStart"])
        == ("WU-1", "shift", "2026-03-02T06:00:00Z")
    ]
    revisions = [e["data"]["revision"] for e in sa]
    assert revisions == list(range(1, len(sa) + 1))  # numbered in order, none twice
    assert [e["data"]["final"] for e in sa] == [False] * (len(sa) - 1) + [True]
    # Before PRD-1/0010 completed nothing was produced; the completion revised the window.
    assert sa[0]["data"]["producedQuantity"] == 0
    assert any(e["data"]["producedQuantity"] == pytest.approx(600) and not e["data"]["final"] for e in sa)
    envelope = sa[-1]
    assert envelope["type"] == "digispine.stream.EquipmentOee.v1"
    assert envelope["source"] == "digispine/streams/equipmentOee/v1"
    assert envelope["subject"] == envelope["key"] == "WU-1"
    # The last change: S-B's start at 14:00 moved the clock to S-A's end, completing its PBT.
    assert envelope["time"] == "2026-03-02T14:00:00Z"
    assert envelope["ts"] >= envelope["inputts"] > 0
    # Stamped when produced, not with the input's timestamp (the catalog's latency would read 0):
    # the input went through the keyed topic and a transaction first, so none is stamped as early.
    assert all(e["ts"] > e["inputts"] for e in events)
    lineage = envelope["lineage"]
    assert {"source": "mes/plant-p1", "id": "oee-014"} in lineage["events"]  # PRD-1/0010's completion
    assert lineage["truncated"] == 0
    assert len({e["id"] for e in events}) == len(events)
    assert read_all(_settings, _settings.stream_violations_topic) == []


def test_final_shift_windows_equal_the_batch_product(
    processed,
    neo4j_settings: Settings,
    store: Neo4jStore,
    model: DomainModel,  # noqa: F811
    tmp_path: Path,
) -> None:
    _settings, _descriptor, events = processed
    stats = load_fresh(neo4j_settings, store, tmp_path / "load", fixed_plant_events(), "oee")
    assert stats.rejected_total == 0
    products = build_data_products(SHIPPED, model, store)
    rows = products.query("equipmentOEE", asOf=dt.datetime(2026, 3, 3, 6, tzinfo=dt.UTC))
    assert_equal_to_product(finals(events), rows)


def assert_equal_to_product(final: dict, rows: list[dict[str, Any]]) -> None:
    """Every batch row has a final stream shift window with the same values, and no window more."""
    shifts = {(k[0], e["data"]["shiftId"]): e["data"] for k, e in final.items() if k[1] == "shift"}
    by_key = {(r["equipmentId"], r["shiftId"]): r for r in rows}
    assert sorted(shifts) == sorted(by_key)
    fields = [
        f
        for f in rows[0]
        if f not in ("equipmentName", "workCenterId", "shiftName", "shiftStart", "shiftEnd")
    ]
    for key, row in by_key.items():
        window = shifts[key]
        assert window["windowStart"] == row["shiftStart"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for name in fields:
            expected = row[name]
            if isinstance(expected, float):
                assert window[name] == pytest.approx(expected, rel=1e-9, abs=1e-9), (key, name)
            else:
                assert window[name] == expected, (key, name)
