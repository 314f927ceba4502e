"""The store's reads for the day's queue: due and new cards, and what today already holds.

The streams (:meth:`Queue.due`, :meth:`Queue.new`) are read as they are
consumed, through partial indexes, so planning a session reads only as
many cards as it shows. The queue's rules are in :mod:`osteo_learn.core.queue`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from osteo_learn.store.connection import Database
from osteo_learn.store.rows import CARD_COLUMNS, StoredCard, card_filters, select_cards, stored_day


@dataclass(frozen=True)
class DeckCounts:
    deck_id: str
    title: str
    due: int
    new: int
    learned: int
    retired: int
    next_due: date | None


class Queue:
    """``store.queue``: what is due and new, and what the study day already counted."""

    def __init__(self, db: Database):
        self._db = db

    def due(self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[StoredCard]:
        """Reviews due on or before ``today``, most overdue first, read as they are consumed."""
        where, params = card_filters(deck_ids, tags)
        sql = " AND ".join(["c.due <= ?", "c.retired = 0", *where])
        return select_cards(self._db.conn, sql, [today.isoformat(), *params], order="c.due, c.deck_id, c.position, c.ord")

    def new(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[StoredCard]:
        """Never-reviewed cards in deck order, read as they are consumed."""
        where, params = card_filters(deck_ids, tags)
        return select_cards(self._db.conn, " AND ".join(["c.due IS NULL", "c.retired = 0", *where]), params)

    def count_due(self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> int:
        where, params = card_filters(deck_ids, tags)
        sql = " AND ".join(["c.due <= ?", "c.retired = 0", *where])
        return self._db.conn.execute(f"SELECT count(*) FROM cards AS c WHERE {sql}", [today.isoformat(), *params]).fetchone()[0]

    def count_new(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> int:
        where, params = card_filters(deck_ids, tags)
        sql = " AND ".join(["c.due IS NULL", "c.retired = 0", *where])
        return self._db.conn.execute(f"SELECT count(*) FROM cards AS c WHERE {sql}", params).fetchone()[0]

    def next_due(self, after: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> date | None:
        where, params = card_filters(deck_ids, tags)
        sql = " AND ".join(["c.due > ?", "c.retired = 0", *where])
        row = self._db.conn.execute(f"SELECT min(c.due) FROM cards AS c WHERE {sql}", [after.isoformat(), *params]).fetchone()
        return stored_day(row[0], "a due date") if row[0] else None

    def per_deck(self, today: date) -> list[DeckCounts]:
        """Per deck: due today, new available, learned, retired, next due after today."""
        found = self._db.conn.execute(
            "SELECT d.id, d.title,"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due <= ?1),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due IS NULL),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due IS NOT NULL),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 1),"
            " (SELECT min(c.due) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due > ?1)"
            " FROM decks d ORDER BY d.rank, d.id",
            (today.isoformat(),),
        ).fetchall()
        return [DeckCounts(*row[:6], stored_day(row[6], "a due date") if row[6] else None) for row in found]

    def new_introduced(self, day: date) -> int:
        """New cards first studied on the study day ``day`` (answers not undone)."""
        return self._db.conn.execute(
            "SELECT count(*) FROM review_log WHERE day = ? AND kind = 'new' AND undone_at IS NULL", (day.isoformat(),)
        ).fetchone()[0]

    def reviews_answered(self, day: date) -> int:
        """Scheduled reviews answered on the study day ``day`` (answers not undone;
        first answers and same-day repeats not counted)."""
        return self._db.conn.execute(
            "SELECT count(*) FROM review_log WHERE day = ? AND kind = 'review' AND undone_at IS NULL", (day.isoformat(),)
        ).fetchone()[0]

    def studied_siblings(self, day: date) -> set[tuple[str, str]]:
        """Sibling keys of the cards studied on ``day``, to keep their siblings for another day."""
        found = self._db.conn.execute(
            "SELECT DISTINCT c.deck_id, c.card_id FROM reviews r JOIN cards c ON c.id = r.card"
            " WHERE r.day = ? AND r.undone_at IS NULL",
            (day.isoformat(),),
        )
        return {tuple(row) for row in found}

    def repeats_owed(self, day: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> list[StoredCard]:
        """Cards whose latest answer on ``day`` (in time, from the desk or from
        Anki) is graded below 4, oldest answer first.

        SM-2 rule 7 still owes them a repeat that day: a session that ended
        before the repeat leaves them to the next session of the same day.
        """
        where, params = card_filters(deck_ids, tags)
        sql = (
            f"SELECT {CARD_COLUMNS} FROM cards AS c"
            " JOIN (SELECT card, grade, reviewed_at, id,"
            " row_number() OVER (PARTITION BY card ORDER BY reviewed_at DESC, id DESC) AS latest"
            " FROM reviews WHERE day = ? AND undone_at IS NULL) AS r ON r.card = c.id AND r.latest = 1"
            f" WHERE {' AND '.join(['r.grade < 4', 'c.retired = 0', *where])} ORDER BY r.reviewed_at, r.id"
        )
        return [StoredCard(row) for row in self._db.conn.execute(sql, [day.isoformat(), *params])]
