"""Export to Anki: validated cards, and optionally the student's progress, in; an .apkg out.

The cards come from the store (:meth:`~osteo_learn.store.Store.export_selection`),
which holds exactly what the validated deck files said at the last sync,
together with each card's schedule and id. genanki creates the Anki
collection with the note types (:mod:`osteo_learn.anki_models`) and the
decks; the notes and cards go in as genanki writes them, row for row (note
ids count milliseconds on from the export time in deck order, card ids
from the same time by the card's key in the store). The notes take one
Python step each (their fields, tags and GUID); the cards, with progress
their schedules, and the review log are copied by the store in SQL alone,
the log on a second thread at the same time (see :func:`_write_collection`).
The export only reads the student's database, and streams it: memory stays
small whatever the collection's size.

What Anki does on import, and what follows here (Anki 26.09):

- A note is matched by its GUID, which derives from the deck id and the card
  id only (:func:`note_guid`), so an edited card updates its note instead of
  adding a duplicate. Anki updates a note only when the package's note is
  newer, so notes carry the export time (``timestamp``), never a fixed one.
- A review card's ``due`` counts days from the collection's creation day
  (``crt``); the importer shifts it by the difference between the package's
  "today" and the collection's, which keeps the calendar date. The package
  says scheduler version 2 (so Anki converts nothing), ``creationOffset`` 0
  (the creation day is read in UTC, as written here, whatever the importing
  device's time zone) and the student's day-start hour as ``rollover``.
- Scheduling arrives only for cards new to the Anki collection, and only
  when the student ticks "Import any learning progress"; a card already
  there keeps its Anki schedule. Review log entries are matched by id, which
  is the answer's instant in milliseconds (see :mod:`osteo_learn.anki_progress`),
  so importing twice adds none twice.

How SM-2 progress maps onto Anki's scheduling is in
:mod:`osteo_learn.anki_progress`. Retired cards are not exported.
"""

from __future__ import annotations

import functools
import hashlib
import html
import itertools
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from osteo_learn import anki_models
from osteo_learn.cards import Card, Kind
from osteo_learn.errors import OsteoError
from osteo_learn.store import Store
from osteo_learn.store_export import AnkiLogWriter, ExportSelection, WrittenLog
from osteo_learn.terminal import clean

class ExportError(OsteoError):
    """The package cannot be written; an existing file at the path was left as it was."""


class NothingToExport(ExportError):
    """No card matched what was asked for."""


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


def note_guid(deck_id: str, card_id: str) -> str:
    """A note's GUID: from the deck id and card id only, never from the card's text.

    The very string ``genanki.guid_for(deck_id, card_id)`` gives (the first
    8 bytes of the SHA-256 of ``"<deck id>__<card id>"`` written in Anki's
    base 91), computed two base-91 digits at a time.
    """
    number = int.from_bytes(hashlib.sha256(f"{deck_id}__{card_id}".encode()).digest()[:8], "big")
    pairs = _base91_pairs()
    # 91**10 > 2**64: five pairs of digits hold any 8 bytes.
    rest, e = divmod(number, 8281)
    rest, d = divmod(rest, 8281)
    rest, c = divmod(rest, 8281)
    a, b = divmod(rest, 8281)
    # Anki's form starts at the first nonzero digit ("a" is zero).
    return (pairs[a] + pairs[b] + pairs[c] + pairs[d] + pairs[e]).lstrip("a")


@functools.cache
def _base91_pairs() -> tuple[str, ...]:
    """Every two-digit number in Anki's base 91, as text, by value (91 * 91 = 8281)."""
    from genanki.util import BASE91_TABLE

    return tuple(high + low for high in BASE91_TABLE for low in BASE91_TABLE)


