"""Export to Anki: validated cards, and optionally the student's progress, in; an .apkg out.

The cards come from the store (:class:`~osteo_learn.store.StoredCard`), which
holds exactly what the validated deck files said at the last sync, together
with each card's schedule and id. genanki writes the notes, the note types
(:mod:`osteo_learn.anki_models`) and the decks into an Anki collection;
with progress, this module then sets the scheduling columns and the review
log in that collection, which genanki leaves alone.

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
  is the answer's instant in milliseconds, so importing twice adds none twice.

How SM-2 progress maps onto Anki's scheduling is in
:mod:`osteo_learn.anki_progress`. Retired cards are not exported.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import groupby
from pathlib import Path

from osteo_learn import anki_models
from osteo_learn.anki_progress import DEFAULT_CREATION_DAY, Progress
from osteo_learn.cards import Basic, Card, Cloze, Kind, Vignette
from osteo_learn.errors import OsteoError
from osteo_learn.store import LoggedAnswer, Store, StoredCard
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
    """A note's GUID: from the deck id and card id only, never from the card's text."""
    import genanki

    return genanki.guid_for(deck_id, card_id)


def text_html(text: str) -> str:
    """Plain card text as HTML: ``<``, ``>``, ``&`` and quotes escaped, line breaks kept.

    Terminal escape sequences and control characters are dropped, as on the
    review screen (:func:`osteo_learn.terminal.clean`): they mean nothing in
    HTML, and Anki would show what follows an ESC as stray text.
    """
    escaped = html.escape(clean(text))
    if "\n" in escaped:
        escaped = escaped.replace("\r\n", "\n").replace("\n", "<br>")
    return escaped


def options_html(vignette: Vignette) -> str:
    """The options as an HTML list; the right one has the class ``ol-correct``."""
    right = vignette.answer_index
    items = "".join(
        f'<li class="ol-correct">{text_html(option)}</li>' if index == right else f"<li>{text_html(option)}</li>"
        for index, option in enumerate(vignette.options)
    )
    return f'<ol class="ol-options">{items}</ol>'


def answer_html(vignette: Vignette) -> str:
    letter = chr(ord("A") + vignette.answer_index)
    return f"{letter}. {text_html(vignette.answer)}"


def note_fields(card: Card) -> list[str]:
    """The note's fields, in the order of its note type (:mod:`osteo_learn.anki_models`)."""
    content, source = card.content, text_html(card.source)
    if isinstance(content, Basic):
        return [text_html(content.front), text_html(content.back), source]
    if isinstance(content, Cloze):
        return [text_html(content.text), text_html(content.extra), source]
    return [
        text_html(content.stem),
        text_html(content.question),
        options_html(content),
        answer_html(content),
        text_html(content.explanation),
        source,
    ]


def note_tags(deck_id: str, card: Card) -> list[str]:
    """Hierarchical Anki tags: the deck, the kind, and each of the card's tags."""
    prefix = anki_models.TAG_PREFIX
    return [f"{prefix}::deck::{deck_id}", f"{prefix}::kind::{card.kind}", *(f"{prefix}::tag::{t}" for t in card.tags)]


