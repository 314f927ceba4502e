"""The store's reads for the day's queue: due and new cards, and what today already holds.

The streams (:meth:`Queue.due`, :meth:`Queue.new`) are read as they are
consumed, through partial indexes, so planning a session reads only as
many cards as it shows. The queue's rules are in :mod:`osteo_learn.core.queue`.
Suspended cards, and cards buried on the study day asked about, are left
out of every read that plans or counts a session (:func:`studyable`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
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
    suspended: int = 0


_PAGE = 16
"""New cards read per query of one deck's stream."""


def studyable(today: date | None) -> tuple[list[str], list]:
    """Conditions on ``cards AS c`` keeping the cards a session of ``today`` may show:
    not retired, not suspended, not buried that study day (any day: ``None``)."""
    if today is None:
        return ["c.retired = 0", "c.suspended = 0"], []
    return (
        [
            "c.retired = 0",
            "c.suspended = 0",
            "c.id NOT IN (SELECT card FROM card_events WHERE day = ? AND action = 'bury' AND undone_at IS NULL)",
        ],
        [today.isoformat()],
    )


class Queue:
    """``store.queue``: what is due and new, and what the study day already counted.

    Every read takes the study day (a bury holds for one) and narrows by
    deck, tag and kind: any of the decks given, any of the tags, any of the
    kinds (:func:`~osteo_learn.store.rows.card_filters`).
    """

    def __init__(self, db: Database):
        self._db = db

    def _where(self, today: date | None, deck_ids: Sequence[str], tags: Sequence[str], kinds: Sequence[str], *first: str):
        shown, shown_params = studyable(today)
        where, params = card_filters(deck_ids, tags, kinds)
        return " AND ".join([*first, *shown, *where]), [*shown_params, *params]

    def due(
        self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = (), *, until: date | None = None
    ) -> Iterator[StoredCard]:
        """Reviews due on or before ``today`` (or ``until``, to study ahead), most overdue
        first, read as they are consumed."""
        sql, params = self._where(today, deck_ids, tags, kinds, "c.due <= ?")
        return select_cards(self._db.conn, sql, [(until or today).isoformat(), *params], order="c.due, c.deck_id, c.position, c.ord")

    def new_by_deck(
        self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = (), *, today: date | None = None
    ) -> list[tuple[str, Iterator[StoredCard]]]:
        """Per deck, in deck order (bundled first, then added), its never-reviewed cards
        in file order, each read as it is consumed."""
        decks = [d for d in self._deck_order() if not deck_ids or d in deck_ids]
        return [(deck_id, self._new_of(deck_id, today, tags, kinds)) for deck_id in decks]

    def _new_of(self, deck_id: str, today: date | None, tags: Sequence[str], kinds: Sequence[str]) -> Iterator[StoredCard]:
        # In small pages, each read whole: a cursor left open would hold its
        # statement, and the next deck's query (the same SQL) be compiled anew.
        sql, params = self._where(today, (deck_id,), tags, kinds, "c.due IS NULL")
        sql = f"SELECT {CARD_COLUMNS} FROM cards AS c WHERE {sql} ORDER BY c.position, c.ord LIMIT ? OFFSET ?"
        offset = 0
        while True:
            rows = self._db.conn.execute(sql, [*params, _PAGE, offset]).fetchall()
            yield from map(StoredCard, rows)
            if len(rows) < _PAGE:
                return
            offset += _PAGE

    def new(
        self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = (), *, today: date | None = None
    ) -> Iterator[StoredCard]:
        """Never-reviewed cards, deck after deck in deck order, each deck in file order."""
        return chain.from_iterable(stream for _, stream in self.new_by_deck(deck_ids, tags, kinds, today=today))

    def _deck_order(self) -> list[str]:
        return [row[0] for row in self._db.conn.execute("SELECT id FROM decks ORDER BY rank, id")]

    def count_due(self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = ()) -> int:
        """Cards due on or before ``today`` that a session of ``today`` may show."""
        sql, params = self._where(today, deck_ids, tags, kinds, "c.due <= ?")
        return self._db.conn.execute(f"SELECT count(*) FROM cards AS c WHERE {sql}", [today.isoformat(), *params]).fetchone()[0]

    def count_falling_due(
        self, today: date, first: date, last: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = ()
    ) -> int:
        """Cards falling due from ``first`` to ``last`` (not those due before: today's unfinished)."""
        sql, params = self._where(today, deck_ids, tags, kinds, "c.due BETWEEN ? AND ?")
        return self._db.conn.execute(
            f"SELECT count(*) FROM cards AS c WHERE {sql}", [first.isoformat(), last.isoformat(), *params]
        ).fetchone()[0]

    def count_new(
        self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = (), *, today: date | None = None
    ) -> int:
        sql, params = self._where(today, deck_ids, tags, kinds, "c.due IS NULL")
        return self._db.conn.execute(f"SELECT count(*) FROM cards AS c WHERE {sql}", params).fetchone()[0]

    def next_due(self, after: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = ()) -> date | None:
        sql, params = self._where(after, deck_ids, tags, kinds, "c.due > ?")
        row = self._db.conn.execute(f"SELECT min(c.due) FROM cards AS c WHERE {sql}", [after.isoformat(), *params]).fetchone()
        return stored_day(row[0], "a due date") if row[0] else None

    def per_deck(self, today: date) -> list[DeckCounts]:
        """Per deck: due today, new available, learned (reviewed), retired, next due
        after today, and suspended (counted in neither due, new nor next due)."""
        found = self._db.conn.execute(
            "SELECT d.id, d.title,"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.suspended = 0 AND c.due <= ?1),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.suspended = 0 AND c.due IS NULL),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due IS NOT NULL),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 1),"
            " (SELECT min(c.due) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.suspended = 0 AND c.due > ?1),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.suspended = 1)"
            " FROM decks d ORDER BY d.rank, d.id",
            (today.isoformat(),),
        ).fetchall()
        return [DeckCounts(*row[:6], stored_day(row[6], "a due date") if row[6] else None, row[7]) for row in found]

    def new_introduced(self, day: date) -> int:
        """New cards first studied on the study day ``day`` (answers not undone)."""
        return self._db.conn.execute(
            "SELECT count(*) FROM review_log WHERE day = ? AND kind = 'new' AND undone_at IS NULL", (day.isoformat(),)
        ).fetchone()[0]

    def new_introduced_by_deck(self, day: date) -> dict[str, int]:
        """New cards first studied on ``day``, per deck (decks with none left out)."""
        return dict(
            self._db.conn.execute(
                "SELECT c.deck_id, count(*) FROM review_log AS r JOIN cards AS c ON c.id = r.card"
                " WHERE r.day = ? AND r.kind = 'new' AND r.undone_at IS NULL GROUP BY c.deck_id",
                (day.isoformat(),),
            )
        )

    def reviews_answered(self, day: date) -> int:
        """Scheduled reviews answered on the study day ``day`` (answers not undone;
        first answers and same-day repeats not counted)."""
        return self._db.conn.execute(
            "SELECT count(*) FROM review_log WHERE day = ? AND kind = 'review' AND undone_at IS NULL", (day.isoformat(),)
        ).fetchone()[0]

    def latest_day(self) -> date | None:
        """The latest study day any standing answer counted for."""
        row = self._db.conn.execute("SELECT max(day) FROM reviews WHERE undone_at IS NULL").fetchone()
        return stored_day(row[0], "the day of an answer") if row[0] else None

    def studied_siblings(self, day: date) -> set[tuple[str, str]]:
        """Sibling keys of the cards studied on ``day``, to keep their siblings for another day."""
        found = self._db.conn.execute(
            "SELECT DISTINCT c.deck_id, c.card_id FROM reviews r JOIN cards c ON c.id = r.card"
            " WHERE r.day = ? AND r.undone_at IS NULL",
            (day.isoformat(),),
        )
        return {tuple(row) for row in found}

    def repeats_owed(self, day: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = ()) -> list[StoredCard]:
        """Cards whose latest answer on ``day`` (in time, from the desk or from
        Anki) is graded below 4, oldest answer first.

        SM-2 rule 7 still owes them a repeat that day: a session that ended
        before the repeat leaves them to the next session of the same day.
        Suspended and buried cards owe nothing.
        """
        sql, params = self._where(day, deck_ids, tags, kinds, "r.grade < 4")
        sql = (
            f"SELECT {CARD_COLUMNS} FROM cards AS c"
            " JOIN (SELECT card, grade, reviewed_at, id,"
            " row_number() OVER (PARTITION BY card ORDER BY reviewed_at DESC, id DESC) AS latest"
            " FROM reviews WHERE day = ? AND undone_at IS NULL) AS r ON r.card = c.id AND r.latest = 1"
            f" WHERE {sql} ORDER BY r.reviewed_at, r.id"
        )
        return [StoredCard(row) for row in self._db.conn.execute(sql, [day.isoformat(), *params])]

    def failed(
        self, today: date, since: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), kinds: Sequence[str] = ()
    ) -> list[StoredCard]:
        """Cards with an answer graded below 3 on a study day from ``since`` to ``today``,
        in the order of their latest such answer, oldest first."""
        sql, params = self._where(today, deck_ids, tags, kinds)
        sql = (
            f"SELECT {CARD_COLUMNS} FROM cards AS c"
            " JOIN (SELECT card, max(id) AS last FROM reviews WHERE day BETWEEN ? AND ? AND grade < 3"
            " AND undone_at IS NULL GROUP BY card) AS f ON f.card = c.id"
            f" WHERE {sql} ORDER BY f.last"
        )
        return [StoredCard(row) for row in self._db.conn.execute(sql, [since.isoformat(), today.isoformat(), *params])]