def text_html(text: str) -> str:
    """Plain card text as HTML: ``<``, ``>``, ``&`` and quotes escaped, line breaks kept.

    Terminal escape sequences and control characters are dropped, as on the
    review screen (:func:`osteo_learn.terminal.clean`): they mean nothing in
    HTML, and Anki would show what follows an ESC as stray text.
    """
    # Every character clean() removes is unprintable: printable text is left as it is.
    if not text.isprintable():
        text = clean(text)
    escaped = html.escape(text)
    if "\n" in escaped:
        escaped = escaped.replace("\r\n", "\n").replace("\n", "<br>")
    return escaped


def _joined_html(texts: tuple[str, ...]) -> str:
    """``"\x1f".join(map(text_html, texts))``, Anki's field separator between,
    escaped in one pass when every text is printable (the common case)."""
    for text in texts:
        if not text.isprintable():
            return "\x1f".join(map(text_html, texts))
    # Escaping works character by character and leaves \x1f alone.
    return html.escape("\x1f".join(texts))


def _options_html(options: Sequence[str], answer: str) -> str:
    right = options.index(answer)
    items = "".join(
        f'<li class="ol-correct">{text_html(option)}</li>' if index == right else f"<li>{text_html(option)}</li>"
        for index, option in enumerate(options)
    )
    return f'<ol class="ol-options">{items}</ol>'


def _answer_html(options: Sequence[str], answer: str) -> str:
    letter = chr(ord("A") + options.index(answer))
    return f"{letter}. {text_html(answer)}"


def note_fields(card: Card) -> list[str]:
    """The note's fields, in the order of its note type (:mod:`osteo_learn.anki_models`)."""
    return _FIELDS[card.kind](vars(card.content), card.source).split("\x1f")


# A card's content (its fields as stored, by name) and its source -> the
# note's fields as HTML, joined by Anki's separator, by kind. (Escaped text
# holds no \x1f: text_html drops control characters.)
_FIELDS = {
    Kind.BASIC: lambda data, source: _joined_html((data["front"], data["back"], source)),
    Kind.CLOZE: lambda data, source: _joined_html((data["text"], data.get("extra", ""), source)),
    Kind.VIGNETTE: lambda data, source: "\x1f".join(
        (
            _joined_html((data["stem"], data["question"])),
            _options_html(data["options"], data["answer"]),
            _answer_html(data["options"], data["answer"]),
            _joined_html((data["explanation"], source)),
        )
    ),
}


def note_tags(deck_id: str, card: Card) -> list[str]:
    """Hierarchical Anki tags: the deck, the kind, and each of the card's tags."""
    prefix = anki_models.TAG_PREFIX
    return [f"{prefix}::deck::{deck_id}", f"{prefix}::kind::{card.kind}", *(f"{prefix}::tag::{t}" for t in card.tags)]


def export_package(
    path: Path,
    decks: Sequence[DeckInfo],
    selection: ExportSelection,
    *,
    timestamp: float,
    with_progress: bool = False,
    day_start_hour: int = 4,
) -> ExportSummary:
    """Write an Anki package of the ``selection``'s cards to ``path``; return what it holds.

    Every deck of the selection is in ``decks``. With progress, the package
    carries the cards' schedules and their answers as the review log.
    ``timestamp`` (seconds since the epoch) stamps the notes and seeds their
    ids, so the same input and timestamp give the same package. Notes, cards
    and answers are streamed from the store, so an export of any size needs
    little memory. The file at ``path`` is replaced only once the new
    package is completely written.
    """
    path = Path(path)
    if selection.is_empty():
        raise NothingToExport("no cards to export; nothing was written")
    folder = _writable_folder(path)
    summary = ExportSummary(path=path, with_progress=with_progress)
    fd, temp_name = _temp_file(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as out:
            with tempfile.TemporaryDirectory(prefix="osteo-learn-export-") as work:
                collection = Path(work) / "collection.anki2"
                try:
                    _write_collection(collection, decks, selection, timestamp, with_progress, day_start_hour, summary)
                except (OSError, sqlite3.OperationalError) as error:
                    raise ExportError(
                        f"cannot write {path}: building it in the temporary folder {Path(work).parent} failed"
                        f" ({_failure(error)}); nothing was changed"
                    ) from None
                _zip(out, collection, timestamp)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException as error:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):
            raise ExportError(f"cannot write {path}: {error.strerror or error}; nothing was changed") from None
        raise
    _fsync_folder(folder)
    summary.size = path.stat().st_size
    return summary


