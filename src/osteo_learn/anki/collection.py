"""The Anki collection inside an export's package, written from the store's selection.

genanki creates the collection with its tables, the note types
(:mod:`osteo_learn.anki.models`) and the decks; the notes and cards go in
as genanki writes them, row for row (note ids count milliseconds on from
the export time in deck order, card ids from the same time by the card's
key in the store). The notes take one Python step each (their fields, tags
and GUID, :mod:`osteo_learn.anki.notes`); the cards, with progress their
schedules, and the review log are copied by the store in SQL alone, the log
on a second thread at the same time (see :func:`write_collection`).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from osteo_learn.anki import models, progress
from osteo_learn.anki.notes import note_rows, text_html
from osteo_learn.core.cards import Kind
from osteo_learn.core.text import clean
from osteo_learn.errors import OsteoError
from osteo_learn.store.export import AnkiLogWriter, ExportSelection, WrittenLog


class ExportError(OsteoError):
    """The package cannot be written; an existing file at the path was left as it was."""


class SelectionChanged(ExportError):
    """A deck was synced while the collection was written: its two readers saw different cards."""


@dataclass(frozen=True)
class DeckInfo:
    """An osteo-learn deck as exported: its id, title and description."""

    id: str
    title: str
    description: str = ""


@dataclass
class ExportSummary:
    path: Path
    decks: int = 0
    notes: int = 0
    cards: dict[Kind, int] = field(default_factory=lambda: dict.fromkeys(Kind, 0))
    reviewed: int = 0
    revlog: int = 0
    size: int = 0
    with_progress: bool = False

    @property
    def card_total(self) -> int:
        return sum(self.cards.values())


def write_collection(
    collection: Path,
    decks: Sequence[DeckInfo] | Callable[[], Sequence[DeckInfo]],
    selection: ExportSelection,
    timestamp: float,
    with_progress: bool,
    day_start_hour: int,
    summary: ExportSummary,
) -> None:
    """Write the Anki collection file: with progress, the review log on a second
    thread while the cards are numbered and the notes and cards written on
    this one.

    The notes need Python per note; the review log, the largest part, is
    copied in SQL alone (:class:`~osteo_learn.store.export.AnkiLogWriter`),
    and SQLite does not hold Python's lock while it works, so on two cores
    the two overlap. The notes and cards go to a second empty collection,
    moved over at the end with the decks. ``decks`` may be a function that
    reads them: it is called once the cards are numbered, so it sees every
    deck they belong to even if one was added a moment before.
    """
    # Note and card ids count milliseconds on from the export time, as in
    # genanki (ids are unique per table): notes by their number, cards by
    # their key in the store, which the log on the other thread knows too.
    first_id = int(timestamp * 1000)
    mod = int(timestamp)
    notes_file = collection.with_name("notes.anki2")
    with ThreadPoolExecutor(max_workers=1) as pool:
        if with_progress:
            writer = selection.log_writer()
            log = pool.submit(_write_review_log, writer, collection, timestamp, first_card_id=first_id)
        try:
            summary.notes, _ = selection.counts()
            for kind, count in selection.cards_by_kind().items():
                summary.cards[Kind(kind)] = count
            infos = {deck.id: deck for deck in (decks() if callable(decks) else decks)}
            deck_infos = [infos[deck_id] for deck_id in selection.deck_ids()]
            anki_decks = {deck.id: models.deck_id(deck.id) for deck in deck_infos}
            if not with_progress:
                _write_empty_collection(collection, timestamp)
            _write_empty_collection(notes_file, timestamp)
            indexes = _drop_indexes(notes_file, ("notes", "cards"))
            _write_notes(notes_file, selection, first_id, mod)
            creation_day, reviewed = progress.schedules(selection, with_progress)
            selection.write_anki_cards(
                notes_file,
                first_card_id=first_id,
                first_note_id=first_id,
                anki_decks=anki_decks,
                mod=mod,
                creation_day=creation_day if with_progress else None,
            )
            _create_indexes(notes_file, indexes)
            logged = log.result() if with_progress else None
        except BaseException:
            if with_progress:
                writer.cancel()
            raise
    if logged is not None:
        if logged.cards != selection.fingerprint():
            raise SelectionChanged("the cards changed while the export ran (a deck was synced meanwhile); nothing was written, run it again")
        summary.revlog = logged.entries
    summary.decks = len(deck_infos)
    summary.reviewed = reviewed
    _move_tables(collection, notes_file, ("notes", "cards"))
    _write_decks(collection, deck_infos, timestamp)
    _write_collection_config(collection, creation_day, day_start_hour, summary.notes)


def _write_empty_collection(path: Path, timestamp: float) -> None:
    """genanki's empty collection: its tables and the collection's row."""
    import genanki

    conn = _open_collection(path)
    try:
        genanki.Package([]).write_to_db(conn.cursor(), timestamp, itertools.count())
        conn.commit()
    finally:
        conn.close()


def _write_decks(collection: Path, decks: Sequence[DeckInfo], timestamp: float) -> None:
    """The parent deck and each deck, with the note types, as genanki writes them."""
    import genanki

    conn = _open_collection(collection)
    try:
        cursor = conn.cursor()
        ids = itertools.count()
        genanki.Deck(models.PARENT_DECK_ID, models.PARENT_DECK_NAME).write_to_db(cursor, timestamp, ids)
        note_types = models.models()
        for deck in decks:
            anki_deck = genanki.Deck(models.deck_id(deck.id), models.deck_name(clean(deck.title)), text_html(deck.description))
            for model in note_types.values():
                anki_deck.add_model(model)
            anki_deck.write_to_db(cursor, timestamp, ids)
        conn.commit()
    finally:
        conn.close()


def _write_review_log(writer: AnkiLogWriter, collection: Path, timestamp: float, *, first_card_id: int) -> WrittenLog:
    """On the second thread: the empty collection, then the review log, then its indexes."""
    _write_empty_collection(collection, timestamp)
    indexes = _drop_indexes(collection, ("revlog",))
    logged = writer.write(collection, first_card_id=first_card_id)
    _create_indexes(collection, indexes)
    damaged = writer.damaged_answer(collection)
    if damaged is not None:
        raise damaged
    return logged


def _write_notes(notes_file: Path, selection: ExportSelection, first_id: int, mod: int) -> None:
    conn = _open_collection(notes_file)
    try:
        conn.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, 0, 0, '')", note_rows(selection, first_id, mod))
        conn.commit()
    finally:
        conn.close()


def _move_tables(collection: Path, source: Path, tables: tuple[str, ...]) -> None:
    conn = _open_collection(collection)
    try:
        conn.execute("ATTACH DATABASE ? AS source", (str(source),))
        # Each table has the same columns and indexes in both files, and the
        # collection's is empty: SQLite copies the table and its indexes as
        # they are, without sorting anything again.
        for table in tables:
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM source.{table}")
        conn.commit()
        conn.execute("DETACH DATABASE source")
    finally:
        conn.close()


def _open_collection(path: Path) -> sqlite3.Connection:
    """A connection to a collection being built: a crash leaves a file that is thrown away, so no journal."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def _drop_indexes(path: Path, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes of ``tables`` in a collection file; return the SQL that makes
    them again. Bulk inserts go faster with the indexes built once at the end."""
    conn = _open_collection(path)
    try:
        marks = ", ".join("?" * len(tables))
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})", tables
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        return [sql for _, sql in indexes]
    finally:
        conn.close()


def _create_indexes(path: Path, indexes: list[str]) -> None:
    conn = _open_collection(path)
    try:
        for sql in indexes:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _write_collection_config(collection: Path, creation_day: date, day_start_hour: int, next_position: int) -> None:
    conn = _open_collection(collection)
    try:
        (conf_text,) = conn.execute("SELECT conf FROM col").fetchone()
        conf = json.loads(conf_text)
        conf.update(
            {
                # Version 2: Anki then converts nothing on import (a version 1
                # collection would get learning cards and review log rewritten,
                # and a creation offset taken from the importing device).
                "schedVer": 2,
                # Minutes west of UTC at creation: the creation day is read in UTC.
                "creationOffset": 0,
                "rollover": day_start_hour,
                "nextPos": next_position,
            }
        )
        crt = int(datetime.combine(creation_day, datetime.min.time(), timezone.utc).timestamp())
        conn.execute("UPDATE col SET crt = ?, conf = ?", (crt, json.dumps(conf)))
        conn.commit()
    finally:
        conn.close()
