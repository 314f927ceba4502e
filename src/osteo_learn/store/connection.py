"""The connection to the student's database: opening it, refusing what is not ours, writing safely.

A file that is not an osteo-learn database, a damaged one, or one written
by a newer version is refused before anything is written, and left exactly
as it was. Every write runs in its own ``BEGIN IMMEDIATE`` transaction
(:meth:`Database.write`), so two processes on one database queue behind
each other (``busy_timeout``) instead of failing, and a change is durable
once the ``with`` block ends. A failure to write (a full disk, a read-only
file) becomes a :class:`~osteo_learn.errors.StoreError` saying so.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from osteo_learn.errors import StoreError
from osteo_learn.store import schema

BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"


class Database:
    """An open student database: its path, its connection, and whether it may be written."""

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool = False):
        self.path = path
        self.conn = conn
        self.read_only = read_only

    @classmethod
    def open(cls, path: Path) -> Database:
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
        database = cls(path, conn, read_only)
        try:
            database._prepare()
        except BaseException:
            conn.close()
            raise
        return database

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
        with self.write():
            # Re-read inside the lock: another process may have migrated first.
            version, app_id, tables = self._identity()
            schema.check_identity(self.path, version, app_id, tables)
            schema.migrate(self.conn, version)

    def close(self) -> None:
        self.conn.close()

    def check_writable(self) -> None:
        """Raise :class:`StoreError` now if the database cannot be written (opened read-only)."""
        if self.read_only:
            raise StoreError(_write_failure(self.path, "readonly"))

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
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

    def connect(self) -> sqlite3.Connection:
        """Another connection to the same database, opened as this one was
        (for work on a second thread)."""
        return _connect(self.path, self.read_only)

    def _rollback(self) -> None:
        # After a failed write (a full disk) the transaction may already be
        # gone; the error that caused it is the one to report.
        try:
            self.conn.rollback()
        except sqlite3.Error:
            pass


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