def _failure(error: OSError | sqlite3.OperationalError) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return "the disk is full" if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL" else str(error)


# -- the target file ------------------------------------------------------


def _writable_folder(path: Path) -> Path:
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give the path of the .apkg file to write")
    folder = path.parent
    if not folder.exists():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: {folder} is not a folder")
    return folder


def _temp_file(folder: Path, name: str) -> tuple[int, str]:
    """A new file beside the target, with the mode the target has or would get."""
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise ExportError(f"cannot write to the folder {folder}: {error.strerror}") from None
    try:
        mode = (folder / name).stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        os.chmod(temp_name, mode)
    except OSError:
        pass
    return fd, temp_name


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the system allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _zip(out, collection: Path, timestamp: float) -> None:
    # Fixed entry times make the package depend on its input and timestamp only.
    stamp = datetime.fromtimestamp(max(timestamp, 315532800), timezone.utc).timetuple()[:6]
    # Stored, not compressed, as genanki does: compressing costs more time
    # than the rest of a large export's extras together.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as package:
        info = zipfile.ZipInfo("collection.anki2", stamp)
        with collection.open("rb") as source, package.open(info, "w") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        media = zipfile.ZipInfo("media", stamp)
        package.writestr(media, "{}")


# -- the collection -------------------------------------------------------


def _write_collection(
    collection: Path,
    decks: Sequence[DeckInfo],
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
    copied in SQL alone (:class:`~osteo_learn.store_export.AnkiLogWriter`),
    and SQLite does not hold Python's lock while it works, so on two cores
    the two overlap. The notes and cards go to a second empty collection,
    moved over at the end with the decks.
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
            infos = {deck.id: deck for deck in decks}
            deck_infos = [infos[deck_id] for deck_id in selection.deck_ids()]
            anki_decks = {deck.id: anki_models.deck_id(deck.id) for deck in deck_infos}
            if not with_progress:
                _write_empty_collection(collection, timestamp)
            _write_empty_collection(notes_file, timestamp)
            indexes = _drop_indexes(notes_file, ("notes", "cards"))
            _write_notes(notes_file, selection, first_id, mod)
            written = selection.write_anki_cards(
                notes_file, first_card_id=first_id, first_note_id=first_id, anki_decks=anki_decks, mod=mod, with_progress=with_progress
            )
            _create_indexes(notes_file, indexes)
            logged = log.result() if with_progress else None
        except BaseException:
            if with_progress:
                writer.cancel()
            raise
    if logged is not None:
        if logged.cards != selection.fingerprint():
            raise ExportError("the cards changed while the export ran (a deck was synced meanwhile); nothing was written, run it again")
        summary.revlog = logged.entries
    summary.decks = len(deck_infos)
    summary.reviewed = written.reviewed
    _move_tables(collection, notes_file, ("notes", "cards"))
    _write_decks(collection, deck_infos, timestamp)
    _write_collection_config(collection, written.creation_day, day_start_hour, summary.notes)


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
        genanki.Deck(anki_models.PARENT_DECK_ID, anki_models.PARENT_DECK_NAME).write_to_db(cursor, timestamp, ids)
        models = anki_models.models()
        for deck in decks:
            anki_deck = genanki.Deck(anki_models.deck_id(deck.id), anki_models.deck_name(clean(deck.title)), text_html(deck.description))
            for model in models.values():
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
    return logged


def _write_notes(notes_file: Path, selection: ExportSelection, first_id: int, mod: int) -> None:
    conn = _open_collection(notes_file)
    try:
        conn.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, 0, 0, '')", _note_rows(selection, first_id, mod))
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


