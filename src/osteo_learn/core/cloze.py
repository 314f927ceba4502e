"""Cloze deletions as Anki writes them: ``{{c1::answer}}`` or ``{{c1::answer::hint}}``.

Every deletion number is its own card. When card ``n`` is asked, deletions
numbered ``n`` are hidden (``[...]``, or ``[hint]``) and all others show
their answer, as in Anki. Numbers go from 1 to :data:`MAX_NUMBER`; a
longer one is read as ``MAX_NUMBER + 1`` (reported, never converted
digit by digit). Everything here is linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A deletion is read as Anki's non-greedy pattern {{c(\d+)::(.*?)(?:::(.*?))?}}
# reads it: it ends at the first "}}" after its opening, and its hint, if
# any, follows the first "::" before that. Found by hand (deletions()), so
# that an opening never closed costs one look ahead, not a scan per opening.
_START = re.compile(r"\{\{c(\d++)::")
_OPENING = re.compile(r"\{\{c(\d*+)::")

MAX_NUMBER = 500
"""The highest deletion number (a card each; Anki numbers its cards the same way)."""


def number(digits: str) -> int:
    """A deletion's number from its digits; anything above :data:`MAX_NUMBER` as ``MAX_NUMBER + 1``."""
    significant = digits.lstrip("0")
    if len(significant) > len(str(MAX_NUMBER)):
        return MAX_NUMBER + 1
    return min(int(significant or "0"), MAX_NUMBER + 1)


@dataclass(frozen=True)
class Deletion:
    number: int
    answer: str
    hint: str
    start: int
    end: int


def deletions(text: str) -> list[Deletion]:
    """Every complete deletion, in reading order (they never overlap)."""
    found = []
    position = 0
    while (m := _START.search(text, position)) is not None:
        close = text.find("}}", m.end())
        if close < 0:
            break  # no deletion can close after this
        separator = text.find("::", m.end(), close)
        if separator < 0:
            answer, hint = text[m.end() : close], ""
        else:
            answer, hint = text[m.end() : separator], text[separator + 2 : close]
        found.append(Deletion(number(m.group(1)), answer, hint, m.start(), close + 2))
        position = close + 2
    return found


def numbers(text: str) -> tuple[int, ...]:
    return tuple(sorted({d.number for d in deletions(text)}))


def problems(text: str) -> list[str]:
    """What is wrong with a cloze text, in words a deck author can act on."""
    found = deletions(text)
    if not found:
        return ["has no cloze deletion; mark one as {{c1::answer}}"]
    issues = []
    for d in found:
        if d.number < 1:
            issues.append(f"deletion {{{{c{d.number}::...}}}} must be numbered from c1")
        elif d.number > MAX_NUMBER:
            digits = text[d.start + 3 : d.start + 3 + 12]
            digits = digits[: digits.find(":")] if ":" in digits else digits + "…"
            issues.append(f"deletion c{digits} is numbered too high; deletions go from c1 to c{MAX_NUMBER}")
        if not d.answer.strip():
            issues.append(f"deletion c{d.number} is empty; put the hidden answer after 'c{d.number}::'")
    # An opening "{{cN::" that no complete deletion accounts for is a typo
    # (a missing "}}" or a missing number) that would show raw braces.
    # Deletions do not overlap and come in order: one pass over both.
    spans = iter(found)
    span = next(spans, None)
    for m in _OPENING.finditer(text):
        while span is not None and span.end <= m.start():
            span = next(spans, None)
        if span is not None and span.start <= m.start() < span.end:
            continue  # the deletion itself, or an opening inside its answer
        issues.append(
            f"'{m.group(0)[:16]}' at character {m.start() + 1} is not a complete deletion "
            "(write {{c1::answer}}, with a number and a closing '}}')"
        )
    return issues


def render(
    text: str,
    active: int,
    *,
    reveal: bool,
    mark: Callable[[str], str] = lambda s: s,
) -> str:
    """The text of card ``active``: its deletions hidden, or revealed through ``mark``."""

    pieces = []
    position = 0
    for d in deletions(text):
        pieces.append(text[position : d.start])
        if d.number != active:
            pieces.append(d.answer)
        elif reveal:
            pieces.append(mark(d.answer))
        else:
            pieces.append(f"[{d.hint}]" if d.hint else "[...]")
        position = d.end
    pieces.append(text[position:])
    return "".join(pieces)


def answers(text: str, active: int) -> list[str]:
    """The hidden answers of card ``active``, in reading order."""
    return [d.answer for d in deletions(text) if d.number == active]
