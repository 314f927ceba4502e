"""Terminal helpers: cleaning hostile text, wrapping, style switches and key input on a real pty."""

from __future__ import annotations

import io
import os
import pty
import termios

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osteo_learn.core.text import clean, marked
from osteo_learn.terminal import keys as terminal_keys
from osteo_learn.terminal import style as terminal_style
from osteo_learn.terminal.layout import width_of, wrap


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b[2J\x1b[HFake screen", "Fake screen"),  # clear screen, cursor home
        ("Title\x1b]0;owned\x07 here", "Title here"),  # window title (OSC ... BEL)
        ("Link \x1b]8;;http://x\x1b\\text\x1b]8;;\x1b\\", "Link text"),  # OSC ... ST
        ("red \x1b[31mtext\x1b[0m", "red text"),
        ("answer\rFAKE", "answerFAKE"),  # carriage return would overwrite the line
        ("back\x08\x08\x08\x08gone", "backgone"),
        ("bell\x07", "bell"),
        ("c1 \x9b2J csi", "c1  csi"),
        ("reset \x1bc done", "reset  done"),
        ("lonely escape \x1b", "lonely escape "),
        ("del\x7f", "del"),
        ("marks \ue000x\ue001", "marks x"),
    ],
)
def test_clean_removes_escape_sequences_and_control_characters(hostile, shown):
    assert clean(hostile) == shown


def test_clean_keeps_newlines_tabs_and_unicode_text():
    text = "Line one\r\nLine\ttwo\nعظام هشة — שבר\ncafe\u0301 ü 骨粗鬆症 \u200d"
    assert clean(text) == text.replace("\r\n", "\n")


@given(st.text())
def test_clean_output_never_holds_a_control_character(text):
    cleaned = clean(text)
    assert not any(
        (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in cleaned
    )


# Format characters (Cf) are controls too, but for those scripts and emoji need.
_TEXT_WITHOUT_CONTROLS = st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cf", "Zl", "Zp")) | st.sampled_from(
    ["\u00ad", "\u200c", "\u200d", "\u0600", "\u06dd"]
)


@given(st.text(alphabet=_TEXT_WITHOUT_CONTROLS))
def test_clean_leaves_text_without_controls_untouched(text):
    assert clean(text) == text


def test_width_counts_wide_characters_twice_and_combining_marks_not_at_all():
    assert width_of("abc") == 3
    assert width_of("骨") == 2
    assert width_of("e\u0301") == 1


def test_wrap_keeps_lines_within_width_and_blank_lines():
    text = "one two three four five six seven eight nine ten\n\nsecond paragraph"
    wrapped = wrap(text, 20, indent="  ")
    lines = wrapped.split("\n")
    assert all(width_of(line) <= 20 for line in lines)
    assert "" in lines
    assert " ".join(wrapped.split()) == " ".join(text.split())


def test_wrap_breaks_a_word_longer_than_the_line():
    wrapped = wrap("x" * 25, 10)
    assert wrapped.split("\n") == ["x" * 10, "x" * 10, "x" * 5]


@given(st.text(alphabet=st.sampled_from(list("ab 骨\u0301\n")), max_size=200), st.integers(10, 60))
def test_wrap_never_exceeds_the_width_and_keeps_every_word(text, width):
    wrapped = wrap(text, width)
    assert all(width_of(line) <= width for line in wrapped.split("\n"))
    assert "".join(wrapped.split()) == "".join(text.split())


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert terminal_style.colour_wanted(FakeTty())
    assert not terminal_style.colour_wanted(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal_style.colour_wanted(FakeTty())
    monkeypatch.setenv("NO_COLOR", "")
    assert terminal_style.colour_wanted(FakeTty())
    monkeypatch.setenv("TERM", "dumb")
    assert not terminal_style.colour_wanted(FakeTty())


def test_plain_style_shows_highlights_in_brackets_and_no_escapes():
    plain = terminal_style.Style(False)
    assert plain.marks(f"a {marked('b')} c") == "a [b] c"
    assert plain.bold("x") == "x"
    coloured = terminal_style.Style(True)
    assert coloured.bold("x") == "\x1b[1mx\x1b[0m"
    assert "\x1b[" in coloured.marks(marked("b"))


def test_line_keys_read_one_answer_per_line():
    reader = terminal_keys.LineKeys(io.StringIO("3\n\n  q  \n"))
    assert [reader.read() for _ in range(4)] == ["3", terminal_keys.ENTER, "q", terminal_keys.EOF]


@pytest.fixture
def pty_pair():
    master, slave = pty.openpty()
    slave_file = os.fdopen(slave, "r")
    yield master, slave_file
    os.close(master)
    slave_file.close()


def test_raw_keys_read_single_presses_and_restore_the_terminal(pty_pair):
    master, slave = pty_pair
    before = termios.tcgetattr(slave.fileno())
    with terminal_keys.keys(slave) as reader:
        assert reader.single_key
        during = termios.tcgetattr(slave.fileno())
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
        os.write(master, b"4")
        assert reader.read() == "4"
        os.write(master, b"\r")
        assert reader.read() == terminal_keys.ENTER
        os.write(master, b"\x1b[A")  # arrow up: one unknown key, not three
        assert reader.read() == "\x1b[A"
        os.write(master, "é".encode())
        assert reader.read() == "é"
        os.write(master, b"\x03")
        assert reader.read() == terminal_keys.INTERRUPT
        os.write(master, b"\x04")
        assert reader.read() == terminal_keys.EOF
    assert termios.tcgetattr(slave.fileno()) == before


def test_terminal_mode_is_restored_when_an_exception_escapes(pty_pair):
    _, slave = pty_pair
    before = termios.tcgetattr(slave.fileno())
    with pytest.raises(RuntimeError):
        with terminal_keys.keys(slave):
            raise RuntimeError("boom")
    assert termios.tcgetattr(slave.fileno()) == before
