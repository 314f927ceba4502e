"""The database schema and its migrations.

The schema version is SQLite's ``user_version``; each migration is
registered with sqlite-utils' :class:`~sqlite_utils.migrations.Migrations`
and sets the version it brings. Opening a database applies the migrations
it lacks; a database whose version is newer than the last one known here
was written by a newer osteo-learn and is refused, never modified.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from collections.abc import Callable
from typing import TYPE_CHECKING

from osteo_learn.errors import StoreError

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

# "OSTL": marks a file as an osteo-learn database (PRAGMA application_id).
APPLICATION_ID = 0x4F53544C

# (name, function) in order; registered with sqlite-utils only when a
# database needs migrating, so opening a current one never imports it.
_MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = []


def migration(name: str):
    def register(function: Callable[[Database], None]):
        _MIGRATIONS.append((name, function))
        return function

    return register


def registered() -> Migrations:
    """The migrations as a sqlite-utils migration set."""
    from sqlite_utils.migrations import Migrations

    migrations = Migrations("osteo-learn")
    for name, function in _MIGRATIONS:
        migrations(name=name)(function)
    return migrations


# Statements run one by one: executescript() would commit the caller's
# transaction first, and a migration must apply whole or not at all.
_INITIAL = [
    """
    CREATE TABLE decks (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        file TEXT NOT NULL,
        file_size INTEGER NOT NULL,
        file_mtime_ns INTEGER NOT NULL,
        file_hash TEXT NOT NULL,
        bundled INTEGER NOT NULL CHECK (bundled IN (0, 1)),
        rank INTEGER NOT NULL,
        source_title TEXT NOT NULL,
        source_path TEXT NOT NULL,
        source_text TEXT NOT NULL
    ) STRICT
    """,
    """
    -- One row per studied card: a deck entry at one ordinal (the cloze
    -- number, else 1). The state columns are all NULL while it is new.
    CREATE TABLE cards (
        id INTEGER PRIMARY KEY,
        deck_id TEXT NOT NULL REFERENCES decks (id),
        card_id TEXT NOT NULL,
        ord INTEGER NOT NULL CHECK (ord >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('basic', 'cloze', 'vignette')),
        position INTEGER NOT NULL,
        tags TEXT NOT NULL,
        fields TEXT NOT NULL,
        source TEXT NOT NULL,
        retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
        reps INTEGER,
        ease INTEGER,
        interval INTEGER,
        due TEXT,
        lapses INTEGER,
        last_review TEXT,
        UNIQUE (deck_id, card_id, ord),
        CHECK ((due IS NULL) = (reps IS NULL)
           AND (due IS NULL) = (ease IS NULL)
           AND (due IS NULL) = (interval IS NULL)
           AND (due IS NULL) = (lapses IS NULL)
           AND (due IS NULL) = (last_review IS NULL))
    ) STRICT
    """,
    """
    CREATE INDEX cards_due ON cards (due, deck_id, position, ord) WHERE due IS NOT NULL AND retired = 0
    """,
    """
    CREATE INDEX cards_new ON cards (deck_id, position, ord) WHERE due IS NULL AND retired = 0
    """,
    """
    -- The review log: append-only. An undone answer gets undone_at and
    -- stays; the triggers refuse deleting a row or changing anything else.
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        card INTEGER NOT NULL REFERENCES cards (id),
        reviewed_at TEXT NOT NULL,
        day TEXT NOT NULL,
        grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 5),
        kind TEXT NOT NULL CHECK (kind IN ('new', 'review', 'repeat')),
        reps_before INTEGER,
        ease_before INTEGER,
        interval_before INTEGER,
        due_before TEXT,
        lapses_before INTEGER,
        last_review_before TEXT,
        reps_after INTEGER NOT NULL,
        ease_after INTEGER NOT NULL,
        interval_after INTEGER NOT NULL,
        due_after TEXT NOT NULL,
        lapses_after INTEGER NOT NULL,
        last_review_after TEXT NOT NULL,
        duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
        undone_at TEXT
    ) STRICT
    """,
    """
    CREATE INDEX reviews_card ON reviews (card, id)
    """,
    """
    CREATE INDEX reviews_day ON reviews (day, kind)
    """,
    """
    CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
    BEGIN
        SELECT RAISE(ABORT, 'the review log is append-only');
    END
    """,
    """
    CREATE TRIGGER reviews_only_undo BEFORE UPDATE ON reviews
    WHEN OLD.undone_at IS NOT NULL OR NEW.undone_at IS NULL
        OR NEW.id IS NOT OLD.id OR NEW.card IS NOT OLD.card OR NEW.reviewed_at IS NOT OLD.reviewed_at
        OR NEW.day IS NOT OLD.day OR NEW.grade IS NOT OLD.grade OR NEW.kind IS NOT OLD.kind
        OR NEW.reps_after IS NOT OLD.reps_after OR NEW.ease_after IS NOT OLD.ease_after
        OR NEW.interval_after IS NOT OLD.interval_after OR NEW.due_after IS NOT OLD.due_after
        OR NEW.reps_before IS NOT OLD.reps_before OR NEW.due_before IS NOT OLD.due_before
    BEGIN
        SELECT RAISE(ABORT, 'the review log is append-only: only marking an answer undone is allowed');
    END
    """,
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT
    """,
]


