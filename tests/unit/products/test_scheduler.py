"""The validation scheduler: runs now and every interval, survives a failing run, stops cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from graph_service.products.scheduler import ValidationScheduler


def test_it_validates_repeatedly_and_keeps_going_after_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def validate_all() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("boom")

    async def scenario() -> None:
        scheduler = ValidationScheduler(validate_all, 0.01)
        scheduler.start()
        scheduler.start()  # idempotent
        for _ in range(500):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.01)
        assert scheduler.running
        await scheduler.stop()
        assert not scheduler.running
        stopped_at = len(calls)
        await asyncio.sleep(0.05)
        assert len(calls) == stopped_at

    with caplog.at_level(logging.ERROR):
        asyncio.run(scenario())
    assert len(calls) >= 4
    assert "scheduled data product validation failed" in caplog.text


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        ValidationScheduler(lambda: None, 0)