def _note_rows(selection: ExportSelection, first_id: int, mod: int) -> Iterator[tuple]:
    """Rows of Anki's ``notes`` table (less the constant columns), as genanki writes them."""
    model_ids = {
        Kind.BASIC: anki_models.BASIC_MODEL_ID,
        Kind.CLOZE: anki_models.CLOZE_MODEL_ID,
        Kind.VIGNETTE: anki_models.VIGNETTE_MODEL_ID,
    }
    prefix = anki_models.TAG_PREFIX
    card_tag = f"{prefix}::tag::"
    between = f" {card_tag}"
    # The tags of a note, space-separated with a space either side, start with its deck and kind.
    heads: dict[tuple[str, str], str] = {}
    guid, loads, fields_of = note_guid, json.loads, _FIELDS
    for number, deck_id, card_id, kind, tags, content, source in selection.notes():
        tag_text = heads.get((deck_id, kind))
        if tag_text is None:
            tag_text = heads[deck_id, kind] = f" {prefix}::deck::{deck_id} {prefix}::kind::{kind} "
        if tags:
            tag_text += card_tag + between.join(tags.split()) + " "
        fields = fields_of[kind](loads(content), source)
        # The sort field is the first.
        yield (first_id + number, guid(deck_id, card_id), model_ids[kind], mod, tag_text, fields, fields.partition("\x1f")[0])


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


# -- reading the store ----------------------------------------------------


def summary_lines(summary: ExportSummary) -> list[str]:
    """What the export wrote and how to import it, for the terminal."""
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary.cards.items() if count)
    lines = [
        f"Wrote {summary.path} ({_size(summary.size)}): {_count(summary.decks, 'deck')}, "
        f"{_count(summary.notes, 'note')}, {_count(summary.card_total, 'card')} ({kinds})."
    ]
    if summary.with_progress:
        new = summary.card_total - summary.reviewed
        lines.append(
            f"Progress: {_count(summary.reviewed, 'reviewed card')} with {'its' if summary.reviewed == 1 else 'their'} schedule, "
            f"{_count(summary.revlog, 'answer')} in the review history; "
            f"{_count(new, 'card')} {'arrives' if new == 1 else 'arrive'} as new."
        )
        tick = 'tick "Import any learning progress" to keep your schedule'
    else:
        lines.append("Progress: not included; every card arrives as new (add --with-progress to carry your schedule).")
        tick = "the default options are right"
    lines.append(
        "To import: open the file with Anki (desktop: File > Import; AnkiDroid: menu > Import; "
        f"AnkiMobile: share it to AnkiMobile) and {tick}."
    )
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def default_file_name(deck_ids: Sequence[str]) -> str:
    """``<deck id>.apkg`` for one deck, else ``osteo-learn.apkg``."""
    return f"{deck_ids[0]}.apkg" if len(deck_ids) == 1 else "osteo-learn.apkg"


def export_from_store(
    store: Store,
    path: Path,
    *,
    deck_ids: Sequence[str] = (),
    tags: Sequence[str] = (),
    with_progress: bool = False,
    timestamp: float,
    day_start_hour: int = 4,
) -> ExportSummary:
    """Export the store's cards (narrowed by deck and tag), and with progress their schedules and logs.

    The cards come from the store rather than from the deck files: the store
    holds exactly what the validated files said at the last sync (every
    command syncs first), keeps the cards of an added deck whose file has
    gone missing, and gives content, schedule and deck order in one read.
    """
    decks = [
        DeckInfo(record.id, record.title, f"From the article \u201c{record.source_title}\u201d.")
        for record in store.deck_records()
        if not deck_ids or record.id in deck_ids
    ]
    try:
        with store.export_selection(deck_ids, tags) as selection:
            return export_package(
                path, decks, selection, timestamp=timestamp, with_progress=with_progress, day_start_hour=day_start_hour
            )
    except NothingToExport:
        wanted = f" with tag {', '.join(tags)}" if tags else ""
        raise NothingToExport(f"no cards to export{wanted}; nothing was written") from None
