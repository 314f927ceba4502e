"""The connection to the student's database: opening it, refusing what is not ours, writing safely.

A file that is not an osteo-learn database, a damaged one, or one written
by a newer version is refused before anything is written, and left exactly
as it was: so are a FIFO, a device or anything else that is not a regular
file, and the ``-wal``, ``-shm`` or ``-journal`` file of a database. Every
write runs in its own ``BEGIN IMMEDIATE`` transaction
(:meth:`Database.write`), so two processes on one database queue behind
each other (``busy_timeout``) instead of failing, and a change is durable
once the ``with`` block ends. The first write of a connection checks the
file first (``PRAGMA quick_check``, :mod:`.soundness`), so a damaged file
is never written to; :meth:`Database.check_soon` starts that check early,
beside the reading a command does before it writes. A failure to write (a
full disk, a read-only file) becomes a
:class:`~osteo_learn.errors.StoreError` saying so.

Processes that start together are safe. A new database is built whole in a
scratch folder beside it (:mod:`osteo_learn.system.scratch`) and linked
into place under its name, which fails if another process got there
first: so a process finds no file, or a complete current database, never
one half made. Its identity (schema version, application id, objects) is
read in one statement, a migration re-reads it inside its write lock, and
the few moments SQLite reports "busy" without waiting (switching to WAL,
opening while another process closes) are waited out here.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from osteo_learn.core import files
from osteo_learn.core.text import shown
from osteo_learn.errors import StoreError
from osteo_learn.store import schema, soundness
from osteo_learn.system import scratch

BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"
# Waiting out a "busy" SQLite reports without calling its busy handler:
# this many tries, this far apart (as long as BUSY_TIMEOUT_MS in all).
_BUSY_TRIES = 600
_BUSY_PAUSE_S = BUSY_TIMEOUT_MS / 1000 / _BUSY_TRIES
# The page cache of a write awaiting the check's verdict (KiB).
AWAITING_CACHE_KIB = 1 << 20
_SIDE_FILES = ("-wal", "-shm", "-journal")

T = TypeVar("T")


class Database:
    """An open student database: its path, its connection, and whether it may be written."""

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool = False):
        self.path = path
        self.conn = conn
        self.read_only = read_only
        self._checked = False  # the file passed quick_check
        self._check: soundness.Check | None = None  # a check started early, its verdict not yet read
        self.created = False  # this open made the file (no file was there)

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
        try:
            return cls._open(path)
        except OSError as error:  # a name too long, a loop of links, no permission to look
            raise StoreError(f"cannot open the database {shown(path, 1000)}: {files.reason(error)}") from None

    @classmethod
    def _open(cls, path: Path) -> Database:
        _refuse_side_file(path)
        blocker = next((parent for parent in path.parents if parent.is_file()), None)
        if blocker is not None:
            raise StoreError(f"cannot create the database {path}: {blocker} is a file, not a folder")
        created = not _refuse_foreign_file(path)
        if created:
            _create(path)
        read_only = not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        if not read_only:
            scratch.sweep(path.parent)  # what a process killed while creating a database left
        try:
            conn = _connect(path, read_only)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the database {path}: {error}") from None
        database = cls(path, conn, read_only)
        database.created = created
        try:
            database._prepare()
        except BaseException:
            conn.close()
            raise
        return database

    def _prepare(self) -> None:
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version, app_id, tables = _patiently(self._identity)
        except sqlite3.DatabaseError as error:
            if soundness.damaged(error):
                raise StoreError(f"{self.path} is not a usable osteo-learn database ({error}); it was left untouched") from None
            raise StoreError(f"cannot open the database {self.path}: {_reason(self.path, error)}; it was left untouched") from None
        schema.check_identity(self.path, version, app_id, tables)
        if version < schema.VERSION:
            self._migrate()
        try:
            schema.check_objects(self.path, self.conn)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path} is not a usable osteo-learn database ({error}); it was left untouched") from None
        if self.read_only:
            return
        try:
            _patiently(lambda: self.conn.execute("PRAGMA journal_mode = WAL").fetchone())
        except sqlite3.DatabaseError as error:
            raise StoreError(_write_failure(self.path, error)) from None
        self.conn.execute("PRAGMA foreign_keys = ON")

    def _identity(self) -> tuple[int, int, int]:
        # One statement, so one snapshot: another process may be migrating.
        return self.conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version),"
            " (SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_master)"
        ).fetchone()

    def _migrate(self) -> None:
        with self.write():
            # Re-read inside the lock: another process may have migrated first.
            version, app_id, tables = self._identity()
            schema.check_identity(self.path, version, app_id, tables)
            if version < schema.VERSION:
                schema.migrate(self.conn, version)

    def close(self) -> None:
        if self._check is not None:
            self._check.cancel()
            self._check = None
        self.conn.close()

    def check_writable(self) -> None:
        """Raise :class:`StoreError` now if the database cannot be written (opened read-only)."""
        if self.read_only:
            raise StoreError(_write_failure(self.path, "readonly"))

    def check_soon(self) -> None:
        """Start checking the file now, on a thread of its own, if the first write
        of this connection is yet to come: that write then waits for the verdict
        only before it commits, not before it starts."""
        if not self.read_only and not self._checked and self._check is None:
            self._check = soundness.Check(self.connect)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so concurrent writers queue."""
        self.check_writable()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(_write_failure(self.path, error)) from None
        awaiting = not self._checked and self._check is not None
        # Awaiting the verdict, nothing may reach the disk: the pages the write
        # changes stay in memory, in a page cache made large enough.
        with self.page_cache(AWAITING_CACHE_KIB if awaiting else None):
            try:
                if not awaiting and not self._checked:
                    self._check_sound()
                yield self.conn
                if awaiting:
                    self._check_sound()
                self.conn.commit()
            except sqlite3.OperationalError as error:
                self._rollback()
                raise StoreError(_write_failure(self.path, error)) from None
            except sqlite3.DatabaseError:
                # Met while writing: the file's damage, if the check finds it, is what to say.
                self._rollback()
                self.refuse_if_damaged()
                raise
            except BaseException:
                self._rollback()
                raise

    @contextmanager
    def page_cache(self, kib: int | None, mapped_bytes: int = 0) -> Iterator[None]:
        """The connection's page cache at most ``kib`` KiB (a limit, not an
        allocation) inside the block, as it was after; ``None`` leaves it. With
        ``mapped_bytes``, up to that much of the file is also read through a
        memory map meanwhile: many scattered look-ups then cost no system call
        each."""
        if kib is None:
            yield
            return
        before = self.conn.execute("PRAGMA main.cache_size").fetchone()[0]
        mapped_before = self.conn.execute("PRAGMA main.mmap_size").fetchone()[0]
        self.conn.execute(f"PRAGMA main.cache_size = {-int(kib)}")
        if mapped_bytes:
            self.conn.execute(f"PRAGMA main.mmap_size = {int(mapped_bytes)}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA main.cache_size = {before}")
            if mapped_bytes:
                self.conn.execute(f"PRAGMA main.mmap_size = {mapped_before}")

    def refuse_if_damaged(self) -> None:
        """Raise :class:`StoreError` if the file is damaged (an error met while
        reading may be the file's, or that of another database attached)."""
        if not self._checked:
            self._check_sound()

    def _check_sound(self) -> None:
        """Refuse to write to a damaged file: its pages are checked once, before the first write commits."""
        check, self._check = self._check, None
        found = check.verdict() if check is not None else soundness.quick_check(self.conn)
        if found:
            self._rollback()
            raise StoreError(
                f"{self.path} is damaged ({shown('; '.join(found), 300)}); nothing was written to it: "
                "restore it from a backup (osteo-learn can still read what is intact)"
            )
        self._checked = True

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


