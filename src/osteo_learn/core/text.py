"""Text from decks, databases and paths made safe to show, and highlight marks.

:func:`clean` removes control characters and escape sequences, so a deck
cannot move the cursor, clear the screen or change the terminal's title;
letters of every script, combining marks, newlines and tabs are kept.
Highlights inside text that is still to be wrapped are private-use marks
(:func:`marked`), which ``clean`` removes from deck text so no deck can
fake one.
"""

from __future__ import annotations

import re

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


def marked(text: str) -> str:
    """``text`` as a highlighted span, for wrapping and then styling."""
    return f"{MARK}{text}{END_MARK}"
