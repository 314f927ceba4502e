"""Control over cards: bury, suspend, flag and leeches, as plain rules.

The schedule (SM-2, :mod:`osteo_learn.core.sm2`) says *when* a card is due;
card control says whether it is shown at all, and what the student thinks
of it. Each change is an :class:`Event`, logged apart from the answers, so
that a card's control state is a replay of its events (:func:`replay`),
as its schedule is a replay of its answers:

- **bury**: not today. The card is left out of the study day of the event
  and comes back the next day, its schedule unchanged.
- **suspend** / **unsuspend**: out of review until unsuspended; the
  schedule is kept as it was, so an overdue card is due at once after.
- **flag** / **unflag**: a mark that the card is wrong or unclear, with an
  optional one-line note. A flagged card is still studied.
- **leech**: a card that keeps failing. At its ``leech-lapses``-th lapse
  (8 by default, as in Anki; a lapse is a failure of a card recalled
  before) counted since it was last marked a leech, the card is marked a
  leech and suspended in the same transaction as the answer. Unsuspending
  it (after rewriting it, or to try again) ends the leech: it takes
  another ``leech-lapses`` lapses to become one again.

A card is named on the command line as ``deck-id/card-id``, or for one
deletion of a cloze ``deck-id/card-id#N`` (:func:`parse_ref`).

Pure: no clock, no database.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from osteo_learn.errors import OsteoError

DEFAULT_LEECH_LAPSES = 8
"""A card is a leech at its 8th lapse (Anki's default threshold)."""

NOTE_LIMIT = 200
"""The longest flag note, in characters: one line."""


class Action(enum.StrEnum):
    BURY = "bury"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    FLAG = "flag"
    UNFLAG = "unflag"
    LEECH = "leech"


class Origin(enum.StrEnum):
    """Where an event came from: a key in the review, a command, or an answer (a leech)."""

    SESSION = "session"
    COMMAND = "command"
    ANSWER = "answer"


@dataclass(frozen=True)
class Event:
    """One standing card-control event (undone ones are not replayed)."""

    action: Action
    day: date
    note: str = ""


@dataclass(frozen=True)
class Control:
    """What card control says of one card."""

    suspended: bool = False
    leech: bool = False
    flagged: bool = False
    flag_note: str = ""
    buried_on: date | None = None

    def buried(self, today: date) -> bool:
        return self.buried_on == today


def apply(control: Control, event: Event) -> Control:
    """The control state after one event."""
    action = Action(event.action)
    if action is Action.BURY:
        return replace(control, buried_on=event.day)
    if action is Action.SUSPEND:
        return replace(control, suspended=True)
    if action is Action.UNSUSPEND:
        return replace(control, suspended=False, leech=False)
    if action is Action.FLAG:
        return replace(control, flagged=True, flag_note=event.note)
    if action is Action.UNFLAG:
        return replace(control, flagged=False, flag_note="")
    return replace(control, leech=True, suspended=True)


def replay(events: Iterable[Event]) -> Control:
    """A card's control state from its standing events, oldest first."""
    control = Control()
    for event in events:
        control = apply(control, event)
    return control


def becomes_leech(lapses: int, lapses_at_last_leech: int, threshold: int) -> bool:
    """Whether an answer that brought the card to ``lapses`` lapses makes it a leech.

    ``lapses_at_last_leech`` is its lapse count when it was last marked a
    leech (0 if never); a ``threshold`` of 0 turns leeches off.
    """
    return threshold > 0 and lapses - lapses_at_last_leech >= threshold


def clean_note(text: str) -> str:
    """A flag note as kept: one line, spaces collapsed, at most :data:`NOTE_LIMIT` characters."""
    kept = "".join(ch if ch.isprintable() else " " for ch in text.replace("\x1b", ""))
    return " ".join(kept.split())[:NOTE_LIMIT]


@dataclass(frozen=True)
class CardRef:
    """A card as named on the command line: a deck entry, or one cloze deletion of it."""

    deck_id: str
    card_id: str
    ordinal: int | None = None

    def __str__(self) -> str:
        return f"{self.deck_id}/{self.card_id}" + (f"#{self.ordinal}" if self.ordinal is not None else "")


class RefError(OsteoError):
    """A card named in a form that is not ``deck-id/card-id`` or ``deck-id/card-id#N``."""


_REF = re.compile(r"([a-z0-9][a-z0-9._-]*)/([a-z0-9][a-z0-9._-]*)(?:#([1-9][0-9]{0,3}))?")


def parse_ref(text: str) -> CardRef:
    """``deck-id/card-id`` or ``deck-id/card-id#N`` as a :class:`CardRef`."""
    found = _REF.fullmatch(text.strip())
    if found is None:
        raise RefError(f"'{text}' is not a card: write deck-id/card-id, or deck-id/card-id#N for one deletion of a cloze")
    deck_id, card_id, ordinal = found.groups()
    return CardRef(deck_id, card_id, int(ordinal) if ordinal else None)