def _refuse_side_file(path: Path) -> None:
    """Refuse the -wal, -shm or -journal file of a database given as a database:
    opening it as one would destroy what it holds for the database beside it."""
    for suffix in _SIDE_FILES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            main = path.with_name(path.name[: -len(suffix)])
            if main.is_file():
                raise StoreError(
                    f"{path} is the {suffix} file of the database {main}, not a database; "
                    f"give the path of {main} itself. Both were left untouched"
                )


def _refuse_foreign_file(path: Path) -> bool:
    """Refuse, before SQLite touches it, a path that is not an SQLite database; return
    whether there is a file (a regular one) at ``path``."""
    try:
        header = files.read_start(path, 100, "database file")
    except files.FileRefused as refused:
        if refused.system_reason is not None:
            raise StoreError(f"cannot open the database {shown(path, 1000)}: {refused.system_reason}") from None
        raise StoreError(f"{shown(path, 1000)} {refused}; it was left untouched") from None
    if header is None:
        return False
    if not header or _hot_journal(path):
        # A process was killed in the middle of a write: SQLite puts the file
        # back as it was from the journal when it opens it.
        return True
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
    return True


def _create(path: Path) -> None:
    """A new, current, empty database at ``path``, or the one another process made there first.

    Built whole in a scratch folder beside ``path`` (in WAL mode, migrated),
    then hard-linked into place, which never replaces a file: a process
    starting at the same moment sees no file or this complete one. Where
    the file system has no hard links, the file is left for SQLite to
    create and migrated in place under the write lock.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the folder for the database {path}: {files.reason(error)}") from None
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"cannot create the database {path}: the folder {path.parent} is read-only")
    try:
        with scratch.folder(path) as work:
            built = work / "new.db"
            conn = sqlite3.connect(built, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("BEGIN IMMEDIATE")
                schema.migrate(conn, 0)
                conn.execute("COMMIT")
            finally:
                conn.close()
            try:
                os.link(built, path)
            except FileExistsError:
                pass  # another process made it first: that one is used
            except OSError:
                return  # no hard links here: SQLite creates it, migrated in place
    except sqlite3.Error as error:
        raise StoreError(f"cannot create the database {path}: {_reason(path, error)}; nothing was written") from None
    except OSError as error:
        raise StoreError(f"cannot create the database {path}: {files.reason(error)}; nothing was written") from None


def _patiently(read: Callable[[], T]) -> T:
    """``read()``, tried again while SQLite says "busy" without having waited
    (it does not call its busy handler in every case), up to BUSY_TIMEOUT_MS."""
    for _ in range(_BUSY_TRIES - 1):
        try:
            return read()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
            time.sleep(_BUSY_PAUSE_S)
    return read()


def _busy(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error)


def translate(path: Path, error: BaseException) -> StoreError | None:
    """A database error met while reading or writing, as the student's error;
    ``None`` for anything that is not the file's or the disk's fault (a bug).
    A damaged row (:class:`~osteo_learn.store.rows.DamagedRow`) gets the
    database's name in front."""
    from osteo_learn.store.rows import DamagedRow

    if isinstance(error, DamagedRow):
        return None if error.path is not None else DamagedRow(str(error), path)
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_NOTADB" or name.startswith("SQLITE_CORRUPT"):
        return StoreError(
            f"{path} is damaged ({error}); nothing more was written to it: restore it from a backup"
        )
    if name.startswith(("SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN")):
        return StoreError(f"cannot use the database {path}: {_reason(path, error)}; nothing was changed")
    return None


_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


def _hot_journal(path: Path) -> bool:
    """A rollback journal left by a write that did not finish (SQLite's own magic number first)."""
    try:
        with path.with_name(path.name + "-journal").open("rb") as journal:
            return journal.read(8) == _JOURNAL_MAGIC
    except OSError:
        return False


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

