"""Test helper: OCEL 2.0 logs in the SQLite form, built table by table as the standard describes
them (https://www.ocel-standard.org, "OCEL 2.0 Specification", relational/SQLite), independently
of the project's own writer, from a log in the JSON form of the same specification."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.support.paths import REPO

ORDER_MANAGEMENT_JSON = REPO / "tests" / "data" / "ocel" / "order-management.json"
_SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "time": "TIMESTAMP",
}


def _map(name: str) -> str:
    return "".join(part.capitalize() for part in name.split())


def sqlite_from_json(doc: dict[str, Any], path: Path) -> Path:
    """The log ``doc`` (OCEL 2.0 JSON) as an OCEL 2.0 SQLite file at ``path``: ``event``,
    ``event_map_type``, ``event_<Type>``, ``object``, ``object_map_type``, ``object_<Type>`` (the
    initial row with ``ocel_changed_field`` NULL, then one row per change), ``event_object``,
    ``object_object``."""
    con = sqlite3.connect(path)
    with con:
        con.executescript(
            """
            CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
            CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
            CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
            CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
            CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT,
                PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier));
            CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT,
                PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier));
            """
        )
        event_attrs = {}
        for et in doc["eventTypes"]:
            event_attrs[et["name"]] = [a["name"] for a in et["attributes"]]
            cols = "".join(f', "{a["name"]}" {_SQL_TYPES[a["type"]]}' for a in et["attributes"])
            con.execute("INSERT INTO event_map_type VALUES (?, ?)", (et["name"], _map(et["name"])))
            con.execute(
                f'CREATE TABLE "event_{_map(et["name"])}" '
                f"(ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP{cols})"
            )
        object_attrs = {}
        for ot in doc["objectTypes"]:
            object_attrs[ot["name"]] = [a["name"] for a in ot["attributes"]]
            cols = "".join(f', "{a["name"]}" {_SQL_TYPES[a["type"]]}' for a in ot["attributes"])
            con.execute("INSERT INTO object_map_type VALUES (?, ?)", (ot["name"], _map(ot["name"])))
            con.execute(
                f'CREATE TABLE "object_{_map(ot["name"])}" '
                f"(ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT{cols})"
            )
        for ev in doc["events"]:
            con.execute("INSERT INTO event VALUES (?, ?)", (ev["id"], ev["type"]))
            given = {a["name"]: a["value"] for a in ev["attributes"]}
            names = event_attrs[ev["type"]]
            marks = ", ".join("?" * (2 + len(names)))
            con.execute(
                f'INSERT INTO "event_{_map(ev["type"])}" VALUES ({marks})',
                [ev["id"], ev["time"], *(given.get(n) for n in names)],
            )
            for rel in ev["relationships"]:
                con.execute(
                    "INSERT INTO event_object VALUES (?, ?, ?)", (ev["id"], rel["objectId"], rel["qualifier"])
                )
        for ob in doc["objects"]:
            con.execute("INSERT INTO object VALUES (?, ?)", (ob["id"], ob["type"]))
            names = object_attrs[ob["type"]]
            table = f'"object_{_map(ob["type"])}"'
            marks = ", ".join("?" * (3 + len(names)))
            first: dict[str, Any] = {}
            changes = []
            for attr in ob["attributes"]:  # each object's first values share one time here
                if attr["name"] in first:
                    changes.append(attr)
                else:
                    first[attr["name"]] = attr["value"]
            start = min((a["time"] for a in ob["attributes"]), default="1970-01-01T00:00:00Z")
            con.execute(
                f"INSERT INTO {table} VALUES ({marks})",
                [ob["id"], start, None, *(first.get(n) for n in names)],
            )
            for change in changes:
                cells = [change["value"] if n == change["name"] else None for n in names]
                con.execute(
                    f"INSERT INTO {table} VALUES ({marks})",
                    [ob["id"], change["time"], change["name"], *cells],
                )
            for rel in ob["relationships"]:
                con.execute(
                    "INSERT INTO object_object VALUES (?, ?, ?)",
                    (ob["id"], rel["objectId"], rel["qualifier"]),
                )
    con.close()
    return path
