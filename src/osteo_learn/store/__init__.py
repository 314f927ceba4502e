"""The store: the student's SQLite database, and every line of SQL the project runs on it.

One door, rooms behind it. :meth:`Store.open` opens (creating and migrating
if need be) one database per command; its jobs are grouped as Anki groups
its collection's:

============== ==================================================================
``store.decks``     the decks and their sync with validated deck files (:mod:`.decks`)
``store.cards``     the studied cards, with text and schedule (:mod:`.cards`)
``store.log``       the append-only review log: record, undo, replay, merge (:mod:`.log`, :mod:`.merge`)
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

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from osteo_learn.store.cards import Cards
from osteo_learn.store.connection import Database
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

    def check_writable(self) -> None:
        """Raise :class:`~osteo_learn.errors.StoreError` now if the database cannot be written."""
        self.db.check_writable()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
