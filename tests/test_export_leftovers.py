"""Interrupted and failed exports leave nothing behind.

An export builds everything in one scratch folder beside its target. Killed
at random moments (SIGKILL), it may leave that one folder, never anything
in the system's temporary folder, and never a damaged package at the
target; the next export removes what killed ones left. SIGTERM and Ctrl-C
clean up at once. Two exports into one folder at the same moment do not
remove each other's work.
"""

from __future__ import annotations

import os
import random
import sqlite3
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from study_deck import DECK, write_deck

from osteo_learn.commands.cli import cli
from osteo_learn.system import scratch

CARDS = 1500
ANSWERS = 60_000  # with the cards, an export builds for a few tenths of a second


def big_deck(folder: Path) -> Path:
    card = (
        '\n[[cards]]\nid = "card-{n}"\nkind = "basic"\ntags = ["bulk"]\n'
        'front = "Question {n}?"\nback = "Answer {n}."\nsource = "Bones weaken with age."\n'
    )
    return write_deck(folder, DECK + "".join(card.format(n=n) for n in range(CARDS)))


@pytest.fixture
def setup(tmp_path):
    db = tmp_path / "study.db"
    deck = big_deck(tmp_path / "decks")
    assert CliRunner().invoke(cli, ["add-deck", "--db", str(db), str(deck)]).exit_code == 0
    # A long history, written straight into the log.
    conn = sqlite3.connect(db)
    cards = [pk for (pk,) in conn.execute("SELECT id FROM cards WHERE deck_id = 'demo' AND kind = 'basic'")]
    conn.executemany(
        "INSERT INTO reviews (card, reviewed_at, day, grade, kind, reps_after, ease_after, interval_after, due_after,"
        " lapses_after, last_review_after, duration_ms) VALUES (?, '2026-03-01T12:00:00.000+00:00', '2026-03-01', 4,"
        " 'repeat', 0, 250, 1, '2026-03-02', 0, '2026-03-01', 900)",
        ((cards[n % len(cards)],) for n in range(ANSWERS)),
    )
    conn.commit()
    conn.close()
    out = tmp_path / "out"
    out.mkdir()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    return db, out, temporary


def export(db: Path, target: Path, temporary: Path) -> subprocess.Popen:
    env = {**os.environ, "OSTEO_LEARN_TODAY": "2026-03-02", "TMPDIR": str(temporary), "SQLITE_TMPDIR": str(temporary)}
    return subprocess.Popen(
        [sys.executable, "-m", "osteo_learn", "export", "--db", str(db), "-o", str(target), "--with-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def building(folder: Path, child: subprocess.Popen) -> None:
    """Wait until the export is building its package (its scratch folder is there)."""
    while child.poll() is None and not any(p.name.endswith(scratch.SUFFIX) for p in folder.iterdir()):
        time.sleep(0.001)


def test_exports_killed_at_random_moments_leave_only_their_folder_and_the_next_removes_it(setup):
    db, out, temporary = setup
    target = out / "deck.apkg"
    first = export(db, target, temporary)
    assert first.wait(timeout=60) == 0, first.stderr.read()
    rng = random.Random(14)
    left = 0
    for _ in range(8):
        child = export(db, target, temporary)
        building(out, child)
        time.sleep(rng.uniform(0, 0.15))
        child.kill()
        child.wait(timeout=60)
        assert os.listdir(temporary) == []  # never anything in TMPDIR
        assert zipfile.is_zipfile(target)  # the package there is whole: the old one, or a new one
        others = [p.name for p in out.iterdir() if p.name != "deck.apkg"]
        assert all(name.startswith(".deck.apkg.") and name.endswith(scratch.SUFFIX) for name in others), others
        left += len(others)
    assert left, "no kill landed while an export was building (make the deck larger)"
    final = export(db, target, temporary)
    assert final.wait(timeout=60) == 0, final.stderr.read()
    assert sorted(os.listdir(out)) == ["deck.apkg"]
    assert os.listdir(temporary) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_an_export_stopped_by_sigterm_or_sighup_cleans_up_at_once(setup, signum):
    db, out, temporary = setup
    target = out / "deck.apkg"
    target.write_bytes(b"the previous package")
    child = export(db, target, temporary)
    building(out, child)
    child.send_signal(signum)
    code = child.wait(timeout=60)
    if code == 0:
        pytest.skip("the export finished before the signal")  # a fast machine
    assert code == 128 + signum, child.stderr.read()
    assert "Traceback" not in child.stderr.read()
    assert sorted(os.listdir(out)) == ["deck.apkg"]
    assert target.read_bytes() == b"the previous package"
    assert os.listdir(temporary) == []


def test_two_exports_into_one_folder_at_once_both_finish(setup):
    db, out, temporary = setup
    children = [export(db, out / f"{name}.apkg", temporary) for name in ("one", "two")]
    for child in children:
        assert child.wait(timeout=60) == 0, child.stderr.read()
    assert sorted(os.listdir(out)) == ["one.apkg", "two.apkg"]
    assert all(zipfile.is_zipfile(out / name) for name in os.listdir(out))


def test_a_sweep_removes_only_the_folders_of_processes_that_are_gone(tmp_path):
    target = tmp_path / "deck.apkg"
    with scratch.folder(target) as live:
        dead = tmp_path / scratch.name_for(target)
        dead.mkdir()
        (dead / "lock").write_text("")  # a lock no process holds any more
        (dead / "collection.anki2").write_bytes(b"x" * 100)
        mine = tmp_path / "notes.txt"
        mine.write_text("mine")
        assert scratch.sweep(tmp_path) == [dead]
        assert live.is_dir() and mine.read_text() == "mine"
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_a_sweep_never_removes_a_folder_that_is_not_ours_whatever_its_name(tmp_path):
    look_alike = tmp_path / scratch.name_for(tmp_path / "deck.apkg")
    look_alike.mkdir()
    (look_alike / "lock").write_text("")
    (look_alike / "thesis.docx").write_text("years of work")
    assert scratch.sweep(tmp_path) == []
    assert (look_alike / "thesis.docx").read_text() == "years of work"


def test_an_import_unpacks_beside_the_database_and_leaves_nothing(tmp_path, monkeypatch):
    """The package to import is unpacked in a scratch folder beside the database
    (swept if a kill leaves it), not in the system's temporary folder."""
    from osteo_learn.anki import package_reader

    seen = []
    unpack = package_reader._unpack

    def watched(path, archive, work, *args):
        seen.append(Path(work))
        return unpack(path, archive, work, *args)

    monkeypatch.setattr(package_reader, "_unpack", watched)
    db = tmp_path / "data" / "study.db"
    assert CliRunner().invoke(cli, ["status", "--db", str(db)]).exit_code == 0
    package = tmp_path / "out.apkg"
    assert CliRunner().invoke(cli, ["export", "--db", str(db), "-o", str(package)]).exit_code == 0
    result = CliRunner().invoke(cli, ["import-reviews", "--db", str(db), str(package)])
    assert seen and seen[0].parent == db.parent and seen[0].name.endswith(scratch.SUFFIX), (seen, result.output)
    assert not seen[0].exists()
    assert not [p for p in db.parent.iterdir() if p.name.endswith(scratch.SUFFIX)]
