"""The one gate every byte passes on its way to the terminal.

While a command runs, ``sys.stdout`` and ``sys.stderr`` are
:class:`GatedStream`\\ s (:func:`gated`, installed by the command group), so
whatever is printed (screens, tables, messages, warnings, click's own usage
errors) goes through :func:`gate`: the text is cleaned with
:func:`osteo_learn.core.text.clean`, and only the terminal's own sequences
pass untouched, and only to a terminal: the colours of
:class:`~osteo_learn.terminal.style.Style` and the review's full screen
(the alternate screen, the cursor home, erasing). A deck, a database or a file name can therefore
never move the cursor, set the title, write the clipboard (OSC 52) or
reorder a line, whatever place forgot to clean it.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from osteo_learn.core.text import clean, is_safe

# Exactly what the tool itself writes: Style's SGR codes (reset, bold, dim,
# red, green, yellow, cyan, bold cyan), and the review's full screen
# (terminal.screen): entering and leaving the alternate screen, the cursor
# home, erasing to the end of the line and below it.
OWN_SEQUENCES = re.compile(
    r"(\x1b\[(?:0|1|2|31|32|33|36|1;36)m|\x1b\[\?1049[hl]|\x1b\[H\x1b\[2J|\x1b\[H|\x1b\[K|\x1b\[J|\r\x1b\[K)"
)


def gate(text: str, terminal: bool) -> str:
    """``text`` as it may reach the screen: cleaned, the tool's own sequences kept
    when it goes to a ``terminal`` (elsewhere there are none to keep)."""
    if is_safe(text):
        return text
    if not terminal:
        return clean(text)
    parts = OWN_SEQUENCES.split(text)
    # split() with one group: text, sequence, text, sequence, ..., text.
    parts[::2] = [clean(part) for part in parts[::2]]
    return "".join(parts)


class GatedStream(io.TextIOBase):
    """A text stream writing through :func:`gate` to another one.

    It has no ``buffer``: nothing (click looks for one) can write bytes
    around the gate.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        try:
            self._terminal = bool(stream.isatty())
        except (AttributeError, ValueError):
            self._terminal = False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.stream, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._terminal

    def fileno(self) -> int:
        return self.stream.fileno()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        safe = gate(text, self._terminal)
        try:
            self.stream.write(safe)
        except UnicodeEncodeError:
            # A terminal that cannot show some character (LANG=C): a question mark instead.
            encoding = self.encoding
            self.stream.write(safe.encode(encoding, "replace").decode(encoding))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


@contextmanager
def gated() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` through the gate for the length of the block."""
    saved = sys.stdout, sys.stderr
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, GatedStream):
            setattr(sys, name, GatedStream(stream))
    try:
        yield
    finally:
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if isinstance(current, GatedStream):
                try:
                    current.flush()
                except (OSError, ValueError):
                    pass
        sys.stdout, sys.stderr = saved
