"""The full-screen review on a real pseudo-terminal, read back through a terminal emulator (pyte).

The alternate screen, a card taller than the window scrolled with keys, a
resize redrawn at once (the pty's size set, SIGWINCH sent by the kernel),
Ctrl-Z under a real shell with job control, and the card-control keys.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pexpect
import pyte
import pytest
from study_deck import DECK_ID, study_db

from osteo_learn.store import Store

DAY = "2026-03-02"
ENTER_ALT, LEAVE_ALT = "\x1b[?1049h", "\x1b[?1049l"


class Terminal:
    """A review on a pty, its output fed to an emulated screen of the same size."""

    def __init__(self, argv: list[str], rows: int, cols: int, env: dict | None = None):
        full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        full_env.update({"OSTEO_LEARN_TODAY": DAY, "TERM": "xterm-256color", "NO_COLOR": "1", **(env or {})})
        self.child = pexpect.spawn(argv[0], argv[1:], env=full_env, dimensions=(rows, cols), encoding="utf-8", timeout=10)
        self.child.delaybeforesend = None
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        self.raw = ""

    def pump(self, seconds: float = 0.05) -> None:
        try:
            while True:
                data = self.child.read_nonblocking(65536, timeout=seconds)
                self.raw += data
                self.stream.feed(data)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait(self, what: str, timeout: float = 10) -> str:
        """Pump output until ``what`` is on the emulated screen; return the screen."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump()
            if what in self.text():
                return self.text()
        raise AssertionError(f"{what!r} never appeared; the screen:\n{self.text()}")

    def press(self, key: str, what: str) -> str:
        self.child.send(key)
        return self.wait(what)

    def resize(self, rows: int, cols: int) -> None:
        self.screen.resize(rows, cols)
        self.child.setwinsize(rows, cols)  # the kernel sends SIGWINCH to the review

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.raw += self.child.before or ""
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def db(tmp_path):
    return study_db(tmp_path)


def review(db, *args, rows=24, cols=80, env=None) -> Terminal:
    return Terminal([sys.executable, "-m", "osteo_learn", "review", "--db", str(db), *args], rows, cols, env)


def test_the_review_draws_in_the_alternate_screen_and_prints_the_summary_after_it(db):
    term = review(db, "--deck", DECK_ID)
    term.wait("space show the answer")
    term.press(" ", "0-5 grade")
    term.press("5", "Saved: grade 5")
    term.press(" ", "0-5 grade")
    term.child.send("q")
    assert term.finish() == 0
    raw = term.raw
    # Every frame is drawn inside the alternate screen; the summary after leaving it,
    # so the scrollback holds the summary and no copy of any frame.
    assert raw.count(ENTER_ALT) == 1 and raw.count(LEAVE_ALT) == 1
    assert raw.index(ENTER_ALT) < raw.index("Card 1 of") < raw.rindex("Card 2 of") < raw.index(LEAVE_ALT)
    assert raw.index(LEAVE_ALT) < raw.index("Session ended.")
    assert "Card" not in raw[raw.index(LEAVE_ALT) :]


def first_case(db):
    """The bundled deck's first case vignette, and the letter its answer is shown with on DAY."""
    from datetime import date

    from osteo_learn.core.shuffle import option_order
    from osteo_learn.store.library import open_library

    store, _ = open_library(db)
    with store:
        case = next(c for c in store.cards.all() if c.kind == "vignette")
        count = sum(1 for c in store.cards.all() if c.kind == "vignette")
    content = case.card.content
    order = option_order(case.deck_id, case.card_id, date.fromisoformat(DAY), len(content.options))
    return content, count, "abcde"[order.index(content.answer_index)]


def test_at_80x24_a_revealed_case_with_its_source_keeps_the_header_case_and_question_and_scrolls(tmp_path):
    db = tmp_path / "s.db"
    content, count, right = first_case(db)
    stem, question = " ".join(content.stem.split()[:4]), " ".join(content.question.split()[:4])
    term = review(db, "--kind", "vignette", rows=24, cols=80)
    term.wait("choose an answer")
    term.press(right, "3-5 grade")
    screen = term.press("s", "more below")
    lines = term.lines()
    assert lines[0].startswith(f"Card 1 of {count}  {count} new · 0 review · 0 repeat")
    assert stem in " ".join(screen.split()) and question in " ".join(screen.split())
    assert re.fullmatch(r"lines 1-\d+ of \d+, more below · ↑↓ or j k scroll", lines[-2]), lines[-2]
    assert lines[-1].startswith("3-5 grade · s source")
    total = int(re.search(r"of (\d+)", lines[-2]).group(1))
    assert total > 24
    # One line down with j, then to the end: the grades and the source come into view;
    # the header and the hints never move.
    term.press("j", "lines 2-")
    screen = term.press("\x1b[F", ", end")  # End
    assert "How well did you recall it?" in screen and "Source: Can Osteoporosis Cause Leg Numbness?" in screen
    assert term.lines()[0].startswith(f"Card 1 of {count}") and term.lines()[-1].startswith("3-5 grade")
    screen = term.press("\x1b[H", "lines 1-")  # Home
    assert stem in " ".join(screen.split())
    assert all(len(line) <= 80 for line in term.lines())
    term.child.send("q")
    assert term.finish() == 0


