"""OCEL 2.0 both ways against the real Neo4j: a log built after the specification loads through
the ``ocel`` adapter and the order-management mapping pack only, shuffled and (by the CLI, from
the SQLite form) in its order, and
the graph written back as a log (``digispine export ocel``) keeps every count — events, objects,
event-object links with their qualifiers, object-object links, attribute values over time — as
pm4py reads them."""

from __future__ import annotations

import random
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from graph_service.cli.main import app
from graph_service.ocel.export import export_log
from graph_service.ocel.log import OcelLog
from graph_service.ocel.ocel_json import read_json
from graph_service.ontology.compiler import load_model
from graph_service.settings import SHIPPED_MAPPINGS, Settings
from graph_service.store import Neo4jStore
from loaders.adapters import get as get_adapter
from tests.integration.test_load_cli import cli_env
from tests.support.loading import REPO, load_fresh
from tests.support.ocel import ORDER_MANAGEMENT_JSON, sqlite_from_json

pytestmark = pytest.mark.integration

PACK = REPO / "loaders" / "mappings" / "packs" / "ocel-order-management"
PACK_SETTINGS: dict[str, Any] = {
    "ontology_dirs": (PACK / "ontology",),
    "mappings_dirs": (SHIPPED_MAPPINGS, PACK),
}


def _cloudevents(path: Path) -> list[dict[str, Any]]:
    adapter = get_adapter("ocel")
    return [e for r in adapter.read_file(path) for e in adapter.decode(r)]  # type: ignore[attr-defined]


def _links(log: OcelLog) -> dict[str, Counter[Any]]:
    """What survives the trip by identity: ids, qualifiers, each value with its time (the types
    and attribute names become the ontology's)."""
    return {
        "events": Counter((e.id, e.time) for e in log.events),
        "objects": Counter(o.id for o in log.objects),
        "e2o": Counter((e.id, r.object_id, r.qualifier) for e in log.events for r in e.relationships),
        "o2o": Counter((o.id, r.object_id, r.qualifier) for o in log.objects for r in o.relationships),
        "values": Counter((o.id, a.time, a.value) for o in log.objects for a in o.attributes),
    }


def test_a_shuffled_log_loads_keeping_every_object_link_qualifier_and_value(
    neo4j_settings: Settings, store: Neo4jStore, tmp_path: Path
) -> None:
    """The log's own order is the CLI test below; both give the source's links and values."""
    source = read_json(ORDER_MANAGEMENT_JSON)
    events = _cloudevents(ORDER_MANAGEMENT_JSON)
    shuffled = random.Random(15).sample(events, len(events))
    assert shuffled != events
    stats = load_fresh(neo4j_settings, store, tmp_path / "data", shuffled, "ocel", **PACK_SETTINGS)
    assert (stats.loaded, stats.rejected_total) == (len(events), 0), stats.rejected

    exported = export_log(store, load_model([REPO / "ontology", PACK / "ontology"])).log
    assert exported.counts() == source.counts()
    assert _links(exported) == _links(source)
    # the objects are the ontology's classes, the activities its event classes
    assert {o.type for o in exported.objects} >= {"SalesOrder", "SalesOrderItem", "Shipment", "Material"}
    assert next(e.type for e in exported.events if e.id == "ev1") == "OrderPlaced"
    # a product's price over time is the property's history, read in event-time order
    prices = store.read(
        "MATCH (e:DomainEvent)-[a:AFFECTED]->(:Material {materialNumber: 'p1'}) "
        "WHERE a.listPrice IS NOT NULL RETURN a.listPrice AS price ORDER BY e.eventTime"
    )
    assert [row["price"] for row in prices] == [9.5, 10.0, 11.25]
    assert store.read("MATCH (m:Material {materialNumber: 'p1'}) RETURN m.listPrice AS p") == [{"p": 11.25}]


def _pm4py_counts(path: Path) -> tuple[int, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        ocel = (
            pm4py.read_ocel2_sqlite(str(path))
            if path.suffix == ".sqlite"
            else pm4py.read_ocel2_json(str(path))
        )
    changes = 0 if ocel.object_changes is None else len(ocel.object_changes)
    o2o = 0 if ocel.o2o is None else len(ocel.o2o)
    return (len(ocel.events), len(ocel.objects), len(ocel.relations), o2o, changes)


def test_the_cli_loads_a_sqlite_log_and_exports_it_in_both_forms_for_pm4py(
    neo4j_settings: Settings, store: Neo4jStore, tmp_path: Path
) -> None:
    doc = orjson.loads(ORDER_MANAGEMENT_JSON.read_bytes())
    log = sqlite_from_json(doc, tmp_path / "order-management.sqlite")
    env = {
        **cli_env(neo4j_settings, tmp_path / "data"),
        "DIGISPINE_ONTOLOGY_DIRS": str(PACK / "ontology"),
        "DIGISPINE_MAPPINGS_DIRS": f"{SHIPPED_MAPPINGS}:{PACK}",
    }
    runner = CliRunner()
    loaded = runner.invoke(app, ["load", "--adapter", "ocel", str(log)], env=env)
    assert loaded.exit_code == 0, loaded.output

    for name, source in (("out.sqlite", log), ("out.json", ORDER_MANAGEMENT_JSON)):
        out = tmp_path / name
        result = runner.invoke(app, ["export", "ocel", str(out)], env=env)
        assert result.exit_code == 0, result.output
        assert "17 events, 15 objects" in result.output  # the fixture's own figures
        assert _pm4py_counts(out) == _pm4py_counts(source), name
    # loaded in the log's order, the graph gives the source's links and values like the shuffled load
    assert _links(read_json(tmp_path / "out.json")) == _links(read_json(ORDER_MANAGEMENT_JSON))
