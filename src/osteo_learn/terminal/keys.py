"""Keys in: single key presses on a terminal, one answer per line elsewhere.

When stdin is a terminal, one key press at a time is read in a
non-canonical, no-echo mode (Ctrl-C and Ctrl-Z arrive as keys, not
signals); the terminal's mode is restored on every way out, exceptions
included, and can be handed back for a while (:meth:`RawKeys.pause`: to
stop on Ctrl-Z, or to run an editor). A resize of the terminal (SIGWINCH)
and a stop asked from outside (SIGTSTP) wake the reader at once: it
returns :data:`RESIZE` or :data:`SUSPEND`, so the screen is redrawn without
waiting for a key. When stdin is not a terminal (a pipe, a script, a
test), one answer per line.
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
SUSPEND = "\x1a"
"""Ctrl-Z, or a SIGTSTP sent from outside: stop with the terminal restored."""
RESIZE = "\x00resize"
"""Not a key: the terminal changed size (SIGWINCH)."""
ESCAPE = "\x1b"
BACKSPACE = ("\x7f", "\x08")

# Escape sequences of the keys that scroll a card taller than the window.
UP = ("\x1b[A", "\x1bOA")
DOWN = ("\x1b[B", "\x1bOB")
PAGE_UP = ("\x1b[5~",)
PAGE_DOWN = ("\x1b[6~",)
HOME = ("\x1b[H", "\x1b[1~", "\x1bOH")
END = ("\x1b[F", "\x1b[4~", "\x1bOF")


class Keys(Protocol):
    single_key: bool

    def read(self) -> str:
        """The next key (or line): a character, :data:`ENTER`, :data:`INTERRUPT` or :data:`EOF`."""
        ...

    def pause(self) -> None:
        """Hand the terminal back as it was, until :meth:`resume`."""
        ...

    def resume(self) -> None:
        ...


class LineKeys:
    """One answer per line, for pipes and scripts: ``q``, ``3``, an empty line for Enter."""

    single_key = False

    def __init__(self, stream: TextIO):
        self.stream = stream

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def read_line(self) -> str:
        """A line of text (a flag's note): the next line as it is."""
        try:
            line = self.stream.readline()
        except KeyboardInterrupt:
            return INTERRUPT
        return line.rstrip("\r\n") if line else EOF

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

    def __init__(self, fd: int, saved: list | None = None, mode: list | None = None, wakeup: int | None = None):
        self.fd = fd
        self._saved = saved
        self._mode = mode
        self._wakeup = wakeup

    def pause(self) -> None:
        """Give the terminal back as it was (cooked, echoing), until :meth:`resume`."""
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def resume(self) -> None:
        """Single keys again, after :meth:`pause`."""
        if self._mode is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSANOW, self._mode)

    def _signalled(self) -> str | None:
        """Wait for a key or a signal; a signal's meaning, or ``None`` when a key came."""
        if self._wakeup is None:
            return None
        import select

        while True:
            try:
                ready = select.select([self.fd, self._wakeup], [], [])[0]
            except InterruptedError:  # pragma: no cover - select is retried by Python
                continue
            if self._wakeup in ready:
                try:
                    got = os.read(self._wakeup, 64)
                except BlockingIOError:
                    got = b""
                if signal.SIGTSTP in got:
                    return SUSPEND
                if signal.SIGWINCH in got:
                    return RESIZE
            if self.fd in ready:
                return None

    def read(self) -> str:
        try:
            woke = self._signalled()
            if woke is not None:
                return woke
            first = os.read(self.fd, 1)
        except KeyboardInterrupt:
            return INTERRUPT
        except OSError:
            return EOF
        if not first or first == b"\x04":
            return EOF
        if first == b"\x03":
            return INTERRUPT
        if first == b"\x1a":
            return SUSPEND
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
    wakeup, restore_wakeup = _wake_on_signals(handlers)
    try:
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        yield RawKeys(fd, saved, mode, wakeup)
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass  # the terminal is gone
        restore_wakeup()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def _wake_on_signals(handlers: dict) -> tuple[int | None, object]:
    """SIGWINCH and SIGTSTP write their number to a pipe the reader waits on too."""
    if threading.current_thread() is not threading.main_thread():
        return None, lambda: None
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    for signum in (signal.SIGWINCH, signal.SIGTSTP):
        handlers[signum] = signal.signal(signum, lambda signum, frame: None)
    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def restore() -> None:
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)

    return read_end, restore


def stop(reader: Keys) -> None:
    """Stop the process as Ctrl-Z does in a shell, the terminal handed back first;
    return on ``fg`` (SIGCONT) with single keys again."""
    reader.pause()
    previous = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    try:
        os.kill(os.getpid(), signal.SIGTSTP)
    finally:
        signal.signal(signal.SIGTSTP, previous)
        reader.resume()


def _exit_on_signals() -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, stop)
    return previous
