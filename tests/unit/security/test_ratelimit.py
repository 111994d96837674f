"""The per-caller token bucket, on a clock the test moves."""

from __future__ import annotations

from graph_service.api.ratelimit import CallerLimits, response_parts, way_of
from graph_service.security.ratelimit import RateLimit, RateLimiter
from graph_service.settings import load_settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_caller_gets_its_burst_then_the_rate_and_a_retry_time() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(rate_per_s=2.0, burst=3), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    refusal = limiter.take("a")
    assert refusal is not None and refusal.caller == "a"
    assert abs(refusal.retry_after_s - 0.5) < 1e-9 and refusal.retry_after == 1
    assert "DIGISPINE_RATE_LIMIT_PER_S" in refusal.message and "bursts of 3" in refusal.message
    clock.now += 0.5  # one token back at two a second
    assert limiter.take("a") is None
    assert limiter.take("a") is not None


def test_callers_have_buckets_of_their_own() -> None:
    limiter = RateLimiter(RateLimit(rate_per_s=0.001, burst=1), clock=Clock())
    assert limiter.take("a") is None
    assert limiter.take("a") is not None
    assert limiter.take("b") is None


def test_an_idle_bucket_refills_only_to_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(rate_per_s=10.0, burst=2), clock=clock)
    limiter.take("a")
    clock.now += 3600
    assert [limiter.take("a") is None for _ in range(3)] == [True, True, False]


def test_the_table_of_callers_is_bounded_forgetting_the_longest_idle() -> None:
    limiter = RateLimiter(RateLimit(rate_per_s=0.001, burst=1), max_callers=2, clock=Clock())
    for caller in ("a", "b", "c"):
        assert limiter.take(caller) is None
    assert len(limiter._buckets) == 2
    assert limiter.take("a") is None  # forgotten: a fresh bucket
    assert limiter.take("c") is not None


def test_the_limit_is_on_by_default_and_can_be_switched_off() -> None:
    default = load_settings()
    assert default.rate_limit_enabled and CallerLimits.from_settings(default) is not None
    assert CallerLimits.from_settings(load_settings(rate_limit_enabled=False)) is None


def test_refusals_are_counted_by_a_fixed_few_ways_in() -> None:
    counted: list[str] = []
    limits = CallerLimits(RateLimiter(RateLimit(0.001, 1), clock=Clock()), counted.append)
    limits.check("a", way_of("/sparql/refresh"))
    limits.check("a", way_of("/sparql/refresh"))
    limits.check("a", way_of("/made-up/" + "x" * 50))
    assert counted == ["sparql", "other"]


def test_a_refusal_on_graphql_is_a_graphql_error_elsewhere_the_middleware_shape() -> None:
    limiter = RateLimiter(RateLimit(0.5, 1), clock=Clock())
    limiter.take("k")
    refusal = limiter.take("k")
    assert refusal is not None
    body, headers = response_parts(refusal, "/graphql")
    assert b'"code":"RATE_LIMITED"' in body and (b"retry-after", b"2") in headers
    body, _ = response_parts(refusal, "/cypher")
    assert body.startswith(b'{"error":"rate_limited","detail":"rate limit exceeded for k')
