"""The SQLite form of OCEL 2.0: tables ``event``, ``object``, ``event_object``, ``object_object``,
the type maps ``event_map_type``/``object_map_type`` and one table per type
(``event_<map>``: id, time, attributes; ``object_<map>``: id, time, ``ocel_changed_field``,
attributes — the first row of an object holds its initial values, each later row one change).
Read and written with the standard library's ``sqlite3``."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graph_service.ocel.errors import OcelError
from graph_service.ocel.log import (
    EPOCH,
    AttributeDef,
    AttributeValue,
    Event,
    Object,
    OcelLog,
    Relationship,
    TypeDef,
    parse_time,
    time_text,
    with_all_types,
)

#: OCEL 2.0 attribute types and the column types the standard's SQLite examples use for them.
COLUMN_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "time": "TIMESTAMP",
}
_SQLITE_FILE = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    """True when ``path`` starts like an SQLite database (whatever its name)."""
    with path.open("rb") as handle:
        return handle.read(len(_SQLITE_FILE)) == _SQLITE_FILE


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- reading -----------------------------------------------------------------------------------
def read_sqlite(path: Path) -> OcelLog:
    """The log in the SQLite file ``path``; an :class:`OcelError` naming the table that is wrong."""
    if not path.is_file() or not is_sqlite(path):
        raise OcelError(str(path), "not an SQLite database (an OCEL 2.0 SQLite log is one)")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _read(con, str(path))
    except (sqlite3.Error, ValueError) as exc:
        raise OcelError(str(path), str(exc)) from None
    finally:
        con.close()


def _read(con: sqlite3.Connection, where: str) -> OcelLog:
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in ("event", "object", "event_object", "object_object") if t not in tables]
    if missing:
        raise ValueError(f"tables {', '.join(missing)} are missing; an OCEL 2.0 SQLite log has them all")
    event_types = _types(con, "event", tables)
    object_types = _types(con, "object", tables)
    e2o: dict[str, list[Relationship]] = defaultdict(list)
    for event_id, object_id, qualifier in con.execute(
        "SELECT ocel_event_id, ocel_object_id, ocel_qualifier FROM event_object"
    ):
        e2o[str(event_id)].append(Relationship(str(object_id), qualifier or ""))
    o2o: dict[str, list[Relationship]] = defaultdict(list)
    for source, target, qualifier in con.execute(
        "SELECT ocel_source_id, ocel_target_id, ocel_qualifier FROM object_object"
    ):
        o2o[str(source)].append(Relationship(str(target), qualifier or ""))
    events = _events(con, event_types, e2o)
    objects = _objects(con, object_types, o2o)
    return OcelLog(
        tuple(t for t, _ in event_types.values()),
        tuple(t for t, _ in object_types.values()),
        tuple(sorted(events, key=lambda e: (e.time, e.id))),
        tuple(objects),
    )


def _types(con: sqlite3.Connection, kind: str, tables: set[str]) -> dict[str, tuple[TypeDef, str]]:
    """Each type of ``kind`` (event or object) with its table: ``{type: (TypeDef, table)}``."""
    mapped = dict(con.execute(f"SELECT ocel_type, ocel_type_map FROM {kind}_map_type").fetchall())
    used = [row[0] for row in con.execute(f"SELECT DISTINCT ocel_type FROM {kind} ORDER BY ocel_type")]
    found: dict[str, tuple[TypeDef, str]] = {}
    for name in dict.fromkeys([*used, *mapped]):
        if name not in mapped:
            raise ValueError(f"{kind} type {name!r} has no row in {kind}_map_type")
        table = f"{kind}_{mapped[name]}"
        if table not in tables:
            raise ValueError(f"table {table} (the {kind} type {name!r}) is missing")
        attrs = tuple(
            AttributeDef(col, _ocel_type(kind_))
            for col, kind_ in _columns_of(con, table)
            if not _reserved(col)
        )
        found[name] = (TypeDef(name, attrs), table)
    return found


def _columns_of(con: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(col[1], col[2]) for col in con.execute(f"PRAGMA table_info({_q(table)})").fetchall()]


def _reserved(column: str) -> bool:
    """The standard's own columns (``ocel_id``, ``ocel_time``, ``ocel_changed_field``); pm4py's
    writer also adds an ``ocel:activity`` column to event tables."""
    return column.startswith(("ocel_", "ocel:"))


def _ocel_type(column_type: str) -> str:
    kind = column_type.upper()
    if "INT" in kind:
        return "integer"
    if any(t in kind for t in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return "float"
    if "BOOL" in kind:
        return "boolean"
    if "TIME" in kind or "DATE" in kind:
        return "time"
    return "string"


def _value(value: Any, kind: str, where: str) -> Any:
    if value is None:
        return None
    if kind == "time":
        return parse_time(str(value), where)
    if kind == "boolean":
        return bool(value)
    return value


def _events(
    con: sqlite3.Connection, types: dict[str, tuple[TypeDef, str]], e2o: dict[str, list[Relationship]]
) -> list[Event]:
    kinds = dict(con.execute("SELECT ocel_id, ocel_type FROM event").fetchall())
    events: list[Event] = []
    for name, (typedef, table) in types.items():
        names = [a.name for a in typedef.attributes]
        cols = ", ".join(_q(c) for c in ["ocel_id", "ocel_time", *names])
        for row in con.execute(f"SELECT {cols} FROM {_q(table)}"):
            event_id = str(row[0])
            if kinds.get(event_id) != name:
                raise ValueError(f"{table}: event {event_id} is not an event of type {name!r} in table event")
            attrs = tuple(
                AttributeValue(a.name, _value(v, a.type, f"{table} {event_id} {a.name}"))
                for a, v in zip(typedef.attributes, row[2:], strict=True)
                if v is not None
            )
            time = parse_time(str(row[1]), f"{table} {event_id} ocel_time")
            events.append(Event(event_id, name, time, attrs, tuple(e2o.get(event_id, ()))))
    return events


def _objects(
    con: sqlite3.Connection, types: dict[str, tuple[TypeDef, str]], o2o: dict[str, list[Relationship]]
) -> list[Object]:
    listed = con.execute("SELECT ocel_id, ocel_type FROM object ORDER BY rowid").fetchall()
    values: dict[str, list[AttributeValue]] = defaultdict(list)
    for _name, (typedef, table) in types.items():
        present = {col for col, _ in _columns_of(con, table)}
        # pm4py's writer leaves out the time and changed-field columns of a type without values
        time_col = "ocel_time" if "ocel_time" in present else "NULL"
        changed_col = "ocel_changed_field" if "ocel_changed_field" in present else "NULL"
        names = [_q(a.name) for a in typedef.attributes]
        cols = ", ".join(["ocel_id", time_col, changed_col, *names])
        for row in con.execute(f"SELECT {cols} FROM {_q(table)} ORDER BY {time_col}, rowid"):
            object_id, changed = str(row[0]), row[2]
            raw_time = row[1]
            time = EPOCH if raw_time in (None, "") else parse_time(str(raw_time), f"{table} {object_id}")
            for attr, value in zip(typedef.attributes, row[3:], strict=True):
                if value is None or (changed is not None and attr.name != changed):
                    continue
                where = f"{table} {object_id} {attr.name}"
                values[object_id].append(AttributeValue(attr.name, _value(value, attr.type, where), time))
    return [
        Object(str(oid), kind, tuple(values.get(str(oid), ())), tuple(o2o.get(str(oid), ())))
        for oid, kind in listed
    ]


# -- writing -----------------------------------------------------------------------------------
def write_sqlite(log: OcelLog, path: Path) -> None:
    """``log`` as an OCEL 2.0 SQLite file (replacing ``path``)."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        with con:
            _write(con, log)
    finally:
        con.close()


