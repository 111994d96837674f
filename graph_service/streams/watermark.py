"""The watermark's one rule shared by the processors that keep one (pure: no Kafka)."""

from __future__ import annotations


def new_minute(recorded: float | None, reported: float) -> bool:
    """Whether a progress report (epoch seconds) moves its partition past the minute its
    processor has recorded for it (``recorded``, None before the partition's first report).

    A processor's ``progress_key`` keeps only such reports. The runtime's ``Progress`` is in memory: an
    instance restarted after a kill -9 (or taking a partition over from another) reports the
    minute it resumes in again, dated by *its* first event there, later in the minute than the
    report the first instance made (and committed) when it entered that minute. Counting it
    would raise the watermark within the minute ahead of an undisturbed run's, so open windows
    would settle differently; dropping it keeps the watermark exactly the undisturbed run's (an
    undisturbed run never reports a minute twice) and the claim it makes no larger."""
    return recorded is None or int(reported) // 60 > int(recorded) // 60
