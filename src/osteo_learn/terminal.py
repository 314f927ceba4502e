"""The terminal: keys in, cleaned and styled text out.

* Keys: when stdin is a terminal, one key press at a time, read in a
  non-canonical, no-echo mode (Ctrl-C arrives as a key, not a signal); the
  terminal's mode is restored on every way out, exceptions included. When
  stdin is not a terminal (a pipe, a script, a test), one answer per line.
* Style: bold and colour only when stdout is a terminal, ``NO_COLOR`` is
  unset or empty and ``TERM`` is not ``dumb``; otherwise plain text, where a
  highlight is shown in brackets.
* :func:`clean` removes control characters and escape sequences from text
  that comes from deck files, so a deck cannot move the cursor, clear the
  screen or change the terminal's title; letters of every script, combining
  marks, newlines and tabs are kept.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

# Keys that are not printable characters, as returned by the key readers.
ENTER = "\n"
INTERRUPT = "\x03"
EOF = "\x04"

# Marks around a highlighted span inside text to be wrapped (private-use
# characters, removed from deck text by clean()).
MARK = "\ue000"
END_MARK = "\ue001"

_ESCAPE_SEQUENCES = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]                 # CSI: cursor moves, colours, erasing
    | \x9b [0-?]* [ -/]* [@-~]                   # CSI as one C1 character
    | [\x1b][\]PX^_] .*? (?: \x07 | \x1b\\ )     # OSC, DCS, SOS, PM, APC strings
    | [\x9d\x90\x98\x9e\x9f] .*? (?: \x07 | \x9c )
    | \x1b [ -/]* [0-~]                          # other escape sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# Everything in C0 but tab and newline, DEL, C1, and our marks.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ue000\ue001]")


def clean(text: str) -> str:
    """Text safe to print: escape sequences and control characters removed.

    Newlines and tabs stay; a carriage return before a newline is dropped
    and any other is removed (it would let a line overwrite itself).
    """
    text = text.replace("\r\n", "\n")
    return _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", text))


# -- style ---------------------------------------------------------------------


def colour_wanted(stream: TextIO) -> bool:
    """Colour and bold on ``stream``: a terminal, no ``NO_COLOR``, not ``TERM=dumb``."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Style:
    """Bold, dim and colour, or plain text when ``enabled`` is false."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def _sgr(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._sgr(text, "1")

    def dim(self, text: str) -> str:
        return self._sgr(text, "2")

    def green(self, text: str) -> str:
        return self._sgr(text, "32")

    def red(self, text: str) -> str:
        return self._sgr(text, "31")

    def yellow(self, text: str) -> str:
        return self._sgr(text, "33")

    def cyan(self, text: str) -> str:
        return self._sgr(text, "36")

    def key(self, text: str) -> str:
        """A key name in a hint line."""
        return self._sgr(text, "1;36")

    def marks(self, text: str) -> str:
        """Turn :data:`MARK` ... :data:`END_MARK` spans into bold colour, or ``[...]`` in plain text."""
        if self.enabled:
            return text.replace(MARK, "\x1b[1;36m").replace(END_MARK, "\x1b[0m")
        return text.replace(MARK, "[").replace(END_MARK, "]")


def marked(text: str) -> str:
    """``text`` as a highlighted span, for :func:`wrap` and :meth:`Style.marks`."""
    return f"{MARK}{text}{END_MARK}"


# -- layout ----------------------------------------------------------------------


def width_of(text: str) -> int:
    """Columns ``text`` takes: wide characters two, combining marks none."""
    total = 0
    for char in text:
        if unicodedata.combining(char) or char in "\u200b\u200c\u200d\ufeff":
            continue
        total += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return total


def terminal_width(stream: TextIO, default: int = 80) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or default
    except (AttributeError, ValueError, OSError):
        try:
            return int(os.environ.get("COLUMNS", default))
        except ValueError:
            return default


def wrap(text: str, width: int, indent: str = "") -> str:
    """Wrap each line of ``text`` to ``width`` columns, every line starting with ``indent``.

    Blank lines are kept; a word longer than a line is broken.
    """
    room = max(width - width_of(indent), 10)
    out: list[str] = []
    for paragraph in text.expandtabs(4).split("\n"):
        if not paragraph.strip():
            out.append("")
            continue
        line, used = "", 0
        for word in paragraph.split():
            size = width_of(word)
            while size > room:
                # Break a very long word: fill the rest of this line, or a new one.
                if line:
                    out.append(indent + line)
                    line, used = "", 0
                cut, taken = 0, 0
                while cut < len(word) and taken + width_of(word[cut]) <= room:
                    taken += width_of(word[cut])
                    cut += 1
                cut = max(cut, 1)
                out.append(indent + word[:cut])
                word = word[cut:]
                size = width_of(word)
            if not word:
                continue
            if line and used + 1 + size > room:
                out.append(indent + line)
                line, used = "", 0
            line, used = (f"{line} {word}", used + 1 + size) if line else (word, size)
        out.append(indent + line)
    return "\n".join(out)


# -- keys --------------------------------------------------------------------------


class Keys(Protocol):
    single_key: bool

    def read(self) -> str:
        """The next key (or line): a character, :data:`ENTER`, :data:`INTERRUPT` or :data:`EOF`."""
        ...


class LineKeys:
    """One answer per line, for pipes and scripts: ``q``, ``3``, an empty line for Enter."""

    single_key = False

    def __init__(self, stream: TextIO):
        self.stream = stream

    def read(self) -> str:
        try:
            line = self.stream.readline()
        except KeyboardInterrupt:
            return INTERRUPT
        if not line:
            return EOF
        return line.strip() or ENTER


class RawKeys:
    """Single key presses from a terminal; use through :func:`keys`."""

    single_key = True

    def __init__(self, fd: int):
        self.fd = fd

    def read(self) -> str:
        try:
            first = os.read(self.fd, 1)
        except KeyboardInterrupt:
            return INTERRUPT
        except OSError:
            return EOF
        if not first or first == b"\x04":
            return EOF
        if first == b"\x03":
            return INTERRUPT
        if first in (b"\r", b"\n"):
            return ENTER
        if first == b"\x1b":
            # An escape sequence (arrow keys, function keys) arrives at once:
            # take it whole, so it counts as one unknown key.
            return "\x1b" + self._pending().decode("utf-8", "replace")
        lead = first[0]
        more = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
        data = first
        for _ in range(more):
            data += os.read(self.fd, 1)
        return data.decode("utf-8", "replace")

    def _pending(self) -> bytes:
        import select

        data = b""
        while select.select([self.fd], [], [], 0.03)[0]:
            chunk = os.read(self.fd, 64)
            if not chunk:
                break
            data += chunk
        return data


@contextmanager
def keys(stdin: TextIO | None = None) -> Iterator[Keys]:
    """A key reader for ``stdin``: single keys on a terminal, else lines.

    On a terminal the mode is changed for the duration only and always put
    back. While it is changed, SIGTERM and SIGHUP end the program through
    ``SystemExit`` (exit code 128 + the signal number), so the terminal is
    restored then too.
    """
    stdin = stdin if stdin is not None else sys.stdin
    if not is_terminal(stdin):
        yield LineKeys(stdin)
        return
    import termios

    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.IXON)  # Ctrl-S and Ctrl-Q are keys, not flow control
    mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    handlers = _exit_on_signals()
    try:
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        yield RawKeys(fd)
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass  # the terminal is gone
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def _exit_on_signals() -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, stop)
    return previous
