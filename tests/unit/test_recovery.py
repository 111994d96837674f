"""Reading Neo4j's recovery from its logs, and when `neo4j start` keeps waiting for it."""

from __future__ import annotations

from graph_service.store.recovery import RecoveryState, Verdict, decide, recovery_state, unclean_shutdown

# Lines as Neo4j 5.26 wrote them while recovering after a SIGKILL (debug.log, shortened).
DEBUG_LOG = """\
15:21:46.965 INFO  [o.n.g.f.m.GlobalModule] Logging config in use: Embedded default config
15:21:55 INFO  [o.n.k.d.Database] [system/00000000] Recovery required from position LogPosition{…}
15:21:55.771 INFO  [o.n.k.r.Recovery] [system/00000000] TransactionLogsRecovery
15:21:55.833 INFO  [o.n.k.r.Recovery] [system/00000000]  20% completed
15:21:56 INFO  [o.n.k.d.Database] [system/00000000] Recovery in 'full' mode completed.
15:21:56.786 INFO [o.n.k.i.t.l.c.CheckPointer] [system/00000000] Checkpoint triggered by "Recovery completed."
15:21:57.930 INFO  [o.n.k.d.Database] [neo4j/70ee5997] Recovery required from position LogPosition{…}
15:21:58.588 INFO  [o.n.k.r.Recovery] [neo4j/70ee5997]  10% completed
15:21:58.837 INFO  [o.n.k.r.Recovery] [neo4j/70ee5997]  40% completed
15:22:00.943 INFO  [o.n.k.d.Database] [neo4j/70ee5997] Recovery in 'full' mode completed.
""".splitlines()


def test_the_recovery_of_each_database_is_followed_line_by_line() -> None:
    assert recovery_state(DEBUG_LOG[:1]) == RecoveryState()
    assert recovery_state(DEBUG_LOG[:4]) == RecoveryState(True, "system", 20, True)
    # The checkpoint "Recovery completed." is not the end of a recovery; the next database's is next.
    assert recovery_state(DEBUG_LOG[:6]) == RecoveryState(True, "system", 100, False)
    halfway = recovery_state(DEBUG_LOG[:9])
    assert halfway == RecoveryState(True, "neo4j", 40, True)
    assert halfway.describe() == "neo4j, 40%"
    assert recovery_state(DEBUG_LOG[9:], halfway) == RecoveryState(True, "neo4j", 100, False)


def test_a_run_without_stopped_in_neo4j_log_was_an_unclean_shutdown() -> None:
    clean = ["2026 INFO  Starting...", "2026 INFO  Started.", "2026 INFO  Stopping...", "2026 INFO  Stopped."]
    assert not unclean_shutdown(clean)
    assert unclean_shutdown([*clean, "2026 INFO  Starting...", "2026 INFO  Started."])
    assert not unclean_shutdown([])


def test_a_recovering_server_is_waited_for_while_its_log_moves_and_never_given_up_on() -> None:
    def verdict(now: float, last_progress: float, recovering: bool) -> Verdict:
        return decide(
            now=now, deadline=10.0, last_progress=last_progress, stall_s=60.0, recovering=recovering
        )

    assert verdict(5.0, 0.0, recovering=False) is Verdict.WAIT  # within the start timeout
    assert verdict(11.0, 0.0, recovering=False) is Verdict.GIVE_UP  # a failed start, as before
    # The 48 s recovery of the issue, with a progress line every few seconds: waited for.
    assert all(verdict(10.0 + t, 10.0 + t - 4.8, recovering=True) is Verdict.RECOVERING for t in range(0, 48))
    # A recovery whose log has not moved for the stall period: left alone, not given up on with a kill.
    assert verdict(100.0, 39.0, recovering=True) is Verdict.STALLED
