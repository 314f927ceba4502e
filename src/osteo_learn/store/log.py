"""The review log: every answer, append-only, and the schedule it implies.

An answer and the card's new schedule are committed together
(:meth:`Log.record`), so an answer is durable once ``record`` returns. The
log is the truth; a card's state columns are a cache that a replay of its
log rebuilds (:meth:`Log.replay`). The replay takes a card's answers that
stand in time order, desk and Anki alike, and the first of each study day
schedules (:mod:`osteo_learn.core.history`); answers imported from Anki
join the log through :meth:`Log.merge_anki` (:mod:`.imports`). Undoing
marks a row undone and replays the card; no row is ever changed otherwise
or deleted (triggers in the schema refuse it). An answer that makes a card
a leech writes the leech mark with it (:mod:`.control`); undoing the answer
undoes the mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from osteo_learn.core import control, history, sm2
from osteo_learn.core.control import DEFAULT_LEECH_LAPSES
from osteo_learn.core.days import utc_text
from osteo_learn.errors import StoreError
from osteo_learn.store import control as card_control
from osteo_learn.store import imports, merge, rows
from osteo_learn.store.connection import Database
from osteo_learn.store.rows import REVIEW_COLUMNS, STATE_COLUMNS, Review, ReviewKind
from osteo_learn.store.schema import INSTANT_MS

# A card's answers in time order (the index reviews_card_time).
_TIME_ORDER = f"{INSTANT_MS}, id"


class UndoConflict(StoreError):
    """An answer that can no longer be undone: the card was answered again since
    (in another session); the answer stands and nothing was changed."""


class Log:
    """``store.log``: record, undo, read, replay and merge answers."""

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
        logged as repeats and leave the schedule unchanged. An answer given
        before one the log already holds for the card (a clock behind the
        phone's) is placed in time order and the card replayed. ``chosen`` is
        the option a vignette answer picked. A scheduled answer that brings
        the card's lapses since its last leech mark to ``leech_lapses`` marks
        it a leech and suspends it, in the same transaction
        (:mod:`osteo_learn.core.control`); the returned answer says so.
        """
        grade = sm2.Grade(grade)
        at = utc_text(instant)
        duration_ms = max(0, int(duration_ms))
        made_leech = False
        with self._db.write() as conn:
            row = conn.execute(f"SELECT {STATE_COLUMNS} FROM cards WHERE id = ?", (card_pk,)).fetchone()
            if row is None:
                raise StoreError(f"no card with number {card_pk} in {self._db.path}")
            review_id = conn.execute("SELECT ifnull(max(id), 0) + 1 FROM reviews").fetchone()[0]
            later = conn.execute(
                "SELECT 1 FROM reviews WHERE card = ? AND reviewed_at > ? AND undone_at IS NULL LIMIT 1", (card_pk, at)
            ).fetchone()
            if later:
                fresh = merge.Fresh(card_pk, review_id, at, day.isoformat(), int(grade), duration_ms, chosen=chosen)
                merge.rejudge(conn, [card_pk], [fresh])
                kind, lapses_before, lapses_after = conn.execute(
                    "SELECT kind, lapses_before, lapses_after FROM review_log WHERE id = ?", (review_id,)
                ).fetchone()
            else:
                before = rows.state(*row)
                done = conn.execute(
                    "SELECT 1 FROM reviews WHERE card = ? AND day = ? AND undone_at IS NULL LIMIT 1", (card_pk, day.isoformat())
                ).fetchone()
                if done:
                    kind, after = ReviewKind.REPEAT, before
                else:
                    kind = ReviewKind.NEW if isinstance(before, sm2.NewCard) else ReviewKind.REVIEW
                    after = sm2.review(before, grade, day)
                conn.execute(
                    f"INSERT INTO reviews (id, card, reviewed_at, day, grade, {rows.VERDICT_COLUMNS}, duration_ms, chosen)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (review_id, card_pk, at, day.isoformat(), int(grade), *rows.verdict_values(kind, before, after), duration_ms, chosen),
                )
                if after is not before:
                    conn.execute(
                        "UPDATE cards SET reps = ?, ease = ?, interval = ?, due = ?, lapses = ?, last_review = ? WHERE id = ?",
                        (*rows.state_values(after), card_pk),
                    )
                lapses_before, lapses_after = before.lapses, after.lapses
            if kind != ReviewKind.REPEAT and (lapses_after or 0) > (lapses_before or 0):
                leech = conn.execute("SELECT leech FROM cards WHERE id = ?", (card_pk,)).fetchone()[0]
                last = card_control.lapses_at_last_leech(conn, card_pk)
                if not leech and control.becomes_leech(lapses_after, last, leech_lapses):
                    card_control.mark_leech(conn, card_pk, review_id, instant, day)
                    made_leech = True
        review = self.get(review_id)
        return replace(review, made_leech=True) if made_leech else review

    def undo(self, review_id: int, instant: datetime) -> Review:
        """Take an answer back: mark the row undone and replay the card without it.

        Only the answer given last at the desk to a card (its newest row
        standing, answers imported from Anki left aside) can be undone. The
        row stays in the log; both changes are one transaction.
        """
        with self._db.write() as conn:
            review = self.get(review_id)
            if review.undone_at is not None:
                raise StoreError(f"answer {review_id} was already undone")
            later = conn.execute(
                "SELECT 1 FROM reviews AS r WHERE r.card = ? AND r.undone_at IS NULL AND r.id > ?"
                " AND NOT EXISTS (SELECT 1 FROM anki_answers AS k WHERE k.review = r.id) LIMIT 1",
                (review.card_pk, review_id),
            ).fetchone()
            if later:
                raise UndoConflict(f"answer {review_id} is not the card's latest answer; undo the later ones first")
            conn.execute("UPDATE reviews SET undone_at = ? WHERE id = ?", (utc_text(instant), review_id))
            card_control.undo_for_review(conn, review_id, instant)
            merge.replay_card(conn, review.card_pk)
        return self.get(review_id)

    def get(self, review_id: int) -> Review:
        row = self._db.conn.execute(f"SELECT {REVIEW_COLUMNS} FROM review_log WHERE id = ?", (review_id,)).fetchone()
        if row is None:
            raise StoreError(f"no answer with number {review_id} in the log")
        return rows.review(row)

    def entries(self, card_pk: int | None = None) -> list[Review]:
        """The log in time order (undone rows included), for one card or all;
        each row with the replay's verdict."""
        if card_pk is None:
            found = self._db.conn.execute(f"SELECT {REVIEW_COLUMNS} FROM review_log ORDER BY reviewed_at, id")
        else:
            found = self._db.conn.execute(
                f"SELECT {REVIEW_COLUMNS} FROM review_log WHERE card = ? ORDER BY {_TIME_ORDER}", (card_pk,)
            )
        return [rows.review(row) for row in found]

    def replay(self, card_pk: int) -> sm2.CardState:
        """The card's state rebuilt from its log alone: its answers that stand, in
        time order, the first of each study day scheduling (stored kinds unread)."""
        found = self._db.conn.execute(
            f"SELECT day, grade FROM reviews WHERE card = ? AND undone_at IS NULL ORDER BY {_TIME_ORDER}", (card_pk,)
        )
        return history.replay((date.fromisoformat(day), grade) for day, grade in found)

    def merge_anki(self, collection: Path, views: Sequence[str], **options) -> imports.AnkiMerge:
        """Add the answers given in Anki that the log lacks, read from the collection
        file ``collection`` (see :func:`osteo_learn.store.imports.merge_anki`)."""
        return imports.merge_anki(self._db, collection, views, **options)

    def standing(self, cards: Iterable[int]) -> Iterator[tuple]:
        """The answers that stand of ``cards``, card by card, each card's in time order,
        as the replay judges them: (card, instant in ms, study day, grade, kind,
        interval before, interval after, EF after in hundredths, duration in ms)."""
        conn = self._db.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_cards (card INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.wanted_cards")
        conn.executemany("INSERT OR IGNORE INTO temp.wanted_cards VALUES (?)", ((card,) for card in cards))
        ms = INSTANT_MS.replace("reviewed_at", "r.reviewed_at")
        try:
            yield from conn.execute(
                f"SELECT r.card, {ms}, r.day, r.grade, r.kind, r.interval_before, r.interval_after, r.ease_after, r.duration_ms"
                " FROM temp.wanted_cards AS w CROSS JOIN review_log AS r ON r.card = w.card"
                f" WHERE r.undone_at IS NULL ORDER BY r.card, {ms}, r.id"
            )
        finally:
            conn.execute("DELETE FROM temp.wanted_cards")
            conn.commit()

    def newest_imported(self) -> int | None:
        """Anki's id (its instant in ms) of the newest answer ever imported, if any."""
        return self._db.conn.execute("SELECT max(revlog_id) FROM anki_answers").fetchone()[0]
