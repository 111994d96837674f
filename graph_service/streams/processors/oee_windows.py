"""ISO 22400-2 OEE of one work unit in one window, from its state timeline and operations (pure).

The same definitions as the batch product ``equipmentOEE`` v1 (queries/equipmentOEE/v1/query.cypher),
written for a window that may still be open: the state timeline is known up to ``as_of`` (the
stream's clock for the key), so each state lasts until the next change, the last one until
``as_of``; a window still running at ``as_of`` ends there for now. All times are whole epoch
seconds, as the query's ``epochSeconds``.

- PBT (planned busy time) = window − planned break; a shift's break counts in proportion to the
  part of the shift that has passed; an hour has no planned break (the MES gives a break's length,
  not its time of day).
- APT = RUNNING time inside the window. Availability = APT / PBT.
- Effectiveness = Σ planned run time per unit × produced / APT; quality ratio = good / produced.
- An operation's quantities are split across windows in proportion to its RUNNING time in each;
  an operation without RUNNING time counts wholly in its DURING_SHIFT shift (shift windows) or
  in the hour it completed (hour windows).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

Interval = tuple[int, int, str]  # start, end, state


class Operation(NamedTuple):
    """One operation of the unit (a tuple: every message builds all of them from the state, and a
    frozen dataclass's ``__init__`` was a tenth of a processor's time)."""

    operation_id: str
    start: int
    end: int | None
    produced: float | None
    good: float | None
    scrap: float | None
    rework: float | None
    planned_seconds_per_unit: float | None
    shift_id: str | None
    released: bool = True  # its order's release (planned run time) is known

    @property
    def completed(self) -> bool:
        return self.end is not None and self.produced is not None


@dataclass(frozen=True)
class Shift:
    shift_id: str
    name: str | None
    start: int
    end: int
    break_minutes: float
    site: str | None


@dataclass(frozen=True)
class Window:
    name: str  # "hour" | "shift"
    start: int
    end: int
    shift: Shift | None = None


def timeline(changes: Sequence[tuple[int, str, str]], as_of: int) -> list[Interval]:
    """``(since, stateChangeId, state)`` changes (any order) → intervals; changes after ``as_of``
    are not known yet, the last known state lasts until ``as_of``."""
    return timeline_from(sorted(c for c in changes if c[0] <= as_of), as_of, None)


def sorted_changes(changes: Mapping[str, Sequence[Any]], as_of: int) -> list[tuple[int, str, str]]:
    """A unit's ``stateChangeId → [since, state]`` changes known at ``as_of``, in time order."""
    return sorted((int(v[0]), cid, v[1]) for cid, v in changes.items() if int(v[0]) <= as_of)


def timeline_from(known: Sequence[tuple[int, str, str]], as_of: int, since: int | None) -> list[Interval]:
    """The intervals of ``known`` (sorted changes) that end after ``since`` (all when None): the
    tail of :func:`timeline`, the same tuples, from the state in force at ``since`` on."""
    first = 0 if since is None else max(0, bisect_right(known, since, key=_since) - 1)
    last = len(known) - 1
    return [
        (known[i][0], known[i + 1][0] if i < last else as_of, known[i][2]) for i in range(first, len(known))
    ]


def _since(change: tuple[int, str, str]) -> int:
    return change[0]


class StateTime:
    """Time in each state of a timeline before any instant, by bisection over cumulative sums:
    the time in ``state`` within [a, b) is ``before(state, b) - before(state, a)``, the same whole
    seconds as summing each interval's overlap (a timeline's intervals are sorted and do not
    overlap), in O(log n) instead of O(n) per operation and window."""

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self._spans: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for a, b, st in intervals:
            if b <= a:
                continue
            starts, ends, cumulative = self._spans.setdefault(st, ([], [], [0]))
            starts.append(a)
            ends.append(b)
            cumulative.append(cumulative[-1] + (b - a))

    def before(self, state: str, t: int) -> int:
        spans = self._spans.get(state)
        if spans is None:
            return 0
        starts, ends, cumulative = spans
        i = bisect_right(starts, t) - 1
        if i < 0:
            return 0
        return cumulative[i] + min(t, ends[i]) - starts[i]

    def within(self, state: str, a: int, b: int) -> int:
        """Seconds in ``state`` within [a, b) (0 when the span is empty)."""
        return self.before(state, b) - self.before(state, a) if b > a else 0


def planned_break_seconds(w0: int, w1: int, window: Window) -> float:
    """A shift's planned break, in proportion to the part of the shift in [w0, w1). The MES says
    how long a break is, not when it is, so an hour has none: its PBT is the whole hour (a share
    of the break would give availabilities above 1 in the hours the unit ran throughout)."""
    if window.shift is None:
        return 0.0
    s = window.shift
    return s.break_minutes * 60.0 * (w1 - w0) / (s.end - s.start)


