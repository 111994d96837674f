"""Background work in worker threads that a shutdown can wait for.

``asyncio.to_thread`` returns at once when its task is cancelled, but the thread cannot be
interrupted: it runs on, and may still be using the Neo4j driver that the lifespan closes next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def to_thread_to_the_end(func: Callable[[], T]) -> T:
    """``func()`` in a worker thread; when cancelled, wait for the thread to return before
    re-raising the cancellation, so whoever cancelled can then close what it uses."""
    work = asyncio.ensure_future(asyncio.to_thread(func))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):  # its failure is the thread's to report
            await work
        raise
