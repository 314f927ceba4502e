"""The review on a real pseudo-terminal: single key presses, the screen, quitting and Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import sys

import pexpect
import pytest
from study_deck import DECK_ID, study_db

from osteo_learn.store import Store

DAY = "2026-03-02"
REVEAL = "space show the answer"
GRADE = "grade · s source"
CHOOSE = "A-D choose an answer"


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


def spawn(
    db, *args: str, colour: bool = False, shell_after: str = "", rows: int = 30, cols: int = 100, env: dict | None = None
) -> pexpect.spawn:
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update({"OSTEO_LEARN_TODAY": DAY, "TERM": "xterm-256color", **extra})
    if not colour:
        env["NO_COLOR"] = "1"
    argv = [sys.executable, "-m", "osteo_learn", "review", "--db", str(db), "--deck", DECK_ID, *args]
    if shell_after:
        # Run a command on the same terminal after the review, to inspect its state.
        command = " ".join(f"'{a}'" for a in argv) + f"; echo EXIT=$?; {shell_after}"
        return _fast(pexpect.spawn("/bin/sh", ["-c", command], env=env, dimensions=(rows, cols), encoding="utf-8", timeout=10))
    return _fast(pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(rows, cols), encoding="utf-8", timeout=10))


def _fast(child: pexpect.spawn) -> pexpect.spawn:
    # Echo is off in the review, so there is no need to wait before each key.
    child.delaybeforesend = None
    return child


def press(child: pexpect.spawn, key: str, expect: str) -> str:
    """Send one key and wait for ``expect``; return what came before it."""
    child.send(key)
    child.expect_exact(expect)
    return child.before


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def log(db) -> list[tuple[str, int, str, bool]]:
    with Store.open(db) as store:
        names = {c.pk: c.card.id + (f" c{c.ordinal}" if c.card.kind == "cloze" else "") for c in store.cards.all()}
        return [(names[r.card_pk], int(r.grade), r.kind, r.undone_at is not None) for r in store.log.entries()]


def still_new(db) -> list[str]:
    with Store.open(db) as store:
        return [c.card.id + str(c.ordinal) for c in store.queue.new([DECK_ID])]


def test_a_whole_session_with_every_grade_both_vignette_picks_and_repeats(db):
    child = spawn(db)
    child.expect_exact(REVEAL)
    assert "What happens to bones with age?" in child.before
    assert "Card 1 of 4" in child.before
    press(child, " ", GRADE)  # weak-bones
    screen = press(child, "0", REVEAL)  # back in 3 cards
    assert "Saved: grade 0, next review tomorrow (2026-03-03); again later today." in screen
    assert "A spinal [...] may press on a nerve." in screen
    screen = press(child, " ", GRADE)  # fracture c1
    assert "A spinal [fracture] may press on a nerve." in screen
    press(child, "1", CHOOSE)  # case-mri
    screen = press(child, "b", "0-2 grade")
    # Shuffled for 2026-03-02: A Chest X-ray, B Blood count, C Urine test, D MRI.
    assert "✗ B  Blood count ← your answer" in screen and "✓ D  MRI ← right answer" in screen
    press(child, "4", "0-2 grade")  # refused: a wrong pick is a failed recall
    assert "Your pick was wrong, a failed recall: grade 0, 1 or 2." in child.before
    press(child, "2", REVEAL)  # mri-use
    press(child, " ", GRADE)
    screen = press(child, "3", REVEAL)  # weak-bones again, as a repeat
    assert "again later today" in screen
    screen = press(child, " ", GRADE)
    assert "Same-day repeat: the grade does not change the schedule" in screen
    press(child, "4", REVEAL)  # fracture c1 repeat
    press(child, " ", GRADE)
    press(child, "5", CHOOSE)  # case-mri repeat
    screen = press(child, "d", "3-5 grade")
    assert "✓ D  MRI ← your answer, right" in screen
    press(child, "5", REVEAL)  # mri-use repeat (it was graded 3)
    press(child, " ", GRADE)
    press(child, "4", "Session over.")
    child.expect_exact("Due tomorrow")
    assert finish(child) == 0
    assert log(db) == [
        ("weak-bones", 0, "new", False),
        ("fracture-nerve c1", 1, "new", False),
        ("case-mri", 2, "new", False),
        ("mri-use", 3, "new", False),
        ("weak-bones", 4, "repeat", False),
        ("fracture-nerve c1", 5, "repeat", False),
        ("case-mri", 5, "repeat", False),
        ("mri-use", 4, "repeat", False),
    ]


def test_wrong_keys_enter_and_early_digits_grade_nothing(db):
    child = spawn(db)
    child.expect_exact(REVEAL)
    press(child, "4", "Look at the answer before grading.")
    press(child, "x", "'x' does nothing here")
    press(child, "\x1bOP", "That key does nothing here")  # F1
    press(child, "\r", GRADE)  # Enter reveals
    press(child, "\r", "Enter does not grade")
    press(child, " ", "Enter does not grade: press a grade from 0 to 5.")
    press(child, "q", "No cards answered in this session.")
    assert finish(child) == 0
    assert log(db) == []


def test_source_shows_the_passage_and_undo_takes_the_answer_back(db):
    child = spawn(db)
    child.expect_exact(REVEAL)
    press(child, " ", GRADE)
    screen = press(child, "s", GRADE)
    assert "Source: Demo article" in screen
    assert "[Bones weaken with age.] A fracture of the spine" in " ".join(screen.split())
    press(child, "5", REVEAL)
    screen = press(child, "u", REVEAL)
    assert "Undone: grade 5 of demo/weak-bones; answer it again." in screen
    assert "What happens to bones with age?" in screen
    press(child, " ", GRADE)
    press(child, "3", REVEAL)
    press(child, "q", "Session ended.")
    assert finish(child) == 0
    assert log(db) == [("weak-bones", 5, "new", True), ("weak-bones", 3, "new", False)]


def test_quit_in_the_middle_keeps_answers_leaves_the_rest_and_restores_the_terminal(db):
    child = spawn(db, shell_after="stty -a")
    child.expect_exact(REVEAL)
    press(child, " ", GRADE)
    press(child, "5", REVEAL)
    press(child, " ", GRADE)
    press(child, "4", CHOOSE)
    press(child, "q", "Session ended.")
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "0"
    child.expect(pexpect.EOF)
    stty = child.before
    assert re.search(r"(?<!-)icanon", stty) and re.search(r"(?<!-)echo\b", stty) and re.search(r"(?<!-)isig", stty)
    assert log(db) == [("weak-bones", 5, "new", False), ("fracture-nerve c1", 4, "new", False)]
    assert still_new(db) == ["fracture-nerve2", "case-mri1", "mri-use1"]


def test_ctrl_c_in_the_middle_ends_cleanly_with_code_130_and_keeps_answers(db):
    child = spawn(db, shell_after="stty -a")
    child.expect_exact(REVEAL)
    press(child, " ", GRADE)
    press(child, "3", REVEAL)
    press(child, " ", GRADE)
    press(child, "\x03", "Session ended.")
    child.expect_exact("Interrupted; every answer above is saved.")
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "130"
    child.expect(pexpect.EOF)
    assert re.search(r"(?<!-)icanon", child.before) and re.search(r"(?<!-)echo\b", child.before)
    assert log(db) == [("weak-bones", 3, "new", False)]
    # The rest is still there, and weak-bones still owes its same-day repeat.
    again = spawn(db)
    again.expect_exact(REVEAL)
    assert "Card 1 of 4  3 new · 0 review · 1 repeat" in again.before
    assert "What happens to bones with age?" in again.before
    again.send("q")
    assert finish(again) == 0


def test_every_acknowledged_answer_survives_sigkill(db):
    child = spawn(db)
    child.expect_exact(REVEAL)
    press(child, " ", GRADE)
    child.send("4")
    child.expect_exact("Saved: grade 4")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL
    assert log(db) == [("weak-bones", 4, "new", False)]


def test_colour_on_a_terminal_and_none_with_no_color(db):
    child = spawn(db, colour=True)
    child.expect_exact("show the answer")
    assert "\x1b[1m" in child.before
    press(child, " ", "grade")
    child.send("q")
    finish(child)
    plain = spawn(db)
    plain.expect_exact(REVEAL)
    # Only the cursor and screen controls remain: no colour or bold (SGR) codes.
    assert not re.search(r"\x1b\[[0-9;]*m", plain.before)
    plain.send("q")
    finish(plain)
