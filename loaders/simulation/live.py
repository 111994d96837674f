"""The live plant: the simulated plant running on, day after day, released in event-time order.

`simulate()` (plant.py) writes a finished history: it plans every day, then ships, then sorts.
A live plant cannot sort what it has not planned yet, so :class:`LivePlant` plans day by day
just before the clock reaches it and releases, on each :meth:`LivePlant.until`, every planned
event whose time has come. A day's events all lie at or after the day's start (05:00 UTC), so a
day planned when the clock reaches its start never yields an event older than one already
released: the released stream is in time order, and the same seed and start give the same stream
whatever the ticks were. That is what lets the demo load "the history" (everything up to the
handover time) from a file and a separate live process continue after it: both replay the same
plant from the same start.

The clock (:class:`PlantClock`) compresses time by a speed factor but never runs ahead of the
wall clock: the loader refuses events dated further ahead than DIGISPINE_LOADER_MAX_CLOCK_SKEW_S,
and a plant reporting tomorrow's shipments would be wrong anyway. So the compressed part is the
catching up from the handover (a day before now, in the demo) to now; then the plant runs in
real time.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from loaders.simulation.plant import Plant, iso

#: The plant's day starts at this hour (UTC); shifts start later on the same date.
DAY_START_HOUR = 5
#: The share of sales orders whose customer, half an hour after ordering, pulls the requested
#: delivery in to the order's own date (a SalesOrderChanged). The plant promises 3 to 8 days and
#: always makes it, so without rush orders nothing would ever run late: the delivery-risk stream
#: would never fire and orderFulfillment would show no late delivery.
PULL_IN_SHARE = 0.2
PULL_IN_AFTER = dt.timedelta(minutes=30)


def day_start_before(when: dt.datetime, days: int) -> dt.datetime:
    """05:00 UTC of the day ``days`` days before ``when``'s plant day: a live plant's first day."""
    when = when.astimezone(dt.UTC)
    day = when.date() if when.hour >= DAY_START_HOUR else when.date() - dt.timedelta(days=1)
    first = day - dt.timedelta(days=days)
    return dt.datetime(first.year, first.month, first.day, DAY_START_HOUR, tzinfo=dt.UTC)


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass
class LivePlant:
    """A plant from ``start`` on, for ever. Deterministic per (seed, start, orders_per_day)."""

    seed: int
    start: dt.datetime
    orders_per_day: float = 2.0
    pull_in_share: float = PULL_IN_SHARE
    released: int = 0
    _plant: Plant = field(init=False)
    _pending: list[tuple[dt.datetime, int, dict[str, Any]]] = field(init=False, default_factory=list)
    _sequence: int = field(init=False, default=0)
    _next_day: int = field(init=False, default=0)
    _last: dt.datetime | None = field(init=False, default=None)
    _pull_in: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.hour != DAY_START_HOUR or self.start.minute:
            raise ValueError(f"a plant day starts at {DAY_START_HOUR:02d}:00 UTC, not {self.start}")
        # The start is part of the seed: two plants started on different days never share an event
        # id with different contents (the loader would refuse the second as a conflicting duplicate).
        rng = random.Random(f"{self.seed}:{self.start.isoformat()}")
        self._plant = Plant(rng=rng, orders_per_day=self.orders_per_day, start=self.start)
        # A generator of its own: the plant's draws (and so its event ids) are the same with or
        # without the rush orders.
        self._pull_in = random.Random(f"{self.seed}:{self.start.isoformat()}:pull-in")
        self._plant.master_data(self.start)
        self._collect()

    @property
    def planned_through(self) -> dt.datetime:
        """Every event up to (excluding) this time is planned."""
        return self.start + dt.timedelta(days=self._next_day)

    def until(self, when: dt.datetime) -> list[dict[str, Any]]:
        """The not yet released events whose time is at or before ``when``, in time order."""
        if self._last is not None and when < self._last:
            raise ValueError(f"the plant's clock cannot go back from {self._last} to {when}")
        self._last = when
        while self.planned_through <= when:
            self._plan_day()
        out: list[dict[str, Any]] = []
        while self._pending and self._pending[0][0] <= when:
            out.append(heapq.heappop(self._pending)[2])
        self.released += len(out)
        return out

    def next_time(self) -> dt.datetime:
        """The time of the next event to be released (planning days as needed)."""
        while not self._pending or self._pending[0][0] >= self.planned_through:
            self._plan_day()
        return self._pending[0][0]

    def take(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` events whatever their time (a restart skipping what it published)."""
        out: list[dict[str, Any]] = []
        while len(out) < count:
            # The heap's first event is the next one only if no unplanned day can come before it.
            if not self._pending or self._pending[0][0] >= self.planned_through:
                self._plan_day()
                continue
            when, _, event = heapq.heappop(self._pending)
            out.append(event)
            self._last = max(self._last or when, when)
        self.released += len(out)
        return out

    def _plan_day(self) -> None:
        self._plant.day(self._next_day)
        self._next_day += 1
        # Shipments are known once their order is planned (production is planned with it).
        due = sorted(self._plant.shipments_due, key=lambda s: (s[0], s[1]["so"]))
        self._plant.shipments_due.clear()
        for when, order in due:
            self._plant.ship(when, order)
        self._collect()

    def _collect(self) -> None:
        for when, _, envelope in self._plant.events:
            self._push(when, envelope)
            created = envelope["type"] == "digispine.erp.SalesOrderCreated.v1"
            if created and self._pull_in.random() < self.pull_in_share:
                self._push(when + PULL_IN_AFTER, self._rush(when + PULL_IN_AFTER, envelope))
        self._plant.events.clear()

    def _push(self, when: dt.datetime, envelope: dict[str, Any]) -> None:
        heapq.heappush(self._pending, (when, self._sequence, envelope))
        self._sequence += 1

    def _rush(self, when: dt.datetime, created: dict[str, Any]) -> dict[str, Any]:
        """The customer's change of ``created``: delivery wanted on the order's own date."""
        order = created["data"]
        return {
            **created,
            "id": str(uuid.UUID(int=self._pull_in.getrandbits(128), version=4)),
            "type": "digispine.erp.SalesOrderChanged.v1",
            "time": iso(when),
            "data": {
                "salesOrderNumber": order["salesOrderNumber"],
                "requestedDeliveryDate": order["orderDate"],
            },
        }


@dataclass(frozen=True)
class PlantClock:
    """Simulated time: from ``sim_origin`` at wall time ``wall_origin``, ``speed`` times faster,
    but never later than the wall clock (then it runs in real time)."""

    sim_origin: dt.datetime
    wall_origin: dt.datetime
    speed: float = 60.0

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be positive")

    def at(self, wall: dt.datetime) -> dt.datetime:
        compressed = self.sim_origin + (wall - self.wall_origin) * self.speed
        return min(compressed, wall)

    def caught_up_at(self) -> dt.datetime:
        """Wall time from which the plant runs in real time."""
        if self.speed <= 1:
            return (
                self.wall_origin
                if self.sim_origin >= self.wall_origin
                else dt.datetime.max.replace(tzinfo=dt.UTC)
            )
        gap = self.wall_origin - self.sim_origin
        return self.wall_origin + max(gap, dt.timedelta(0)) / (self.speed - 1)
