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

How SM-2 maps onto Anki:

- Grades 0, 1, 2 (failures) become Anki's Again (1); grade 3 (correct with
  serious difficulty) Hard (2); grade 4 (after hesitation) Good (3); grade 5
  (perfect) Easy (4).
- A card's first answer is logged as Anki's Learn type, a scheduled review
  as Review, and a same-day repeat (SM-2 rule 7) as Learn when the card was
  new that day, else as Relearn. Undone answers are left out.
- A reviewed card becomes a review card with the same interval, EF x 1000 as
  its factor, due date, repetitions (Anki's reps) and lapses; an unreviewed
  card stays new, in deck order. Retired cards are not exported.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path

from osteo_learn import anki_models, sm2
from osteo_learn.cards import Basic, Card, Cloze, Kind, Vignette
from osteo_learn.errors import OsteoError
from osteo_learn.store import Review, ReviewKind, StoredCard

# genanki's own collection creation time (2014-09-19 UTC); the package's
# collection is created on this day unless some exported date is earlier.
DEFAULT_CREATION_DAY = date(2014, 9, 19)

# Anki's card types and queues, and review log types.
_CARD_REVIEW = 2
_QUEUE_REVIEW = 2
_REVLOG_LEARN = 0
_REVLOG_REVIEW = 1
_REVLOG_RELEARN = 2

# SM-2 grade -> Anki answer button (1 Again, 2 Hard, 3 Good, 4 Easy).
ANKI_EASE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}

_INT32_MAX = 2**31 - 1


