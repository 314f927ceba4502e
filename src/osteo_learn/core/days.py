"""What a study day is, and how an instant is written in the review log.

A *study day* is the local date, except that the day starts at the
day-start hour (default 4 a.m., as in Anki): a review at 1 a.m. counts for
the evening before. Pure functions of the instant they are given; the one
module that reads the clock is :mod:`osteo_learn.system.clock`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

DEFAULT_DAY_START_HOUR = 4

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)
"""The study days osteo-learn works with. Bounded so that every date it
computes from one (an interval of up to 100 years later, the statistics'
windows, an Anki package's dates) stays a date Python and SQLite can hold."""


def in_range(day: date) -> bool:
    """Whether ``day`` is a study day osteo-learn works with (see :data:`FIRST_DAY`)."""
    return FIRST_DAY <= day <= LAST_DAY


def study_day(instant: datetime, day_start_hour: int = DEFAULT_DAY_START_HOUR) -> date:
    """The study day an instant counts for, in the instant's own time zone."""
    return (instant - timedelta(hours=day_start_hour)).date()


def kept_study_day(local_day: date, latest_logged: date | None) -> date:
    """The study day to use: the local one, unless an answer was already logged for a later day.

    Study days never go backwards. Moving west across time zones can set
    the local date back (an evening in Tokyo is the morning before in
    Hawaii); the study day then stays the latest one answered for, so no
    day's new-card quota is granted twice in the same hours.
    """
    if latest_logged is not None and latest_logged > local_day:
        return latest_logged
    return local_day


def utc_text(instant: datetime) -> str:
    """An instant as stored in the review log: UTC, ISO 8601, millisecond precision."""
    return instant.astimezone(timezone.utc).isoformat(timespec="milliseconds")
