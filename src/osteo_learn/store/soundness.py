"""Is the database file sound? SQLite's ``quick_check``, before a connection first writes.

A damaged file is never written to: the first write of a connection waits
for the check's verdict (:mod:`.connection`). On a large database the
check takes about as long as a whole import from Anki, so a command that
knows it will write may start it early (:class:`Check`), on a thread with a
connection of its own, and do its reading meanwhile; SQLite releases
Python's lock while it works, so the two run side by side. The verdict is
awaited just before the write commits, and until then the write's pages
stay in memory (the connection's page cache is made large enough for
them), so a damaged file still gets no byte.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's ``quick_check`` finds wrong with the main database (its first
    three findings); empty when the file is sound. Raises what SQLite raises for
    anything that is not the file's fault (a busy or unreadable disk)."""
    try:
        found = [row[0] for row in conn.execute("PRAGMA main.quick_check(3)")]
    except sqlite3.DatabaseError as error:
        if not damaged(error):
            raise
        found = [str(error)]
    return [] if found == ["ok"] else found


def damaged(error: sqlite3.DatabaseError) -> bool:
    """The file itself is at fault (not an SQLite file, or damaged), not the disk or its permissions."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or not isinstance(error, sqlite3.OperationalError)


class Check:
    """A ``quick_check`` running on a thread of its own, on a connection ``connect`` opens there."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]):
        self._connect = connect
        self._found: list[str] = []
        self._error: BaseException | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._cancelled = False
        # A daemon: a process interrupted meanwhile exits without waiting for it.
        self._thread = threading.Thread(target=self._run, name="quick_check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = self._connect()
            with self._lock:
                self._conn = conn
                cancelled = self._cancelled
            try:
                if not cancelled:
                    self._found = quick_check(conn)
            finally:
                with self._lock:
                    self._conn = None
                conn.close()
        except BaseException as error:  # handed to the thread that awaits the verdict
            self._error = error

    def cancel(self) -> None:
        """Stop the check and wait until its connection is closed (the database
        is being closed: no connection of this process outlives it)."""
        with self._lock:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join()

    def verdict(self) -> list[str]:
        """Wait for the check; what it found wrong (empty: sound). Raises what the check raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._found

