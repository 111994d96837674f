"""What the kill -9 run of the streams benchmark delivered, checked event by event.

A window's derived events are its revisions 1, 2, … n (then, once, its final). Lost output shows
as a gap in a window's revisions, doubled output as an id or a revision seen twice (a restart
that lost its state would count a window's revisions from 1 again). Which revisions a window gets
depends on how its joined inputs interleave in the keyed topic (live input and a drained backlog
interleave differently), so the revisions are not compared with an unkilled run's; what the
window finally says is: each window's last revision must carry the same figures as the unkilled
run's last revision of that window, for the same input.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

#: Fields of a revision that say which revision it is, not what the window holds.
_BOOKKEEPING = frozenset({"revision", "final"})


@dataclass(frozen=True)
class Audit:
    events: int
    windows: int
    doubled_ids: int
    repeated_revisions: int
    missing_revisions: int
    windows_differing: int  # last figures unlike the unkilled run's
    windows_missing: int  # in the unkilled run, not in the killed one
    windows_unexpected: int

    @property
    def exact(self) -> bool:
        return not (
            self.doubled_ids
            or self.repeated_revisions
            or self.missing_revisions
            or self.windows_differing
            or self.windows_missing
            or self.windows_unexpected
        )

    def summary(self) -> str:
        return (
            f"{self.events:,} derived events of {self.windows:,} windows: {self.doubled_ids} ids doubled, "
            f"{self.repeated_revisions} revisions repeated, {self.missing_revisions} missing; last figures "
            f"unlike the unkilled run's in {self.windows_differing} windows, {self.windows_missing} windows "
            f"missing, {self.windows_unexpected} unexpected"
        )


def _windows(events: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        data = event.get("data") or {}
        found[(str(event.get("subject")), str(data.get("windowName")), str(data.get("windowStart")))].append(
            data
        )
    return found


def _last(revisions: list[dict[str, Any]]) -> dict[str, Any]:
    newest = max(revisions, key=lambda d: int(d.get("revision") or 0))
    return {k: v for k, v in newest.items() if k not in _BOOKKEEPING}


def audit(killed: list[dict[str, Any]], reference: list[dict[str, Any]]) -> Audit:
    ids = Counter(str(e.get("id")) for e in killed)
    got, want = _windows(killed), _windows(reference)
    repeated = missing = 0
    for revisions in got.values():
        numbers = Counter(int(d.get("revision") or 0) for d in revisions)
        repeated += sum(n - 1 for n in numbers.values())
        missing += len(set(range(1, max(numbers) + 1)) - set(numbers))
    both = got.keys() & want.keys()
    return Audit(
        events=len(killed),
        windows=len(got),
        doubled_ids=sum(n - 1 for n in ids.values()),
        repeated_revisions=repeated,
        missing_revisions=missing,
        windows_differing=sum(_last(got[w]) != _last(want[w]) for w in both),
        windows_missing=len(want.keys() - got.keys()),
        windows_unexpected=len(got.keys() - want.keys()),
    )
