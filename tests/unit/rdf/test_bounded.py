"""Work in a forked child: its output comes back, and past a bound the child is really gone."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from graph_service.rdf.bounded import BoundedRunner, Bounds, FrameWriter
from graph_service.rdf.errors import EndpointBusy, QueryFailed, QueryTimedOut, ResultTooLarge

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def runner(timeout_s: float = 10.0, max_bytes: int = 1 << 20, slots: int = 2) -> BoundedRunner:
    return BoundedRunner(Bounds(timeout_s, max_bytes), slots)


def spin_forever(out: FrameWriter) -> dict[str, object]:
    Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
    while True:
        pass


def test_the_output_and_metadata_come_back() -> None:
    def work(out: FrameWriter) -> dict[str, object]:
        for i in range(50_000):
            out.write(b"%d," % i)
        return {"media": "text/plain", "pid": os.getpid()}

    outcome = runner().run(work, threading.Lock())
    assert outcome.body == b"".join(b"%d," % i for i in range(50_000))
    assert outcome.meta["media"] == "text/plain" and outcome.meta["pid"] != os.getpid()


def test_past_the_deadline_the_child_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PID_FILE", str(tmp_path / "pid"))
    started = time.monotonic()
    with pytest.raises(QueryTimedOut, match="DIGISPINE_SPARQL_TIMEOUT_S"):
        runner(timeout_s=0.5).run(spin_forever, threading.Lock())
    assert time.monotonic() - started < 10
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped: no process holds the CPU
        os.kill(pid, 0)


def test_an_answer_over_the_size_limit_is_stopped() -> None:
    def endless(out: FrameWriter) -> dict[str, object]:
        while True:
            out.write(b"x" * 4096)

    with pytest.raises(ResultTooLarge, match="DIGISPINE_SPARQL_MAX_RESULT_BYTES"):
        runner(max_bytes=100_000).run(endless, threading.Lock())


def test_errors_of_the_work_are_reported() -> None:
    def bad_syntax(out: FrameWriter) -> dict[str, object]:
        raise SyntaxError("error at 1:5")

    def failing(out: FrameWriter) -> dict[str, object]:
        raise OSError("the store could not be read")

    def dying(out: FrameWriter) -> dict[str, object]:
        os._exit(3)

    with pytest.raises(SyntaxError, match="1:5"):
        runner().run(bad_syntax, threading.Lock())
    with pytest.raises(QueryFailed, match="could not be read"):
        runner().run(failing, threading.Lock())
    with pytest.raises(QueryFailed, match="without an answer"):
        runner().run(dying, threading.Lock())


def test_no_child_is_forked_while_the_lock_is_held() -> None:
    held = threading.Lock()
    held.acquire()
    with pytest.raises(QueryTimedOut):
        runner(timeout_s=0.3).run(lambda out: {}, held)


def test_a_query_waits_for_a_slot_and_gives_up_at_its_deadline() -> None:
    one = runner(timeout_s=0.3, slots=1)
    one._slots.acquire()  # another query holds the only slot
    with pytest.raises(EndpointBusy, match="busy"):
        one.run(lambda out: {}, threading.Lock())
    one._slots.release()
    assert one.run(lambda out: {"ok": True}, threading.Lock()).meta == {"ok": True}
