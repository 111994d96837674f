"""What Neo4j's logs say about crash recovery, and whether `digispine neo4j start` keeps waiting.

After an unclean shutdown (a crash, SIGKILL, power loss) Neo4j replays its transaction logs before
it opens Bolt; on a loaded machine that takes longer than any sensible start timeout, and killing
the server then only makes it start the recovery again. Neo4j 5 writes the recovery to debug.log::

    [o.n.k.d.Database] [neo4j/70ee5997] Recovery required from position LogPosition{…}
    [o.n.k.r.Recovery] [neo4j/70ee5997]  40% completed
    [o.n.k.d.Database] [neo4j/70ee5997] Recovery in 'full' mode completed. …

and neo4j.log ends every clean shutdown with ``Stopped.``. Pure functions over those lines and
the clock; :mod:`graph_service.store.local_neo4j` does the reading and the waiting.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

_DATABASE = r"\[(?P<db>[^/\]\s]+)/[0-9a-f]+\]"
RECOVERY_REQUIRED = re.compile(rf"{_DATABASE} Recovery required from position")
RECOVERY_PROGRESS = re.compile(rf"\[o\.n\.k\.r\.Recovery\] {_DATABASE}\s+(?P<percent>\d+)% completed")
RECOVERY_COMPLETED = re.compile(rf"{_DATABASE} Recovery in '\w+' mode completed")
#: debug.log's first line of every launch of the server.
LAUNCH_MARKER = "[o.n.g.f.m.GlobalModule] Logging config in use"
_STARTING = re.compile(r"\bINFO\s+Starting\.\.\.\s*$")
_STOPPED = re.compile(r"\bINFO\s+Stopped\.\s*$")


@dataclass(frozen=True)
class RecoveryState:
    """The recovery a launch's debug.log shows: which database, how far, whether it is done."""

    started: bool = False
    database: str | None = None
    percent: int | None = None
    in_progress: bool = False

    def describe(self) -> str:
        """``neo4j, 40%`` for the waiting message."""
        parts = [self.database or "its databases"]
        if self.percent is not None and self.in_progress:
            parts.append(f"{self.percent}%")
        return ", ".join(parts)


def recovery_state(lines: Iterable[str], state: RecoveryState = RecoveryState()) -> RecoveryState:
    """``state`` advanced by debug.log ``lines`` of the same launch (feed them as they come)."""
    for line in lines:
        if match := RECOVERY_REQUIRED.search(line):
            state = RecoveryState(True, match["db"], 0, True)
        elif match := RECOVERY_PROGRESS.search(line):
            state = RecoveryState(True, match["db"], int(match["percent"]), True)
        elif match := RECOVERY_COMPLETED.search(line):
            state = RecoveryState(True, match["db"], 100, False)
    return state


def unclean_shutdown(neo4j_log_lines: Iterable[str]) -> bool:
    """Whether the last run in neo4j.log started and never logged ``Stopped.``: the next start
    recovers its databases first."""
    running = False
    for line in neo4j_log_lines:
        if _STARTING.search(line):
            running = True
        elif _STOPPED.search(line):
            running = False
    return running


class Verdict(enum.Enum):
    """What to do with a server that does not answer Bolt yet."""

    WAIT = "wait"  # within the start timeout
    RECOVERING = "recovering"  # past it, but recovering and its log moves: keep waiting, say so
    GIVE_UP = "give up"  # past it and not recovering: a failed start (stop it, report)
    STALLED = "stalled"  # recovering, but its log has not moved for the stall period: leave it running


def decide(*, now: float, deadline: float, last_progress: float, stall_s: float, recovering: bool) -> Verdict:
    """The verdict at ``now`` (monotonic seconds) for a server started with ``deadline``, whose
    log last grew at ``last_progress``. A recovering server is never given up on while it shows
    progress; ``stall_s`` bounds the wait when it shows none."""
    if now < deadline:
        return Verdict.WAIT
    if not recovering:
        return Verdict.GIVE_UP
    if now - last_progress < stall_s:
        return Verdict.RECOVERING
    return Verdict.STALLED
