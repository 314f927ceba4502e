"""Bold and colour on a terminal, plain text elsewhere.

Style is on only when stdout is a terminal, ``NO_COLOR`` is unset or empty
and ``TERM`` is not ``dumb``; otherwise text is plain, and a highlight is
shown in brackets.
"""

from __future__ import annotations

import os
from typing import TextIO

from osteo_learn.core.text import END_MARK, MARK


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
        # Each line on its own: a screen shows some lines of a card and not others.
        if not (self.enabled and text):
            return text
        return "\n".join(f"\x1b[{code}m{line}\x1b[0m" if line else line for line in text.split("\n"))

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
        """Turn marked spans (:func:`osteo_learn.core.text.marked`) into bold colour, or ``[...]`` in plain text."""
        if self.enabled:
            return text.replace(MARK, "\x1b[1;36m").replace(END_MARK, "\x1b[0m")
        return text.replace(MARK, "[").replace(END_MARK, "]")
