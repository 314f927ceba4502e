"""Export to Anki: validated cards, and optionally the student's progress, in; an .apkg out.

The cards come from the store (:meth:`~osteo_learn.store.export.Export.selection`),
which holds exactly what the validated deck files said at the last sync,
together with each card's schedule and id. The collection inside the
package is written by :mod:`osteo_learn.anki.collection`; this module
writes the package file around it, safely, and says what it holds.
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
  is the answer's instant in milliseconds (see :mod:`osteo_learn.anki.progress`),
  so importing twice adds none twice.

How SM-2 progress maps onto Anki's scheduling is in
:mod:`osteo_learn.anki.progress`. Retired cards are not exported.
"""

from __future__ import annotations

import os
import sqlite3
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from osteo_learn.anki.collection import DeckInfo, ExportError, ExportSummary, SelectionChanged, write_collection
from osteo_learn.core.files import reason
from osteo_learn.core.text import shown
from osteo_learn.store import Store
from osteo_learn.store.export import ExportSelection
from osteo_learn.system import paths, scratch


ATTEMPTS = 3
"""How many times an export is built when a deck is synced meanwhile by another process."""


class NothingToExport(ExportError):
    """No card matched what was asked for."""


class OverwriteRefused(ExportError):
    """The package would replace the database, one of its side files, or a deck or source file."""

    def __init__(self, path: Path, what: str):
        self.path = path
        self.what = what
        super().__init__(f"the package {shown(path, 1000)} would replace {what}; nothing was written: give another path with -o")


def export_package(
    path: Path,
    decks: Sequence[DeckInfo] | Callable[[], Sequence[DeckInfo]],
    selection: ExportSelection,
    *,
    timestamp: float,
    with_progress: bool = False,
    day_start_hour: int = 4,
) -> ExportSummary:
    """Write an Anki package of the ``selection``'s cards to ``path``; return what it holds.

    Every deck of the selection is in ``decks``, or in what it returns when
    it is a function reading them (see
    :func:`~osteo_learn.anki.collection.write_collection`). With progress,
    the package carries the cards' schedules and their answers as the
    review log.
    ``timestamp`` (seconds since the epoch) stamps the notes and seeds their
    ids, so the same input and timestamp give the same package. Notes, cards
    and answers are streamed from the store, so an export of any size needs
    little memory.

    Everything is built in one scratch folder beside ``path``
    (:mod:`osteo_learn.system.scratch`), SQLite's own temporary files (the
    sorting of an index) included, so the system's temporary folder is not
    used; and the
    finished package replaces the file at ``path`` with one rename. The
    scratch folder goes on every way out Python sees, and the next export to
    that folder removes one a killed export left. An error is raised only
    when ``path`` was not written: once it is, nothing that follows fails
    the export. If another process syncs a deck while the collection is
    written, it is written again from the cards as they are then (up to
    :data:`ATTEMPTS` times).
    """
    path = Path(path)
    if selection.is_empty():
        raise NothingToExport("no cards to export; nothing was written")
    selection.check()
    folder = _writable_folder(path)
    scratch.sweep(folder)  # what exports killed before left here
    try:
        work = scratch.Scratch.make(path)
    except OSError as error:
        raise ExportError(f"cannot write to the folder {folder}: {reason(error)}") from None
    try:
        collection = work.path / "collection.anki2"
        package = work.path / "package.apkg"
        try:
            for attempt in range(1, ATTEMPTS + 1):
                summary = ExportSummary(path=path, with_progress=with_progress)
                try:
                    with _sqlite_temporary_files_in(work.path):
                        write_collection(collection, decks, selection, timestamp, with_progress, day_start_hour, summary)
                    break
                except SelectionChanged:
                    # Another process synced a deck meanwhile: build it again from the cards as they are now.
                    if attempt == ATTEMPTS:
                        raise
                    for built in work.path.glob("*.anki2"):
                        built.unlink()
                    selection.renumber()
            with package.open("wb") as out:
                _zip(out, collection, timestamp)
                out.flush()
                os.fsync(out.fileno())
            _give_mode(package, path)
            summary.size = package.stat().st_size
            os.replace(package, path)
        except (OSError, sqlite3.OperationalError) as error:
            raise ExportError(f"cannot write {path}: building it in {folder} failed ({_failure(error)}); nothing was changed") from None
    finally:
        work.remove()
    _fsync_folder(folder)
    return summary


