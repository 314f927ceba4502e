"""The store: the student's SQLite database, and every line of SQL the project runs on it.

One door, rooms behind it. :meth:`Store.open` opens (creating and migrating
if need be) one database per command; its jobs are grouped as Anki groups
its collection's:

============== ==================================================================
``store.decks``     the decks and their sync with validated deck files (:mod:`.decks`)
``store.cards``     the studied cards, with text and schedule (:mod:`.cards`)
``store.log``       the append-only review log: record, undo, replay, merge (:mod:`.log`, :mod:`.merge`, :mod:`.imports`)
``store.control``   bury, suspend, flag and leeches: the card event log (:mod:`.control`)
``store.queue``     the reads that plan a day's session (:mod:`.queue`)
``store.stats``     the reads behind the statistics (:mod:`.stats`)
``store.settings``  the student's settings (:mod:`.settings`)
``store.export``    the numbered selection an Anki export reads (:mod:`.export`)
============== ==================================================================

Also here: the connection and its refusals (:mod:`.connection`), the
schema and its migrations (:mod:`.schema`), where rows become domain
objects (:mod:`.rows`), and the library that keeps the store in step with
the deck files (:mod:`.library`).

May import: :mod:`osteo_learn.core`, :mod:`osteo_learn.system` and
:mod:`osteo_learn.errors`; never the terminal, Anki or command layers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from osteo_learn.store.cards import Cards
from osteo_learn.store.connection import Database, translate
from osteo_learn.store.control import Control
from osteo_learn.store.decks import Decks
from osteo_learn.store.log import Log
from osteo_learn.store.queue import Queue
from osteo_learn.store.settings import Settings
from osteo_learn.store.stats import Stats

if TYPE_CHECKING:
    import sqlite3

    from osteo_learn.store.export import Export


class Store:
    """An open student database, its jobs grouped in rooms. Use :meth:`open` to get one."""

    def __init__(self, db: Database):
        self.db = db
        self.decks = Decks(db)
        self.cards = Cards(db)
        self.log = Log(db)
        self.control = Control(db)
        self.queue = Queue(db)
        self.stats = Stats(db)
        self.settings = Settings(db)

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating it if need be) and migrate the database at ``path``;
        what is refused, and when it opens read-only: :meth:`Database.open`."""
        return cls(Database.open(Path(path)))

    @cached_property
    def export(self) -> Export:
        # Only an export needs it: kept off the start-up of every other command.
        from osteo_learn.store.export import Export

        return Export(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    @property
    def created(self) -> bool:
        """Whether opening made the database (no file was there): known from the
        opening itself, so no second look at the path can be wrong or fail."""
        return self.db.created

    def protected_files(self) -> list[tuple[Path, str]]:
        """The files no output may replace, each with what it is: the database and
        its side files, and every deck file and source document the store knows."""
        found = [(self.path, f"the database {self.path}")]
        found += [(self.path.with_name(self.path.name + side), f"the {side} file of the database {self.path}") for side in ("-wal", "-shm", "-journal")]
        for deck_id, file, source in self.conn.execute("SELECT id, file, source_path FROM decks"):
            if file:
                found.append((Path(file), f"the file of the deck '{deck_id}' ({file})"))
            if source:
                found.append((Path(source), f"the source document of the deck '{deck_id}' ({source})"))
        return found

    def check_writable(self) -> None:
        """Raise :class:`~osteo_learn.errors.StoreError` now if the database cannot be written."""
        self.db.check_writable()

    def check_soon(self) -> None:
        """Start checking the file for damage now, beside the reading that comes
        before the first write (:meth:`Database.check_soon`)."""
        self.db.check_soon()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def failing_cleanly(self) -> Iterator[None]:
        """Turn what SQLite says about a damaged file or a failing disk, met
        while reading or writing, into a :class:`~osteo_learn.errors.StoreError`
        naming the database; anything else (a bug) passes as it is."""
        try:
            yield
        except Exception as error:
            translated = translate(self.path, error)
            if translated is None:
                raise
            raise translated from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
        translated = translate(self.path, exc) if exc is not None else None
        if translated is not None:
            raise translated from None
