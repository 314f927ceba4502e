"""The one clock: the only module that reads the current time.

Commands read the time once and pass it down, so everything below them is
deterministic. Two environment variables override the clock for tests,
demonstrations and simulations:

* ``OSTEO_LEARN_NOW``: an ISO instant, e.g. ``2026-03-01T21:30:00+01:00``
  (a time without an offset is taken as local time);
* ``OSTEO_LEARN_TODAY``: an ISO date, taken as noon local time that day.

Either must lie from 1900-01-02 to 9000-12-31 (so that every study day is
in :data:`osteo_learn.core.days.FIRST_DAY` .. ``LAST_DAY``); so must the
system clock.

What a study day is, given an instant, is in :mod:`osteo_learn.core.days`.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

from osteo_learn.core.days import FIRST_DAY, LAST_DAY
from osteo_learn.errors import OsteoError

# The first study day starts on the day after FIRST_DAY (a day-start hour
# counts the small hours for the day before).
_FIRST = FIRST_DAY + timedelta(days=1)
_RANGE = f"from {_FIRST.isoformat()} to {LAST_DAY.isoformat()}"


class ClockError(OsteoError):
    """An override variable that cannot be read as a date or time."""


def now() -> datetime:
    """The current instant (timezone-aware), or the override."""
    instant = os.environ.get("OSTEO_LEARN_NOW")
    if instant:
        try:
            parsed = datetime.fromisoformat(instant)
        except ValueError:
            raise ClockError(f"OSTEO_LEARN_NOW={_quoted(instant)} is not an ISO date and time") from None
        _check_range(parsed.date(), f"OSTEO_LEARN_NOW={_quoted(instant)}")
        return parsed if parsed.tzinfo else parsed.astimezone()
    day = os.environ.get("OSTEO_LEARN_TODAY")
    if day:
        try:
            parsed_day = date.fromisoformat(day)
        except ValueError:
            raise ClockError(f"OSTEO_LEARN_TODAY={_quoted(day)} is not an ISO date (YYYY-MM-DD)") from None
        _check_range(parsed_day, f"OSTEO_LEARN_TODAY={_quoted(day)}")
        return datetime.combine(parsed_day, datetime.min.time()).replace(hour=12).astimezone()
    current = datetime.now(timezone.utc).astimezone()
    _check_range(current.date(), f"the system clock ({current.isoformat(timespec='seconds')})")
    return current


def _check_range(day: date, what: str) -> None:
    if not _FIRST <= day <= LAST_DAY:
        raise ClockError(f"{what} is outside the dates osteo-learn works with ({_RANGE}); give a date in that range")


def _quoted(value: str) -> str:
    from osteo_learn.core.text import shown

    return repr(shown(value))


def real_seconds() -> float:
    """Seconds since the epoch by the system clock, overrides ignored: for
    comparing with the times the file system keeps."""
    return time.time()


def elapsed() -> float:
    """A monotonic reading in seconds, for measuring how long an answer took."""
    return time.monotonic()

