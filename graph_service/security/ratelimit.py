"""Per-caller request rate limit: a token bucket per API key (per client address without one).

Each caller may send ``burst`` requests at once and ``rate_per_s`` a second after that; a request
finding the bucket empty is refused with the seconds until a token is back. The API binds it to
every keyed way in (:mod:`graph_service.api.ratelimit`); this module is the arithmetic alone, so
it is tested without a server. Buckets live in one process's memory: with ``serve --workers N``
each worker keeps its own, so a caller may send up to N times the limit in all.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from graph_service.settings import Settings

#: Callers remembered at once. A bucket left idle refills to full, which is the same as no
#: bucket; past this many, the longest idle is forgotten, so addresses cannot grow the table.
MAX_CALLERS = 10_000


@dataclass(frozen=True)
class RateLimit:
    """The configured limit: ``rate_per_s`` requests a second, ``burst`` at once."""

    rate_per_s: float
    burst: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit | None:
        """The limit ``DIGISPINE_RATE_LIMIT_*`` configure; None when it is switched off."""
        if not settings.rate_limit_enabled:
            return None
        return cls(settings.rate_limit_per_s, settings.rate_limit_burst)

    def describe(self) -> str:
        """The limit in words, with the settings that set it (for the refusal's message)."""
        return (
            f"{self.rate_per_s:g} requests per second with bursts of {self.burst} per server process "
            "(DIGISPINE_RATE_LIMIT_PER_S, DIGISPINE_RATE_LIMIT_BURST)"
        )


@dataclass(frozen=True)
class Refusal:
    """A request over the limit: who sent it and how long until it may send again."""

    caller: str
    retry_after_s: float
    limit: RateLimit

    @property
    def retry_after(self) -> int:
        """Whole seconds for a ``Retry-After`` header (at least 1)."""
        return max(1, math.ceil(self.retry_after_s))

    @property
    def message(self) -> str:
        return (
            f"rate limit exceeded for {self.caller}: at most {self.limit.describe()}; "
            f"retry in {self.retry_after} s"
        )


class RateLimiter:
    """Token buckets by caller. ``clock``: seconds, monotonic (tests pass their own)."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        max_callers: int = MAX_CALLERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._max_callers = max_callers
        self._clock = clock
        # caller -> (tokens, when counted); least recently seen first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()  # the event loop's thread and worker threads may both ask

    def take(self, caller: str) -> Refusal | None:
        """Spend one of ``caller``'s tokens; the refusal when it has none left."""
        rate, burst = self.limit.rate_per_s, self.limit.burst
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(caller, (float(burst), now))
            tokens = min(float(burst), tokens + (now - at) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[caller] = (tokens, now)
            if len(self._buckets) > self._max_callers:
                self._buckets.popitem(last=False)
        return None if allowed else Refusal(caller, (1.0 - tokens) / rate, self.limit)