@migration("0001_initial")
def _initial(db: Database) -> None:
    for statement in _INITIAL:
        db.execute(statement)


# Statistics read the log and the cards through these alone, never the
# tables: the log by study day with the columns counted (undone_at to leave
# undone answers out, card to narrow by deck); cards by interval (young or
# mature) and by EF and lapses (the hardest first).
_STATS_INDEXES = [
    "CREATE INDEX reviews_stats ON reviews (day, kind, grade, interval_before, undone_at, card)",
    "CREATE INDEX cards_interval ON cards (interval) WHERE due IS NOT NULL AND retired = 0",
    "CREATE INDEX cards_ease ON cards (ease, lapses DESC) WHERE due IS NOT NULL AND retired = 0",
]


@migration("0002_stats_indexes")
def _stats_indexes(db: Database) -> None:
    for statement in _STATS_INDEXES:
        db.execute(statement)


# Card control (bury, suspend, flag, leech) and the option a vignette
# answer chose. The events are a log of their own, append-only like the
# review log: a card's control columns in ``cards`` are a cache that a
# replay of its standing events rebuilds (:mod:`osteo_learn.core.control`).
# A bury needs no column: it holds for the study day of its event. The
# partial indexes of the queue are made again to leave suspended cards out,
# so counting what is due still reads the index alone.
_CARD_CONTROL = [
    "ALTER TABLE cards ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1))",
    "ALTER TABLE cards ADD COLUMN leech INTEGER NOT NULL DEFAULT 0 CHECK (leech IN (0, 1))",
    "ALTER TABLE cards ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1))",
    "ALTER TABLE cards ADD COLUMN flag_note TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE reviews ADD COLUMN chosen TEXT",
    """
    CREATE TABLE card_events (
        id INTEGER PRIMARY KEY,
        card INTEGER NOT NULL REFERENCES cards (id),
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('bury', 'suspend', 'unsuspend', 'flag', 'unflag', 'leech')),
        note TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL CHECK (origin IN ('session', 'command', 'answer')),
        review INTEGER REFERENCES reviews (id),
        undone_at TEXT
    ) STRICT
    """,
    "CREATE INDEX card_events_card ON card_events (card, id)",
    "CREATE INDEX card_events_day ON card_events (day, action, undone_at, card)",
    "CREATE INDEX card_events_review ON card_events (review) WHERE review IS NOT NULL",
    """
    CREATE TRIGGER card_events_no_delete BEFORE DELETE ON card_events
    BEGIN
        SELECT RAISE(ABORT, 'the card event log is append-only');
    END
    """,
    """
    CREATE TRIGGER card_events_only_undo BEFORE UPDATE ON card_events
    WHEN OLD.undone_at IS NOT NULL OR NEW.undone_at IS NULL
        OR NEW.id IS NOT OLD.id OR NEW.card IS NOT OLD.card OR NEW.at IS NOT OLD.at OR NEW.day IS NOT OLD.day
        OR NEW.action IS NOT OLD.action OR NEW.note IS NOT OLD.note OR NEW.origin IS NOT OLD.origin
        OR NEW.review IS NOT OLD.review
    BEGIN
        SELECT RAISE(ABORT, 'the card event log is append-only: only marking an event undone is allowed');
    END
    """,
    "DROP TRIGGER reviews_only_undo",
    """
    CREATE TRIGGER reviews_only_undo BEFORE UPDATE ON reviews
    WHEN OLD.undone_at IS NOT NULL OR NEW.undone_at IS NULL
        OR NEW.id IS NOT OLD.id OR NEW.card IS NOT OLD.card OR NEW.reviewed_at IS NOT OLD.reviewed_at
        OR NEW.day IS NOT OLD.day OR NEW.grade IS NOT OLD.grade OR NEW.kind IS NOT OLD.kind
        OR NEW.reps_after IS NOT OLD.reps_after OR NEW.ease_after IS NOT OLD.ease_after
        OR NEW.interval_after IS NOT OLD.interval_after OR NEW.due_after IS NOT OLD.due_after
        OR NEW.reps_before IS NOT OLD.reps_before OR NEW.due_before IS NOT OLD.due_before
        OR NEW.chosen IS NOT OLD.chosen
    BEGIN
        SELECT RAISE(ABORT, 'the review log is append-only: only marking an answer undone is allowed');
    END
    """,
    "DROP INDEX cards_due",
    "CREATE INDEX cards_due ON cards (due, deck_id, position, ord) WHERE due IS NOT NULL AND retired = 0 AND suspended = 0",
    "DROP INDEX cards_new",
    "CREATE INDEX cards_new ON cards (deck_id, position, ord) WHERE due IS NULL AND retired = 0 AND suspended = 0",
    # The leeches the statistics list, most lapses first, without reading every card.
    "CREATE INDEX cards_leech ON cards (lapses DESC, deck_id, position, ord) WHERE leech = 1",
    # Suspended cards, counted apart by the statistics (the queue's indexes leave them out).
    "CREATE INDEX cards_suspended ON cards (due, deck_id) WHERE suspended = 1 AND retired = 0",
]


