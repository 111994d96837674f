"""Background work in threads: a cancelled task waits for its thread, so a shutdown that cancels
it can close the driver the thread was using (a race seen as a BufferError in the driver)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from graph_service.concurrency import to_thread_to_the_end
from graph_service.ontology.compiler import load_model
from graph_service.rdf.view import RdfView, RefreshStopped
from tests.support.paths import REPO


def test_a_cancelled_task_returns_only_after_its_thread_has() -> None:
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.3)
        finished.set()

    async def scenario() -> bool:
        task = asyncio.create_task(to_thread_to_the_end(slow))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return finished.is_set()

    assert asyncio.run(scenario()) is True


def test_the_thread_result_comes_back_when_not_cancelled() -> None:
    assert asyncio.run(to_thread_to_the_end(lambda: 42)) == 42


def test_a_stopped_view_refreshes_no_more_and_touches_no_store() -> None:
    view = RdfView(None, load_model(REPO / "ontology"))  # type: ignore[arg-type]
    view.stop()
    with pytest.raises(RefreshStopped):
        view.refresh()  # with store None, any read would fail with AttributeError instead
    assert view.status.state == "empty"
