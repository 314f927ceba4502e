"""The student's SM-2 progress as Anki scheduling: card columns and review log rows.

genanki writes every card as new; with progress, the export sets in the
package's collection what Anki reads on import with "Import any learning
progress" ticked (Anki 26.09). The store writes the cards' columns and
the review log in SQL (:mod:`osteo_learn.store.export`),
so no Python runs per card or per answer; this is what they mean:

- A reviewed card becomes a review card (type and queue 2) with the same
  interval (``ivl``), EF x 1000 as its ``factor``, repetitions as ``reps``
  and lapses; ``due`` counts days from the collection's creation day, which
  is chosen no later than any due date. An unreviewed card stays new.
- Each answer that stands (undone ones are left out) becomes a review log
  entry, in the order the answers were given (the store's log order). Its
  id is the answer's instant in milliseconds, moved one millisecond past
  the previous entry when that is not earlier (two answers in one
  millisecond, or a clock set back), so Anki, which orders a card's
  history by id, replays it as it happened. Anki skips an entry whose id
  it already has, so importing twice adds nothing twice.
- SM-2 grades become Anki's answer buttons: 0, 1, 2 (failures) Again (1);
  3 (correct with serious difficulty) Hard (2); 4 (after hesitation) Good
  (3); 5 (perfect) Easy (4).
- The log type: a card's first answer is Learn (0), a scheduled review is
  Review (1), and a same-day repeat (SM-2 rule 7, which leaves the schedule
  alone) is Learn when the card was new that day, else Relearn (2), the
  closest Anki has to "seen again the same day". ``ivl`` is the interval
  after the answer and ``lastIvl`` the one before (0 for a new card, the
  unchanged interval for a repeat); ``time`` is the answer's duration in ms.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osteo_learn.store.export import ExportSelection

# genanki's own collection creation time (2014-09-19 UTC); the package's
# collection is created on this day unless a due date is earlier.
DEFAULT_CREATION_DAY = date(2014, 9, 19)


def creation_day(earliest_due: date | None) -> date:
    """The collection's creation day: no later than any due date, so no ``due`` is negative."""
    if earliest_due is not None and earliest_due < DEFAULT_CREATION_DAY:
        return earliest_due
    return DEFAULT_CREATION_DAY


def schedules(selection: ExportSelection, with_progress: bool) -> tuple[date, int]:
    """The creation day of the package's collection, and how many of the
    ``selection``'s cards carry a schedule (none without progress)."""
    if not with_progress:
        return DEFAULT_CREATION_DAY, 0
    earliest_due, reviewed = selection.schedule_span()
    return creation_day(earliest_due), reviewed
