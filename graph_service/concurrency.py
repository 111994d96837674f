"""Background work in worker threads that a shutdown can wait for.

``asyncio.to_thread`` returns at once when its task is cancelled, but the thread cannot be
interrupted: it runs on, and may still be using the Neo4j driver that the lifespan closes next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


class OnLoop(Generic[R]):
    """Something that belongs to the event loop running when this is made (an asyncio driver's
    connections do): :meth:`get` gives it on that loop and None on any other, or outside a loop,
    where the caller falls back to blocking code in a worker thread."""

    def __init__(self, thing: R) -> None:
        self._thing = thing
        self._loop = asyncio.get_running_loop()

    def get(self) -> R | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._thing if loop is self._loop else None


def on_loop(thing: R | None) -> OnLoop[R] | None:
    """``OnLoop(thing)`` when there is a thing and a running loop, else None."""
    if thing is None:
        return None
    try:
        return OnLoop(thing)
    except RuntimeError:  # no running event loop
        return None
