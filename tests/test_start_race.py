"""Processes starting together, and sessions meeting on one card.

Real processes started at once on a new database, on one whose added deck
just changed, and review sessions beside an export and an add-deck: none
crashes, fails or stores a card twice. The mechanisms are also checked one
by one, deterministically: the sync decides inside its write lock, a new
database is linked into place whole, and undo after another session
answered the card says why it cannot and goes on.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from study_deck import DECK, DECK_ID, study_db, write_deck

from osteo_learn.commands.cli import cli
from osteo_learn.store import Store, connection, library
from osteo_learn.store.log import UndoConflict

ENV = {**os.environ, "OSTEO_LEARN_TODAY": "2026-03-02", "NO_COLOR": "1"}
PROCESSES = 4


def together(commands: list[list[str]], stdin: str | None = None) -> list[tuple[int, str]]:
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "osteo_learn", *command],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for command in commands
    ]
    results = []
    for process in started:
        _, err = process.communicate(stdin, timeout=60)
        results.append((process.returncode, err))
    return results


def assert_all_fine(results: list[tuple[int, str]]) -> None:
    for code, err in results:
        assert "Traceback" not in err and "Error" not in err, err
        assert code == 0, err


def assert_each_card_once(db: Path) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM cards GROUP BY deck_id, card_id, ord HAVING count(*) > 1").fetchall() == []
    finally:
        conn.close()


def test_four_processes_starting_on_a_new_database_all_succeed(tmp_path):
    # Two rounds here; benchmarks/race.py runs a hundred.
    for round_number in range(2):
        db = tmp_path / f"round-{round_number}" / "r.db"
        assert_all_fine(together([["status", "--db", str(db)]] * PROCESSES))
        assert_each_card_once(db)
        assert not [p for p in db.parent.iterdir() if p.name.startswith(".")]  # no scratch folder left


def test_four_processes_starting_after_an_added_deck_changed_all_succeed(tmp_path):
    db = tmp_path / "r.db"
    deck = write_deck(tmp_path / "decks")
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(deck)]).exit_code == 0
    text = deck.read_text()
    for round_number in range(2):
        text += f'\n[[cards]]\nid = "extra-{round_number}"\nkind = "basic"\ntags = ["x"]\nfront = "F{round_number}?"\nback = "B."\nsource = "Bones weaken with age."\n'
        deck.write_text(text)
        assert_all_fine(together([["status", "--db", str(db)]] * PROCESSES))
        assert_each_card_once(db)
    with Store.open(db) as store:
        assert len(store.cards.all([DECK_ID])) == 5 + 2


def test_review_sessions_an_export_and_an_add_deck_starting_together_all_succeed(tmp_path):
    deck = write_deck(tmp_path / "decks")
    db = tmp_path / "r.db"
    commands = [
        ["add-deck", "--db", str(db), str(deck)],
        ["export", "--db", str(db), "-o", str(tmp_path / "out.apkg"), "--with-progress"],
        ["review", "--db", str(db)],
        ["review", "--db", str(db)],
    ]
    assert_all_fine(together(commands, stdin="\n4\nq\n"))
    assert_each_card_once(db)
    assert (tmp_path / "out.apkg").is_file()


# -- the mechanisms, one at a time --------------------------------------------------------


def test_a_sync_decides_inside_its_write_lock_so_a_second_process_writes_nothing(tmp_path, monkeypatch):
    """Process B found the deck changed, then process A synced it before B took the
    lock: B must see that inside its transaction and write nothing (it inserted
    the same cards again: UNIQUE constraint failed)."""
    deck = write_deck(tmp_path / "decks")
    db = tmp_path / "study.db"
    with Store.open(db) as store:
        library.add_deck(store, deck)
    deck.write_text(DECK.replace('front = "What does MRI show well?"', 'front = "What does MRI show?"') + '\n[[cards]]\nid = "new-one"\nkind = "basic"\ntags = ["x"]\nfront = "F?"\nback = "B."\nsource = "Bones weaken with age."\n')
    first, second = Store.open(db), Store.open(db)
    apply = second.decks.apply

    def after_the_other(still_wanted):
        assert library.sync_decks(first) == []  # A syncs between B's check and B's lock
        return apply(still_wanted)

    monkeypatch.setattr(second.decks, "apply", after_the_other)
    changes = second.conn.total_changes
    assert library.sync_decks(second) == []
    assert second.conn.total_changes == changes
    first.close(), second.close()
    assert_each_card_once(db)


def test_a_new_database_made_by_another_process_first_is_used_not_replaced(tmp_path, monkeypatch):
    db = tmp_path / "study.db"
    link = os.link

    def beaten(source, target):
        monkeypatch.setattr(connection.os, "link", link)
        Store.open(db).close()  # another process links its database first
        link(source, target)

    monkeypatch.setattr(connection.os, "link", beaten)
    with Store.open(db) as store:
        inode = db.stat().st_ino
        store.settings.set("new-per-day", "7")
    # The other process's file was kept, with what was written to it.
    assert db.stat().st_ino == inode
    with Store.open(db) as store:
        assert store.settings.stored() == {"new-per-day": "7"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_new_database_is_never_seen_half_made(tmp_path, monkeypatch):
    """While one process builds a database, another finds no file at all, never
    one without its schema (it said "an SQLite database of another program")."""
    db = tmp_path / "study.db"
    seen = []
    migrate = connection.schema.migrate

    def watched(conn, version):
        migrate(conn, version)
        seen.append(db.exists())

    monkeypatch.setattr(connection.schema, "migrate", watched)
    Store.open(db).close()
    assert seen == [False]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_identity_is_read_in_one_statement(tmp_path):
    db = tmp_path / "study.db"
    with Store.open(db) as store:
        assert store.db._identity() == (connection.schema.VERSION, connection.schema.APPLICATION_ID, store.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])


def test_a_scratch_folder_left_by_a_killed_creation_is_swept_by_the_next_open(tmp_path):
    db = tmp_path / "study.db"
    killed = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom osteo_learn.system import scratch\nfrom pathlib import Path\n"
         f"s = scratch.Scratch.make(Path({str(db)!r}))\nprint(s.path, flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    left = Path(killed.stdout.readline().strip())
    assert left.is_dir()
    Store.open(db).close()
    assert left.is_dir()  # its process still runs: kept
    killed.kill()
    killed.wait()
    Store.open(db).close()
    assert not left.exists()


# -- undo after another session answered the card ---------------------------------------


class Interfering(io.StringIO):
    """Lines of keys; just before the ``u`` is read, another session answers the same card."""

    def __init__(self, text: str, db: Path):
        super().__init__(text)
        self.db = db

    def readline(self, *args):
        line = super().readline(*args)
        if line == "u\n":
            with Store.open(self.db) as other:
                card = next(c for c in other.cards.all([DECK_ID]) if c.card.id == "weak-bones")
                other.log.record(card.pk, 5, datetime(2026, 3, 2, 13, tzinfo=timezone.utc), datetime(2026, 3, 2).date(), 900)
        return line


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


def test_undo_after_another_session_answered_the_card_says_why_and_goes_on(db):
    from osteo_learn.core.settings import Settings
    from osteo_learn.terminal import session

    out = io.StringIO()
    now = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
    with Store.open(db) as store:
        code = session.run(
            store, Settings(), now, now.date(), session.Options((DECK_ID,)), stdin=Interfering("\n4\nu\n\n5\nq\n", db), stdout=out
        )
    assert code == 0
    assert (
        "Cannot undo grade 4 of demo/weak-bones: another session answered this card since, so this answer stays saved."
        in out.getvalue()
    )
    assert "Session ended." in out.getvalue() and "Studied 2 cards" in out.getvalue()
    with Store.open(db) as store:
        log = [(r.grade, r.undone_at is None) for r in store.log.entries()]
    # Ours (4), the other session's (5), then ours on the next card (5): nothing undone.
    assert log == [(4, True), (5, True), (5, True)]


def test_the_store_says_which_undo_is_a_conflict(db):
    with Store.open(db) as store:
        card = store.cards.all([DECK_ID])[0]
        when, day = datetime(2026, 3, 2, 12, tzinfo=timezone.utc), datetime(2026, 3, 2).date()
        first = store.log.record(card.pk, 4, when, day, 1)
        store.log.record(card.pk, 3, when, day, 1)
        with pytest.raises(UndoConflict, match="not the card's latest answer"):
            store.log.undo(first.id, when)
