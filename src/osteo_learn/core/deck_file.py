"""A deck file as text: read, decoded, parsed as TOML with located errors, its lines scanned.

The first half of reading a deck (:mod:`osteo_learn.core.deck` validates
what it says): the file is read through :mod:`osteo_learn.core.files`
(a regular file, within its cap), decoded as UTF-8 (a byte order mark
dropped), parsed with the standard library's TOML reader, whose failures
(a syntax error, nesting too deep for it, a number of thousands of
digits) all become a :class:`DeckError` with the line; and scanned for
where each key stands, since TOML keeps no positions after parsing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osteo_learn.core import files
from osteo_learn.core.limits import MAX_NESTING
from osteo_learn.core.text import shown
from osteo_learn.errors import OsteoError

_TABLE_HEADER = re.compile(r"^\s*\[")
_CARDS_HEADER = re.compile(r"^\s*\[\[\s*cards\s*\]\]")
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_LONG_NUMBER = re.compile(r"[0-9a-fA-F_]{4000,}")
_TOML_POSITION = re.compile(r"\((?:at line (\d+), column (\d+)|at end of document)\)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deck file, with its place."""

    path: Path
    message: str
    line: int | None = None
    card_id: str | None = None

    def __str__(self) -> str:
        path = shown(self.path, limit=1000)
        place = f"{path}:{self.line}" if self.line else f"{path}"
        card = f" card '{shown(self.card_id)}':" if self.card_id else ""
        return f"{place}:{card} {self.message}"


class DeckError(OsteoError):
    """A deck file that cannot be used; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read_bytes(path: Path) -> bytes:
    """The bytes of a deck file: a regular file of at most :data:`~osteo_learn.core.files.MAX_DECK_BYTES`."""
    try:
        return files.read_regular(path, files.MAX_DECK_BYTES, "deck file")
    except files.FileRefused as refused:
        raise DeckError([Problem(path, "no such deck file" if refused.missing else str(refused))]) from None


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def text_of(data: bytes) -> str:
    """UTF-8 text, a byte order mark at the start dropped; raises ``ValueError`` saying why it is not."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith(_UTF16_MARKS):
        raise ValueError("is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"is not UTF-8 text ({error.reason} at byte {error.start}, line {line}); save it as UTF-8") from None


def decode(data: bytes, path: Path) -> str:
    try:
        return text_of(data)
    except ValueError as error:
        raise DeckError([Problem(path, str(error))]) from None


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """The TOML document in ``text``; :class:`DeckError` with the line when it is not one."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        line = _too_deep(text)
        raise DeckError([Problem(path, f"invalid TOML: arrays or inline tables nested more than {MAX_NESTING} deep", line)]) from None
    except tomllib.TOMLDecodeError as error:
        position = _TOML_POSITION.search(str(error))
        message = shown(_TOML_POSITION.sub("", str(error)).strip(), limit=500)
        line = None
        if position and position.group(1):
            line = int(position.group(1))
        elif position:
            # Cut short: point at the last line that has anything on it.
            line = text.rstrip().count("\n") + 1
            message += ", at the end of the file"
        raise DeckError([Problem(path, f"invalid TOML: {message}", line)]) from None
    except ValueError:
        # tomllib converts numbers with int(), which refuses more than
        # sys.get_int_max_str_digits() digits (4,300).
        found = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise DeckError([Problem(path, "invalid TOML: a number has thousands of digits; no deck needs one", line)]) from None
    return data


# What a bracket count must skip: strings (multi-line first) and comments.
_TOML_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*+"""'  # multi-line basic string
    r"|'''(?:[^']|'(?!''))*+'''"  # multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*+"'  # basic string
    r"|'[^'\n]*+'"  # literal string
    r"|\#[^\n]*+"  # comment
    r"|[\[\]{}\n]"
)


def _too_deep(text: str) -> int | None:
    """The line where arrays and inline tables first nest more than :data:`MAX_NESTING` deep."""
    depth, line = 0, 1
    for token in _TOML_TOKENS.finditer(text):
        kind = token.group(0)
        if kind in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif kind in "]}":
            depth = max(0, depth - 1)
        elif kind == "\n":
            line += 1
        else:
            line += kind.count("\n")
    return None


@dataclass
class Lines:
    """Where top-level keys, ``[source]`` keys and each card's keys stand in the text."""

    top: dict[str, int] = field(default_factory=dict)
    source: dict[str, int] = field(default_factory=dict)
    cards: list[tuple[int, dict[str, int]]] = field(default_factory=list)

    @classmethod
    def scan(cls, text: str) -> Lines:
        lines = cls()
        keys = lines.top
        # Lines as TOML counts them: only \n ends one (splitlines() would also split at U+2028).
        for number, line in enumerate(text.split("\n"), start=1):
            if _CARDS_HEADER.match(line):
                keys = {}
                lines.cards.append((number, keys))
            elif _TABLE_HEADER.match(line):
                keys = lines.source if re.match(r"^\s*\[\s*source\s*\]", line) else {}
                if keys is lines.source:
                    lines.top.setdefault("source", number)
            elif match := _KEY_LINE.match(line):
                keys.setdefault(match.group(1), number)
        return lines
