"""The review log: every answer, append-only, and the schedule it implies.

An answer and the card's new schedule are committed together
(:meth:`Log.record`), so an answer is durable once ``record`` returns. The
log is the truth; a card's state columns are a cache that a replay of its
log rebuilds (:meth:`Log.replay`). Undoing marks a row undone and puts the
card's state back; no row is ever changed otherwise or deleted (triggers
in the schema refuse it). An answer that makes a card a leech writes the
leech mark with it (:mod:`.control`); undoing the answer undoes the mark.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from osteo_learn.core import control, sm2
from osteo_learn.core.control import DEFAULT_LEECH_LAPSES
from osteo_learn.core.days import utc_text
from osteo_learn.errors import StoreError
from osteo_learn.store import control as card_control
from osteo_learn.store import rows
from osteo_learn.store.connection import Database
from osteo_learn.store.rows import REVIEW_COLUMNS, STATE_COLUMNS, Review, ReviewKind


class UndoConflict(StoreError):
    """An answer that can no longer be undone: the card was answered again since
    (in another session); the answer stands and nothing was changed."""


class Log:
    """``store.log``: record, undo, read and replay answers."""

    def __init__(self, db: Database):
        self._db = db

    def record(
        self,
        card_pk: int,
        grade: sm2.Grade,
        instant: datetime,
        day: date,
        duration_ms: int,
        *,
        chosen: str | None = None,
        leech_lapses: int = DEFAULT_LEECH_LAPSES,
    ) -> Review:
        """Log an answer and update the card's schedule, committed together.

        The first answer of a study day is the card's scheduled review and
        goes through SM-2; later answers the same day (rule 7's repeats) are
        logged as repeats and leave the schedule unchanged. ``chosen`` is the
        option a vignette answer picked. A scheduled answer that brings the
        card's lapses since its last leech mark to ``leech_lapses`` marks it a
        leech and suspends it, in the same transaction
        (:mod:`osteo_learn.core.control`); the returned answer says so.
        """
        grade = sm2.Grade(grade)
        made_leech = False
        with self._db.write() as conn:
            row = conn.execute(f"SELECT {STATE_COLUMNS} FROM cards WHERE id = ?", (card_pk,)).fetchone()
            if row is None:
                raise StoreError(f"no card with number {card_pk} in {self._db.path}")
            before = rows.state(*row)
            done = conn.execute(
                "SELECT 1 FROM reviews WHERE card = ? AND day = ? AND kind != 'repeat' AND undone_at IS NULL LIMIT 1",
                (card_pk, day.isoformat()),
            ).fetchone()
            if done:
                kind, after = ReviewKind.REPEAT, before
            else:
                kind = ReviewKind.NEW if isinstance(before, sm2.NewCard) else ReviewKind.REVIEW
                after = sm2.review(before, grade, day)
            cursor = conn.execute(
                f"INSERT INTO reviews ({REVIEW_COLUMNS.replace('id, ', '', 1)})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    card_pk,
                    utc_text(instant),
                    day.isoformat(),
                    int(grade),
                    kind,
                    *rows.state_values(before),
                    *rows.state_values(after),
                    max(0, int(duration_ms)),
                    None,
                    chosen,
                ),
            )
            if after is not before:
                conn.execute(
                    "UPDATE cards SET reps = ?, ease = ?, interval = ?, due = ?, lapses = ?, last_review = ? WHERE id = ?",
                    (*rows.state_values(after), card_pk),
                )
            review_id = cursor.lastrowid
            if kind != ReviewKind.REPEAT and after.lapses > before.lapses:
                leech = conn.execute("SELECT leech FROM cards WHERE id = ?", (card_pk,)).fetchone()[0]
                last = card_control.lapses_at_last_leech(conn, card_pk)
                if not leech and control.becomes_leech(after.lapses, last, leech_lapses):
                    card_control.mark_leech(conn, card_pk, review_id, instant, day)
                    made_leech = True
        review = self.get(review_id)
        return replace(review, made_leech=True) if made_leech else review

    def undo(self, review_id: int, instant: datetime) -> Review:
        """Take an answer back: restore the card's state before it and mark the row undone.

        Only a card's latest standing answer can be undone. The row stays in
        the log; both changes are one transaction.
        """
        with self._db.write() as conn:
            review = self.get(review_id)
            if review.undone_at is not None:
                raise StoreError(f"answer {review_id} was already undone")
            latest = conn.execute(
                "SELECT max(id) FROM reviews WHERE card = ? AND undone_at IS NULL", (review.card_pk,)
            ).fetchone()[0]
            if latest != review_id:
                raise UndoConflict(f"answer {review_id} is not the card's latest answer; undo the later ones first")
            conn.execute("UPDATE reviews SET undone_at = ? WHERE id = ?", (utc_text(instant), review_id))
            card_control.undo_for_review(conn, review_id, instant)
            conn.execute(
                "UPDATE cards SET reps = ?, ease = ?, interval = ?, due = ?, lapses = ?, last_review = ? WHERE id = ?",
                (*rows.state_values(review.before), review.card_pk),
            )
        return self.get(review_id)

    def get(self, review_id: int) -> Review:
        row = self._db.conn.execute(f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = ?", (review_id,)).fetchone()
        if row is None:
            raise StoreError(f"no answer with number {review_id} in the log")
        return rows.review(row)

    def entries(self, card_pk: int | None = None) -> list[Review]:
        """The log, oldest first (undone rows included), for one card or all."""
        if card_pk is None:
            found = self._db.conn.execute(f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id")
        else:
            found = self._db.conn.execute(f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE card = ? ORDER BY id", (card_pk,))
        return [rows.review(row) for row in found]

    def replay(self, card_pk: int) -> sm2.CardState:
        """The card's state rebuilt from its log: scheduled answers not undone, in order."""
        found = self._db.conn.execute(
            "SELECT day, grade FROM reviews WHERE card = ? AND kind != 'repeat' AND undone_at IS NULL ORDER BY id",
            (card_pk,),
        )
        return sm2.replay((date.fromisoformat(day), grade) for day, grade in found)
