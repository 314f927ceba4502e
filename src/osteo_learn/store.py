"""The student's database: all SQL of the project lives here and in
:mod:`osteo_learn.store_export` (the store's side of an export to Anki).

One SQLite file holds the decks, the cards with their scheduling state, the
append-only review log and the settings. Queries return domain objects
(:class:`StoredCard`, :class:`Review`, :mod:`osteo_learn.sm2` states), never
rows. Every write runs in its own ``BEGIN IMMEDIATE`` transaction, so two
processes on one database queue behind each other (``busy_timeout``)
instead of failing, and an answer is durable once :meth:`Store.record`
returns. The review log is the truth; a card's state columns are a cache
that a replay of its log rebuilds (see :meth:`Store.replayed_state`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import islice
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from osteo_learn import schema, sm2
from osteo_learn.cards import Basic, Card, Cloze, Content, Deck, Kind, Vignette
from osteo_learn.errors import StoreError

if TYPE_CHECKING:
    from osteo_learn import store_export

BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"


class ReviewKind:
    """How an answer counted: the first review of a new card, a scheduled
    review, or a same-day repeat (SM-2 rule 7) that leaves the schedule alone."""

    NEW = "new"
    REVIEW = "review"
    REPEAT = "repeat"


class StoredCard:
    """A card as studied: one deck entry at one ordinal, with its schedule.

    Built straight from a database row; the card's text (JSON) and its state
    are decoded on first use, so a queue of hundreds of cards costs little
    until a card is shown. Immutable, and equal when all fields are equal.
    """

    __slots__ = ("_row", "_card", "_state")

    def __init__(self, row: Sequence):
        self._row = row
        self._card: Card | None = None
        self._state: sm2.CardState | None = None

    pk = property(lambda self: self._row[0])
    deck_id = property(lambda self: self._row[1])
    card_id = property(lambda self: self._row[2])
    ordinal = property(lambda self: self._row[3])
    kind = property(lambda self: self._row[4])
    retired = property(lambda self: bool(self._row[8]))

    @property
    def card(self) -> Card:
        if self._card is None:
            _, _, card_id, _, kind, tags, fields, source = self._row[:8]
            self._card = Card(card_id, tuple(tags.split()), source, _content(kind, fields))
        return self._card

    @property
    def state(self) -> sm2.CardState:
        if self._state is None:
            self._state = _state(*self._row[9:15])
        return self._state

    @property
    def sibling_key(self) -> tuple[str, str]:
        """Cards of one deck entry (the deletions of a cloze) share this key."""
        return self._row[1:3]

    @property
    def label(self) -> str:
        suffix = f" c{self.ordinal}" if self.kind == Kind.CLOZE else ""
        return f"{self.deck_id}/{self.card_id}{suffix}"

    def _key(self) -> tuple:
        return (self.pk, self.deck_id, self.card, self.ordinal, self.state, self.retired)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredCard) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.pk, self.deck_id, self.card_id, self.ordinal))

    def __repr__(self) -> str:
        return f"StoredCard({self.label}, pk={self.pk}, state={self.state!r}, retired={self.retired})"


@dataclass(frozen=True)
class Review:
    """One row of the review log."""

    id: int
    card_pk: int
    reviewed_at: str
    day: date
    grade: sm2.Grade
    kind: str
    before: sm2.CardState
    after: sm2.CardState
    duration_ms: int
    undone_at: str | None = None


@dataclass(frozen=True)
class DeckRecord:
    """What the store remembers of a deck file, to skip re-reading it unchanged."""

    id: str
    title: str
    file: str
    file_size: int
    file_mtime_ns: int
    file_hash: str
    bundled: bool
    source_title: str
    source_text: str


@dataclass(frozen=True)
class SyncResult:
    added: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0

    @property
    def changed(self) -> bool:
        return any((self.added, self.updated, self.retired, self.restored))


@dataclass(frozen=True)
class DeckCounts:
    deck_id: str
    title: str
    due: int
    new: int
    learned: int
    retired: int
    next_due: date | None


_CARD_COLUMNS = (
    "c.id, c.deck_id, c.card_id, c.ord, c.kind, c.tags, c.fields, c.source, c.retired,"
    " c.reps, c.ease, c.interval, c.due, c.lapses, c.last_review"
)
_STATE_COLUMNS = ("reps", "ease", "interval", "due", "lapses", "last_review")


def _content(kind: str, fields: str) -> Content:
    data = json.loads(fields)
    if kind == Kind.BASIC:
        return Basic(**data)
    if kind == Kind.CLOZE:
        return Cloze(**data)
    return Vignette(**{**data, "options": tuple(data["options"])})


def _fields(content: Content) -> str:
    # vars() of the flat frozen dataclass: asdict() would deep-copy every field.
    return json.dumps(vars(content), ensure_ascii=False, sort_keys=True)


def _state(reps, ease, interval, due, lapses, last_review) -> sm2.CardState:
    if due is None:
        return sm2.CardState.new()
    return sm2.ReviewedCard(
        repetitions=reps,
        ease=ease,
        interval=interval,
        due=date.fromisoformat(due),
        lapses=lapses,
        last_review=date.fromisoformat(last_review),
    )


def _state_values(state: sm2.CardState) -> tuple:
    if isinstance(state, sm2.NewCard):
        return (None,) * 6
    return (
        state.repetitions,
        state.ease,
        state.interval,
        state.due.isoformat(),
        state.lapses,
        state.last_review.isoformat(),
    )


def _review(row: Sequence) -> Review:
    review_id, card_pk, reviewed_at, day, grade, kind = row[:6]
    before, after = row[6:12], row[12:18]
    duration_ms, undone_at = row[18:20]
    return Review(
        review_id,
        card_pk,
        reviewed_at,
        date.fromisoformat(day),
        sm2.Grade(grade),
        kind,
        _state(*before),
        _state(*after),
        duration_ms,
        undone_at,
    )


_REVIEW_COLUMNS = (
    "id, card, reviewed_at, day, grade, kind,"
    " reps_before, ease_before, interval_before, due_before, lapses_before, last_review_before,"
    " reps_after, ease_after, interval_after, due_after, lapses_after, last_review_after,"
    " duration_ms, undone_at"
)


class Store:
    """An open student database. Use :func:`open_store` to get one."""

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool = False):
        self.path = path
        self.conn = conn
        self.read_only = read_only

    # -- opening ---------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating it if need be) and migrate the database at ``path``.

        A file that is not an osteo-learn database, a damaged one, or one
        written by a newer version is refused and left exactly as it was.
        A database this process cannot write (the file, or the folder that
        would hold its -wal and -shm files) is opened read-only: it can be
        read, and every write is refused with a clear error.
        """
        path = Path(path)
        _refuse_foreign_file(path)
        read_only = path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the folder for the database {path}: {error.strerror}") from None
            if not os.access(path.parent, os.W_OK):
                raise StoreError(f"cannot create the database {path}: the folder {path.parent} is read-only")
        try:
            conn = _connect(path, read_only)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the database {path}: {error}") from None
        store = cls(path, conn, read_only)
        try:
            store._prepare()
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version, app_id, tables = self._identity()
        except sqlite3.DatabaseError as error:
            if _damaged(error):
                raise StoreError(f"{self.path} is not a usable osteo-learn database ({error}); it was left untouched") from None
            raise StoreError(f"cannot open the database {self.path}: {_reason(self.path, error)}; it was left untouched") from None
        schema.check_identity(self.path, version, app_id, tables)
        if version < schema.VERSION:
            self._migrate()
        if self.read_only:
            return
        try:
            self.conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as error:
            raise StoreError(_write_failure(self.path, error)) from None
        self.conn.execute("PRAGMA foreign_keys = ON")

    def _identity(self) -> tuple[int, int, int]:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return version, app_id, tables

    def _migrate(self) -> None:
        with self._write():
            # Re-read inside the lock: another process may have migrated first.
            version, app_id, tables = self._identity()
            schema.check_identity(self.path, version, app_id, tables)
            schema.migrate(self.conn, version)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check_writable(self) -> None:
        """Raise :class:`StoreError` now if the database cannot be written (opened read-only)."""
        if self.read_only:
            raise StoreError(_write_failure(self.path, "readonly"))

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so concurrent writers queue."""
        self.check_writable()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(_write_failure(self.path, error)) from None
        try:
            yield self.conn
            self.conn.commit()
        except sqlite3.OperationalError as error:
            self._rollback()
            raise StoreError(_write_failure(self.path, error)) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # After a failed write (a full disk) the transaction may already be
        # gone; the error that caused it is the one to report.
        try:
            self.conn.rollback()
        except sqlite3.Error:
            pass

    # -- decks -----------------------------------------------------------

    def deck_records(self) -> list[DeckRecord]:
        rows = self.conn.execute(
            "SELECT id, title, file, file_size, file_mtime_ns, file_hash, bundled, source_title, source_text"
            " FROM decks ORDER BY rank, id"
        ).fetchall()
        return [DeckRecord(*row[:6], bool(row[6]), *row[7:]) for row in rows]

    def deck_ids(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT id FROM decks ORDER BY rank, id")]

    def deck_titles(self) -> dict[str, str]:
        """Deck id to title, in deck order."""
        return dict(self.conn.execute("SELECT id, title FROM decks ORDER BY rank, id"))

    def source_document(self, deck_id: str) -> tuple[str, str]:
        """The title and full text of the document a deck was written from."""
        row = self.conn.execute("SELECT source_title, source_text FROM decks WHERE id = ?", (deck_id,)).fetchone()
        if row is None:
            raise StoreError(f"no deck '{deck_id}' in {self.path}")
        return row[0], row[1]

    def sync_deck(
        self,
        deck: Deck,
        *,
        file_size: int,
        file_mtime_ns: int,
        file_hash: str,
        bundled: bool,
        rank: int,
    ) -> SyncResult:
        """Bring the store in step with a validated deck; write nothing if nothing changed.

        Cards are matched by (deck id, card id, ordinal): an edited card keeps
        its schedule and history; a card gone from the file is retired
        (hidden from review, history kept) and comes back if it returns.
        """
        wanted = {}
        for position, card in enumerate(deck.cards):
            tags = " ".join(card.tags)
            fields = _fields(card.content)
            for ordinal in card.ordinals():
                wanted[(card.id, ordinal)] = (str(card.kind), position, tags, fields, card.source)
        existing = {
            (card_id, ordinal): (pk, (kind, position, tags, fields, source), retired)
            for pk, card_id, ordinal, kind, position, tags, fields, source, retired in self.conn.execute(
                "SELECT id, card_id, ord, kind, position, tags, fields, source, retired FROM cards WHERE deck_id = ?",
                (deck.id,),
            )
        }
        inserts, updates, retire, restore = [], [], [], []
        for key, values in wanted.items():
            found = existing.get(key)
            if found is None:
                inserts.append((deck.id, *key, *values))
                continue
            pk, old_values, retired = found
            if old_values != values:
                updates.append((*values, pk))
            if retired:
                restore.append((pk,))
        for key, (pk, _, retired) in existing.items():
            if key not in wanted and not retired:
                retire.append((pk,))
        deck_row = (
            deck.title,
            deck.description,
            str(deck.path),
            file_size,
            file_mtime_ns,
            file_hash,
            int(bundled),
            rank,
            deck.source.title,
            str(deck.source.path),
            deck.source.text,
        )
        old_deck = self.conn.execute(
            "SELECT title, description, file, file_size, file_mtime_ns, file_hash, bundled, rank,"
            " source_title, source_path, source_text FROM decks WHERE id = ?",
            (deck.id,),
        ).fetchone()
        result = SyncResult(len(inserts), len(updates), len(retire), len(restore))
        if tuple(old_deck or ()) == deck_row and not result.changed:
            return result
        with self._write() as conn:
            conn.execute(
                "INSERT INTO decks (id, title, description, file, file_size, file_mtime_ns, file_hash, bundled, rank,"
                " source_title, source_path, source_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,"
                " file = excluded.file, file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns,"
                " file_hash = excluded.file_hash, bundled = excluded.bundled, rank = excluded.rank,"
                " source_title = excluded.source_title, source_path = excluded.source_path,"
                " source_text = excluded.source_text",
                (deck.id, *deck_row),
            )
            conn.executemany(
                "INSERT INTO cards (deck_id, card_id, ord, kind, position, tags, fields, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            conn.executemany(
                "UPDATE cards SET kind = ?, position = ?, tags = ?, fields = ?, source = ? WHERE id = ?", updates
            )
            conn.executemany("UPDATE cards SET retired = 1 WHERE id = ?", retire)
            conn.executemany("UPDATE cards SET retired = 0 WHERE id = ?", restore)
        return result

    # -- cards -----------------------------------------------------------

    def _each(self, where: str, params: Sequence = (), order: str = "c.deck_id, c.position, c.ord") -> Iterator[StoredCard]:
        sql = f"SELECT {_CARD_COLUMNS} FROM cards AS c WHERE {where} ORDER BY {order}"
        return map(StoredCard, self.conn.execute(sql, params))

    def _cards(self, where: str, params: Sequence = ()) -> list[StoredCard]:
        return list(self._each(where, params))

    def card(self, pk: int) -> StoredCard:
        found = self._cards("c.id = ?", (pk,))
        if not found:
            raise StoreError(f"no card with number {pk} in {self.path}")
        return found[0]

    def cards(
        self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), include_retired: bool = False
    ) -> list[StoredCard]:
        """Every card in deck order, narrowed by deck and tag."""
        where, params = _filters(deck_ids, tags)
        if not include_retired:
            where.append("c.retired = 0")
        return self._cards(" AND ".join(where) or "1", params)

    def each_card(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[StoredCard]:
        """The cards not retired, narrowed by deck and tag, one at a time: decks in
        their order (bundled first, then added), each deck's cards in file order."""
        where, params = _filters(deck_ids, tags)
        sql = (
            f"SELECT {_CARD_COLUMNS} FROM cards AS c JOIN decks AS d ON d.id = c.deck_id"
            f" WHERE {' AND '.join(['c.retired = 0', *where])} ORDER BY d.rank, d.id, c.position, c.ord"
        )
        for row in self.conn.execute(sql, params):
            yield StoredCard(row)

    @contextmanager
    def export_selection(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[store_export.ExportSelection]:
        """The cards not retired, narrowed by deck and tag, numbered in export order
        (as :meth:`each_card` gives them) for the length of the ``with`` block.

        The numbering is a TEMP table of this connection, made on first use:
        it lives outside the database file, so exporting writes nothing to
        the database.
        """
        from osteo_learn.store_export import SELECTION_TABLE, ExportSelection

        where, params = _filters(deck_ids, tags)
        conn = self.conn
        conn.execute(SELECTION_TABLE)
        try:
            conn.execute("DELETE FROM temp.export_selection")
            conn.commit()
            yield ExportSelection(conn, lambda: _connect(self.path, self.read_only), " AND ".join(["c.retired = 0", *where]), params)
        finally:
            conn.rollback()
            conn.execute("DROP TABLE IF EXISTS temp.export_selection")

    def each_due(self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[StoredCard]:
        """Reviews due on or before ``today``, most overdue first, read as they are consumed."""
        where, params = _filters(deck_ids, tags)
        sql = " AND ".join(["c.due <= ?", "c.retired = 0", *where])
        return self._each(sql, [today.isoformat(), *params], order="c.due, c.deck_id, c.position, c.ord")

    def each_new(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> Iterator[StoredCard]:
        """Never-reviewed cards in deck order, read as they are consumed."""
        where, params = _filters(deck_ids, tags)
        return self._each(" AND ".join(["c.due IS NULL", "c.retired = 0", *where]), params)

    def due_cards(
        self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), limit: int | None = None
    ) -> list[StoredCard]:
        """Reviews due on or before ``today``, most overdue first."""
        return list(islice(self.each_due(today, deck_ids, tags), limit))

    def new_cards(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = (), limit: int | None = None) -> list[StoredCard]:
        """Never-reviewed cards in deck order."""
        return list(islice(self.each_new(deck_ids, tags), limit))

    def count_due(self, today: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> int:
        where, params = _filters(deck_ids, tags)
        sql = " AND ".join(["c.due <= ?", "c.retired = 0", *where])
        return self.conn.execute(f"SELECT count(*) FROM cards AS c WHERE {sql}", [today.isoformat(), *params]).fetchone()[0]

    def count_new(self, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> int:
        where, params = _filters(deck_ids, tags)
        sql = " AND ".join(["c.due IS NULL", "c.retired = 0", *where])
        return self.conn.execute(f"SELECT count(*) FROM cards AS c WHERE {sql}", params).fetchone()[0]

    def next_due(self, after: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> date | None:
        where, params = _filters(deck_ids, tags)
        sql = " AND ".join(["c.due > ?", "c.retired = 0", *where])
        row = self.conn.execute(f"SELECT min(c.due) FROM cards AS c WHERE {sql}", [after.isoformat(), *params]).fetchone()
        return date.fromisoformat(row[0]) if row[0] else None

    def deck_counts(self, today: date) -> list[DeckCounts]:
        """Per deck: due today, new available, learned, retired, next due after today."""
        rows = self.conn.execute(
            "SELECT d.id, d.title,"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due <= ?1),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due IS NULL),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due IS NOT NULL),"
            " (SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.retired = 1),"
            " (SELECT min(c.due) FROM cards c WHERE c.deck_id = d.id AND c.retired = 0 AND c.due > ?1)"
            " FROM decks d ORDER BY d.rank, d.id",
            (today.isoformat(),),
        ).fetchall()
        return [DeckCounts(*row[:6], date.fromisoformat(row[6]) if row[6] else None) for row in rows]

    def new_introduced(self, day: date) -> int:
        """New cards first studied on the study day ``day`` (answers not undone)."""
        return self.conn.execute(
            "SELECT count(*) FROM reviews WHERE day = ? AND kind = 'new' AND undone_at IS NULL", (day.isoformat(),)
        ).fetchone()[0]

    def reviews_answered(self, day: date) -> int:
        """Scheduled reviews answered on the study day ``day`` (answers not undone;
        first answers and same-day repeats not counted)."""
        return self.conn.execute(
            "SELECT count(*) FROM reviews WHERE day = ? AND kind = 'review' AND undone_at IS NULL", (day.isoformat(),)
        ).fetchone()[0]

    def reviewed_siblings(self, day: date) -> set[tuple[str, str]]:
        """Sibling keys of the cards studied on ``day``, to keep their siblings for another day."""
        rows = self.conn.execute(
            "SELECT DISTINCT c.deck_id, c.card_id FROM reviews r JOIN cards c ON c.id = r.card"
            " WHERE r.day = ? AND r.undone_at IS NULL",
            (day.isoformat(),),
        )
        return {tuple(row) for row in rows}

    def repeats_owed(self, day: date, deck_ids: Sequence[str] = (), tags: Sequence[str] = ()) -> list[StoredCard]:
        """Cards whose latest answer on ``day`` is graded below 4, oldest answer first.

        SM-2 rule 7 still owes them a repeat that day: a session that ended
        before the repeat leaves them to the next session of the same day.
        """
        where, params = _filters(deck_ids, tags)
        sql = (
            f"SELECT {_CARD_COLUMNS} FROM cards AS c"
            " JOIN (SELECT card, max(id) AS last FROM reviews WHERE day = ? AND undone_at IS NULL GROUP BY card) AS l"
            " ON l.card = c.id JOIN reviews AS r ON r.id = l.last"
            f" WHERE {' AND '.join(['r.grade < 4', 'c.retired = 0', *where])} ORDER BY l.last"
        )
        return [StoredCard(row) for row in self.conn.execute(sql, [day.isoformat(), *params])]

    # -- answering -------------------------------------------------------

    def record(self, card_pk: int, grade: sm2.Grade, instant: datetime, day: date, duration_ms: int) -> Review:
        """Log an answer and update the card's schedule, committed together.

        The first answer of a study day is the card's scheduled review and
        goes through SM-2; later answers the same day (rule 7's repeats) are
        logged as repeats and leave the schedule unchanged.
        """
        from osteo_learn.clock import utc_text

        grade = sm2.Grade(grade)
        with self._write() as conn:
            row = conn.execute(
                "SELECT reps, ease, interval, due, lapses, last_review FROM cards WHERE id = ?", (card_pk,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no card with number {card_pk} in {self.path}")
            before = _state(*row)
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
                f"INSERT INTO reviews ({_REVIEW_COLUMNS.replace('id, ', '', 1)})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    card_pk,
                    utc_text(instant),
                    day.isoformat(),
                    int(grade),
                    kind,
                    *_state_values(before),
                    *_state_values(after),
                    max(0, int(duration_ms)),
                    None,
                ),
            )
            if after is not before:
                conn.execute(
                    "UPDATE cards SET reps = ?, ease = ?, interval = ?, due = ?, lapses = ?, last_review = ? WHERE id = ?",
                    (*_state_values(after), card_pk),
                )
            review_id = cursor.lastrowid
        return self.review(review_id)

    def undo(self, review_id: int, instant: datetime) -> Review:
        """Take an answer back: restore the card's state before it and mark the row undone.

        Only a card's latest standing answer can be undone. The row stays in
        the log; both changes are one transaction.
        """
        from osteo_learn.clock import utc_text

        with self._write() as conn:
            review = self.review(review_id)
            if review.undone_at is not None:
                raise StoreError(f"answer {review_id} was already undone")
            latest = conn.execute(
                "SELECT max(id) FROM reviews WHERE card = ? AND undone_at IS NULL", (review.card_pk,)
            ).fetchone()[0]
            if latest != review_id:
                raise StoreError(f"answer {review_id} is not the card's latest answer; undo the later ones first")
            conn.execute("UPDATE reviews SET undone_at = ? WHERE id = ?", (utc_text(instant), review_id))
            conn.execute(
                "UPDATE cards SET reps = ?, ease = ?, interval = ?, due = ?, lapses = ?, last_review = ? WHERE id = ?",
                (*_state_values(review.before), review.card_pk),
            )
        return self.review(review_id)

    def review(self, review_id: int) -> Review:
        row = self.conn.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE id = ?", (review_id,)).fetchone()
        if row is None:
            raise StoreError(f"no answer with number {review_id} in the log")
        return _review(row)

    def reviews(self, card_pk: int | None = None) -> list[Review]:
        """The log, oldest first (undone rows included), for one card or all."""
        if card_pk is None:
            rows = self.conn.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews ORDER BY id")
        else:
            rows = self.conn.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE card = ? ORDER BY id", (card_pk,))
        return [_review(row) for row in rows]

    def replayed_state(self, card_pk: int) -> sm2.CardState:
        """The card's state rebuilt from its log: scheduled answers not undone, in order."""
        rows = self.conn.execute(
            "SELECT day, grade FROM reviews WHERE card = ? AND kind != 'repeat' AND undone_at IS NULL ORDER BY id",
            (card_pk,),
        )
        return sm2.replay((date.fromisoformat(day), grade) for day, grade in rows)

    # -- statistics --------------------------------------------------------
    # Each a few aggregate queries over covering indexes (schema 0002), with
    # the log read only inside a window of days, so they stay fast on long
    # histories.

    def reviews_per_day(self, since: date, deck_ids: Sequence[str] = ()) -> dict[date, int]:
        """Answers not undone on each study day from ``since`` on (days without any left out)."""
        where, params = _log_filter(deck_ids)
        rows = self.conn.execute(
            f"SELECT day, count(*) FROM reviews WHERE day >= ? AND undone_at IS NULL{where} GROUP BY day",
            [since.isoformat(), *params],
        )
        return {date.fromisoformat(day): count for day, count in rows}

    def retention(self, since: date, deck_ids: Sequence[str] = ()) -> Retention:
        """Scheduled reviews (not new cards, not same-day repeats) from ``since`` on:
        how many, and how many recalled (grade 3 or more), for young and mature cards."""
        where, params = _log_filter(deck_ids)
        rows = self.conn.execute(
            f"SELECT interval_before >= {MATURE_INTERVAL}, grade >= 3, count(*) FROM reviews"
            f" WHERE day >= ? AND kind = 'review' AND undone_at IS NULL{where} GROUP BY 1, 2",
            [since.isoformat(), *params],
        )
        counts = {(mature, recalled): n for mature, recalled, n in rows}
        return Retention(
            young_reviews=counts.get((0, 0), 0) + counts.get((0, 1), 0),
            young_recalled=counts.get((0, 1), 0),
            mature_reviews=counts.get((1, 0), 0) + counts.get((1, 1), 0),
            mature_recalled=counts.get((1, 1), 0),
        )

    def streak(self, today: date, deck_ids: Sequence[str] = ()) -> int:
        """Consecutive study days with an answer, ending today, or yesterday if today has none yet."""
        where, params = _log_filter(deck_ids)
        # Walk back one day at a time while the day before has an answer:
        # one index probe per day of the streak.
        before = "date(run.day, '-1 day')"
        sql = (
            "WITH RECURSIVE run(day) AS ("
            f" SELECT ?1 WHERE EXISTS (SELECT 1 FROM reviews WHERE day = ?1 AND undone_at IS NULL{where})"
            f" UNION ALL SELECT {before} FROM run"
            f" WHERE EXISTS (SELECT 1 FROM reviews WHERE day = {before} AND undone_at IS NULL{where})"
            ") SELECT count(*) FROM run"
        )
        count = self.conn.execute(sql, [today.isoformat(), *params, *params]).fetchone()[0]
        if count:
            return count
        yesterday = date.fromordinal(today.toordinal() - 1)
        return self.conn.execute(sql, [yesterday.isoformat(), *params, *params]).fetchone()[0]

    def due_forecast(self, first: date, last: date, deck_ids: Sequence[str] = ()) -> dict[date, int]:
        """Cards falling due on each day from ``first`` to ``last`` (days with none left out)."""
        where, params = _filters(deck_ids, ())
        sql = " AND ".join(["c.due BETWEEN ? AND ?", "c.due IS NOT NULL", "c.retired = 0", *where])
        rows = self.conn.execute(
            f"SELECT c.due, count(*) FROM cards AS c WHERE {sql} GROUP BY c.due", [first.isoformat(), last.isoformat(), *params]
        )
        return {date.fromisoformat(day): count for day, count in rows}

    def card_counts(self, today: date, deck_ids: Sequence[str] = ()) -> CardCounts:
        """Cards by state: new, young (interval under 21 days), mature, retired; and due today."""
        where, params = _filters(deck_ids, ())
        scope = "".join(f" AND {w}" for w in where)
        reviewed = f"c.due IS NOT NULL AND c.retired = 0{scope}"
        row = self.conn.execute(
            f"SELECT (SELECT count(*) FROM cards AS c WHERE c.due IS NULL AND c.retired = 0{scope}),"
            f" (SELECT count(*) FROM cards AS c WHERE {reviewed} AND c.interval < {MATURE_INTERVAL}),"
            f" (SELECT count(*) FROM cards AS c WHERE {reviewed} AND c.interval >= {MATURE_INTERVAL}),"
            f" (SELECT count(*) FROM cards AS c WHERE 1{scope}),"
            f" (SELECT count(*) FROM cards AS c WHERE {reviewed} AND c.due <= ?)",
            [*params, *params, *params, *params, *params, today.isoformat()],
        ).fetchone()
        new, young, mature, total, due = row
        return CardCounts(new=new, young=young, mature=mature, retired=total - new - young - mature, due_today=due)

    def hardest_cards(self, limit: int = 10, deck_ids: Sequence[str] = ()) -> list[StoredCard]:
        """Reviewed cards with the lowest EF, then the most lapses; only cards below
        the starting EF or with a lapse."""
        where, params = _filters(deck_ids, ())
        where = ["c.due IS NOT NULL", "c.retired = 0", f"(c.ease < {sm2.INITIAL_EASE} OR c.lapses > 0)", *where]
        return list(islice(self._each(" AND ".join(where), params, order="c.ease, c.lapses DESC"), limit))

    # -- settings --------------------------------------------------------

    def settings(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM settings"))

    def set_setting(self, key: str, value: str | None) -> None:
        with self._write() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )


def _filters(deck_ids: Sequence[str], tags: Sequence[str]) -> tuple[list[str], list]:
    where, params = [], []
    if deck_ids:
        where.append(f"c.deck_id IN ({', '.join('?' * len(deck_ids))})")
        params.extend(deck_ids)
    for tag in tags:
        where.append("(' ' || c.tags || ' ') LIKE ? ESCAPE '\\'")
        params.append("% " + tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %")
    return where, params


MATURE_INTERVAL = 21
"""A card is *mature* once its interval reaches 21 days (Anki's line), *young* before."""


@dataclass(frozen=True)
class Retention:
    """Scheduled reviews in a window, and how many were recalled, by card maturity."""

    young_reviews: int
    young_recalled: int
    mature_reviews: int
    mature_recalled: int


@dataclass(frozen=True)
class CardCounts:
    """Cards by state; ``due_today`` counts reviewed cards due on or before today."""

    new: int
    young: int
    mature: int
    retired: int
    due_today: int


def _log_filter(deck_ids: Sequence[str]) -> tuple[str, list]:
    """A condition narrowing the review log to the cards of some decks ("" for all)."""
    if not deck_ids:
        return "", []
    marks = ", ".join("?" * len(deck_ids))
    return f" AND card IN (SELECT id FROM cards WHERE deck_id IN ({marks}))", list(deck_ids)


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    # Read-only. With no -wal file holding changes, the file alone is the
    # whole database: read it as immutable, which needs no -shm file (the
    # folder may not allow one) and creates none.
    wal = path.with_name(path.name + "-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    uri = path.absolute().as_uri() + ("?mode=ro" if pending else "?mode=ro&immutable=1")
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _refuse_foreign_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that is not an SQLite database."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder; give the path of a database file")
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        blocker = next((p for p in path.parents if p.is_file()), path.parent)
        raise StoreError(f"cannot create the database {path}: {blocker} is a file, not a folder") from None
    except OSError as error:
        raise StoreError(f"cannot read the database {path}: {error.strerror}") from None
    if not header or _hot_journal(path):
        # A process was killed in the middle of a write: SQLite puts the file
        # back as it was from the journal when it opens it.
        return
    if not header.startswith(_SQLITE_HEADER):
        raise StoreError(f"{path} is not an osteo-learn database (not an SQLite file); it was left untouched")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    if not has_wal and pages and path.stat().st_size < pages * page_size:
        raise StoreError(
            f"{path} is truncated ({path.stat().st_size} of {pages * page_size} bytes); "
            "it was left untouched: restore it from a backup"
        )


_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


def _hot_journal(path: Path) -> bool:
    """A rollback journal left by a write that did not finish (SQLite's own magic number first)."""
    try:
        with path.with_name(path.name + "-journal").open("rb") as journal:
            return journal.read(8) == _JOURNAL_MAGIC
    except OSError:
        return False


def _damaged(error: sqlite3.DatabaseError) -> bool:
    """The file itself is at fault (not an SQLite file, or damaged), not the disk or its permissions."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or not isinstance(error, sqlite3.OperationalError)


def _reason(path: Path, error: sqlite3.Error | str) -> str:
    """Why SQLite could not open or write the database, in the student's words."""
    text = str(error)
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "it is read-only"
    if name == "SQLITE_FULL" or "full" in text or (name.startswith("SQLITE_IOERR") and _disk_full(path)):
        return "the disk is full"
    if name.startswith("SQLITE_BUSY") or "locked" in text or "busy" in text:
        return "another osteo-learn process kept it busy for too long"
    return text


def _disk_full(path: Path) -> bool:
    try:
        stat = os.statvfs(path.parent)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < 64 * 1024


def _write_failure(path: Path, error: sqlite3.Error | str) -> str:
    return f"cannot write to the database {path}: {_reason(path, error)}; nothing was changed"

