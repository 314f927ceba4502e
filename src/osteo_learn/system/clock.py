"""The one clock: the only module that reads the current time.

Commands read the time once and pass it down, so everything below them is
deterministic. Two environment variables override the clock for tests,
demonstrations and simulations:

* ``OSTEO_LEARN_NOW``: an ISO instant, e.g. ``2026-03-01T21:30:00+01:00``
  (a time without an offset is taken as local time);
* ``OSTEO_LEARN_TODAY``: an ISO date, taken as noon local time that day.

What a study day is, given an instant, is in :mod:`osteo_learn.core.days`.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timezone

from osteo_learn.errors import OsteoError


class ClockError(OsteoError):
    """An override variable that cannot be read as a date or time."""


def now() -> datetime:
    """The current instant (timezone-aware), or the override."""
    instant = os.environ.get("OSTEO_LEARN_NOW")
    if instant:
        try:
            parsed = datetime.fromisoformat(instant)
        except ValueError:
            raise ClockError(f"OSTEO_LEARN_NOW={instant!r} is not an ISO date and time") from None
        return parsed if parsed.tzinfo else parsed.astimezone()
    day = os.environ.get("OSTEO_LEARN_TODAY")
    if day:
        try:
            return datetime.combine(date.fromisoformat(day), datetime.min.time()).replace(hour=12).astimezone()
        except ValueError:
            raise ClockError(f"OSTEO_LEARN_TODAY={day!r} is not an ISO date (YYYY-MM-DD)") from None
    return datetime.now(timezone.utc).astimezone()


def elapsed() -> float:
    """A monotonic reading in seconds, for measuring how long an answer took."""
    return time.monotonic()

