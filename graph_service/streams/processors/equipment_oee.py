"""equipmentOee: ISO 22400-2 OEE per work unit per hour and per shift, revised live, final after grace.

Keying (all through the stream's keyed topic, see :mod:`graph_service.streams.runtime`):

- ``op:<operationId>`` joins what the MES says of one operation in three events: its planned run
  time per unit (ProductionOrderReleased's operations), its equipment, shift and start
  (OperationStarted) and its end and quantities (OperationCompleted, which names only the
  operation). Once the equipment is known, every change of the joined operation goes on to
  ``eq:<equipmentId>``.
- ``cal`` holds the site's shift calendar (ShiftStarted) and the work units (EquipmentMasterChanged):
  a shift is reference data every work unit needs, so this key fans each shift out to every work
  unit it knows, and gives a newly known work unit the shifts known so far. The calendar is a few
  events a day; one key carries it without becoming a hot spot. Wall-clock ticks are fanned out
  the same way.
- ``eq:<equipmentId>`` holds the unit's state timeline (EquipmentStateChanged), its operations and
  the shifts, and computes the windows (:mod:`.oee_windows`).

Time: a unit's open windows are computed up to the newest event time it knows. A window is final
when the stream's watermark has passed its end by the grace period and every operation of the
unit that started before its end has completed before the watermark, its order's release (with
the planned run time per unit) has joined it (its quantities come with its
completion and are split over the windows it ran in by its RUNNING time, which is known once the
watermark has passed its end). The watermark is the least event time over the input
partitions: the runtime reports each partition's progress to ``cal`` (``progress_key``), which
fans every rise out to the work units, after the shifts and master data it sent them before. The
facts a window's completeness rests on — state changes and operation starts — are routed straight
to the unit, so they reach it before any watermark that counts them (Kafka keeps the order of what
one producer writes to one partition). Wall-clock ticks, when on, raise the watermark too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from graph_service.settings import Settings
from graph_service.streams.envelope import LineageTracker, utc_text, window_id_parts
from graph_service.streams.processors import oee_windows as ow
from graph_service.streams.runtime import (
    CLOCK_KEY,
    InputEvent,
    KeyState,
    Origin,
    Outbox,
    Routed,
)
from graph_service.streams.watermark import new_minute

STREAMS = ("equipmentOee",)

MES = "digispine.mes."
#: Input type → the event class it is, for the types that are not the MES's own
#: (``digispine.mes.<class>.v1``): the ``uns`` mapping pack's machine signals
#: (loaders/mappings/packs/uns), which its adapter writes in the MES's payload form of the class.
OTHER_TYPES = {
    "uns.equipment.state.v1": "EquipmentStateChanged",
    "uns.operation.started.v1": "OperationStarted",
    "uns.operation.completed.v1": "OperationCompleted",
}
CALENDAR_KEY = "cal"
#: Finished windows are remembered this long past their end (a late input for them is ignored, not
#: counted as a new window).
RETAIN = 3 * 24 * 3600
#: An open window's lineage is kept under this prefix and its key, apart from the window's entry
#: in ``open``: every message reads ``open``, and the lineage (up to LINEAGE_CAP inputs a window)
#: of every window an operation holds open made it most of a message's state reads.
LINEAGE = "lin:"
#: No shift is longer (what is kept of a unit's past before the watermark allows for it).
LONGEST_WINDOW = 12 * 3600


def epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def iso(seconds: int) -> str:
    return utc_text(dt.datetime.fromtimestamp(seconds, dt.UTC))


def create(descriptor: Any, settings: Settings) -> EquipmentOee:
    return EquipmentOee(grace=int(descriptor.grace.total_seconds()))


class EquipmentOee:
    """The equipmentOee processor (see the module docstring)."""

    #: The runtime sends its per-partition progress here; the calendar key makes the watermark.
    progress_key = CALENDAR_KEY

    def __init__(self, grace: int) -> None:
        self.grace = grace

    # -- routing ---------------------------------------------------------------------------------
    def route(self, event: InputEvent) -> Iterable[Routed]:
        kind = OTHER_TYPES.get(event.type) or event.type.removeprefix(MES).removesuffix(".v1")
        data = event.data
        if kind == "EquipmentStateChanged":
            change = [epoch(data["since"]), data["stateChangeId"], data["state"]]
            yield Routed(f"eq:{data['equipmentId']}", {"kind": "state", "change": change})
        elif kind == "OperationStarted":
            started = {
                "equipmentId": data["equipmentId"],
                "shiftId": data.get("shiftId"),
                "start": epoch(data["startedAt"]),
            }
            yield Routed(f"op:{data['operationId']}", {"kind": "started", **started})
            # Straight to the unit too: it must know the operation runs before a watermark could
            # close the windows the operation's quantities will belong to.
            op = {"operationId": data["operationId"], **started}
            yield Routed(f"eq:{data['equipmentId']}", {"kind": "op", "op": op})
        elif kind == "OperationCompleted":
            quantities = {k: data.get(f"{k}Quantity") for k in ("produced", "good", "scrap", "rework")}
            body = {"kind": "completed", "end": epoch(data["completedAt"]), **quantities}
            yield Routed(f"op:{data['operationId']}", body)
        elif kind == "ProductionOrderReleased":
            for op in data.get("operations") or []:
                pru = op.get("plannedRunTimePerUnitSeconds")
                body = {"kind": "planned", "pru": pru, "released": True}
                yield Routed(f"op:{op['operationId']}", body)
        elif kind == "ShiftStarted":
            shift = {
                "shiftId": data["shiftId"],
                "name": data.get("shiftName"),
                "start": epoch(data["shiftStart"]),
                "end": epoch(data["shiftEnd"]),
                "break": data.get("plannedBreakMinutes") or 0,
                "site": data.get("siteCode"),
            }
            yield Routed(CALENDAR_KEY, {"kind": "shift", "shift": shift})
        elif kind == "EquipmentMasterChanged":
            master = {"equipmentId": data["equipmentId"], "level": data.get("equipmentLevel")}
            yield Routed(CALENDAR_KEY, {"kind": "master", **master, "site": data.get("siteCode")})

    # -- handling --------------------------------------------------------------------------------
    def handle(self, key: str, body: dict[str, Any], origin: Origin, state: KeyState, out: Outbox) -> None:
        if key == CLOCK_KEY:  # a wall-clock tick: the calendar key fans it out
            out.send(CALENDAR_KEY, {"kind": "tick", "time": epoch(body["time"])})
        elif key == CALENDAR_KEY:
            self._calendar(body, state, out)
        elif key.startswith("op:"):
            self._operation(key[3:], body, state, out)
        elif key.startswith("eq:"):
            self._equipment(key[3:], body, origin, state, out)

    def _calendar(self, body: dict[str, Any], state: KeyState, out: Outbox) -> None:
        units: dict[str, Any] = state.get("units", {})
        shifts: dict[str, Any] = state.get("shifts", {})
        kind = body["kind"]
        if kind == "shift":
            shift = body["shift"]
            shifts[shift["shiftId"]] = shift
            # Kept by the watermark, not by the newest shift: the shifts' partition may be days ahead,
            # and a work unit whose master data comes late still needs every shift not yet finished.
            horizon = int(state.get("wm", 0)) - RETAIN
            state.set("shifts", {k: s for k, s in shifts.items() if s["end"] > horizon})
            for unit in sorted(units):
                out.send(f"eq:{unit}", {"kind": "shift", "shift": shift})
        elif kind == "master":
            unit = body["equipmentId"]
            first = unit not in units
            units[unit] = {"level": body["level"], "site": body["site"]}
            state.set("units", units)
            out.send(f"eq:{unit}", {"kind": "master", "level": body["level"], "site": body["site"]})
            if first:  # a unit known late gets the calendar and the watermark so far
                for shift in sorted(shifts.values(), key=lambda s: (s["start"], s["shiftId"])):
                    out.send(f"eq:{unit}", {"kind": "shift", "shift": shift})
                if state.get("wm"):
                    out.send(f"eq:{unit}", {"kind": "clock", "time": int(state.get("wm"))})
        elif kind in ("progress", "tick"):
            self._watermark(body, units, state, out)

    def _watermark(self, body: dict[str, Any], units: dict[str, Any], state: KeyState, out: Outbox) -> None:
        """The least event time of the input partitions, once every partition has reported (each
        reports when it enters a new minute), raised by wall-clock ticks; each rise goes to every unit."""
        if body["kind"] == "tick":
            state.set("tick", max(int(state.get("tick", 0)), int(body["time"])))
        else:
            parts: dict[str, int] = state.get("parts", {})
            where = str(body["partition"])
            reported = epoch(body["time"])
            if not new_minute(parts.get(where), reported):
                return  # a restart re-announcing its minute (runtime.new_minute)
            parts[where] = max(parts.get(where, 0), reported)
            state.set("parts", parts)
            state.set("partitions", max(int(state.get("partitions", 1)), int(body["partitions"])))
        parts = state.get("parts", {})
        low = min(parts.values()) if parts and len(parts) >= int(state.get("partitions", 1)) else 0
        mark = max(low, int(state.get("tick", 0)))
        if mark > int(state.get("wm", 0)):
            state.set("wm", mark)
            for unit in sorted(units):
                out.send(f"eq:{unit}", {"kind": "clock", "time": mark})

    def _operation(self, operation_id: str, body: dict[str, Any], state: KeyState, out: Outbox) -> None:
        """Join the operation's release, start and completion; pass it on once its unit is known."""
        op: dict[str, Any] = state.get("op", {"operationId": operation_id})
        op.update({k: v for k, v in body.items() if k != "kind" and v is not None})
        state.set("op", op)
        if op.get("equipmentId"):
            out.send(f"eq:{op['equipmentId']}", {"kind": "op", "op": op})

    # -- the work unit -----------------------------------------------------------------------------
    def _equipment(
        self, unit: str, body: dict[str, Any], origin: Origin, state: KeyState, out: Outbox
    ) -> None:
        kind = body["kind"]
        # What this message can change starts at ``lo``: windows that end at or before it keep the
        # values they had (only finishing can still happen to them), so only the later ones are
        # recomputed; the newest time the unit knew bounds it (later windows grow with the clock).
        old_clock = max(int(state.get("seen", 0)), int(state.get("wm", 0)))
        lo = old_clock
        # Windows that end before ``lo`` can still finish, but only where the message freed them:
        # the windows this message may touch at all end after ``scan_from`` (see _windows).
        scan_from = old_clock
        if kind == "state":
            since, change_id, value = body["change"]
            lo = min(lo, int(since))
            changes: dict[str, Any] = state.get("changes", {})
            changes[change_id] = [since, value]
            state.set("changes", changes)
            self._saw(state, max(since, epoch(origin.time_text)))
        elif kind == "op":
            ops: dict[str, Any] = state.get("ops", {})
            merged = ops.get(body["op"]["operationId"], {})
            if merged.get("start") is not None:  # a start moved later frees the windows before it
                scan_from = min(scan_from, int(merged["start"]))
            merged.update({k: v for k, v in body["op"].items() if v is not None})
            ops[merged["operationId"]] = merged
            state.set("ops", ops)
            self._saw(state, epoch(origin.time_text))
            lo = min(lo, self._op_reach(merged, state))
        elif kind == "shift":
            shifts: dict[str, Any] = state.get("shifts", {})
            shifts[body["shift"]["shiftId"]] = body["shift"]
            state.set("shifts", shifts)
            lo = min(lo, int(body["shift"]["start"]))
        elif kind == "master":
            state.set("master", {"level": body["level"], "site": body["site"]})
            lo = 0  # the site decides which shifts count: everything may change
        previous = int(state.get("wm", 0))
        if kind == "clock":
            if int(body["time"]) <= previous:
                return
            state.set("wm", int(body["time"]))
            # Windows the old watermark had not passed by the grace period may finish now.
            scan_from = min(scan_from, previous - self.grace)
            # Operations the watermark has now passed are settled: their split reaches back.
            for record in state.get("ops", {}).values():
                end = record.get("end")
                if end is not None and previous < int(end) <= int(body["time"]):
                    lo = min(lo, self._op_reach(record, state))
        master = state.get("master")
        if master is None or master.get("level") != "WORK_UNIT":
            return  # the product's rows are work units; others wait until master data says so
        watermark = int(state.get("wm", 0))
        clock = max(int(state.get("seen", 0)), watermark)
        if kind not in ("state", "op", "shift", "clock"):
            scan_from = 0
        self._windows(unit, master, clock, watermark, previous, origin, state, out, lo, min(lo, scan_from))

    @staticmethod
    def _op_reach(record: dict[str, Any], state: KeyState) -> int:
        """The earliest window start an operation's quantities can count in: its start, or its
        reported shift's (an operation without RUNNING time counts wholly there)."""
        reach = int(record.get("start", 0))
        shift = state.get("shifts", {}).get(record.get("shiftId") or "")
        if shift is not None:
            reach = min(reach, int(shift["start"]))
        return reach

    @staticmethod
    def _saw(state: KeyState, when: int) -> None:
        if when > int(state.get("seen", 0)):
            state.set("seen", when)

    def _windows(
        self,
        unit: str,
        master: dict[str, Any],
        clock: int,
        watermark: int,
        previous: int,
        origin: Origin,
        state: KeyState,
        out: Outbox,
        lo: int = 0,
        scan_from: int = 0,
    ) -> None:
        """Recompute the open windows at ``clock`` (the newest time the unit knows) that end after
        ``lo`` (what the message can have changed), emit those that changed, finish those the
        ``watermark`` has passed by the grace period.

        Only windows ending after ``scan_from`` (≤ ``lo``) are looked at, and the state timeline and
        operations only over the time those need: every window ending earlier that the watermark
        could finish was finished by an earlier message, unless this one freed it (a watermark
        rise, an operation's start moved later: ``_equipment`` lowers ``scan_from`` for those).
        The windows that end before ``scan_from`` are then exactly those an earlier message left
        open because an operation held them, or that nothing of this message can change."""
        records = state.get("ops", {})
        # Windows older than this were finished at an earlier watermark (and forgotten); the
        # watermark can jump by days when a partition that was behind catches up. Except those an
        # operation held at the last computation (``held``: the earliest start of an unsettled
        # one that came in time): no window ending after it ever finished, and its completion or
        # release, two hops away, may come through a keyed partition read days behind this one,
        # long after the watermark has passed them by RETAIN — they must still finish then.
        horizon = previous - RETAIN
        if state.get("held") is not None:
            horizon = min(horizon, int(state.get("held")))
        # An operation's split over windows needs its whole RUNNING profile: until the watermark
        # has passed its end, the state changes inside it may not all be here yet.
        # Its planned run time comes with its order's release, through the operation's own key: an
        # operation is settled once that is here too (the release may be on a partition behind).
        # Revisions too count an operation's quantities only once its split is known.
        ops = _settlement(records, watermark, horizon)
        known = ow.sorted_changes(state.get("changes", {}), clock)
        candidates = self._candidates(state, master, known, ops.ends, horizon, scan_from, clock)
        done: dict[str, Any] = state.get("done", {})  # window key -> its end, for finished windows
        emitted: dict[str, Any] = state.get("open", {})  # window key -> {rev, hash, time}
        dirty = False  # done or emitted changed: they must be written back
        chosen: list[tuple[ow.Window, str, bool]] = []
        for window in sorted(candidates, key=lambda w: (w.start, w.name)):
            wkey = f"{window.name}/{window.start}"
            if wkey in done:
                continue
            closes = window.end + self.grace
            # No time limit: under a backlog one keyed partition may be a day of event time behind
            # another, and a limit in event time closed windows before their operations' completions
            # came through (a lost completion keeps its windows open: docs/streams.md).
            held = ops.unsettled_from is not None and ops.unsettled_from < window.end
            final = watermark >= closes and not held
            if window.end <= lo and not final:
                continue  # unchanged by this message, and not finished by it
            chosen.append((window, wkey, final))
        settled, state_time = _span(chosen, ops.settled, known, clock)
        for window, wkey, final in chosen:
            values = ow.window_values(window, (), settled, (), clock, state_time)
            entry = emitted.get(wkey)
            if values is None and entry is None:
                if final:
                    done[wkey] = window.end
                    dirty = True
                continue
            digest = _digest(values)
            changed = entry is None or not _same(entry["hash"], digest, values)
            if not changed and not final:
                continue  # nothing to emit or to write back (its lineage is not even read)
            tracker = LineageTracker.from_state(_lineage(state, wkey, entry))
            if changed:
                tracker.add(origin)
            newest = int(entry["time"]) if entry else 0
            if changed or not newest:
                newest = max(newest, epoch(origin.time_text))
            revision = (entry["rev"] if entry else 0) + (1 if changed or final else 0)
            if final:
                done[wkey] = window.end
                emitted.pop(wkey, None)
                if entry is not None and "lin" not in entry:
                    state.delete(LINEAGE + wkey)
                dirty = True
                if values is not None:
                    self._emit(unit, window, values, revision, True, newest, tracker, out)
                continue
            if changed:
                emitted[wkey] = {"rev": revision, "hash": digest, "time": newest}
                state.set(LINEAGE + wkey, tracker.to_state())
                dirty = True
                if values is not None:
                    self._emit(unit, window, values, revision, False, newest, tracker, out)
        # An operation that started before the horizon came too late to hold anything (its windows
        # may be final and forgotten): it must not bring them back.
        if ops.holding_from is not None:
            if state.get("held") != ops.holding_from:
                state.set("held", ops.holding_from)
        elif state.exists("held"):
            state.delete("held")
        held_from = [] if ops.unsettled_from is None else [ops.unsettled_from]
        self._prune(state, done, emitted, watermark, held_from, dirty, known, ops.first_end)

    @staticmethod
    def _candidates(
        state: KeyState,
        master: dict[str, Any],
        known: list[tuple[int, str, str]],
        ends: list[int],
        horizon: int,
        scan_from: int,
        clock: int,
    ) -> list[ow.Window]:
        """The unit's windows after ``horizon`` that end after ``scan_from``: its site's shifts,
        and the hours in which it ran or an operation of it ended."""
        site = master.get("site")
        windows = [
            ow.Window("shift", int(s["start"]), int(s["end"]), _shift(s))
            for s in state.get("shifts", {}).values()
            if (site is None or s.get("site") is None or s.get("site") == site)
            and int(s["end"]) > horizon
            and int(s["end"]) > scan_from
        ]
        # The RUNNING intervals an hour ending after scan_from can come from (hour_windows counts
        # the hour an interval is clipped to at the horizon too).
        from_hour = max(horizon, scan_from)
        from_hour -= from_hour % 3600
        hours = ow.running_hours(known, clock, from_hour, ends, horizon, clock)
        return windows + [w for w in hours if w.end > scan_from]

    def _emit(
        self,
        unit: str,
        window: ow.Window,
        values: dict[str, Any],
        revision: int,
        final: bool,
        newest: int,
        tracker: LineageTracker,
        out: Outbox,
    ) -> None:
        data: dict[str, Any] = {
            "equipmentId": unit,
            "windowName": window.name,
            "windowStart": iso(window.start),
            "windowEnd": iso(window.end),
            "final": final,
            "revision": revision,
        }
        if window.shift is not None:
            data["shiftId"] = window.shift.shift_id
            if window.shift.name is not None:
                data["shiftName"] = window.shift.name
        data.update(values)
        # A window's final has one id whatever revisions led to it (instances and restarts may
        # group late inputs differently); revisions are numbered in the order they were computed.
        parts = window_id_parts(window.name, data["windowStart"], revision)
        if final:
            parts = [window.name, data["windowStart"], "final"]
        out.emit(
            subject=unit,
            data=data,
            time=dt.datetime.fromtimestamp(newest, dt.UTC),
            id_parts=parts,
            lineage=tracker.lineage(),
        )

    def _prune(
        self,
        state: KeyState,
        done: dict[str, Any],
        emitted: dict[str, Any],
        watermark: int,
        held: list[int],
        dirty: bool,
        known: list[tuple[int, str, str]],
        first_end: int | None,
    ) -> None:
        """Forget what no window that can still change needs: finished windows long past, states
        and operations before the earliest open window (keeping the state in force at its start).
        All by the watermark: a unit's own events may be far ahead of it."""
        kept = done
        if done and min(done.values()) <= watermark - RETAIN:  # ends: whole seconds
            kept = {k: v for k, v in done.items() if int(v) > watermark - RETAIN}
        # Written only when they changed: the open windows carry their lineage, and rewriting
        # them on every message was a good part of a message's state traffic.
        if dirty or len(kept) != len(done) or not state.exists("done"):
            state.set("done", kept)
            state.set("open", emitted)
        oldest_open = watermark - self.grace - LONGEST_WINDOW
        keep_from = min([int(k.split("/")[1]) for k in emitted] + held + [oldest_open]) - LONGEST_WINDOW
        # ``known`` is the changes in time order (all of them: the clock is at least every change's
        # time), so those before keep_from are its first ones; most messages find none to drop.
        old = bisect_left(known, keep_from, key=_since)
        if old > 1:
            changes: dict[str, Any] = state.get("changes", {})
            for _, cid, _ in known[: old - 1]:
                del changes[cid]
            state.set("changes", changes)
        if first_end is not None and first_end < keep_from:
            ops: dict[str, Any] = state.get("ops", {})
            for k in [k for k, o in ops.items() if o.get("end") is not None and int(o["end"]) < keep_from]:
                del ops[k]
            state.set("ops", ops)


