"""The review's full screen on a terminal: the alternate screen, a frame that fits, scrolling.

On a terminal the review draws in the alternate screen, as full-screen
programs do, so no copy of each redraw is left in the scrollback; leaving
it puts back what was there, and the session's summary is printed after.
Each redraw is a *frame*: the header (progress, deck, the last answer's
acknowledgement) pinned at the top; the card's body; and the footer (a
notice such as the help, a line that says more is above or below, and the
key hints) pinned at the bottom. A body taller than the window scrolls
(arrow keys, Page Up/Down, j/k) and the footer says which lines are shown.

Also here, for both modes: the key hints shortened to fit one line, and
the help.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TextIO

from osteo_learn.terminal.layout import terminal_width, width_of, wrap
from osteo_learn.terminal.style import Style

# The sequences the full screen writes (the terminal gate lets exactly these through).
ENTER_ALTERNATE = _ENTER = "\x1b[?1049h"
LEAVE_ALTERNATE = _LEAVE = "\x1b[?1049l"
HOME = _HOME = "\x1b[H"
ERASE_LINE_END = _ERASE_TO_END_OF_LINE = "\x1b[K"
ERASE_BELOW = _ERASE_BELOW = "\x1b[J"
SEQUENCES = (ENTER_ALTERNATE, LEAVE_ALTERNATE, HOME, ERASE_LINE_END, ERASE_BELOW)


_GLUE = "\ue002"  # a private-use character: a space that wrapping never breaks at
_COMMAND = re.compile(r"osteo-learn(?: --?[\w-]+(?: [\w./#@-]*\w)?| [\w./#@-]*\w)*")


def wrap_words(text: str, width: int, indent: str = "", hanging: str | None = None) -> str:
    """Wrap ``text`` between words, never inside a command (``osteo-learn review --new 5``).

    Continuation lines start with ``hanging`` (``indent`` by default).
    """
    glued = _COMMAND.sub(lambda m: m.group(0).replace(" ", _GLUE), text)
    rest = indent if hanging is None else hanging
    lines = []
    for paragraph in glued.split("\n"):
        first = wrap(paragraph, width, rest).split("\n")
        if first and indent != rest:
            first[0] = indent + first[0][len(rest):]
        lines.extend(first)
    return "\n".join(lines).replace(_GLUE, " ")


def terminal_height(stream: TextIO, default: int = 24) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).lines or default
    except (AttributeError, ValueError, OSError):
        try:
            return int(os.environ.get("LINES", default))
        except ValueError:
            return default


@dataclass(frozen=True)
class Hint:
    """One key hint: the key, what it does, and how much it matters (kept first)."""

    key: str
    does: str
    rank: int = 5


def fit_hints(hints: list[Hint], width: int, style: Style) -> str:
    """The hints on one line of ``width`` columns, the least needed left out first.

    A hint is shown whole or not at all; ``? help`` lists every key.
    """
    kept = list(hints)
    while kept:
        plain = " · ".join(f"{h.key} {h.does}" for h in kept)
        if width_of(plain) <= width:
            break
        drop = max(range(len(kept)), key=lambda i: (kept[i].rank, i))
        if len(kept) == 1:
            kept = [Hint(kept[0].key, "", 0)] if width_of(kept[0].key) <= width else []
            break
        del kept[drop]
    return style.dim(" · ").join(style.key(h.key) + style.dim(f" {h.does}" if h.does else "") for h in kept)


HELP = [
    ("space, Enter", "show the answer (never grades)"),
    ("A-E", "pick an answer of a case (the options are shuffled each study day)"),
    ("0-5", "grade your recall, once the answer is shown:"),
    ("", "0-2 failed: the card comes back later today and again tomorrow;"),
    ("", "3 recalled with difficulty: it comes back later today too;"),
    ("", "4-5 recalled: done for today"),
    ("s", "show the passage of the article the card comes from"),
    ("-", "bury: not today, back tomorrow, its schedule unchanged"),
    ("!", "suspend: out of review until osteo-learn unsuspend CARD"),
    ("f", "flag the card as wrong or unclear, with a note if you like (f again: unflag)"),
    ("o", "open the card in $VISUAL or $EDITOR at its line (decks you added)"),
    ("u", "undo the last answer, bury, suspend or flag; that card comes back"),
    ("↑ ↓ j k", "scroll a card taller than the window (also Page Up, Page Down)"),
    ("Ctrl-Z", "stop for now (fg to come back)"),
    ("q, Ctrl-C", "end the session; every answer so far is saved"),
]


def help_text(style: Style, width: int) -> str:
    """Every key and what it does, wrapped to ``width``; keys in a column when it fits."""
    column = 13
    lines = []
    for key, meaning in HELP:
        if width >= column + 2 + 24:
            body = wrap(meaning, width, " " * (2 + column)).lstrip()
            lines.append("  " + (style.key(key.ljust(column - 1)) + " " if key else " " * column) + body)
        else:
            if key:
                lines.append("  " + style.key(key))
            lines.append(wrap(meaning, width, "    "))
    return "\n".join(lines)


class Screen:
    """The alternate screen of a terminal, and the frame drawn in it."""

    def __init__(self, out: TextIO, max_width: int):
        self.out = out
        self.max_width = max_width
        self.active = False
        self.scroll = 0
        self.width = min(terminal_width(out), max_width)
        self.height = terminal_height(out)

    def measure(self) -> None:
        """Read the terminal's size again (after a resize)."""
        self.width = min(terminal_width(self.out), self.max_width)
        self.height = terminal_height(self.out)

    def enter(self) -> None:
        if not self.active:
            self.out.write(_ENTER)
            self.out.flush()
            self.active = True

    def leave(self) -> None:
        if self.active:
            self.out.write(_LEAVE)
            self.out.flush()
            self.active = False

    def body_rows(self, top: list[str], bottom: list[str]) -> int:
        """How many lines of the body fit between the pinned top and bottom (at least 1)."""
        return max(1, self.height - len(top) - len(bottom))

    def draw(self, top: list[str], body: list[str], notice: list[str], hint: str, style: Style) -> None:
        """Draw a frame: ``top`` pinned, ``body`` scrolled to fit, ``notice`` and ``hint`` below.

        The cursor is left at the end of the hint line.
        """
        if len(top) + len(notice) + 3 > self.height:
            # A notice taller than the window leaves (the help on a short terminal):
            # it takes the card's place, and scrolls as the card would.
            body, notice = notice, []
        bottom = [*notice, hint]
        room = self.height - len(top) - len(bottom)
        if len(body) <= room:
            self.scroll = 0
            shown = body
        else:
            room = self.body_rows(top, [*bottom, ""])
            self.scroll = max(0, min(self.scroll, len(body) - room))
            shown = body[self.scroll : self.scroll + room]
            first, last = self.scroll + 1, self.scroll + len(shown)
            where = f"lines {first}-{last} of {len(body)}"
            keys = "↑↓ or j k scroll" if last < len(body) or first > 1 else ""
            more = "more below" if last < len(body) else "end"
            line = f"{where}, {more} · {keys}" if keys else where
            if width_of(line) > self.width:
                line = f"{where}, {more}"
            if width_of(line) > self.width:
                line = where
            bottom = [*notice, style.yellow(line), hint]
        lines = [*top, *shown]
        out = _HOME + "".join(line + _ERASE_TO_END_OF_LINE + "\n" for line in lines)
        # The footer at the foot of the window when the body scrolls; else right below it.
        if len(body) > room:
            gap = self.height - len(lines) - len(bottom)
            out += (_ERASE_TO_END_OF_LINE + "\n") * max(0, gap)
        out += "".join(line + _ERASE_TO_END_OF_LINE + "\n" for line in bottom[:-1])
        out += bottom[-1] + _ERASE_TO_END_OF_LINE + _ERASE_BELOW
        self.out.write(out)
        self.out.flush()

    def scroll_by(self, lines: int) -> None:
        self.scroll = max(0, self.scroll + lines)