@migration("0003_card_control")
def _card_control(db: Database) -> None:
    for statement in _CARD_CONTROL:
        db.execute(statement)


# An answer's instant (reviewed_at) in milliseconds since the epoch, exactly
# (julianday() holds whole milliseconds). The index reviews_card_time is on
# this expression: a query uses the index only when it writes it so.
INSTANT_MS = "CAST(round((julianday(reviewed_at) - 2440587.5) * 86400000) AS INTEGER)"

# Answers given in Anki join the log (osteo-learn import-reviews). The log
# stays append-only, so an answer that arrives after later ones of its card
# were written cannot change those rows: where the replay of the card now
# judges a row otherwise than the row says (a desk answer that an earlier
# phone answer the same day made a repeat), its verdict is kept beside it.
_ANKI_ANSWERS = [
    """
    -- Which answer in Anki each imported row of the log came from: Anki's
    -- review log id (the instant of the answer in milliseconds, UTC), the
    -- button and the log type Anki wrote. Append-only, as the log.
    CREATE TABLE anki_answers (
        review INTEGER PRIMARY KEY REFERENCES reviews (id),
        card INTEGER NOT NULL REFERENCES cards (id),
        revlog_id INTEGER NOT NULL,
        ease INTEGER NOT NULL CHECK (ease BETWEEN 1 AND 4),
        type INTEGER NOT NULL,
        package TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        UNIQUE (card, revlog_id)
    ) STRICT
    """,
    """
    CREATE TRIGGER anki_answers_append_only_delete BEFORE DELETE ON anki_answers
    BEGIN
        SELECT RAISE(ABORT, 'the record of imported answers is append-only');
    END
    """,
    """
    CREATE TRIGGER anki_answers_append_only_update BEFORE UPDATE ON anki_answers
    BEGIN
        SELECT RAISE(ABORT, 'the record of imported answers is append-only');
    END
    """,
    """
    -- The replay's verdict on an answer whose row, as written, it no longer
    -- agrees with: how it counts and the card's state before and after it.
    -- A cache, like the state columns of cards: the replay rebuilds it.
    CREATE TABLE replayed_reviews (
        review INTEGER PRIMARY KEY REFERENCES reviews (id),
        kind TEXT NOT NULL CHECK (kind IN ('new', 'review', 'repeat')),
        reps_before INTEGER,
        ease_before INTEGER,
        interval_before INTEGER,
        due_before TEXT,
        lapses_before INTEGER,
        last_review_before TEXT,
        reps_after INTEGER NOT NULL,
        ease_after INTEGER NOT NULL,
        interval_after INTEGER NOT NULL,
        due_after TEXT NOT NULL,
        lapses_after INTEGER NOT NULL,
        last_review_after TEXT NOT NULL
    ) STRICT
    """,
    """
    -- The log as the replay reads it: each row with its verdict.
    CREATE VIEW review_log AS
    SELECT r.id, r.card, r.reviewed_at, r.day, r.grade,
        CASE WHEN v.review IS NULL THEN r.kind ELSE v.kind END AS kind,
        CASE WHEN v.review IS NULL THEN r.reps_before ELSE v.reps_before END AS reps_before,
        CASE WHEN v.review IS NULL THEN r.ease_before ELSE v.ease_before END AS ease_before,
        CASE WHEN v.review IS NULL THEN r.interval_before ELSE v.interval_before END AS interval_before,
        CASE WHEN v.review IS NULL THEN r.due_before ELSE v.due_before END AS due_before,
        CASE WHEN v.review IS NULL THEN r.lapses_before ELSE v.lapses_before END AS lapses_before,
        CASE WHEN v.review IS NULL THEN r.last_review_before ELSE v.last_review_before END AS last_review_before,
        CASE WHEN v.review IS NULL THEN r.reps_after ELSE v.reps_after END AS reps_after,
        CASE WHEN v.review IS NULL THEN r.ease_after ELSE v.ease_after END AS ease_after,
        CASE WHEN v.review IS NULL THEN r.interval_after ELSE v.interval_after END AS interval_after,
        CASE WHEN v.review IS NULL THEN r.due_after ELSE v.due_after END AS due_after,
        CASE WHEN v.review IS NULL THEN r.lapses_after ELSE v.lapses_after END AS lapses_after,
        CASE WHEN v.review IS NULL THEN r.last_review_after ELSE v.last_review_after END AS last_review_after,
        r.duration_ms, r.undone_at, r.chosen
    FROM reviews AS r LEFT JOIN replayed_reviews AS v ON v.review = r.id
    """,
    # A card's answers in time order (rows of one instant by id), for the
    # replay and to recognise an answer already in the log by its instant.
    "DROP INDEX reviews_card",
    f"CREATE INDEX reviews_card_time ON reviews (card, {INSTANT_MS})",
    # The whole log in time order, for the export's review history.
    f"CREATE INDEX reviews_time ON reviews ({INSTANT_MS})",
    """
    -- Each import from Anki that merged answers: when, from which file, a
    -- fingerprint of what it read (the package's review log and which of
    -- its cards are ours, as the store stood), and what it counted. An
    -- import whose fingerprint is one of these brings nothing new.
    CREATE TABLE anki_imports (
        id INTEGER PRIMARY KEY,
        imported_at TEXT NOT NULL,
        package TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        reading TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX anki_imports_fingerprint ON anki_imports (fingerprint)",
    # The GUID of each card's note in Anki (osteo_learn.core.guid), so that
    # an import finds its cards in SQL. Set when a deck sync adds the card.
    "ALTER TABLE cards ADD COLUMN guid TEXT",
    "CREATE INDEX cards_guid ON cards (guid, ord)",
]


@migration("0004_anki_answers")
def _anki_answers(db: Database) -> None:
    from osteo_learn.core.guid import note_guid

    for statement in _ANKI_ANSWERS:
        db.execute(statement)
    entries = db.execute("SELECT DISTINCT deck_id, card_id FROM cards").fetchall()
    db.conn.executemany(
        "UPDATE cards SET guid = ? WHERE deck_id = ? AND card_id = ?",
        [(note_guid(deck_id, card_id), deck_id, card_id) for deck_id, card_id in entries],
    )


# The index of the log by study day and kind repeats the first two columns
# of the statistics index (0002), which serves every query it served: one
# index fewer to write with each answer, and a ninth of the file.
@migration("0005_one_index_by_day")
def _one_index_by_day(db: Database) -> None:
    db.execute("DROP INDEX reviews_day")


# The schema version this code writes: one per migration.
VERSION = len(_MIGRATIONS)


class SchemaError(StoreError):
    """A file that is not a database this version of osteo-learn may open."""


def check_identity(path: Path, version: int, application_id: int, objects: int) -> None:
    """Refuse a database of another program, or of a newer osteo-learn."""
    if application_id != APPLICATION_ID and (application_id != 0 or objects or version):
        raise SchemaError(
            f"{path} is an SQLite database of another program, not osteo-learn; it was left untouched"
        )
    if version > VERSION:
        raise SchemaError(
            f"{path} was written by a newer osteo-learn (schema version {version}; this version knows up to "
            f"{VERSION}); upgrade osteo-learn to open it. The file was left untouched."
        )


# What the code relies on being there, whatever later migrations add: the
# tables and the view, and the triggers that keep the review log append-only.
REQUIRED_OBJECTS = {
    ("table", "decks"),
    ("table", "cards"),
    ("table", "reviews"),
    ("table", "settings"),
    ("trigger", "reviews_no_delete"),
    ("trigger", "reviews_only_undo"),
    ("table", "anki_answers"),
    ("table", "anki_imports"),
    ("table", "replayed_reviews"),
    ("trigger", "anki_answers_append_only_delete"),
    ("trigger", "anki_answers_append_only_update"),
    ("view", "review_log"),
}


def check_objects(path: Path, conn: sqlite3.Connection) -> None:
    """Refuse a database of our version that lacks a table or trigger (edited by hand, or damaged)."""
    found = set(conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger', 'view')"))
    missing = sorted(REQUIRED_OBJECTS - found)
    if missing:
        names = ", ".join(f"the {kind} '{name}'" for kind, name in missing)
        raise SchemaError(
            f"{path} lacks {names} (it was edited or damaged); it was left untouched: restore it from a backup"
        )


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Apply the migrations after ``version``, inside the caller's transaction."""
    from sqlite_utils import Database

    registered().apply(Database(conn))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {VERSION}")
