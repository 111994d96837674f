"""Revalidates every data product in the background, every N seconds, inside the API's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from graph_service.concurrency import to_thread_to_the_end

log = logging.getLogger(__name__)


class ValidationScheduler:
    """An asyncio task that calls ``validate_all`` (in a worker thread) now and every interval."""

    def __init__(self, validate_all: Callable[[], object], interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError(f"the validation interval must be positive, got {interval_s}")
        self.validate_all = validate_all
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start in the running event loop (call from the FastAPI lifespan); idempotent."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="data-product-validation")

    async def stop(self) -> None:
        """Cancel the task and wait for it (a validation in its worker thread finishes first)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while True:
            try:
                await to_thread_to_the_end(self.validate_all)
            except Exception:  # keep validating on the next tick; the failure is logged in full
                log.exception("scheduled data product validation failed")
            await asyncio.sleep(self.interval_s)