@contextmanager
def _sqlite_temporary_files_in(folder: Path) -> Iterator[None]:
    """SQLite's temporary files (an index's sort that outgrows memory) in ``folder`` for the block.

    ``PRAGMA temp_store_directory`` is process-wide, and changed here only
    while no other thread uses SQLite (the export's second thread starts
    and ends inside the block). Where SQLite was built without it, the
    pragma does nothing and its files go where they always go.
    """
    conn = sqlite3.connect(":memory:")
    try:
        previous = (conn.execute("PRAGMA temp_store_directory").fetchone() or ("",))[0]
        conn.execute(f"PRAGMA temp_store_directory = {_sql_text(str(folder))}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA temp_store_directory = {_sql_text(previous)}")
    finally:
        conn.close()


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _failure(error: OSError | sqlite3.OperationalError) -> str:
    if isinstance(error, OSError):
        return reason(error)
    return "the disk is full" if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL" else str(error)


def _writable_folder(path: Path) -> Path:
    try:
        if path.is_dir():
            raise ExportError(f"{path} is a folder; give the path of the .apkg file to write")
        folder = path.parent
        if not folder.exists():
            raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
        if not folder.is_dir():
            raise ExportError(f"cannot write {path}: {folder} is not a folder")
    except OSError as error:  # a name too long, a loop of links
        raise ExportError(f"cannot write {shown(path, 1000)}: {reason(error)}; nothing was changed") from None
    return folder


def _give_mode(package: Path, target: Path) -> None:
    """The mode the target has, or the one a new file would get."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        os.chmod(package, mode)
    except OSError:
        pass


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


# The times a zip entry can hold: 1980-01-01 to 2107-12-31.
_ZIP_FIRST, _ZIP_LAST = 315532800, 4354819199


def _zip(out, collection: Path, timestamp: float) -> None:
    # Fixed entry times make the package depend on its input and timestamp only.
    stamp = datetime.fromtimestamp(min(max(timestamp, _ZIP_FIRST), _ZIP_LAST), timezone.utc).timetuple()[:6]
    # Stored, not compressed, as genanki does: compressing costs more time
    # than the rest of a large export's extras together.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as package:
        info = zipfile.ZipInfo("collection.anki2", stamp)
        with collection.open("rb") as source, package.open(info, "w") as target:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        media = zipfile.ZipInfo("media", stamp)
        package.writestr(media, "{}")


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
    today: date | None = None,
) -> ExportSummary:
    """Export the store's cards (narrowed by deck and tag), and with progress their schedules and logs.

    Suspended cards, flags and leeches travel with or without progress;
    cards buried on the study day ``today`` arrive buried.

    The cards come from the store rather than from the deck files: the store
    holds exactly what the validated files said at the last sync (every
    command syncs first), keeps the cards of an added deck whose file has
    gone missing, and gives content, schedule and deck order in one read.
    """
    for protected, what in store.protected_files():
        if paths.same_file(path, protected):
            raise OverwriteRefused(path, what)

    def decks() -> list[DeckInfo]:
        # Read once the cards are numbered: a deck added a moment before is there too.
        return [
            DeckInfo(record.id, record.title, f"From the article \u201c{record.source_title}\u201d.")
            for record in store.decks.records()
            if not deck_ids or record.id in deck_ids
        ]

    try:
        with store.export.selection(deck_ids, tags, today) as selection:
            return export_package(
                path, decks, selection, timestamp=timestamp, with_progress=with_progress, day_start_hour=day_start_hour
            )
    except NothingToExport:
        wanted = f" with tag {', '.join(tags)}" if tags else ""
        raise NothingToExport(f"no cards to export{wanted}; nothing was written") from None
