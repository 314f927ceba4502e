"""What a study day is, and how an instant is written in the review log.

A *study day* is the local date, except that the day starts at the
day-start hour (default 4 a.m., as in Anki): a review at 1 a.m. counts for
the evening before. Pure functions of the instant they are given; the one
module that reads the clock is :mod:`osteo_learn.system.clock`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

DEFAULT_DAY_START_HOUR = 4


def study_day(instant: datetime, day_start_hour: int = DEFAULT_DAY_START_HOUR) -> date:
    """The study day an instant counts for, in the instant's own time zone."""
    return (instant - timedelta(hours=day_start_hour)).date()


def utc_text(instant: datetime) -> str:
    """An instant as stored in the review log: UTC, ISO 8601, millisecond precision."""
    return instant.astimezone(timezone.utc).isoformat(timespec="milliseconds")
