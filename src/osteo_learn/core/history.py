"""A card's answers, given at the desk and in Anki, as one history: which of them schedule it.

The union decides. Take every answer of a card that stands (not undone),
from either device, in the order they were given. The first answer of each
study day is that day's scheduled answer: ``new`` when no scheduled answer
came before it (the card was new), else ``review``; SM-2 takes it. Later
answers the same study day are same-day repeats (SM-2 rule 7) and leave the
schedule alone. So an answer given earlier in the day on the phone makes a
desk answer of the same card that day a repeat, and the other way round:
whichever came first counts, whatever order the answers reach the log in.

Pure: the caller reads the answers and sorts them by time (the log orders
them by instant, then by row id for answers in one millisecond).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from osteo_learn.core import sm2


class AnswerKind(enum.StrEnum):
    """How an answer counted for its card (see the module's description)."""

    NEW = "new"
    REVIEW = "review"
    REPEAT = "repeat"


@dataclass(frozen=True)
class Verdict:
    """What one answer did: its kind, and the card's state before and after it
    (the same state for a repeat)."""

    kind: AnswerKind
    before: sm2.CardState
    after: sm2.CardState


def judge(
    answers: Iterable[tuple[date, sm2.Grade | int]],
    *,
    state: sm2.CardState | None = None,
    days: Collection[date] = (),
) -> Iterator[Verdict]:
    """The verdict on each of a card's answers, given as (study day, grade) in time order.

    ``state`` and ``days`` continue a history judged before: the card's state
    after the earlier answers, and the study days they were given on (an
    answer on one of those days is a repeat). Both default to a new card
    with no answers.
    """
    current = sm2.CardState.new() if state is None else state
    seen = set(days)
    for day, grade in answers:
        if day in seen:
            yield Verdict(AnswerKind.REPEAT, current, current)
            continue
        seen.add(day)
        kind = AnswerKind.NEW if isinstance(current, sm2.NewCard) else AnswerKind.REVIEW
        after = sm2.review(current, grade, day)
        yield Verdict(kind, current, after)
        current = after


def replay(answers: Iterable[tuple[date, sm2.Grade | int]]) -> sm2.CardState:
    """The card's state after all its answers, given as (study day, grade) in time order."""
    state: sm2.CardState = sm2.CardState.new()
    for verdict in judge(answers):
        state = verdict.after
    return state
