"""Every byte that reaches the terminal goes through one gate.

Deck titles, ids, unknown keys, file names, error messages, JSON and the
review screen: whatever a deck, a database or a path holds, no escape
sequence (an OSC 52 clipboard write, a title change, clearing the screen),
no control character and no bidi override reaches the terminal; names and
keys quoted in a message are shown escaped, on one line; JSON keeps the
exact text, escaped.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import sys
import time
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from study_deck import DECK, write_deck
from test_bad_input import toml_string
from test_review_pty import finish, press, spawn

from osteo_learn.commands.cli import cli
from osteo_learn.core.text import clean, json_safe, shown
from osteo_learn.terminal import gate as terminal_gate
from osteo_learn.terminal import screen as terminal_screen
from osteo_learn.terminal.layout import wrap
from osteo_learn.terminal.style import Style

OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # write "pwned" to the clipboard
TITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J\x1b[H"
# Bidi embeddings, overrides, isolates and marks, and other characters that hide or reorder text.
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
HIDING = ["\u2061", "\u206a", "\ufeff", "\ufff9", "\U000e0041", "\U000e0001", "\u180e"]
C1 = ["\x85", "\x90", "\x9b", "\x9d", "\x9c", "\x7f"]


def unsafe(text: str) -> list[str]:
    """What in ``text`` a terminal would act on, judged independently of the code under test:
    ESC and every other C0 control but newline and tab, DEL and C1, lone surrogates, and the
    bidi and hiding characters above."""
    return [
        c
        for c in text
        if (unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t") or c in BIDI or c in HIDING
    ]


# -- the cleaning function ----------------------------------------------------------


@pytest.mark.parametrize("char", BIDI + HIDING + C1 + ["\ud800", "\udcff"])
def test_clean_drops_bidi_controls_hiding_characters_c1_and_surrogates(char):
    assert unsafe(clean(f"a{char}b")) == []


def test_clean_keeps_what_scripts_need():
    text = "عظام\u200cهشة שבר 👩\u200d⚕️ co\u00adoperate ١٢\u0600"
    assert clean(text) == text


def test_clean_ends_an_unterminated_string_sequence_without_eating_the_rest():
    assert clean("before \x1b]52;c;cHduZWQ= after") == "before 52;c;cHduZWQ= after"
    assert clean(f"a{OSC52}b{TITLE}c{CLEAR}d") == "abcd"


@pytest.mark.parametrize(
    "text",
    ["\x1b]" * 200_000, "\x1b]" + "a" * 1_000_000, "\x9b" + "0" * 1_000_000, "\x1b[" + "1;" * 500_000, "\x9d" * 300_000],
    ids=["openers", "unterminated", "c1-csi", "long-csi", "c1-openers"],
)
def test_clean_is_linear_in_the_text(text):
    started = time.perf_counter()
    cleaned = clean(text)
    assert time.perf_counter() - started < 1.0
    assert unsafe(cleaned) == []


@given(st.text())
def test_clean_is_idempotent_and_leaves_nothing_unsafe(text):
    cleaned = clean(text)
    assert unsafe(cleaned) == []
    assert clean(cleaned) == cleaned


@given(st.text())
def test_shown_is_one_printable_line(text):
    quoted = shown(text)
    assert "\n" not in quoted and "\u2028" not in quoted and "\u2029" not in quoted and unsafe(quoted) == []


def test_shown_escapes_what_it_cannot_show_and_cuts_long_values():
    assert shown("a\nb\x1b]52\u202e\udcff") == "a\\nb\\x1b]52\\u202e\\xff"
    assert shown("x" * 60_000) == "x" * 200 + "… (60,000 characters)"


@given(st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)))
def test_json_safe_keeps_the_exact_data_and_escapes_everything_a_terminal_acts_on(data):
    text = json_safe(json.dumps(data, ensure_ascii=False))
    assert unsafe(text) == []
    assert json.loads(text) == data


# -- the gate ---------------------------------------------------------------------


def test_the_tools_own_sequences_pass_the_gate_to_a_terminal_and_only_there():
    style = Style(True)
    own = [
        style.bold("b"), style.dim("d"), style.red("r"), style.green("g"), style.yellow("y"), style.cyan("c"),
        style.key("k"), style.marks("\ue000m\ue001"), *terminal_screen.SEQUENCES,
    ]
    for text in own:
        assert terminal_gate.gate(text, terminal=True) == text
        assert "\x1b" not in terminal_gate.gate(text, terminal=False)


@given(st.text(alphabet=st.sampled_from(["\x1b", "[", "]", "m", "0", "1", ";", "2", "J", "H", "K", "\r", "\x07", "a", "\u202e", "\x9b"]), max_size=40))
def test_the_gate_lets_through_no_sequence_but_the_tools_own(text):
    out = terminal_gate.gate(text, terminal=True)
    leftover = terminal_gate.OWN_SEQUENCES.sub("", out)
    assert unsafe(leftover) == []
    assert unsafe(terminal_gate.gate(text, terminal=False)) == []


def test_a_gated_stream_cleans_every_write_and_offers_no_byte_path_around_it():
    target = io.StringIO()
    stream = terminal_gate.GatedStream(target)
    stream.write(f"title {OSC52}{BIDI[4]}x\n")
    assert target.getvalue() == "title x\n"
    assert not hasattr(stream, "buffer")
    with pytest.raises(TypeError):
        stream.write(b"\x1b]52;c;x\x07")


# -- every command's output --------------------------------------------------------

HOSTILE = f"{OSC52}Evil {BIDI[4]}deck{TITLE}{CLEAR}\x9b31m{HIDING[4]}"


def hostile_deck(folder, title=HOSTILE, extra_key=None):
    text = DECK.replace('title = "Demo deck"', f"title = {toml_string(title)}", 1)
    text = text.replace('front = "What happens to bones with age?"', f"front = {toml_string('Bones ' + HOSTILE + ' age?')}", 1)
    if extra_key:
        text = text.replace('kind = "basic"', f'kind = "basic"\n{toml_string(extra_key)} = 1', 1)
    return write_deck(folder, text)


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, env={"OSTEO_LEARN_TODAY": "2026-03-02", "COLUMNS": "80"})


def test_a_hostile_deck_title_never_reaches_the_terminal_raw_in_any_command(tmp_path):
    deck = hostile_deck(tmp_path / "decks")
    db = tmp_path / "study.db"
    outputs = []
    for args in (
        ["add-deck", "--db", db, deck],
        ["check", deck],
        ["status", "--db", db],
        ["cards", "--db", db],
        ["cards", "--db", db, "--json"],
        ["stats", "--db", db],
        ["stats", "--db", db, "--json"],
        ["review", "--db", db, "--deck", "demo"],
        ["export", "--db", db, "-o", tmp_path / "out.apkg"],
    ):
        result = run(*args, input="\n4\nq\n")
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    for output in outputs:
        assert unsafe(output) == [], output
        assert "owned" not in output and "52;c" not in output
    assert "Deck 'demo' (Evil deck" in outputs[0]


def test_status_json_keeps_the_exact_title_escaped(tmp_path):
    deck = hostile_deck(tmp_path / "decks")
    db = tmp_path / "study.db"
    assert run("add-deck", "--db", db, deck).exit_code == 0
    result = run("status", "--db", db, "--json")
    assert result.exit_code == 0
    assert unsafe(result.output) == []
    [demo] = [d for d in json.loads(result.output)["decks"] if d["deck"] == "demo"]
    assert demo["title"] == HOSTILE
    assert "\\u202e" in result.output and "\\u009b" in result.output and "\\u001b]52" in result.output


def test_unknown_keys_and_file_names_in_check_messages_are_shown_escaped_on_one_line(tmp_path):
    folder = tmp_path / f"decks{OSC52}{BIDI[4]}\nfake"
    deck = hostile_deck(folder, extra_key=f"bad{TITLE}\nkey")
    result = run("check", deck)
    assert result.exit_code == 1
    assert unsafe(result.output) == []
    problem, summary = result.output.splitlines()
    assert "decks\\x1b]52;c;cHduZWQ=\\x07\\u202e\\nfake" in problem
    assert "unknown field 'bad\\x1b]0;owned\\x07\\nkey' for a basic card" in problem
    assert summary == "Error: 1 of 1 deck file(s) have problems"


def test_a_file_name_that_is_not_utf8_is_shown_not_a_crash(tmp_path):
    name = os.fsdecode(b"deck-\xff\x1b[2J.toml")
    path = tmp_path / name
    path.write_text("not toml at all [", encoding="utf-8")
    result = run("check", path)
    assert result.exit_code == 1
    assert unsafe(result.output) == []
    assert "deck-\\xff\\x1b[2J.toml:1: invalid TOML" in result.output


def test_usage_errors_echo_hostile_values_through_the_gate(tmp_path):
    for args in (["cards", "--state", f"x{OSC52}"], ["config", f"n{TITLE}{BIDI[0]}"], ["review", "--deck", f"d{CLEAR}"], ["review", "--tag", f"t{OSC52}"]):
        result = run(*args, "--db", tmp_path / "s.db")
        assert result.exit_code == 2, result.output
        assert unsafe(result.output) == [], result.output


def test_error_messages_from_the_database_go_through_the_gate(tmp_path):
    db = tmp_path / f"study{TITLE}.db"
    db.write_text("not a database")
    result = run("status", "--db", db)
    assert result.exit_code == 1
    assert unsafe(result.output) == []
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_a_hand_edited_database_title_is_cleaned_in_every_command(tmp_path):
    db = tmp_path / "study.db"
    assert run("status", "--db", db).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE decks SET title = ?", (HOSTILE,))
    conn.commit()
    conn.close()
    for args in (["status"], ["status", "--json"], ["review"], ["stats"]):
        result = run(*args, "--db", db, input="\n4\nq\n")
        assert result.exit_code == 0, result.output
        assert unsafe(result.output) == [], args


deck_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=deck_text, front=deck_text, key=deck_text)
def test_any_text_in_a_deck_reaches_no_command_output_raw(tmp_path_factory, title, front, key):
    folder = tmp_path_factory.mktemp("decks")
    text = DECK.replace('title = "Demo deck"', f"title = {toml_string(title)}", 1)
    text = text.replace('front = "What happens to bones with age?"', f"front = {toml_string(front)}", 1)
    broken = write_deck(folder / "broken", text.replace('kind = "basic"', f'kind = "basic"\n{toml_string(key)} = 1', 1))
    deck = write_deck(folder, text)
    db = folder / "study.db"
    for args in (["check", broken], ["add-deck", "--db", db, broken], ["add-deck", "--db", db, deck], ["status", "--db", db], ["status", "--db", db, "--json"], ["review", "--db", db, "--deck", "demo"]):
        result = run(*args, input="\n4\nq\n")
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
        assert unsafe(result.output) == [], (args, result.output)


# -- the review screen on a real terminal ----------------------------------------------


def test_bidi_and_hiding_characters_never_reach_the_review_screen(tmp_path):
    hidden = "".join(BIDI + HIDING)
    text = DECK.replace('title = "Demo deck"', f"title = {toml_string('Demo' + hidden)}", 1)
    text = text.replace('front = "What happens to bones with age?"', f"front = {toml_string('What happens ' + hidden + 'to bones?')}", 1)
    text = text.replace('back = "They weaken."', f"back = {toml_string('They ' + OSC52 + hidden + 'weaken.')}", 1)
    deck = write_deck(tmp_path / "decks", text)
    db = tmp_path / "study.db"
    assert run("add-deck", "--db", db, deck).exit_code == 0
    child = spawn(db, colour=True)
    seen = io.StringIO()
    child.logfile_read = seen
    child.expect_exact("show the answer")
    press(child, " ", "grade")
    press(child, "q", "Due tomorrow")
    assert finish(child) == 0
    screen = seen.getvalue()
    assert [c for c in screen if c in BIDI or c in HIDING] == []
    assert "52;c" not in screen
    assert "What happens to bones?" in screen and "They weaken." in screen
    # Only the review's own sequences reach the terminal.
    leftover = terminal_gate.OWN_SEQUENCES.sub("", screen.replace("\r\n", "\n"))
    assert "\x1b" not in leftover


def test_wrap_of_a_200_kb_word_is_linear():
    started = time.perf_counter()
    wrapped = wrap("x" * 200_000, 80, "  ")
    assert time.perf_counter() - started < 1.0
    assert wrapped.count("\n") == 200_000 // 78


def test_the_gate_is_installed_for_the_real_command_line(tmp_path):
    deck = hostile_deck(tmp_path / "decks", extra_key=f"k{OSC52}")
    import subprocess

    result = subprocess.run([sys.executable, "-m", "osteo_learn", "check", str(deck)], capture_output=True, text=True)
    assert result.returncode == 1
    assert unsafe(result.stdout + result.stderr) == []
    assert re.search(r"unknown field 'k\\x1b\]52;c;cHduZWQ=\\x07'", result.stderr)


def test_even_a_traceback_goes_through_the_gate_in_the_real_command_line():
    import subprocess

    code = (
        "import sys\n"
        "from osteo_learn.commands import cli, reports\n"
        "def broken(*args, **kwargs):\n"
        f"    raise RuntimeError({OSC52 + BIDI[4] + 'a bug'!r})\n"
        "reports.status.callback = broken\n"
        "sys.argv = ['osteo-learn', 'status']\n"
        "cli.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "RuntimeError: a bug" in result.stderr
    assert unsafe(result.stderr) == []


@given(st.text())
def test_the_printable_shortcut_agrees_with_the_full_check(text):
    from osteo_learn.core import text as core_text

    assert core_text.is_safe(text) == (core_text._pattern("needs work").search(text) is None)
