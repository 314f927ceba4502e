"""No argument may destroy the database (or a deck or source file).

The only command that writes a file of the student's choosing is
``export``; every way of naming the database, its side files or a deck or
source file as its output (the same name, another spelling of it, a
symbolic link, a hard link) is refused before anything is written. And
``--db`` itself refuses what it would damage: the -wal/-shm/-journal file
of a database, a FIFO, a device.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from study_deck import DECK_ID, write_deck

from osteo_learn.commands.cli import cli


def run(*args, cwd: Path | None = None):
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args], env={"OSTEO_LEARN_TODAY": "2026-03-02"})
    finally:
        os.chdir(previous)


def files_of(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_ino, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def study(tmp_path):
    """A database named like a package (the issue's case) with an added deck, and some answers."""
    db = tmp_path / "s.apkg"
    deck = write_deck(tmp_path / "decks")
    assert run("add-deck", "--db", db, deck).exit_code == 0
    assert run("review", "--db", db, "--deck", DECK_ID).exit_code == 0
    return db, deck


SPELLINGS = {
    "the same name": lambda db: db,
    "relative": lambda db: Path(os.path.relpath(db)),
    "with a detour": lambda db: db.parent / "decks" / ".." / db.name,
    "with ./": lambda db: db.parent / "." / db.name,
    "a symbolic link": lambda db: _symlink(db),
    "a hard link": lambda db: _hardlink(db),
}


def _symlink(target: Path) -> Path:
    link = target.parent / "link.apkg"
    link.symlink_to(target)
    return link


def _hardlink(target: Path) -> Path:
    link = target.parent / "hard.apkg"
    os.link(target, link)
    return link


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_export_refuses_to_write_over_the_database_however_it_is_named(study, spelling):
    db, _ = study
    output = SPELLINGS[spelling](db)
    before = files_of(db.parent)
    result = run("export", "--db", db, "-o", output)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '-o'" in result.output and f"is the database {db}; the package would replace it" in result.output
    assert files_of(db.parent) == before
    assert run("status", "--db", db).exit_code == 0  # the history is all there


def test_export_refuses_the_side_files_of_the_database(tmp_path):
    db = tmp_path / "study.db"
    assert run("status", "--db", db).exit_code == 0
    for side in ("-wal", "-shm", "-journal"):
        # A package name that is a side file: the database named *.apkg-... is not, so use a link.
        target = tmp_path / f"side{side}.apkg"
        target.symlink_to(db.with_name(db.name + side))
        result = run("export", "--db", db, "-o", target)
        assert result.exit_code == 2, result.output
        assert f"is the {side} file of the database {db}" in result.output


def test_export_refuses_to_write_over_a_deck_file_or_its_source(tmp_path):
    folder = tmp_path / "decks"
    deck = write_deck(folder)
    packaged = folder / "demo.apkg"  # a deck file may have any name
    deck.rename(packaged)
    source = folder / "sources" / "demo.txt"
    db = tmp_path / "study.db"
    assert run("add-deck", "--db", db, packaged).exit_code == 0
    linked_source = tmp_path / "source.apkg"
    linked_source.symlink_to(source)
    for output, what in ((packaged, "the file of the deck 'demo'"), (linked_source, "the source document of the deck 'demo'")):
        before = output.resolve().read_bytes()
        result = run("export", "--db", db, "-o", output)
        assert result.exit_code == 2, result.output
        assert what in result.output
        assert output.resolve().read_bytes() == before


def test_the_default_package_name_is_refused_when_it_is_the_database(tmp_path):
    db = tmp_path / "osteoporosis-leg-numbness.apkg"
    assert run("status", "--db", db).exit_code == 0
    before = db.read_bytes()
    result = run("export", "--db", db.name, cwd=tmp_path)
    assert result.exit_code == 1
    assert result.output == (
        "Error: the package osteoporosis-leg-numbness.apkg would replace the database osteoporosis-leg-numbness.apkg;"
        " nothing was written: give another path with -o\n"
    )
    assert db.read_bytes() == before


def test_the_side_file_of_a_database_is_refused_as_a_database(tmp_path):
    db = tmp_path / "study.db"
    assert run("status", "--db", db).exit_code == 0
    for side in ("-wal", "-shm", "-journal"):
        path = db.with_name(db.name + side)
        path.write_bytes(b"") if not path.exists() else None
        before = path.read_bytes()
        result = run("status", "--db", path)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: {path} is the {side} file of the database {db}, not a database; give the path of {db} itself."
            " Both were left untouched\n"
        )
        assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_db_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.db"
        os.mkfifo(path)
        what = "a FIFO (named pipe)"
    else:
        path = Path("/dev/null")
        what = "a device"
    # In a process of its own: a hang would be caught by the timeout.
    result = subprocess.run(
        [sys.executable, "-m", "osteo_learn", "status", "--db", str(path)], capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: {path} is {what}, not a regular file; give the path of a database file; it was left untouched\n"
