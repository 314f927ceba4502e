"""The student's SM-2 progress as Anki scheduling: card columns and review log rows.

genanki writes every card as new; :class:`Progress` gathers the schedules of
the exported cards while their notes are written and then sets, in the
package's collection, what Anki reads on import with "Import any learning
progress" ticked (Anki 26.09):

- A reviewed card becomes a review card (type and queue 2) with the same
  interval (``ivl``), EF x 1000 as its ``factor``, repetitions as ``reps``
  and lapses; ``due`` counts days from the collection's creation day, which
  is chosen no later than any due date. An unreviewed card stays new.
- Each answer that stands (undone ones are left out) becomes a review log
  entry whose id is the answer's instant in milliseconds, moved one
  millisecond on when two answers share an instant. Anki skips an entry
  whose id it already has, so importing twice adds nothing twice.
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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone

from osteo_learn import sm2
from osteo_learn.cards import Kind
from osteo_learn.store import LoggedAnswer, ReviewKind, StoredCard

# genanki's own collection creation time (2014-09-19 UTC); the package's
# collection is created on this day unless a due date is earlier.
DEFAULT_CREATION_DAY = date(2014, 9, 19)

# Anki's card type and queue of a review card, and its review log types.
_CARD_REVIEW = 2
_QUEUE_REVIEW = 2
_REVLOG_LEARN = 0
_REVLOG_REVIEW = 1
_REVLOG_RELEARN = 2

_NEW = ReviewKind.NEW
_REVIEW = ReviewKind.REVIEW

# SM-2 grade -> Anki answer button (1 Again, 2 Hard, 3 Good, 4 Easy).
ANKI_EASE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}

_INT32_MAX = 2**31 - 1


class Progress:
    """The schedules of the exported cards, gathered while their notes are written."""

    def __init__(self) -> None:
        self.anki_card: dict[int, int] = {}  # osteo-learn card number -> Anki card id
        self.reviewed: list[tuple[int, sm2.ReviewedCard]] = []
        self.creation_day = DEFAULT_CREATION_DAY

    def add(self, siblings: Sequence[StoredCard], anki_cards: Sequence, last_card_id: int) -> None:
        """The cards of one note, just written by genanki: its ``anki_cards``
        (``note.cards``) got consecutive ids, in order, up to ``last_card_id``."""
        if len(siblings) == 1 and len(anki_cards) == 1:
            pairs: Iterable = ((siblings[0], last_card_id),)
        else:
            first = last_card_id - len(anki_cards) + 1
            by_ord = {card.ord: first + index for index, card in enumerate(anki_cards)}
            pairs = ((stored, by_ord[anki_ord(stored)]) for stored in siblings)
        for stored, card_id in pairs:
            self.anki_card[stored.pk] = card_id
            state = stored.state
            if state.due is not None:
                self.reviewed.append((card_id, state))
                # The collection is created no later than any due date, so no ``due`` is negative.
                if state.due < self.creation_day:
                    self.creation_day = state.due

    def write_cards(self, cursor) -> int:
        creation = self.creation_day.toordinal()
        cursor.executemany(
            "UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, left = 0"
            " WHERE id = ?",
            (
                (
                    _CARD_REVIEW,
                    _QUEUE_REVIEW,
                    state.due.toordinal() - creation,
                    state.interval,
                    state.ease * 10,
                    state.repetitions,
                    state.lapses,
                    card_id,
                )
                for card_id, state in self.reviewed
            ),
        )
        return len(self.reviewed)

    def write_log(self, cursor, answers: Iterable[LoggedAnswer]) -> int:
        rows = revlog_rows(answers, self.anki_card)
        cursor.executemany(
            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return cursor.execute("SELECT count(*) FROM revlog").fetchone()[0]


def anki_ord(stored: StoredCard) -> int:
    """Anki's card ordinal: the cloze number minus one, else the only template, 0."""
    return stored.ordinal - 1 if stored.card.kind is Kind.CLOZE else 0


def revlog_rows(answers: Iterable[LoggedAnswer], anki_card: Mapping[int, int]) -> Iterator[tuple]:
    """Review log rows for the answers of exported cards, given in time order.

    An entry's id is the answer's instant in milliseconds, moved one
    millisecond past the previous entry when two answers share an instant.
    """
    new_day: dict[int, date] = {}
    last_id = -1
    card_of, instant_ms, ease = anki_card.get, _instant_ms, ANKI_EASE
    for answer in answers:
        card_id = card_of(answer.card_pk)
        if card_id is None:
            continue
        if answer.kind == _NEW:
            new_day[answer.card_pk] = answer.day
            kind, last_interval = _REVLOG_LEARN, 0
        elif answer.kind == _REVIEW:
            kind, last_interval = _REVLOG_REVIEW, answer.interval_before
        else:
            kind = _REVLOG_LEARN if new_day.get(answer.card_pk) == answer.day else _REVLOG_RELEARN
            last_interval = answer.interval_after
        entry_id = instant_ms(answer.reviewed_at)
        if entry_id <= last_id:
            entry_id = last_id + 1
        last_id = entry_id
        yield (
            entry_id,
            card_id,
            ease[answer.grade],
            answer.interval_after,
            last_interval,
            answer.ease_after * 10,
            min(answer.duration_ms, _INT32_MAX),
            kind,
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)


def _instant_ms(text: str) -> int:
    """Milliseconds since the epoch of a logged instant (UTC ISO text), exactly."""
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return (instant - _EPOCH) // _MILLISECOND