def test_a_resize_redraws_at_once_without_a_key(db):
    term = review(db, "--deck", DECK_ID, rows=30, cols=100)
    term.wait("space show the answer")
    assert "─" * 90 in term.text()
    term.resize(24, 50)
    screen = term.wait("─" * 50)
    assert "─" * 51 not in screen
    assert all(len(line) <= 50 for line in term.lines())
    assert term.lines()[0].startswith("Card 1 of 4")
    term.resize(30, 70)
    term.wait("─" * 70)
    term.child.send("q")
    assert term.finish() == 0


def test_ctrl_z_stops_with_the_terminal_restored_and_fg_redraws(db, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update({"OSTEO_LEARN_TODAY": DAY, "TERM": "xterm-256color", "NO_COLOR": "1", "PS1": "$ "})
    shell = pexpect.spawn("/bin/bash", ["--norc", "--noprofile", "-i"], env=env, dimensions=(24, 80), encoding="utf-8", timeout=10)
    shell.delaybeforesend = None
    shell.expect_exact("$ ")
    shell.sendline(f"{sys.executable} -m osteo_learn review --db {db} --deck {DECK_ID}")
    shell.expect_exact("space show the answer")
    shell.send(" ")
    shell.expect_exact("0-5 grade")
    shell.send("\x1a")
    shell.expect(r"Stopped")
    assert LEAVE_ALT in shell.before
    shell.expect_exact("$ ")
    shell.sendline("stty -a; echo STTY-$((1 + 1))")
    shell.expect_exact("STTY-2\r\n")
    stty = shell.before
    assert re.search(r"(?<!-)icanon", stty) and re.search(r"(?<!-)echo\b", stty) and re.search(r"(?<!-)isig", stty)
    shell.sendline("fg")
    shell.expect_exact(ENTER_ALT)
    shell.expect_exact("0-5 grade")  # the card is back, still revealed
    shell.send("4")
    shell.expect_exact("Saved: grade 4")
    shell.send("q")
    shell.expect_exact("Session ended.")
    shell.expect_exact("$ ")
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
    with Store.open(db) as store:
        assert [int(r.grade) for r in store.log.entries()] == [4]


def events(db):
    with Store.open(db) as store:
        refs = {c.pk: c.ref for c in store.cards.all(include_retired=True)}
        return [(refs[e.card_pk], str(e.action), e.note, e.undone_at is not None) for e in store.control.events()]


def test_bury_suspend_and_flag_keys_are_logged_and_undone(db):
    term = review(db, "--deck", DECK_ID, rows=30, cols=100)
    term.wait("What happens to bones with age?")
    screen = term.press("-", "Buried demo/weak-bones: back tomorrow")
    assert "What happens to bones with age?" not in screen and "Card 2 of 4  3 new" in screen
    screen = term.press("u", "Undone: the bury of demo/weak-bones.")
    assert "What happens to bones with age?" in screen and "Card 1 of 4" in screen
    term.press("!", "Suspended demo/weak-bones: out of review until osteo-learn unsuspend demo/weak-bones")
    term.press("u", "Undone: the suspension of demo/weak-bones.")
    term.press("f", "Flag note, what is wrong or unclear")
    term.child.send("the bck")
    term.child.send("\x7f\x7fack is vague")
    term.wait("the back is vague█")
    screen = term.press("\r", "Flagged demo/weak-bones: the back is vague.")
    assert "Flagged: the back is vague (f takes the flag off)" in screen
    term.press(" ", "0-5 grade")
    term.press("5", "Saved: grade 5")
    # Undo takes back the answer, then the flag.
    term.press("u", "Undone: grade 5 of demo/weak-bones")
    term.press("u", "Undone: the flag of demo/weak-bones.")
    term.press("f", "Flag note")
    term.press("\x1b", "Not flagged.")
    term.child.send("q")
    assert term.finish() == 0
    assert events(db) == [
        ("demo/weak-bones", "bury", "", True),
        ("demo/weak-bones", "suspend", "", True),
        ("demo/weak-bones", "flag", "the back is vague", True),
    ]


EDITOR = """#!{python}
import pathlib, sys
pathlib.Path(sys.argv[0] + ".args").write_text(" ".join(sys.argv[1:]))
path = pathlib.Path(sys.argv[2])
path.write_text(path.read_text().replace({old!r}, {new!r}))
"""


def editor(tmp_path, old: str, new: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(python=sys.executable, old=old, new=new))
    script.chmod(0o755)
    return str(script)


def test_edit_opens_the_editor_at_the_cards_line_and_redraws_the_card_read_again(db, tmp_path):
    fake = editor(tmp_path, "What happens to bones with age?", "What happens to bones as we age?")
    term = review(db, "--deck", DECK_ID, rows=30, cols=100, env={"VISUAL": fake})
    term.wait("What happens to bones with age?")
    screen = term.press("o", "Edited demo/weak-bones: the deck was read again.")
    assert "What happens to bones as we age?" in screen
    deck = tmp_path / "decks" / "demo.toml"
    line = next(n for n, text in enumerate(deck.read_text().split("\n"), 1) if text == 'id = "weak-bones"')
    assert (tmp_path / "editor.py.args").read_text() == f"+{line} {deck}"
    term.press(" ", "0-5 grade")
    term.child.send("q")
    assert term.finish() == 0
    with Store.open(db) as store:
        assert next(c for c in store.cards.all() if c.ref == "demo/weak-bones").card.content.front == "What happens to bones as we age?"


def test_an_edit_that_breaks_the_deck_shows_its_problems_and_changes_nothing(db, tmp_path):
    fake = editor(tmp_path, 'kind = "basic"', 'kind = "basik"')
    term = review(db, "--deck", DECK_ID, rows=30, cols=100, env={"EDITOR": fake, "VISUAL": ""})
    term.wait("What happens to bones with age?")
    screen = term.press("o", "The deck file has problems, so nothing changed")
    assert "unknown kind 'basik'" in screen
    assert "What happens to bones with age?" in screen
    term.press(" ", "0-5 grade")
    term.child.send("q")
    assert term.finish() == 0


def test_the_bundled_deck_offers_a_flag_instead_of_an_edit(tmp_path):
    term = review(tmp_path / "s.db", rows=30, cols=100, env={"VISUAL": "/bin/false"})
    screen = term.wait("space show the answer")
    assert "o edit" not in screen
    term.press("o", "This card is from the bundled deck, not a file of yours: press f to flag it")
    term.child.send("q")
    assert term.finish() == 0


def test_keys_from_a_pipe_on_a_terminal_give_a_transcript_not_the_full_screen(db):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update({"OSTEO_LEARN_TODAY": DAY, "TERM": "xterm-256color"})
    command = f"printf '\\n5\\nq\\n' | {sys.executable} -m osteo_learn review --db {db} --deck {DECK_ID}"
    child = pexpect.spawn("/bin/sh", ["-c", command], env=env, dimensions=(24, 80), encoding="utf-8", timeout=10)
    child.expect(pexpect.EOF)
    out = child.before
    assert ENTER_ALT not in out and "\x1b[H" not in out
    assert "They weaken." in out and "Saved: grade 5" in out and "Session ended." in out


def test_output_to_a_pipe_from_keys_on_a_terminal_is_a_plain_transcript(db):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update({"OSTEO_LEARN_TODAY": DAY, "TERM": "xterm-256color"})
    command = f"{sys.executable} -m osteo_learn review --db {db} --deck {DECK_ID} | cat"
    child = pexpect.spawn("/bin/sh", ["-c", command], env=env, dimensions=(24, 80), encoding="utf-8", timeout=10)
    child.delaybeforesend = None
    child.expect_exact("space show the answer")
    child.send(" ")  # one key press, no Enter: the keys still come from the terminal
    child.expect_exact("0-5 grade")
    child.send("5")
    child.expect_exact("Saved: grade 5")
    child.send("q")
    child.expect(pexpect.EOF)
    out = child.before
    assert ENTER_ALT not in out and not re.search(r"\x1b\[[0-9;]*m", out)
    with Store.open(db) as store:
        assert [int(r.grade) for r in store.log.entries()] == [5]
