"""Commands that stop gracefully on SIGTERM/SIGINT give the previous handlers back when they end:
the tests run commands in-process, and a handler left behind made pytest itself deaf to Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading

from graph_service.cli.common import stop_on_signals


def test_a_signal_sets_the_event_and_the_previous_handlers_come_back() -> None:
    seen: list[int] = []

    def before(signum: int, _frame: object) -> None:
        seen.append(signum)

    previous_int = signal.signal(signal.SIGINT, before)
    previous_term = signal.signal(signal.SIGTERM, before)
    try:
        with stop_on_signals() as stop:
            assert isinstance(stop, threading.Event)
            os.kill(os.getpid(), signal.SIGTERM)
            assert stop.wait(5), "SIGTERM inside the block should set the stop event"
            assert seen == [], "the previous handler must not run while the block holds the signal"
        assert signal.getsignal(signal.SIGINT) is before
        assert signal.getsignal(signal.SIGTERM) is before
        os.kill(os.getpid(), signal.SIGINT)
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


def test_the_handlers_come_back_when_the_block_raises() -> None:
    before = signal.getsignal(signal.SIGTERM)
    try:
        with stop_on_signals():
            raise RuntimeError("the command failed")
    except RuntimeError:
        pass
    assert signal.getsignal(signal.SIGTERM) is before
