"""Text laid out for a terminal: how many columns it takes, and wrapping."""

from __future__ import annotations

import os
import unicodedata
from typing import TextIO


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
