"""The store's reads for an export to Anki: the selected cards numbered, and
Anki's ``cards`` and ``revlog`` rows written from them in SQL.

The selection (:meth:`Export.selection`) lives on the store's connection
and gives the notes, which need Python per note (:mod:`osteo_learn.anki.export`),
and the cards, copied in SQL. The review log, the largest part, needs no Python either:
:class:`AnkiLogWriter` copies it through a connection of its own, so the
export runs it on a second thread while the notes are built, and SQLite,
which releases Python's lock while it works, does it on the other core.
How SM-2 maps onto Anki's scheduling is explained in
:mod:`osteo_learn.anki.progress`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from osteo_learn.store.connection import Database
from osteo_learn.store.rows import CARD_COLUMNS, DAMAGED_ANSWER, DAMAGED_CARD, DAMAGED_SCHEDULE, DamagedRow, StoredCard, card_filters, stored_day
from osteo_learn.store.schema import INSTANT_MS

# Opens a new connection to the student's database, as the store opened its own.
ConnectionFactory = Callable[[], sqlite3.Connection]


# The numbering of an export's cards, on the store's connection (see ExportSelection).
SELECTION_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS export_selection ("
    " number INTEGER PRIMARY KEY, card INTEGER NOT NULL UNIQUE, note INTEGER NOT NULL, first INTEGER NOT NULL)"
)


class ExportSelection:
    """The cards of an export (see :meth:`Export.selection`).

    Cards are numbered from 0 in export order, and so are their notes (one
    per deck entry: the deletions of a cloze share a note). The numbering is
    made on first use, so a :meth:`log_writer` started first runs beside it.
    """

    _FROM = " FROM temp.export_selection AS x JOIN main.cards AS c ON c.id = x.card"

    def __init__(
        self, conn: sqlite3.Connection, connect: ConnectionFactory, where: str, params: Sequence, today: date | None = None
    ):
        self._today = today  # the study day a bury holds for (None: nothing is buried)
        self._conn = conn
        self._connect = connect
        self._where = where  # which cards, as a condition on ``cards AS c``
        self._params = list(params)
        self._numbered = False

    def _number(self) -> sqlite3.Connection:
        if not self._numbered:
            # A card is the first of its note when no sibling before it is exported.
            self._conn.execute(
                "INSERT INTO temp.export_selection (number, card, note, first)"
                " SELECT row_number() OVER w - 1, id, sum(first) OVER w - 1, first FROM ("
                " SELECT c.id, d.rank, c.deck_id, c.position, c.card_id, c.ord, NOT EXISTS ("
                " SELECT 1 FROM cards AS s WHERE s.deck_id = c.deck_id AND s.card_id = c.card_id AND s.ord < c.ord"
                " AND s.retired = 0) AS first"
                f" FROM cards AS c JOIN decks AS d ON d.id = c.deck_id WHERE {self._where})"
                " WINDOW w AS (ORDER BY rank, deck_id, position, card_id, ord ROWS UNBOUNDED PRECEDING)",
                self._params,
            )
            self._conn.commit()
            self._numbered = True
        return self._conn

    def renumber(self) -> None:
        """Forget the numbering, so that the next use numbers the cards as they are now."""
        self._conn.execute("DELETE FROM temp.export_selection")
        self._conn.commit()
        self._numbered = False

    def is_empty(self) -> bool:
        """No card is selected (found without numbering them)."""
        row = self._conn.execute(f"SELECT EXISTS (SELECT 1 FROM cards AS c WHERE {self._where})", self._params).fetchone()
        return not row[0]

    def check(self) -> None:
        """Raise :class:`~osteo_learn.store.rows.DamagedRow` for the first selected card
        whose row is damaged (the export reads them in SQL, past the checks of
        :class:`~osteo_learn.store.rows.StoredCard`)."""
        row = self._conn.execute(
            f"SELECT {CARD_COLUMNS} FROM cards AS c WHERE {self._where} AND {DAMAGED_CARD} LIMIT 1", self._params
        ).fetchone()
        if row is not None:
            StoredCard(row).check()
            raise StoredCard(row).damaged(ValueError("its deck is not in the database, or it holds what no deck writes"))

    def fingerprint(self) -> tuple[int, int]:
        """How many cards, and the sum of their keys: to check that another
        connection (:class:`AnkiLogWriter`) saw the same cards."""
        return tuple(self._number().execute("SELECT count(*), total(card) FROM temp.export_selection").fetchone())

    def counts(self) -> tuple[int, int]:
        """How many notes and cards."""
        return self._number().execute(f"SELECT count(*) FILTER (WHERE x.first), count(*){self._FROM}").fetchone()

    def cards_by_kind(self) -> dict[str, int]:
        return dict(self._number().execute(f"SELECT c.kind, count(*){self._FROM} GROUP BY c.kind"))

    def deck_ids(self) -> list[str]:
        """The decks with cards in the selection, in export order."""
        rows = self._number().execute(f"SELECT c.deck_id{self._FROM} GROUP BY c.deck_id ORDER BY min(x.number)")
        return [deck_id for (deck_id,) in rows]

    def notes(self) -> Iterator[tuple[int, str, str, str, str, str, str, int]]:
        """One row per note, in order: its number, deck id, card id, kind, tags
        (space-separated), fields (the content as JSON), source sentence, and
        whether any of its cards is a leech."""
        return self._number().execute(
            f"SELECT x.note, c.deck_id, c.card_id, c.kind, c.tags, c.fields, c.source,"
            " EXISTS (SELECT 1 FROM cards AS s WHERE s.deck_id = c.deck_id AND s.card_id = c.card_id"
            f" AND s.leech = 1 AND s.retired = 0){self._FROM} WHERE x.first ORDER BY x.number"
        )

    def schedule_span(self) -> tuple[date | None, int]:
        """The earliest due date of the reviewed cards, and how many are reviewed."""
        due, reviewed = self._number().execute(f"SELECT min(c.due), count(c.due){self._FROM}").fetchone()
        return (stored_day(due, "a due date") if due else None), reviewed

    def write_anki_cards(
        self,
        collection: Path,
        *,
        first_card_id: int,
        first_note_id: int,
        anki_decks: dict[str, int],
        mod: int,
        creation_day: date | None,
    ) -> None:
        """Fill the (empty) ``cards`` table of the Anki collection file ``collection``.

        A card's id is ``first_card_id`` plus its key in the store (as in the
        review log, which :class:`AnkiLogWriter` writes without the numbering),
        its note's id ``first_note_id`` plus the note's number, its deck
        ``anki_decks[deck id]``.
        Without progress every card is new, due at its note's place in the
        deck order. With progress (a ``creation_day``, no later than any due
        date), a reviewed card is a review card (type and queue 2) with its
        interval, EF x 1000, repetitions and lapses, due that many days after
        the creation day; a card never reviewed stays new.
        Card control travels either way: a suspended card is in Anki's queue
        -1, a card buried on the export's study day in queue -3 (buried by
        the user), and a flagged card has Anki's red flag (1).
        """
        conn = self._number()
        conn.execute("ATTACH DATABASE ? AS export_collection", (str(collection),))
        try:
            conn.execute("PRAGMA export_collection.journal_mode = OFF")
            conn.execute("PRAGMA export_collection.synchronous = OFF")
            decks = " ".join("WHEN ? THEN ?" for _ in anki_decks)
            params: list = [first_card_id, first_note_id, *(v for pair in anki_decks.items() for v in pair), mod]
            held = (
                "CASE WHEN c.suspended THEN -1 WHEN c.id IN (SELECT card FROM main.card_events WHERE day = ?"
                " AND action = 'bury' AND undone_at IS NULL) THEN -3 ELSE"
            )
            params.append(self._today.isoformat() if self._today else "")
            if creation_day is not None:
                schedule = (
                    f"CASE WHEN c.due IS NULL THEN 0 ELSE 2 END, {held} CASE WHEN c.due IS NULL THEN 0 ELSE 2 END END,"
                    " CASE WHEN c.due IS NULL THEN x.note ELSE CAST(julianday(c.due) - julianday(?) AS INTEGER) END,"
                    " ifnull(c.interval, 0), ifnull(c.ease * 10, 0), ifnull(c.reps, 0), ifnull(c.lapses, 0)"
                )
                params.append(creation_day.isoformat())
            else:
                schedule = f"0, {held} 0 END, x.note, 0, 0, 0, 0"
            # Anki's ord: the cloze number minus one, else its only template, 0 (ord is 1 then).
            conn.execute(
                "INSERT INTO export_collection.cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps,"
                " lapses, left, odue, odid, flags, data)"
                f" SELECT ? + c.id, ? + x.note, CASE c.deck_id {decks} END, c.ord - 1, ?, -1, {schedule},"
                f" 0, 0, 0, CASE WHEN c.flagged THEN 1 ELSE 0 END, ''{self._FROM} ORDER BY c.id",
                params,
            )
            conn.commit()
        finally:
            conn.rollback()
            conn.execute("DETACH DATABASE export_collection")

    def log_writer(self) -> AnkiLogWriter:
        """A writer of the selection's review log that works through a connection
        of its own, so it can run on another thread while this one numbers the
        cards and writes the notes and cards."""
        return AnkiLogWriter(self._connect, self._where, self._params)


@dataclass(frozen=True)
class WrittenLog:
    """What :meth:`AnkiLogWriter.write` wrote: how many entries, and the
    :meth:`~ExportSelection.fingerprint` of the cards it saw."""

    entries: int
    cards: tuple[int, int]


class AnkiLogWriter:
    """Writes the rows of Anki's ``revlog`` for a selection (see :meth:`ExportSelection.log_writer`).

    It reads in one transaction, so the log comes from one state of the
    database even while a review goes on in another process. Nothing is
    written to the student's database.
    """

    def __init__(self, connect: ConnectionFactory, where: str, params: Sequence):
        self._connect = connect
        self._where = where
        self._params = params
        self._conn: sqlite3.Connection | None = None
        self._cancelled = False

    def cancel(self) -> None:
        """Stop :meth:`write` from another thread: it raises ``sqlite3.OperationalError``."""
        self._cancelled = True
        if self._conn is not None:
            self._conn.interrupt()

    def write(self, collection: Path, *, first_card_id: int) -> WrittenLog:
        """Copy the answers that stand (not undone) of the selected cards into the
        (empty) ``revlog`` of the Anki collection file ``collection``, in the order
        they were given.

        An entry's id is the answer's instant in milliseconds since the epoch,
        one millisecond on when the entry before it has that id already (two
        answers in one millisecond), so the ids are distinct and Anki, which
        sorts a card's answers by id, sees them in the order the replay takes
        them. Kind, intervals and factor are the replay's verdict on each
        answer. Its card id is ``first_card_id`` plus the card's key in the store.

        Grades 0-2 press Again (1), 3 Hard (2), 4 Good (3), 5 Easy (4). A first
        answer is Learn (0), a scheduled review Review (1), a same-day repeat
        Learn on the day the card was new, else Relearn (2).
        """
        conn = self._connect()
        self._conn = conn
        try:
            conn.execute("PRAGMA temp_store = MEMORY")  # its TEMP tables, not in the system's temporary folder
            self._check_cancelled()
            conn.execute("ATTACH DATABASE ? AS export_collection", (str(collection),))
            conn.execute("PRAGMA export_collection.journal_mode = OFF")
            conn.execute("PRAGMA export_collection.synchronous = OFF")
            conn.execute("BEGIN")
            # The selected cards, each with the day of its first answer that
            # stands: a repeat that day is still learning.
            conn.execute("CREATE TEMP TABLE selected (card INTEGER PRIMARY KEY, new_day TEXT)")
            conn.execute(
                "INSERT INTO temp.selected (card, new_day) SELECT c.id, (SELECT r.day FROM main.review_log AS r"
                " WHERE r.card = c.id AND r.kind = 'new' AND r.undone_at IS NULL LIMIT 1)"
                f" FROM main.cards AS c WHERE {self._where}",
                self._params,
            )
            cards = tuple(conn.execute("SELECT count(*), total(card) FROM temp.selected").fetchone())
            # Rows go in one at a time in time order, so the previous entry's id
            # is the rowid this connection inserted last: last_insert_rowid().
            # A row in a TEMP table sets it below any instant to start with.
            conn.execute("CREATE TEMP TABLE revlog_start (id INTEGER PRIMARY KEY)")
            conn.execute("INSERT INTO temp.revlog_start VALUES (-9223372036854775808)")
            self._check_cancelled()
            kept = conn.execute("SELECT EXISTS (SELECT 1 FROM main.replayed_reviews)").fetchone()[0]
            log = "main.review_log" if kept else "main.reviews"
            # A damaged answer goes in with the card id -1, in the same pass, so
            # that the log is read once (see damaged_answer()).
            entries = conn.execute(
                "INSERT INTO export_collection.revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                " SELECT max(instant, last_insert_rowid() + 1), CASE WHEN instant IS NULL THEN -1 ELSE cid END,"
                f" -1, ease, ivl, lastIvl, factor, time, type FROM ({_REVLOG_ROWS.format(log=log)})",
                (first_card_id,),
            ).rowcount
            conn.commit()
            return WrittenLog(entries, cards)
        finally:
            self._conn = None
            conn.close()

    def damaged_answer(self, collection: Path) -> DamagedRow | None:
        """What is wrong if :meth:`write` met a damaged answer (written with the card id
        -1): looked for through the log's index on the card id, so once the indexes
        of ``collection`` are made again it costs nothing when there is none."""
        found = sqlite3.connect(collection)
        try:
            if found.execute("SELECT 1 FROM revlog WHERE cid = -1 LIMIT 1").fetchone() is None:
                return None
        finally:
            found.close()
        conn = self._connect()
        try:
            row = conn.execute(
                f"SELECT r.id FROM reviews AS r JOIN cards AS c ON c.id = r.card WHERE r.undone_at IS NULL AND {self._where}"
                f" AND {DAMAGED_ANSWER} LIMIT 1",
                self._params,
            ).fetchone()
        finally:
            conn.close()
        return DamagedRow(
            f"the answer {row[0] if row else '?'} of the review log is damaged in the database (its time or"
            " schedule is not one an answer writes); restore the database from a backup"
        )

    def _check_cancelled(self) -> None:
        # cancel() interrupts a running statement; this stops the next one.
        if self._cancelled:
            raise sqlite3.OperationalError("interrupted")


# The answers that stand of the selected cards as rows of Anki's revlog, less
# its id and usn, in time order, each as the replay judges it ({log}: the
# view review_log, or the table itself when no verdict is kept beside it; an
# answer whose schedule is damaged with the card id -1, one without an
# instant gets it in the INSERT):
# the answer's instant in milliseconds since the epoch (exact: julianday()
# holds whole milliseconds), the card id (``first_card_id`` plus its key, the
# one parameter), button, interval, last interval, factor, time and log type.
# +r.card: read the log in time order (the index reviews_time: answers
# imported from Anki join the log after answers given later), looking each
# card up, rather than card by card; no sorting.
_REVLOG_ROWS = (
    f"SELECT {INSTANT_MS.replace('reviewed_at', 'r.reviewed_at')} AS instant,"
    f" CASE WHEN {DAMAGED_SCHEDULE} THEN -1 ELSE ? + r.card END AS cid,"
    " CASE WHEN r.grade < 3 THEN 1 ELSE r.grade - 1 END AS ease, r.interval_after AS ivl,"
    " CASE r.kind WHEN 'new' THEN 0 WHEN 'review' THEN r.interval_before ELSE r.interval_after END AS lastIvl,"
    " r.ease_after * 10 AS factor, min(r.duration_ms, 2147483647) AS time,"
    " CASE WHEN r.kind = 'new' THEN 0 WHEN r.kind = 'review' THEN 1 WHEN r.day = x.new_day THEN 0 ELSE 2 END AS type"
    " FROM {log} AS r JOIN temp.selected AS x ON x.card = +r.card WHERE r.undone_at IS NULL"
    f" ORDER BY {INSTANT_MS.replace('reviewed_at', 'r.reviewed_at')}, r.id"
)


class Export:
    """``store.export``: the cards of an export, numbered for the length of a ``with`` block."""

    def __init__(self, db: Database):
        self._db = db

    @contextmanager
    def selection(
        self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), today: date | None = None
    ) -> Iterator[ExportSelection]:
        """The cards not retired, narrowed by deck and tag, numbered in export order
        (as :meth:`osteo_learn.store.cards.Cards.each` gives them).

        The numbering is a TEMP table of this connection, made on first use:
        it lives outside the database file, so exporting writes nothing to
        the database.
        """
        where, params = card_filters(deck_ids, tags)
        conn = self._db.conn
        # In memory: the system's temporary folder may be full, or the
        # disk of the package (nothing is written to the database itself).
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(SELECTION_TABLE)
        try:
            conn.execute("DELETE FROM temp.export_selection")
            conn.commit()
            yield ExportSelection(conn, self._db.connect, " AND ".join(["c.retired = 0", *where]), params, today)
        finally:
            # Tidying a TEMP table never fails an export whose package is written.
            try:
                conn.rollback()
                conn.execute("DROP TABLE IF EXISTS temp.export_selection")
            except sqlite3.Error:
                pass