def export_package(
    path: Path,
    decks: Sequence[DeckInfo],
    cards: Iterable[StoredCard],
    *,
    timestamp: float,
    answers: Iterable[LoggedAnswer] | None = None,
    day_start_hour: int = 4,
) -> ExportSummary:
    """Write an Anki package of ``cards`` to ``path``; return what it holds.

    ``cards`` come in deck order, the cards of one deck entry (the deletions
    of a cloze) next to each other; every card's deck is in ``decks``. They
    are read one at a time, so an export of any size needs little memory.
    ``answers`` given, the package carries the progress: the cards' states
    become their Anki schedules and the answers (those of these cards, in
    the order they were given) the review log. ``timestamp`` (seconds since
    the epoch) stamps the notes and seeds their ids, so the same input and
    timestamp give the same package. The file at ``path`` is replaced only
    once the new package is completely written.
    """
    path = Path(path)
    folder = _writable_folder(path)
    summary = ExportSummary(path=path, with_progress=answers is not None)
    fd, temp_name = _temp_file(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as out:
            with tempfile.TemporaryDirectory(prefix="osteo-learn-export-") as work:
                collection = Path(work) / "collection.anki2"
                _write_collection(collection, decks, cards, timestamp, answers, day_start_hour, summary)
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
    cards: Iterable[StoredCard],
    timestamp: float,
    answers: Iterable[LoggedAnswer] | None,
    day_start_hour: int,
    summary: ExportSummary,
) -> None:
    import sqlite3

    import genanki

    conn = sqlite3.connect(collection)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        cursor = conn.cursor()
        # Note and card ids count milliseconds on from the export time, as in genanki.
        ids = itertools.count(int(timestamp * 1000))
        genanki.Package([]).write_to_db(cursor, timestamp, ids)
        # Bulk writing goes faster with the secondary indexes built once at the end.
        indexes = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        genanki.Deck(anki_models.PARENT_DECK_ID, anki_models.PARENT_DECK_NAME).write_to_db(cursor, timestamp, ids)
        models = anki_models.models()
        infos = {deck.id: deck for deck in decks}
        progress = Progress() if answers is not None else None
        anki_deck_id = None
        current_deck = None
        position = 0
        for (deck_id, _), group in groupby(cards, key=lambda stored: stored.sibling_key):
            if deck_id != current_deck:
                anki_deck_id = _write_deck(cursor, infos[deck_id], models, timestamp, ids)
                current_deck = deck_id
                summary.decks += 1
            siblings = list(group)
            card = siblings[0].card
            note = genanki.Note(
                model=models[card.kind],
                fields=note_fields(card),
                tags=note_tags(deck_id, card),
                guid=note_guid(deck_id, card.id),
                due=position,
            )
            note.write_to_db(cursor, timestamp, anki_deck_id, ids)
            if progress is not None:
                progress.add(siblings, note.cards, cursor.lastrowid)
            position += 1
            summary.notes += 1
            summary.cards[card.kind] += len(siblings)
        if not summary.notes:
            raise NothingToExport("no cards to export; nothing was written")
        creation_day = DEFAULT_CREATION_DAY
        if progress is not None:
            creation_day = progress.creation_day
            summary.reviewed = progress.write_cards(cursor)
            summary.revlog = progress.write_log(cursor, answers)
        _write_collection_config(cursor, creation_day, day_start_hour, position)
        for _, sql in indexes:
            cursor.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _write_deck(cursor, deck: DeckInfo, models: dict, timestamp: float, ids: Iterator[int]) -> int:
    import genanki

    anki_deck = genanki.Deck(anki_models.deck_id(deck.id), anki_models.deck_name(clean(deck.title)), text_html(deck.description))
    for model in models.values():
        anki_deck.add_model(model)
    anki_deck.write_to_db(cursor, timestamp, ids)
    return anki_deck.deck_id


def _write_collection_config(cursor, creation_day: date, day_start_hour: int, next_position: int) -> None:
    (conf_text,) = cursor.execute("SELECT conf FROM col").fetchone()
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
    cursor.execute("UPDATE col SET crt = ?, conf = ?", (crt, json.dumps(conf)))


# -- reading the store ----------------------------------------------------


def summary_lines(summary: ExportSummary) -> list[str]:
    """What the export wrote and how to import it, for the terminal."""
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary.cards.items() if count)
    decks = f"{summary.decks} deck" + ("s" if summary.decks != 1 else "")
    lines = [
        f"Wrote {summary.path} ({_size(summary.size)}): {decks}, {summary.notes} notes, "
        f"{summary.card_total} cards ({kinds})."
    ]
    if summary.with_progress:
        lines.append(
            f"Progress: {summary.reviewed} reviewed cards with their schedule, "
            f"{summary.revlog} answers in the review history; "
            f"{summary.card_total - summary.reviewed} cards arrive as new."
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
    answers = store.standing_answers(deck_ids, tags) if with_progress else None
    try:
        return export_package(
            path,
            decks,
            store.each_card(deck_ids, tags),
            timestamp=timestamp,
            answers=answers,
            day_start_hour=day_start_hour,
        )
    except NothingToExport:
        wanted = f" with tag {', '.join(tags)}" if tags else ""
        raise NothingToExport(f"no cards to export{wanted}; nothing was written") from None