def table_names(names: Iterable[str]) -> dict[str, str]:
    """A table-name suffix per type name (``place order`` → ``PlaceOrder``), unique."""
    taken: set[str] = set()
    result: dict[str, str] = {}
    for name in names:
        base = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", name) if w) or "Type"
        candidate, n = base, 1
        while candidate.lower() in taken:
            n += 1
            candidate = f"{base}{n}"
        taken.add(candidate.lower())
        result[name] = candidate
    return result


def _write(con: sqlite3.Connection, log: OcelLog) -> None:
    log = with_all_types(log)
    con.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
    con.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
    con.execute("CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    con.execute("CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    con.execute(
        "CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT, "
        "PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier))"
    )
    con.execute(
        "CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT, "
        "PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier))"
    )
    _write_events(con, log)
    _write_objects(con, log)


def _columns(typedef: TypeDef) -> str:
    return "".join(f", {_q(a.name)} {COLUMN_TYPES.get(a.type, 'TEXT')}" for a in typedef.attributes)


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return time_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _write_events(con: sqlite3.Connection, log: OcelLog) -> None:
    tables = table_names(t.name for t in log.event_types)
    types = {t.name: t for t in log.event_types}
    for typedef in log.event_types:
        con.execute("INSERT INTO event_map_type VALUES (?, ?)", (typedef.name, tables[typedef.name]))
        con.execute(
            f"CREATE TABLE {_q('event_' + tables[typedef.name])} "
            f"(ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP{_columns(typedef)})"
        )
    for event in log.events:
        typedef = types[event.type]
        given = {a.name: _cell(a.value) for a in event.attributes}
        con.execute("INSERT INTO event VALUES (?, ?)", (event.id, event.type))
        row = [event.id, time_text(event.time), *(given.get(a.name) for a in typedef.attributes)]
        marks = ", ".join("?" * len(row))
        con.execute(f"INSERT INTO {_q('event_' + tables[event.type])} VALUES ({marks})", row)
        con.executemany(
            "INSERT OR IGNORE INTO event_object VALUES (?, ?, ?)",
            [(event.id, r.object_id, r.qualifier) for r in event.relationships],
        )


def _write_objects(con: sqlite3.Connection, log: OcelLog) -> None:
    tables = table_names(t.name for t in log.object_types)
    types = {t.name: t for t in log.object_types}
    for typedef in log.object_types:
        con.execute("INSERT INTO object_map_type VALUES (?, ?)", (typedef.name, tables[typedef.name]))
        con.execute(
            f"CREATE TABLE {_q('object_' + tables[typedef.name])} "
            f"(ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT{_columns(typedef)})"
        )
    for obj in log.objects:
        typedef = types[obj.type]
        table = _q("object_" + tables[obj.type])
        names = [a.name for a in typedef.attributes]
        marks = ", ".join("?" * (3 + len(names)))
        con.execute("INSERT INTO object VALUES (?, ?)", (obj.id, obj.type))
        for row in _object_rows(obj, names):
            con.execute(f"INSERT INTO {table} VALUES ({marks})", row)
        con.executemany(
            "INSERT OR IGNORE INTO object_object VALUES (?, ?, ?)",
            [(obj.id, r.object_id, r.qualifier) for r in obj.relationships],
        )


def _object_rows(obj: Object, names: list[str]) -> list[list[Any]]:
    """The initial row (every attribute's first value, at the earliest time; the epoch when the
    object has none), then one row per later value with its ``ocel_changed_field``."""
    ordered = sorted(obj.attributes, key=lambda a: a.time)
    start = ordered[0].time if ordered else EPOCH
    initial: dict[str, Any] = {}
    changes: list[AttributeValue] = []
    for value in ordered:
        if value.time == start and value.name not in initial:
            initial[value.name] = _cell(value.value)
        else:
            changes.append(value)
    rows = [[obj.id, time_text(start), None, *(initial.get(n) for n in names)]]
    for change in changes:
        cells = [_cell(change.value) if n == change.name else None for n in names]
        rows.append([obj.id, time_text(change.time), change.name, *cells])
    return rows
