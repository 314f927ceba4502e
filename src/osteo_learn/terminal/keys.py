"""Keys in: single key presses on a terminal, one answer per line elsewhere.

When stdin is a terminal, one key press at a time is read in a
non-canonical, no-echo mode (Ctrl-C arrives as a key, not a signal); the
terminal's mode is restored on every way out, exceptions included. When
stdin is not a terminal (a pipe, a script, a test), one answer per line.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from osteo_learn.terminal.style import is_terminal

# Keys that are not printable characters, as returned by the key readers.
ENTER = "\n"
INTERRUPT = "\x03"
EOF = "\x04"


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