class ExportError(OsteoError):
    """The package cannot be written; an existing file at the path was left as it was."""


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
    """Plain card text as HTML: ``<``, ``>``, ``&`` and quotes escaped, line breaks kept."""
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")


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
    reviews: Mapping[int, Sequence[Review]] | None = None,
    day_start_hour: int = 4,
) -> ExportSummary:
    """Write an Anki package of ``cards`` to ``path``; return what it holds.

    ``cards`` come in deck order, the cards of one deck entry (the deletions
    of a cloze) next to each other; every card's deck is in ``decks``.
    ``reviews`` maps card numbers to their review logs (oldest first): given,
    the package carries the progress. ``timestamp`` (seconds since the epoch)
    stamps the notes and seeds their ids, so the same input and timestamp
    give the same package. The file at ``path`` is replaced only once the
    new package is completely written.
    """
    path = Path(path)
    folder = _writable_folder(path)
    summary = ExportSummary(path=path, with_progress=reviews is not None)
    fd, temp_name = _temp_file(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as out:
            with tempfile.TemporaryDirectory(prefix="osteo-learn-export-") as work:
                collection = Path(work) / "collection.anki2"
                _write_collection(collection, decks, cards, timestamp, reviews, day_start_hour, summary)
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
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        info = zipfile.ZipInfo("collection.anki2", stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
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
    reviews: Mapping[int, Sequence[Review]] | None,
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
        id_gen = _ids(timestamp)
        genanki.Package([]).write_to_db(cursor, timestamp, id_gen)
        models = anki_models.models()
        deck_ids = {deck.id: anki_models.deck_id(deck.id) for deck in decks}
        parent = genanki.Deck(anki_models.PARENT_DECK_ID, anki_models.PARENT_DECK_NAME)
        parent.write_to_db(cursor, timestamp, id_gen)
        for deck in decks:
            anki_deck = genanki.Deck(deck_ids[deck.id], anki_models.deck_name(deck.title), text_html(deck.description))
            for model in models.values():
                anki_deck.add_model(model)
            anki_deck.write_to_db(cursor, timestamp, id_gen)
        summary.decks = len(decks)

        scheduled: list[tuple[str, StoredCard]] = []
        position = 0
        for (deck_id, _), group in groupby(cards, key=lambda stored: stored.sibling_key):
            siblings = list(group)
            card = siblings[0].card
            guid = note_guid(deck_id, card.id)
            note = genanki.Note(
                model=models[card.kind],
                fields=note_fields(card),
                tags=note_tags(deck_id, card),
                guid=guid,
                due=position,
            )
            note.write_to_db(cursor, timestamp, deck_ids[deck_id], id_gen)
            position += 1
            summary.notes += 1
            summary.cards[card.kind] += len(siblings)
            if reviews is not None:
                scheduled.extend((guid, stored) for stored in siblings)

        creation_day = DEFAULT_CREATION_DAY
        if reviews is not None:
            creation_day = _creation_day(scheduled, reviews)
            _write_progress(cursor, scheduled, reviews, creation_day, summary)
        _write_collection_config(cursor, creation_day, day_start_hour, position)
        conn.commit()
    finally:
        conn.close()


def _ids(timestamp: float) -> Iterator[int]:
    """Note and card ids: milliseconds from the export time on, as genanki does."""
    next_id = int(timestamp * 1000)
    while True:
        yield next_id
        next_id += 1


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


# -- progress -------------------------------------------------------------


def _standing(log: Sequence[Review]) -> list[Review]:
    return [review for review in log if review.undone_at is None]


def _creation_day(scheduled: Sequence[tuple[str, StoredCard]], reviews: Mapping[int, Sequence[Review]]) -> date:
    """The collection's creation day: no later than any exported date, so no ``due`` is negative."""
    earliest = DEFAULT_CREATION_DAY
    for _, stored in scheduled:
        for review in reviews.get(stored.pk, ()):
            if review.day < earliest:
                earliest = review.day
        if stored.state.due is not None and stored.state.due < earliest:
            earliest = stored.state.due
    return earliest


def _write_progress(
    cursor,
    scheduled: Sequence[tuple[str, StoredCard]],
    reviews: Mapping[int, Sequence[Review]],
    creation_day: date,
    summary: ExportSummary,
) -> None:
    anki_card = {
        (guid, ord_): card_id
        for guid, ord_, card_id in cursor.execute("SELECT n.guid, c.ord, c.id FROM cards c JOIN notes n ON n.id = c.nid")
    }
    card_rows = []
    log_rows = []
    for guid, stored in scheduled:
        card_id = anki_card[(guid, _anki_ord(stored))]
        state = stored.state
        if isinstance(state, sm2.ReviewedCard):
            card_rows.append(
                (
                    _CARD_REVIEW,
                    _QUEUE_REVIEW,
                    (state.due - creation_day).days,
                    state.interval,
                    state.ease * 10,
                    state.repetitions,
                    state.lapses,
                    card_id,
                )
            )
        log_rows.extend(_revlog_rows(card_id, _standing(reviews.get(stored.pk, ()))))
    cursor.executemany(
        "UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, left = 0"
        " WHERE id = ?",
        card_rows,
    )
    # Review log ids are the answers' instants in milliseconds, made unique
    # by moving a clash one millisecond on (in the order of the answers).
    log_rows.sort(key=lambda row: (row[0], row[1]))
    rows, last = [], None
    for instant_ms, _, *values in log_rows:
        entry_id = instant_ms if last is None or instant_ms > last else last + 1
        rows.append((entry_id, *values))
        last = entry_id
    cursor.executemany(
        "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    summary.reviewed = len(card_rows)
    summary.revlog = len(rows)


def _anki_ord(stored: StoredCard) -> int:
    """Anki's card ordinal: the cloze number minus one, else the only template, 0."""
    return stored.ordinal - 1 if stored.card.kind is Kind.CLOZE else 0


def _revlog_rows(card_id: int, log: Sequence[Review]) -> list[tuple]:
    rows = []
    new_day: date | None = None
    for review in log:
        if review.kind == ReviewKind.NEW:
            kind, new_day = _REVLOG_LEARN, review.day
            last_interval = 0
        elif review.kind == ReviewKind.REVIEW:
            kind, last_interval = _REVLOG_REVIEW, review.before.interval
        else:
            kind = _REVLOG_LEARN if review.day == new_day else _REVLOG_RELEARN
            last_interval = review.after.interval
        rows.append(
            (
                _instant_ms(review.reviewed_at),
                review.id,
                card_id,
                ANKI_EASE[int(review.grade)],
                review.after.interval,
                last_interval,
                review.after.ease * 10,
                min(review.duration_ms, _INT32_MAX),
                kind,
            )
        )
    return rows


def _instant_ms(text: str) -> int:
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return int(instant.timestamp() * 1000)


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
    store,
    path: Path,
    *,
    deck_ids: Sequence[str] = (),
    tags: Sequence[str] = (),
    with_progress: bool = False,
    timestamp: float,
    day_start_hour: int = 4,
) -> ExportSummary:
    """Export the store's cards (narrowed by deck and tag), and with progress their schedules and logs."""
    records = [record for record in store.deck_records() if not deck_ids or record.id in deck_ids]
    stored = store.cards(deck_ids, tags)
    if not stored:
        wanted = f" with tag {', '.join(tags)}" if tags else ""
        raise ExportError(f"no cards to export{wanted}; nothing was written")
    rank = {record.id: index for index, record in enumerate(records)}
    stored.sort(key=lambda card: rank[card.deck_id])  # stable: keeps each deck's order
    present = {card.deck_id for card in stored}
    decks = [DeckInfo(r.id, r.title, f"From the article \u201c{r.source_title}\u201d.") for r in records if r.id in present]
    reviews = None
    if with_progress:
        wanted_pks = {card.pk for card in stored}
        reviews = {}
        for review in store.reviews():
            if review.card_pk in wanted_pks:
                reviews.setdefault(review.card_pk, []).append(review)
    return export_package(
        path, decks, stored, timestamp=timestamp, reviews=reviews, day_start_hour=day_start_hour
    )
