"""The day's study queue: which cards a session shows, and in what order.

Pure: the store hands over what it found (due reviews, new cards, the
repeats still owed today, the siblings already studied today, how many new
cards were introduced today) and this module decides; it reads no clock and
no database, so every rule below can be checked on plain data.

The rules, in order:

1. Same-day repeats still owed from an earlier session today (SM-2 rule 7)
   come first.
2. Due reviews follow, most overdue first (the order the store gives), up to
   the review limit.
3. New cards follow, interleaved deck by deck in deck order (one from the
   first deck, one from the second, ..., then round again), each deck's in
   file order, up to what is left of the day's new-card limit, and of each
   deck's own limit where it has one (the global limit stays the cap).
4. Siblings (the cloze deletions of one deck entry) are not shown on the
   same day: a card whose sibling is already in the queue, or was studied
   earlier today, is *buried*, left as it is for another day. A buried review
   stays due; a buried new card stays new. Repeats are never buried.
5. During the session a card graded below 4 is put back ``REPEAT_GAP``
   cards later (or last, when fewer remain) and comes back until it scores
   4 or 5 (rule 7). Every answer can be undone, last first, which puts the
   queue back exactly as it was before that answer. A card buried or
   suspended from the session leaves the queue at once (its repeat too), and
   an undo of that puts it back the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

__all__ = ["REPEAT_GAP", "Counts", "Entry", "Kind", "Plan", "Queue", "plan"]

REPEAT_GAP = 3
"""How many other cards come between a card graded below 4 and its repeat."""

REPEAT_BELOW = 4
"""Rule 7: a card graded below this comes back the same day."""

T = TypeVar("T")


class Kind(enum.StrEnum):
    """How a card appears in the queue (shown in the header)."""

    NEW = "new"
    REVIEW = "review"
    REPEAT = "repeat"


class Entry(NamedTuple, Generic[T]):
    """A card in the queue and why it is there (a tuple: cheap to make by the hundred)."""

    card: T
    kind: Kind


@dataclass(frozen=True)
class Counts:
    """Cards left in the queue, by kind."""

    new: int = 0
    review: int = 0
    repeat: int = 0

    @property
    def total(self) -> int:
        return self.new + self.review + self.repeat


@dataclass(frozen=True)
class Plan(Generic[T]):
    """The queue a session starts with, and what was held back."""

    entries: tuple[Entry[T], ...]
    buried_reviews: int = 0
    buried_new: int = 0
    reviews_over_limit: bool = False

    @property
    def buried(self) -> int:
        return self.buried_reviews + self.buried_new


def _sibling_key(card) -> Hashable:
    return card.sibling_key


def plan(
    due: Iterable[T],
    new: Iterable[T],
    *,
    repeats: Iterable[T] = (),
    studied_siblings: Iterable[Hashable] = (),
    review_limit: int,
    new_limit: int,
    key: Callable[[T], Hashable] = _sibling_key,
    new_by_deck: Sequence[tuple[Hashable, Iterable[T]]] = (),
    deck_new_limits: Mapping[Hashable, int] | None = None,
) -> Plan[T]:
    """The queue for a session.

    ``due`` in the order to show them (most overdue first), ``new`` in deck
    order; both may hold more cards than the limits allow, so that buried
    siblings can be replaced by the next card. ``new_limit`` is what is left
    of the day's new cards (the daily limit minus those introduced today).
    ``key`` gives a card's sibling key (by default its ``sibling_key``).
    ``new_by_deck`` gives the new cards as one stream per deck, in deck
    order, to interleave (then ``new`` is left empty); ``deck_new_limits``
    what is left of a deck's own new-card limit, for the decks that have one.
    """
    taken = set(studied_siblings)
    entries: list[Entry[T]] = []
    for card in repeats:
        entries.append(Entry(card, Kind.REPEAT))
        taken.add(key(card))
    buried_reviews, over_limit = _take(due, Kind.REVIEW, review_limit, key, taken, entries)
    buried_new, _ = _take(new, Kind.NEW, new_limit, key, taken, entries)
    if new_by_deck:
        buried_new += _interleave(new_by_deck, new_limit, deck_new_limits or {}, key, taken, entries)
    return Plan(tuple(entries), buried_reviews, buried_new, over_limit)


def _interleave(
    streams: Sequence[tuple[Hashable, Iterable[T]]],
    limit: int,
    deck_limits: Mapping[Hashable, int],
    key: Callable[[T], Hashable],
    taken: set,
    entries: list[Entry[T]],
) -> int:
    """Add new cards one deck at a time, round after round; return how many were buried."""
    active = [[deck, iter(stream), deck_limits.get(deck)] for deck, stream in streams]
    added = buried = 0
    while active and added < limit:
        still = []
        for item in active:
            if added >= limit:
                break
            deck, cards, left = item
            if left is not None and left <= 0:
                continue
            for card in cards:
                sibling = key(card)
                if sibling in taken:
                    buried += 1
                    continue
                taken.add(sibling)
                entries.append(Entry(card, Kind.NEW))
                added += 1
                item[2] = None if left is None else left - 1
                still.append(item)
                break
        active = still
    return buried


def _take(
    cards: Iterable[T], kind: Kind, limit: int, key: Callable[[T], Hashable], taken: set, entries: list[Entry[T]]
) -> tuple[int, bool]:
    """Add up to ``limit`` cards whose siblings are not taken; return how many were
    buried, and whether cards were left over at the limit."""
    added = buried = 0
    for card in cards:
        if added >= limit:
            return buried, True
        sibling = key(card)
        if sibling in taken:
            buried += 1
            continue
        taken.add(sibling)
        entries.append(Entry(card, kind))
        added += 1
    return buried, False


def _count(entries: Iterable[Entry]) -> Counts:
    tally = dict.fromkeys(Kind, 0)
    for entry in entries:
        tally[entry.kind] += 1
    return Counts(tally[Kind.NEW], tally[Kind.REVIEW], tally[Kind.REPEAT])


class Queue(Generic[T]):
    """The cards still to show in a session, changed by answers and undos."""

    def __init__(self, entries: Iterable[Entry[T]], gap: int = REPEAT_GAP):
        self._pending: tuple[Entry[T], ...] = tuple(entries)
        self._history: list[tuple[Entry[T], ...]] = []
        self.gap = gap

    @property
    def current(self) -> Entry[T] | None:
        return self._pending[0] if self._pending else None

    @property
    def pending(self) -> tuple[Entry[T], ...]:
        return self._pending

    @property
    def answered(self) -> int:
        """Answers given in this session and not undone."""
        return len(self._history)

    def counts(self) -> Counts:
        return _count(self._pending)

    @property
    def position(self) -> tuple[int, int]:
        """(n, m) for "card n of m": answers so far plus one, and that plus what is left after."""
        return self.answered + 1, self.answered + len(self._pending)

    def answer(self, grade: int, *, again: bool = True) -> Entry[T] | None:
        """Take the current card off the queue after ``grade``; return its repeat, if any.

        A grade below 4 puts the card back as a repeat ``gap`` cards later,
        or last when fewer cards remain (SM-2 rule 7), unless ``again`` is
        false (the answer suspended the card as a leech).
        """
        if not self._pending:
            raise IndexError("the queue is empty")
        first, rest = self._pending[0], self._pending[1:]
        self._history.append(self._pending)
        if grade >= REPEAT_BELOW or not again:
            self._pending = rest
            return None
        repeat = Entry(first.card, Kind.REPEAT)
        at = min(self.gap, len(rest))
        self._pending = rest[:at] + (repeat,) + rest[at:]
        return repeat

    def skip(self) -> Entry[T]:
        """Take the current card off the queue without an answer (buried or
        suspended); :meth:`undo` puts it back."""
        if not self._pending:
            raise IndexError("the queue is empty")
        self._history.append(self._pending)
        self._pending = self._pending[1:]
        return self._history[-1][0]

    def replace(self, match: Callable[[T], bool], card: T) -> None:
        """Put ``card`` in place of every entry ``match`` picks, in the queue and its
        undo history (a card whose text changed)."""

        def swap(entries: tuple[Entry[T], ...]) -> tuple[Entry[T], ...]:
            return tuple(Entry(card, e.kind) if match(e.card) else e for e in entries)

        self._pending = swap(self._pending)
        self._history = [swap(entries) for entries in self._history]

    def drop(self, match: Callable[[T], bool]) -> None:
        """Take every entry ``match`` picks out of the queue and its undo history
        (a card gone from its deck file)."""

        def keep(entries: tuple[Entry[T], ...]) -> tuple[Entry[T], ...]:
            return tuple(e for e in entries if not match(e.card))

        self._pending = keep(self._pending)
        self._history = [keep(entries) for entries in self._history]

    def undo(self) -> Entry[T]:
        """Put the queue back as it was before the last answer; return that card's entry."""
        if not self._history:
            raise IndexError("no answer to undo")
        self._pending = self._history.pop()
        return self._pending[0]