def window_values(
    window: Window,
    intervals: Sequence[Interval],
    operations: Sequence[Operation],
    shifts: Sequence[Shift],
    as_of: int,
    state_time: StateTime | None = None,
) -> dict[str, Any] | None:
    """The KPI fields of ``window`` at ``as_of``, or None when the work unit neither ran nor
    produced in it (the product has no row then either). ``state_time`` is ``intervals``'
    :class:`StateTime`, when the caller computes several windows of one timeline."""
    if window.start >= as_of:
        return None
    times = state_time or StateTime(intervals)
    w0, w1 = window.start, min(window.end, as_of)
    apt = times.within("RUNNING", w0, w1)
    down = times.within("DOWN", w0, w1)
    setup = times.within("SETUP", w0, w1)
    planned_run = produced = good = scrap = rework = 0.0
    count = 0
    for op in operations:
        if not op.completed or op.end is None or op.end > as_of:
            continue
        o0, o1 = op.start, op.end
        during = _reported_in(window, op)
        if not ((o0 < w1 and o1 > w0) or during):
            continue
        op_run = times.within("RUNNING", o0, o1)
        if op_run > 0:
            share = float(times.within("RUNNING", max(o0, w0), min(o1, w1))) / op_run
        else:
            share = 1.0 if during else 0.0
        planned_run += share * (op.planned_seconds_per_unit or 0) * (op.produced or 0)
        produced += share * (op.produced or 0)
        good += share * (op.good or 0)
        scrap += share * (op.scrap or 0)
        rework += share * (op.rework or 0)
        if share > 0:
            count += 1
    if apt <= 0 and produced <= 0:
        return None
    pbt = (w1 - w0) - planned_break_seconds(w0, w1, window)
    availability = apt / pbt if pbt > 0 else None
    effectiveness = planned_run / apt if apt > 0 else None
    quality = good / produced if produced > 0 else None
    oee = None
    if availability is not None and effectiveness is not None and quality is not None:
        oee = availability * effectiveness * quality
    return {
        "plannedBusyTimeMinutes": pbt / 60.0,
        "actualProductionTimeMinutes": apt / 60.0,
        "downTimeMinutes": down / 60.0,
        "setupTimeMinutes": setup / 60.0,
        "plannedRunTimeMinutes": planned_run / 60.0,
        "operationCount": count,
        "producedQuantity": produced,
        "goodQuantity": good,
        "scrapQuantity": scrap,
        "reworkQuantity": rework,
        "availability": availability,
        "effectiveness": effectiveness,
        "qualityRatio": quality,
        "oee": oee,
        "scrapRatio": scrap / produced if produced > 0 else None,
        "reworkRatio": rework / produced if produced > 0 else None,
        "firstPassYield": (good - rework) / produced if produced > 0 else None,
    }


def _reported_in(window: Window, op: Operation) -> bool:
    """The DURING_SHIFT fallback: the operation's shift, or (hours) the hour it completed in."""
    if window.shift is not None:
        return op.shift_id == window.shift.shift_id
    return op.end is not None and window.start <= op.end < window.end


def hour_windows(intervals: Sequence[Interval], ends: Iterable[int], lo: int, hi: int) -> list[Window]:
    """The hours in [lo, hi) in which the unit ran or an operation of it (``ends``: the started
    operations' ends, where known) was active or completed."""
    hours: set[int] = set()
    for a, b, st in intervals:
        if st == "RUNNING":
            a, b = max(a, lo), min(b, hi)
            h = a - a % 3600
            while h < b:
                hours.add(h)
                h += 3600
    for end in ends:
        if lo <= end < hi:
            hours.add(end - end % 3600)
    return [Window("hour", h, h + 3600) for h in sorted(hours)]


def running_hours(
    known: Sequence[tuple[int, str, str]], as_of: int, since: int, ends: Iterable[int], lo: int, hi: int
) -> list[Window]:
    """:func:`hour_windows` of the intervals of ``known`` (sorted changes) that end after ``since``,
    without building them: once a RUNNING interval has counted the hours up to ``h``, every
    interval ending by ``h`` can add none, so the walk jumps to the one in force at ``h`` (a busy
    unit changes state many times an hour)."""
    hours: set[int] = set()
    last = len(known) - 1
    i = max(0, bisect_right(known, since, key=_since) - 1)
    while i <= last:
        if known[i][2] != "RUNNING":
            i += 1
            continue
        a = max(known[i][0], lo)
        b = min(known[i + 1][0] if i < last else as_of, hi)
        h = a - a % 3600
        while h < b:
            hours.add(h)
            h += 3600
        i = max(i + 1, bisect_right(known, h, key=_since) - 1)
    for end in ends:
        if lo <= end < hi:
            hours.add(end - end % 3600)
    return [Window("hour", h, h + 3600) for h in sorted(hours)]


def operation_of(record: Mapping[str, Any]) -> Operation | None:
    """An operation from its JSON state (None until it is known to have started)."""
    start = record.get("start")
    if start is None:
        return None
    end = record.get("end")
    get = record.get
    # Positional: every message builds all of a unit's operations, keywords cost a third more.
    return Operation(
        record["operationId"],
        int(start),
        None if end is None else int(end),
        get("produced"),
        get("good"),
        get("scrap"),
        get("rework"),
        get("pru"),
        get("shiftId"),
        bool(get("released")),
    )
