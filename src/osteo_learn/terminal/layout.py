"""Text laid out for a terminal: how many columns it takes, and wrapping.

Both are linear in the length of the text: each character is measured
once (a word longer than a line included), so a field of any size is laid
out in time proportional to it.
"""

from __future__ import annotations

import os
import unicodedata
from typing import TextIO


def char_width(char: str) -> int:
    """Columns one character takes: wide characters two, combining marks and joiners none."""
    if unicodedata.combining(char) or char in "\u200b\u200c\u200d\ufeff":
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width_of(text: str) -> int:
    """Columns ``text`` takes: wide characters two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(map(char_width, text))


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
            if size > room:
                # Break a very long word into lines of its own; its last
                # piece goes on as a word.
                if line:
                    out.append(indent + line)
                    line, used = "", 0
                *full, word = _pieces(word, room)
                out.extend(indent + piece for piece in full)
                size = width_of(word)
            if not word:
                continue
            if line and used + 1 + size > room:
                out.append(indent + line)
                line, used = "", 0
            line, used = (f"{line} {word}", used + 1 + size) if line else (word, size)
        out.append(indent + line)
    return "\n".join(out)


def _pieces(word: str, room: int) -> list[str]:
    """``word`` cut into pieces of at most ``room`` columns, filled greedily, in one pass."""
    if word.isascii():
        return [word[at : at + room] for at in range(0, len(word), room)]
    pieces, start, taken = [], 0, 0
    for at, char in enumerate(word):
        size = char_width(char)
        if taken + size > room and at > start:
            pieces.append(word[start:at])
            start, taken = at, 0
        taken += size
    pieces.append(word[start:])
    return pieces
