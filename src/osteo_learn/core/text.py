"""Text from decks, databases and paths made safe to show, and highlight marks.

One definition of what may not reach a terminal unchanged, used three ways:

* :func:`clean` drops it, for text that is laid out on screen (card text,
  titles): escape sequences whole, control characters, and the format
  characters that reorder or hide text (bidi overrides, isolates and marks,
  invisible operators, tag characters). Letters of every script, combining
  marks, the joiners scripts and emoji need, newlines and tabs are kept.
* :func:`shown` writes it as visible escapes (``\\x1b``, ``\\u202e``), for a
  name, an id, a key or a path quoted in a one-line message: the student
  sees what is there, and the message stays one line. Long values are cut.
* :func:`json_safe` writes it as JSON escapes, so ``--json`` output holds
  the exact text and no control character.

Every byte a command prints passes :func:`clean` once more at the terminal
gate (:mod:`osteo_learn.terminal.gate`), which lets through only the
terminal's own styling sequences. Highlights inside text that is still to
be wrapped are private-use marks (:func:`marked`), which ``clean`` removes
from deck text so no deck can fake one. Everything here is linear in the
length of the text.
"""

from __future__ import annotations

import re
from functools import cache

# Marks around a highlighted span inside text to be wrapped (private-use
# characters, removed from deck text by clean()).
MARK = "\ue000"
END_MARK = "\ue001"

_ESCAPE_SEQUENCES_PATTERN = (
    r"""
      \x1b\[ [0-?]*+ [ -/]*+ [@-~]                         # CSI: cursor moves, colours, erasing
    | \x9b [0-?]*+ [ -/]*+ [@-~]                           # CSI as one C1 character
    | \x1b[\]PX^_] [^\x07\x1b\x90\x98\x9c-\x9f]*+ (?: \x07 | \x1b\\ | \x9c )   # OSC, DCS, SOS, PM, APC strings
    | [\x9d\x90\x98\x9e\x9f] [^\x07\x1b\x90\x98\x9c-\x9f]*+ (?: \x07 | \x9c | \x1b\\ )
    | \x1b [ -/]*+ [0-~]                                   # other escape sequences
    """
)
# (A string's body stops at the next ESC or string introducer, so that a run
# of openers never closed costs one pass, not one per opener.)
# Format characters that reorder text or hide it: the bidi marks (U+061C,
# U+200E, U+200F), embeddings and overrides (U+202A-202E), isolates
# (U+2066-2069), the Mongolian vowel separator, zero-width space and word
# joiner, invisible operators, deprecated format controls (U+206A-206F),
# the byte order mark, interlinear annotations, shorthand and musical
# format controls, and the tag characters (U+E0001, U+E0020-E007F). Kept:
# the soft hyphen, ZWNJ and ZWJ (scripts and emoji need them) and the
# number signs of Arabic, Syriac and Kaithi, which are drawn.
_FORMAT = (
    "\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# Everything in C0 but tab and newline, DEL, C1, lone surrogates (a file
# name that is not UTF-8), the format characters above, and our marks.
_UNSAFE_CLASS = f"\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_FORMAT}\ue000\ue001"


# Compiled on first use, so that a command printing only safe text (--help)
# does not wait for all of them.
@cache
def _pattern(name: str) -> re.Pattern[str]:
    return {
        "escapes": lambda: re.compile(_ESCAPE_SEQUENCES_PATTERN, re.VERBOSE),
        "controls": lambda: re.compile(f"[{_UNSAFE_CLASS}]"),
        "line separators": lambda: re.compile("\r\n|[\u2028\u2029]"),
        # Anything clean() would change; anything shown() would.
        "needs work": lambda: re.compile(f"[{_UNSAFE_CLASS}\u2028\u2029]"),
        "not shown": lambda: re.compile(f"[{_UNSAFE_CLASS}\t\n\u2028\u2029]"),
        "json unsafe": lambda: re.compile(f"[\x7f-\x9f\ud800-\udfff{_FORMAT}\u2028\u2029\ue000\ue001]"),
    }[name]()


SHOWN_LENGTH = 200
"""How many characters of a value :func:`shown` quotes before it cuts it."""


def is_safe(text: str) -> bool:
    """Whether ``text`` holds nothing that :func:`clean` would change."""
    # Printable text (newlines and tabs aside) holds no control, format,
    # private-use or separator character: the common case, without a search.
    if text.replace("\n", "").replace("\t", "").isprintable():
        return True
    return _pattern("needs work").search(text) is None


def clean(text: str) -> str:
    """Text safe to print: escape sequences, control and hiding characters removed.

    Newlines and tabs stay; a carriage return before a newline and a line
    or paragraph separator become a newline, any other carriage return is
    removed (it would let a line overwrite itself). A lone surrogate (from
    a file name that is not UTF-8) becomes U+FFFD.
    """
    if _pattern("needs work").search(text) is None:
        return text
    text = _pattern("line separators").sub("\n", text)
    text = _pattern("escapes").sub("", text)
    return _pattern("controls").sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group(0) <= "\udfff" else ""


def shown(value: object, limit: int = SHOWN_LENGTH) -> str:
    """A name, id, key or path as a one-line message quotes it: printable, on one line.

    Control, format and hiding characters, newlines and tabs are written as
    escapes (``\\n``, ``\\x1b``, ``\\u202e``; a byte that is not UTF-8 in a
    file name as ``\\xff``); a value longer than ``limit`` characters is cut,
    saying how long it was.
    """
    text = str(value)
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    if _pattern("not shown").search(text) is not None:
        text = _pattern("not shown").sub(_escape, text)
    return f"{text}… ({len(str(value)):,} characters)" if cut else text


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as Python decodes file names
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def json_safe(json_text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character
    :func:`clean` would drop written as a ``\\u`` escape: the same data, nothing
    a terminal acts on. (JSON itself escapes C0 controls.)"""
    if _pattern("json unsafe").search(json_text) is None:
        return json_text
    return _pattern("json unsafe").sub(_json_escape, json_text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def marked(text: str) -> str:
    """``text`` as a highlighted span, for wrapping and then styling."""
    return f"{MARK}{text}{END_MARK}"