def _digest(values: dict[str, Any] | None) -> str:
    """What an open window's entry keeps of its values, to tell a change: a hash of their JSON."""
    if not values:
        return ""
    return hashlib.blake2b(orjson.dumps(values, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _same(kept: str, digest: str, values: dict[str, Any] | None) -> bool:
    """``kept`` is ``digest``, or (state written before entries kept a hash) the values' JSON."""
    if kept == digest:
        return True
    return (
        kept.startswith("{")
        and bool(values)
        and kept == orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()
    )


def _lineage(state: KeyState, wkey: str, entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """An open window's lineage: under its own key (state written before it had one: in its entry)."""
    if entry is None:
        return None
    if "lin" in entry:
        return entry["lin"]  # type: ignore[no-any-return]
    return state.get(LINEAGE + wkey)  # type: ignore[no-any-return]


def _since(change: tuple[int, str, str]) -> int:
    return change[0]


def _shift(record: dict[str, Any]) -> ow.Shift:
    return ow.Shift(
        record["shiftId"],
        record.get("name"),
        int(record["start"]),
        int(record["end"]),
        float(record["break"]),
        record.get("site"),
    )


class _Settlement(NamedTuple):
    """What a unit's operations say before any window is computed."""

    settled: list[dict[str, Any]]  # the records of the settled ones
    unsettled_from: int | None  # the earliest start of an unsettled one: it holds every window ending later
    holding_from: int | None  # the same, of those that started after the horizon
    first_end: int | None  # the earliest end of any (what pruning looks at)
    ends: list[int]  # the started ones' ends, where known


def _settlement(records: dict[str, Any], watermark: int, horizon: int) -> _Settlement:
    """Sort a unit's operation records into settled and not, in one pass (see _windows)."""
    settled: list[dict[str, Any]] = []
    ends: list[int] = []
    unsettled_from: int | None = None
    holding_from: int | None = None
    first_end: int | None = None
    for record in records.values():
        start, end = record.get("start"), record.get("end")
        if end is not None and (first_end is None or int(end) < first_end):
            first_end = int(end)
        if start is None:
            continue  # not known to have started: no operation yet
        if end is not None:
            ends.append(int(end))
        if (
            end is None
            or record.get("produced") is None
            or int(end) > watermark
            or not record.get("released")
        ):
            start = int(start)
            if unsettled_from is None or start < unsettled_from:
                unsettled_from = start
            if start >= horizon and (holding_from is None or start < holding_from):
                holding_from = start
        else:
            settled.append(record)
    return _Settlement(settled, unsettled_from, holding_from, first_end, ends)


def _span(
    chosen: list[tuple[ow.Window, str, bool]],
    settled: list[dict[str, Any]],
    known: list[tuple[int, str, str]],
    clock: int,
) -> tuple[list[ow.Operation], ow.StateTime]:
    """What the chosen windows' values need: the settled operations that ran or were reported in
    them (in one order whatever order they arrived in: float sums then agree to the last bit), and
    the state timeline from the earliest of their starts and the windows' on."""
    if not chosen:
        return [], ow.StateTime(())
    first = min(w.start for w, _, _ in chosen)
    shift_ids = {w.shift.shift_id for w, _, _ in chosen if w.shift is not None}
    records = sorted(
        (r for r in settled if int(r["end"]) >= first or r.get("shiftId") in shift_ids),
        key=lambda r: r["operationId"],
    )
    ops = [o for o in (ow.operation_of(r) for r in records) if o is not None]
    since = min([first] + [o.start for o in ops])
    return ops, ow.StateTime(ow.timeline_from(known, clock, since))
