"""Cloze deletions as Anki writes them: ``{{c1::answer}}`` or ``{{c1::answer::hint}}``.

Every deletion number is its own card. When card ``n`` is asked, deletions
numbered ``n`` are hidden (``[...]``, or ``[hint]``) and all others show
their answer, as in Anki.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Non-greedy like Anki's own pattern; the optional hint follows a second "::".
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_OPENING = re.compile(r"\{\{c(\d*)::")


@dataclass(frozen=True)
class Deletion:
    number: int
    answer: str
    hint: str
    start: int
    end: int


def deletions(text: str) -> list[Deletion]:
    return [
        Deletion(int(m.group(1)), m.group(2), m.group(3) or "", m.start(), m.end())
        for m in _DELETION.finditer(text)
    ]


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
        if not d.answer.strip():
            issues.append(f"deletion c{d.number} is empty; put the hidden answer after 'c{d.number}::'")
    # An opening "{{cN::" that no complete deletion accounts for is a typo
    # (a missing "}}" or a missing number) that would show raw braces.
    complete = {d.start for d in found}
    for m in _OPENING.finditer(text):
        if m.start() not in complete and not any(d.start < m.start() < d.end for d in found):
            issues.append(
                f"'{m.group(0)}' at character {m.start() + 1} is not a complete deletion "
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

    def replace(m: re.Match[str]) -> str:
        number, answer, hint = int(m.group(1)), m.group(2), m.group(3)
        if number != active:
            return answer
        if reveal:
            return mark(answer)
        return f"[{hint}]" if hint else "[...]"

    return _DELETION.sub(replace, text)


def answers(text: str, active: int) -> list[str]:
    """The hidden answers of card ``active``, in reading order."""
    return [d.answer for d in deletions(text) if d.number == active]
