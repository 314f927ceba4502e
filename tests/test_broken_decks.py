"""A broken deck of the student's never locks them out, and remove-deck takes one away.

Whatever is wrong with an added deck file (a syntax error, a bad card, a
file gone or unreadable, an id now claimed twice), every command goes on
with the decks that are fine, after one warning line naming the file and
line; the broken deck's cards stay as they were. ``remove-deck`` retires a
deck's cards (history kept), leaves its file alone, and cannot remove a
bundled deck.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from click.testing import CliRunner
from study_deck import DECK, DECK_ID, write_deck

from test_faults import mounts, read_only  # noqa: F401 - fixtures

from osteo_learn.commands.cli import cli
from osteo_learn.store import Store

BUNDLED = "osteoporosis-leg-numbness"


def run(*args, input: str | None = "q\n"):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, env={"OSTEO_LEARN_TODAY": "2026-03-02"})


@pytest.fixture
def studied(tmp_path):
    """A database with the study deck added and two of its cards answered."""
    db = tmp_path / "study.db"
    deck = write_deck(tmp_path / "decks")
    assert run("add-deck", "--db", db, deck).exit_code == 0
    assert run("review", "--db", db, "--deck", DECK_ID, input="\n4\n\n5\nq\n").exit_code == 0
    return db, deck


BREAKAGES = {
    "syntax error": lambda deck: deck.write_text(DECK.replace('front = "What does MRI show well?"', 'front = "What does MRI show well?')),
    "bad card": lambda deck: deck.write_text(DECK.replace('kind = "basic"', 'kind = "flashcard"', 1)),
    "not utf-8": lambda deck: deck.write_bytes(DECK.encode("latin-1") + b"\xff"),
    "unreadable": lambda deck: (deck.unlink(), os.mkfifo(deck)),
    "gone": lambda deck: deck.unlink(),
    "a bundled deck's id": lambda deck: deck.write_text(DECK.replace('id = "demo"', f'id = "{BUNDLED}"', 1)),
}

EXPECTED = {
    "syntax error": ":40: invalid TOML: Illegal character '\\n'",
    "bad card": ":11: card 'weak-bones': unknown kind 'flashcard'",
    "not utf-8": ": is not UTF-8 text",
    "unreadable": ": is a FIFO (named pipe), not a regular file",
    "gone": "is missing; its cards are kept as they were",
    "a bundled deck's id": "its deck id is now 'osteoporosis-leg-numbness', but it was added as 'demo'",
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_added_deck_is_one_warning_and_every_command_goes_on(studied, breakage):
    db, deck = studied
    with Store.open(db) as store:
        before = [(c.card.id, c.ordinal, c.state) for c in store.cards.all([DECK_ID], include_retired=True)]
    BREAKAGES[breakage](deck)
    for args in (
        ["status", "--db", db],
        ["review", "--db", db, "--deck", BUNDLED],
        ["stats", "--db", db],
        ["cards", "--db", db, "--deck", DECK_ID],
        ["export", "--db", db, "-o", deck.parent / "out.apkg"],
    ):
        result = run(*args, input="\n4\nq\n")
        assert result.exit_code == 0, (args, result.output)
        warnings = [line for line in result.output.splitlines() if line.startswith("Warning: ")]
        assert len(warnings) == 1, result.output
        assert str(deck.resolve()) in warnings[0] and EXPECTED[breakage] in warnings[0], warnings[0]
        assert "Traceback" not in result.output
    # The bundled deck was studied meanwhile; the broken one was left as it was.
    with Store.open(db) as store:
        assert [(c.card.id, c.ordinal, c.state) for c in store.cards.all([DECK_ID], include_retired=True)] == before
        assert store.queue.new_introduced(store.log.entries()[-1].day) >= 1


def test_the_warning_of_a_broken_deck_names_the_first_problem_and_how_many_more(studied):
    db, deck = studied
    deck.write_text(DECK.replace('kind = "basic"', 'kind = "x"').replace('answer = "MRI"', 'answer = "CT"'))
    result = run("status", "--db", db)
    [warning] = [line for line in result.output.splitlines() if line.startswith("Warning: ")]
    assert f"{deck.resolve()}:11: card 'weak-bones': unknown kind 'x'" in warning
    assert "(and 2 more problems); this deck is left as it was until the file is fixed" in warning
    assert warning.endswith(f"(osteo-learn check {deck.resolve()})")


def test_add_deck_itself_still_refuses_a_broken_file_with_every_problem(studied):
    db, deck = studied
    deck.write_text(DECK.replace('kind = "basic"', 'kind = "x"'))
    result = run("add-deck", "--db", db, deck)
    assert result.exit_code == 1
    assert result.output.count("unknown kind 'x'") >= 2


def test_a_deck_file_cannot_take_the_id_of_another_added_deck(tmp_path, studied):
    db, _ = studied
    other = write_deck(tmp_path / "other")
    result = run("add-deck", "--db", db, other)
    assert result.exit_code == 1
    assert result.output == f"Error: {other.resolve()}: deck id 'demo' is already used by {(tmp_path / 'decks' / 'demo.toml').resolve()}; give this deck another id\n"


def test_a_changed_deck_on_a_read_only_database_is_a_warning_not_an_error(studied, read_only):
    db, deck = studied
    deck.write_text(DECK.replace("They weaken.", "They grow weaker."))
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    read_only(db, "file")
    result = run("status", "--db", db)
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.output.splitlines() if line.startswith("Warning: ")]
    assert warning == f"Warning: {deck.resolve()} changed, but the database {db} is read-only: its cards are shown as they were"


# -- remove-deck ----------------------------------------------------------------------


def test_remove_deck_retires_its_cards_keeps_their_history_and_leaves_the_file(studied):
    db, deck = studied
    file_before = deck.read_bytes()
    with Store.open(db) as store:
        answers = [(r.id, r.grade) for r in store.log.entries()]
        states = {c.pk: c.state for c in store.cards.all([DECK_ID])}
    result = run("remove-deck", "--db", db, DECK_ID)
    assert result.exit_code == 0, result.output
    assert result.output == f"Removed deck 'demo': 5 card(s) retired, their history kept; {deck.resolve()} was left as it is (add-deck it to study it again).\n"
    assert deck.read_bytes() == file_before
    with Store.open(db) as store:
        assert [(r.id, r.grade) for r in store.log.entries()] == answers
        assert all(c.retired for c in store.cards.all([DECK_ID], include_retired=True))
        assert store.decks.ids() == [BUNDLED]
    # No longer studied, listed or exported; its file no longer followed.
    deck.write_text("broken [")
    status = run("status", "--db", db)
    assert status.exit_code == 0 and "demo" not in status.output and "Warning" not in status.output
    refused = run("review", "--db", db, "--deck", DECK_ID)
    assert (refused.exit_code, refused.output) == (1, f"Error: no deck 'demo' (decks: {BUNDLED})\n")
    export = run("export", "--db", db, "-o", deck.parent / "all.apkg")
    assert export.exit_code == 0 and "1 deck," in export.output
    # Added again: the cards come back with their schedules.
    deck.write_bytes(file_before)
    again = run("add-deck", "--db", db, deck)
    assert again.exit_code == 0, again.output
    assert "5 restored" in again.output
    with Store.open(db) as store:
        assert {c.pk: c.state for c in store.cards.all([DECK_ID])} == states


def test_remove_deck_refuses_a_bundled_deck_and_an_unknown_one(studied):
    db, _ = studied
    result = run("remove-deck", "--db", db, BUNDLED)
    assert result.exit_code == 1
    assert result.output == f"Error: '{BUNDLED}' is a bundled deck; it cannot be removed (study other decks with --deck)\n"
    result = run("remove-deck", "--db", db, "nothing-here")
    assert (result.exit_code, result.output) == (1, "Error: no deck 'nothing-here' to remove\n")
    assert run("remove-deck", "--db", db, DECK_ID).exit_code == 0
    result = run("remove-deck", "--db", db, DECK_ID)
    assert (result.exit_code, result.output) == (1, "Error: no deck 'demo' to remove\n")
    result = run("remove-deck", "--db", db, "Not An Id")
    assert result.exit_code == 2


def test_remove_deck_works_when_its_file_is_broken_or_gone(studied):
    db, deck = studied
    deck.unlink()
    result = run("remove-deck", "--db", db, DECK_ID)
    assert result.exit_code == 0, result.output
    assert "Warning" not in run("status", "--db", db).output


def test_a_sync_under_way_when_the_deck_is_removed_does_not_bring_it_back(studied, monkeypatch):
    """Process B found the deck file changed; process A removed the deck before B
    took its write lock: B, deciding inside the lock, leaves it removed."""
    from osteo_learn.store import library

    db, deck = studied
    deck.write_text(DECK.replace("They weaken.", "They grow weaker."))
    syncing = Store.open(db)
    apply = syncing.decks.apply

    def removed_meanwhile(still_wanted):
        assert run("remove-deck", "--db", db, DECK_ID).exit_code == 0
        return apply(still_wanted)

    monkeypatch.setattr(syncing.decks, "apply", removed_meanwhile)
    assert library.sync_decks(syncing) == []
    syncing.close()
    with Store.open(db) as store:
        assert store.decks.ids() == [BUNDLED]
        assert all(c.retired for c in store.cards.all([DECK_ID], include_retired=True))
