"""The SM-2 scheduler: a card's state, a grade and the study day in, the next state out.

SM-2 is the algorithm P. A. Wozniak wrote for SuperMemo 2 (December 1987),
published in "Application of a computer to improve the results obtained in
working with the SuperMemo method" (from his 1990 master's thesis
*Optimization of Learning*; on super-memory.com with his own source beside
it). Its seven rules, in short:

1. Split the knowledge into the smallest possible items (cards).
2. Give every item an E-Factor (EF) of 2.5.
3. Repeat it after I(1) = 1 day, I(2) = 6 days and, for n > 2,
   I(n) = I(n-1) * EF days; a fraction is rounded up.
4. Grade each answer 0-5:
   5 perfect response; 4 correct response after a hesitation;
   3 correct response recalled with serious difficulty;
   2 incorrect response, where the correct one seemed easy to recall;
   1 incorrect response, the correct one remembered; 0 complete blackout.
5. After each repetition set EF' = EF + (0.1 - (5-q) * (0.08 + (5-q) * 0.02)),
   where q is the grade; if EF' is below 1.3, use 1.3.
6. On a grade below 3, start the repetitions from the beginning without
   changing the EF.
7. After the day's session, repeat every item graded below 4 until each
   scores at least 4.

Where the text is open to readings, this module reads it as follows:

- A grade of 3 or more is a successful recall; 0-2 are failures
  (``Grade.passed``; ``Grade.meaning`` is the wording of rule 4, shortened).
- I(n) = I(n-1) * EF uses the interval in whole days as it was stored and
  the EF *as it was before this grade*; the product is rounded *up*.
  The EF then changes by the formula of rule 5, down to 1.3 at the least,
  with no upper bound.
- On a failure the repetitions restart (the next success counts as the
  first again and gets 1 day), the card is due again the next day, and the
  EF is *not* changed.
- The interval comes from the scheduled interval, never from the days that
  actually passed: a card reviewed late or early still gets I(n-1) * EF.
- The EF is kept exact, in integer hundredths (``ReviewedCard.ease``; every
  step is a multiple of 0.02), so floating-point drift never changes an
  interval: after five grades of 5 the EF is exactly 3.0 and 140 days
  become 420, not 421.
- Rule 7 belongs to the review session, not to this scheduler: a card
  graded below 4 is shown again the same day until it scores 4 or 5; those
  same-day repeats are logged but do not change the card's schedule.

Our one addition to the algorithm: an interval never exceeds
``MAX_INTERVAL`` (36,500 days, as in Anki), so due dates stay representable
however often a card is graded 5.

``lapses`` is bookkeeping, not part of SM-2, and never affects scheduling:
the number of failed recalls (grade below 3) of a card that had been
recalled successfully before (repetitions above 0 before the grade). A
failure of a card that never succeeded is not a lapse. This is what Anki
calls lapses, so an export can carry it.

"Today" is whatever study day the caller passes in; this module never reads
the clock, touches a database or draws random numbers, and never changes
its input: states are frozen dataclasses.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

__all__ = [
    "INITIAL_EASE",
    "MAX_INTERVAL",
    "MIN_EASE",
    "CardState",
    "Grade",
    "NewCard",
    "ReviewedCard",
    "preview",
    "replay",
    "review",
]

INITIAL_EASE = 250
"""The EF of a new card, in hundredths (2.5)."""

MIN_EASE = 130
"""The lowest EF, in hundredths (1.3)."""

MAX_INTERVAL = 36_500
"""The longest interval in days: our one addition to SM-2 (Anki's default)."""


class Grade(enum.IntEnum):
    """The quality of a response, 0-5, with SuperMemo's meanings."""

    BLACKOUT = 0
    INCORRECT_REMEMBERED = 1
    INCORRECT_EASY = 2
    CORRECT_DIFFICULT = 3
    CORRECT_HESITANT = 4
    PERFECT = 5

    @property
    def meaning(self) -> str:
        """SuperMemo's wording, short enough for a line of the review screen."""
        return _MEANINGS[self]

    @property
    def passed(self) -> bool:
        """Whether this grade is a successful recall (3 or more)."""
        return self >= 3

    @classmethod
    def parse(cls, text: str) -> Grade:
        """The grade a key or a word of text names: one digit 0-5."""
        stripped = text.strip()
        if len(stripped) == 1 and stripped in "012345":
            return cls(int(stripped))
        raise ValueError(f"a grade is a digit from 0 to 5, not {text!r}")


_MEANINGS = {
    Grade.BLACKOUT: "complete blackout",
    Grade.INCORRECT_REMEMBERED: "incorrect; the answer remembered once seen",
    Grade.INCORRECT_EASY: "incorrect; the answer seemed easy once seen",
    Grade.CORRECT_DIFFICULT: "correct with serious difficulty",
    Grade.CORRECT_HESITANT: "correct after hesitation",
    Grade.PERFECT: "perfect response",
}


class CardState:
    """What the scheduler knows of a card: a ``NewCard`` or a ``ReviewedCard``.

    ``ease`` is the EF in integer hundredths (250 is 2.5), the exact form
    that is stored; ``ease_factor`` is the same number as an exact fraction.
    """

    repetitions: int
    ease: int
    interval: int
    due: date | None
    lapses: int
    last_review: date | None

    @staticmethod
    def new() -> NewCard:
        """A card that has never been reviewed."""
        return NewCard()

    @property
    def ease_factor(self) -> Fraction:
        """The EF, exactly: ``Fraction(ease, 100)``."""
        return Fraction(self.ease, 100)


@dataclass(frozen=True)
class NewCard(CardState):
    """A card never reviewed: 0 repetitions, EF 2.5, no interval, not yet due."""

    repetitions: int = field(default=0, init=False, repr=False)
    ease: int = field(default=INITIAL_EASE, init=False, repr=False)
    interval: int = field(default=0, init=False, repr=False)
    due: None = field(default=None, init=False, repr=False)
    lapses: int = field(default=0, init=False, repr=False)
    last_review: None = field(default=None, init=False, repr=False)


@dataclass(frozen=True)
class ReviewedCard(CardState):
    """A card graded at least once; what ``review`` returns.

    The constructor checks a state loaded from storage and raises
    ``TypeError`` or ``ValueError`` naming the field that is wrong:

    - ``repetitions``: successful recalls since the last failure, 0 or more;
    - ``ease``: the EF in hundredths, at least ``MIN_EASE``;
    - ``interval``: whole days, 1 to ``MAX_INTERVAL``; 1 after 0 or 1
      repetitions, 6 after 2, more than 6 after 3 or more;
    - ``due``: ``last_review`` plus ``interval`` days;
    - ``lapses``: 0 or more (see the module docstring);
    - ``last_review``: the study day of the latest grade.
    """

    repetitions: int
    ease: int
    interval: int
    due: date
    lapses: int
    last_review: date

    def __post_init__(self) -> None:
        for name in ("repetitions", "ease", "interval", "lapses"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {value!r}")
        for name in ("due", "last_review"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"{name} must be a date, not {value!r}")
        if self.repetitions < 0:
            raise ValueError(f"repetitions must be 0 or more, not {self.repetitions}")
        if self.lapses < 0:
            raise ValueError(f"lapses must be 0 or more, not {self.lapses}")
        if self.ease < MIN_EASE:
            raise ValueError(
                f"ease must be at least {MIN_EASE} (EF 1.3), not {self.ease}"
            )
        if not 1 <= self.interval <= MAX_INTERVAL:
            raise ValueError(
                f"interval must be 1 to {MAX_INTERVAL} days, not {self.interval}"
            )
        if self.repetitions <= 1 and self.interval != 1:
            raise ValueError(
                f"interval must be 1 day after {self.repetitions} repetitions,"
                f" not {self.interval}"
            )
        if self.repetitions == 2 and self.interval != 6:
            raise ValueError(
                f"interval must be 6 days after 2 repetitions, not {self.interval}"
            )
        if self.repetitions >= 3 and self.interval <= 6:
            raise ValueError(
                f"interval must be more than 6 days after {self.repetitions}"
                f" repetitions, not {self.interval}"
            )
        if self.due != self.last_review + timedelta(days=self.interval):
            raise ValueError(
                f"due must be last_review + interval"
                f" ({self.last_review} + {self.interval} days), not {self.due}"
            )


def _ease_change(grade: Grade) -> int:
    """SM-2's EF change for a grade, in hundredths: 0.1 - (5-q)(0.08 + (5-q)0.02)."""
    shortfall = 5 - grade
    return 10 - shortfall * (8 + shortfall * 2)


def _next_interval(repetitions: int, interval: int, ease: int) -> int:
    """I(n) for the success that follows ``repetitions`` earlier ones."""
    if repetitions == 0:
        return 1
    if repetitions == 1:
        return 6
    # interval * ease / 100 rounded up, in integers: ceil(a / b) == -(-a // b).
    return min(-(-interval * ease // 100), MAX_INTERVAL)


def _as_grade(grade: Grade | int) -> Grade:
    if isinstance(grade, Grade):
        return grade
    if isinstance(grade, int) and not isinstance(grade, bool) and 0 <= grade <= 5:
        return Grade(grade)
    raise ValueError(f"a grade is an int from 0 to 5, not {grade!r}")


def review(state: CardState, grade: Grade | int, today: date) -> ReviewedCard:
    """The card's state after it is graded ``grade`` on the study day ``today``.

    ``grade`` is a ``Grade`` or an int 0-5 (anything else raises
    ``ValueError``). Only a card's scheduled review is passed in: the same-day
    repeats of rule 7 belong to the review session, which logs them without
    calling this function, so they never change the schedule.
    """
    grade = _as_grade(grade)
    if not isinstance(today, date) or isinstance(today, datetime):
        raise TypeError(f"today must be a date (the study day), not {today!r}")
    if grade.passed:
        interval = _next_interval(state.repetitions, state.interval, state.ease)
        return ReviewedCard(
            repetitions=state.repetitions + 1,
            ease=max(state.ease + _ease_change(grade), MIN_EASE),
            interval=interval,
            due=today + timedelta(days=interval),
            lapses=state.lapses,
            last_review=today,
        )
    return ReviewedCard(
        repetitions=0,
        ease=state.ease,
        interval=1,
        due=today + timedelta(days=1),
        lapses=state.lapses + (1 if state.repetitions > 0 else 0),
        last_review=today,
    )


def preview(state: CardState, today: date) -> dict[Grade, ReviewedCard]:
    """The next state for every grade, 0 to 5, for the review screen."""
    return {grade: review(state, grade, today) for grade in Grade}


def replay(history: Iterable[tuple[date, Grade | int]]) -> CardState:
    """A card's state rebuilt from its scheduled reviews, oldest first.

    ``history`` holds (study day, grade) pairs; an empty history gives a
    ``NewCard``. The same-day repeats of rule 7 must be left out.
    """
    state: CardState = CardState.new()
    for day, grade in history:
        state = review(state, grade, day)
    return state
