"""Card control in the store: the card event log, and the state it implies.

Bury, suspend, unsuspend, flag, unflag and leech marks are rows of
``card_events``, append-only like the review log: a trigger refuses deletes
and edits, and an undone event gets ``undone_at`` and stays. A card's
``suspended``, ``leech``, ``flagged`` and ``flag_note`` columns are a cache:
each change writes the event and the columns in one transaction, and
:meth:`Control.replay` rebuilds them from the card's standing events
(:func:`osteo_learn.core.control.replay`). A bury has no column: it holds
for the study day of its event, which the queue reads directly.

The schedule is never touched here: suspending and burying keep a card's
SM-2 state as it was. A leech mark is written by
:meth:`~osteo_learn.store.log.Log.record`, with the answer that made it,
through :func:`mark_leech`; undoing that answer undoes the mark.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from osteo_learn.core import control
from osteo_learn.core.control import Action, Event, Origin
from osteo_learn.core.days import utc_text
from osteo_learn.errors import StoreError
from osteo_learn.store.connection import Database
from osteo_learn.store.rows import stored_day


@dataclass(frozen=True)
class CardEvent:
    """One row of ``card_events``."""

    id: int
    card_pk: int
    at: str
    day: date
    action: Action
    note: str
    origin: Origin
    review_id: int | None
    undone_at: str | None


_EVENT_COLUMNS = "id, card, at, day, action, note, origin, review, undone_at"


def _event(row) -> CardEvent:
    return CardEvent(row[0], row[1], row[2], stored_day(row[3], "the day of a card event"), Action(row[4]), row[5], Origin(row[6]), row[7], row[8])


def _standing(conn: sqlite3.Connection, card_pk: int) -> control.Control:
    found = conn.execute(
        "SELECT action, day, note FROM card_events WHERE card = ? AND undone_at IS NULL ORDER BY id", (card_pk,)
    )
    return control.replay(Event(Action(action), stored_day(day, "the day of a card event"), note) for action, day, note in found)


def _write_cache(conn: sqlite3.Connection, card_pk: int, state: control.Control) -> None:
    conn.execute(
        "UPDATE cards SET suspended = ?, leech = ?, flagged = ?, flag_note = ? WHERE id = ?",
        (int(state.suspended), int(state.leech), int(state.flagged), state.flag_note, card_pk),
    )


def _insert(
    conn: sqlite3.Connection, card_pk: int, action: Action, instant: datetime, day: date, note: str, origin: Origin, review: int | None
) -> int:
    cursor = conn.execute(
        "INSERT INTO card_events (card, at, day, action, note, origin, review) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (card_pk, utc_text(instant), day.isoformat(), str(action), note, str(origin), review),
    )
    _write_cache(conn, card_pk, _standing(conn, card_pk))
    return cursor.lastrowid


def lapses_at_last_leech(conn: sqlite3.Connection, card_pk: int) -> int:
    """The card's lapse count when it was last marked a leech and since unsuspended, or 0."""
    row = conn.execute(
        "SELECT r.lapses_after FROM card_events AS e JOIN reviews AS r ON r.id = e.review"
        " WHERE e.card = ? AND e.action = 'leech' AND e.undone_at IS NULL ORDER BY e.id DESC LIMIT 1",
        (card_pk,),
    ).fetchone()
    return row[0] if row else 0


def mark_leech(conn: sqlite3.Connection, card_pk: int, review_id: int, instant: datetime, day: date) -> int:
    """Inside the caller's transaction: mark the card a leech (and so suspended) for an answer."""
    return _insert(conn, card_pk, Action.LEECH, instant, day, "", Origin.ANSWER, review_id)


def undo_for_review(conn: sqlite3.Connection, review_id: int, instant: datetime) -> None:
    """Inside the caller's transaction: undo the events an answer made (its leech mark)."""
    cards = [
        card
        for (card,) in conn.execute(
            "SELECT card FROM card_events WHERE review = ? AND undone_at IS NULL", (review_id,)
        ).fetchall()
    ]
    conn.execute("UPDATE card_events SET undone_at = ? WHERE review = ? AND undone_at IS NULL", (utc_text(instant), review_id))
    for card in cards:
        _write_cache(conn, card, _standing(conn, card))


class Control:
    """``store.control``: bury, suspend, flag cards and take it back; the event log."""

    def __init__(self, db: Database):
        self._db = db

    def record(
        self,
        card_pks: Sequence[int],
        action: Action,
        instant: datetime,
        day: date,
        *,
        note: str = "",
        origin: Origin = Origin.SESSION,
    ) -> list[CardEvent]:
        """Log one event per card and update their state, all in one transaction."""
        action = Action(action)
        if action is Action.LEECH:
            raise StoreError("a leech is marked by the answer that makes it (Log.record)")
        note = control.clean_note(note) if action is Action.FLAG else ""
        ids = []
        with self._db.write() as conn:
            for pk in card_pks:
                if conn.execute("SELECT 1 FROM cards WHERE id = ?", (pk,)).fetchone() is None:
                    raise StoreError(f"no card with number {pk} in {self._db.path}")
                ids.append(_insert(conn, pk, action, instant, day, note, origin, None))
        return [self.get(event_id) for event_id in ids]

    def undo(self, event_id: int, instant: datetime) -> CardEvent:
        """Take an event back: mark it undone and rebuild the card's state without it."""
        with self._db.write() as conn:
            event = self.get(event_id)
            if event.undone_at is not None:
                raise StoreError(f"card event {event_id} was already undone")
            conn.execute("UPDATE card_events SET undone_at = ? WHERE id = ?", (utc_text(instant), event_id))
            _write_cache(conn, event.card_pk, _standing(conn, event.card_pk))
        return self.get(event_id)

    def get(self, event_id: int) -> CardEvent:
        row = self._db.conn.execute(f"SELECT {_EVENT_COLUMNS} FROM card_events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise StoreError(f"no card event with number {event_id}")
        return _event(row)

    def events(self, card_pk: int | None = None) -> list[CardEvent]:
        """The event log, oldest first (undone events included), for one card or all."""
        if card_pk is None:
            found = self._db.conn.execute(f"SELECT {_EVENT_COLUMNS} FROM card_events ORDER BY id")
        else:
            found = self._db.conn.execute(f"SELECT {_EVENT_COLUMNS} FROM card_events WHERE card = ? ORDER BY id", (card_pk,))
        return [_event(row) for row in found]

    def replay(self, card_pk: int) -> control.Control:
        """The card's control state rebuilt from its standing events."""
        return _standing(self._db.conn, card_pk)

    def buried(self, day: date) -> set[int]:
        """The cards buried on the study day ``day``."""
        found = self._db.conn.execute(
            "SELECT card FROM card_events WHERE day = ? AND action = 'bury' AND undone_at IS NULL", (day.isoformat(),)
        )
        return {card for (card,) in found}
