"""The check before a connection's first write, started early on a thread of its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from osteo_learn.errors import StoreError
from osteo_learn.store import Store, soundness
from osteo_learn.store.connection import Database


def damage_a_page(db: Path, index: str = "card_events_day") -> bytes:
    """Scramble the first page of ``index`` (by default one nothing below reads); the file's bytes after."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()
    conn.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = bytes([13]) + b"\xff" * (page_size - 1)
    db.write_bytes(bytes(data))
    return bytes(data)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "study.db"
    Store.open(path).close()
    return path


def wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_the_check_finds_a_sound_file_sound_and_names_what_is_wrong_with_a_damaged_one(db):
    assert soundness.Check(lambda: sqlite3.connect(db)).verdict() == []
    damage_a_page(db)
    found = soundness.Check(lambda: sqlite3.connect(db)).verdict()
    assert found and all(isinstance(line, str) and line != "ok" for line in found)


def test_an_error_opening_the_checks_connection_reaches_whoever_awaits_the_verdict(tmp_path):
    def refuse() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        soundness.Check(refuse).verdict()


def test_a_write_started_before_the_verdict_puts_nothing_on_disk_when_the_file_is_damaged(db):
    data = damage_a_page(db)
    database = Database.open(db)
    try:
        database.check_soon()
        with pytest.raises(StoreError, match="is damaged .*nothing was written to it"):
            with database.write() as conn:
                conn.execute("CREATE TABLE bulk (x BLOB)")
                # Far more than the page cache holds: without the hold, pages would spill to the -wal.
                conn.executemany("INSERT INTO bulk VALUES (?)", ((bytes(4000),) for _ in range(3000)))
        assert db.read_bytes() == data
        assert wal_bytes(db) == 0
    finally:
        database.close()
    assert db.read_bytes() == data


def test_a_write_started_before_the_verdict_commits_once_the_file_is_found_sound(db):
    database = Database.open(db)
    try:
        database.check_soon()
        with database.write() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('new_per_day', '7')")
        database.check_soon()  # checked now: nothing more to start
        assert database._check is None
    finally:
        database.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM settings WHERE key = 'new_per_day'").fetchone() == ("7",)


def test_closing_the_database_stops_the_check_and_leaves_no_connection_behind(db):
    database = Database.open(db)
    database.check_soon()
    database.close()
    # The last connection closed folds the -wal back: none of this process's remains open.
    assert wal_bytes(db) == 0
