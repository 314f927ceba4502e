"""Where database rows become domain objects, and objects become rows again.

Every room of the store reads cards and answers through these, so a card's
text (JSON) and schedule, and an answer's states before and after, are
decoded in one place. Also here: the SQL conditions that narrow a query to
some decks and tags, shared by the rooms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from osteo_learn.core import sm2
from osteo_learn.core.cards import Basic, Card, Cloze, Content, Kind, Vignette
from osteo_learn.core.history import AnswerKind

ReviewKind = AnswerKind
"""How an answer counted: the first review of a new card, a scheduled
review, or a same-day repeat (SM-2 rule 7) that leaves the schedule alone."""


class StoredCard:
    """A card as studied: one deck entry at one ordinal, with its schedule.

    Built straight from a database row; the card's text (JSON) and its state
    are decoded on first use, so a queue of hundreds of cards costs little
    until a card is shown. Immutable, and equal when all fields are equal.
    """

    __slots__ = ("_row", "_card", "_state")

    def __init__(self, row: Sequence):
        self._row = row
        self._card: Card | None = None
        self._state: sm2.CardState | None = None

    pk = property(lambda self: self._row[0])
    deck_id = property(lambda self: self._row[1])
    card_id = property(lambda self: self._row[2])
    ordinal = property(lambda self: self._row[3])
    kind = property(lambda self: self._row[4])
    retired = property(lambda self: bool(self._row[8]))

    @property
    def card(self) -> Card:
        if self._card is None:
            _, _, card_id, _, kind, tags, fields, source = self._row[:8]
            self._card = Card(card_id, tuple(tags.split()), source, content(kind, fields))
        return self._card

    @property
    def state(self) -> sm2.CardState:
        if self._state is None:
            self._state = state(*self._row[9:15])
        return self._state

    @property
    def sibling_key(self) -> tuple[str, str]:
        """Cards of one deck entry (the deletions of a cloze) share this key."""
        return self._row[1:3]

    @property
    def label(self) -> str:
        suffix = f" c{self.ordinal}" if self.kind == Kind.CLOZE else ""
        return f"{self.deck_id}/{self.card_id}{suffix}"

    def _key(self) -> tuple:
        return (self.pk, self.deck_id, self.card, self.ordinal, self.state, self.retired)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredCard) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.pk, self.deck_id, self.card_id, self.ordinal))

    def __repr__(self) -> str:
        return f"StoredCard({self.label}, pk={self.pk}, state={self.state!r}, retired={self.retired})"


@dataclass(frozen=True)
class Review:
    """One row of the review log, as the replay judges it: ``kind``, ``before``
    and ``after`` are the replay's verdict (see :mod:`osteo_learn.core.history`),
    which differs from the row as written only for an answer that an answer
    imported later, given before it, changed."""

    id: int
    card_pk: int
    reviewed_at: str
    day: date
    grade: sm2.Grade
    kind: str
    before: sm2.CardState
    after: sm2.CardState
    duration_ms: int
    undone_at: str | None = None


@dataclass(frozen=True)
class DeckRecord:
    """What the store remembers of a deck file, to skip re-reading it unchanged."""

    id: str
    title: str
    file: str
    file_size: int
    file_mtime_ns: int
    file_hash: str
    bundled: bool
    source_title: str
    source_text: str


CARD_COLUMNS = (
    "c.id, c.deck_id, c.card_id, c.ord, c.kind, c.tags, c.fields, c.source, c.retired,"
    " c.reps, c.ease, c.interval, c.due, c.lapses, c.last_review"
)
"""The columns of ``cards AS c`` a :class:`StoredCard` is built from, in its order."""

VERDICT_COLUMNS = (
    "kind,"
    " reps_before, ease_before, interval_before, due_before, lapses_before, last_review_before,"
    " reps_after, ease_after, interval_after, due_after, lapses_after, last_review_after"
)
"""How an answer counted and the card's states before and after it, in :func:`verdict_values` order."""

REVIEW_COLUMNS = f"id, card, reviewed_at, day, grade, {VERDICT_COLUMNS}, duration_ms, undone_at"
"""The columns of ``review_log`` (the log with each row's verdict) a :class:`Review` is built from, in its order."""

STATE_COLUMNS = "reps, ease, interval, due, lapses, last_review"
"""A card's SM-2 state in ``cards``, in the order of :func:`state` and :func:`state_values`."""


def content(kind: str, fields: str) -> Content:
    """A card's content from its kind and its fields as stored (JSON)."""
    data = json.loads(fields)
    if kind == Kind.BASIC:
        return Basic(**data)
    if kind == Kind.CLOZE:
        return Cloze(**data)
    return Vignette(**{**data, "options": tuple(data["options"])})


def fields(content: Content) -> str:
    """A card's content as stored: its fields as JSON."""
    # vars() of the flat frozen dataclass: asdict() would deep-copy every field.
    return json.dumps(vars(content), ensure_ascii=False, sort_keys=True)


def state(reps, ease, interval, due, lapses, last_review) -> sm2.CardState:
    """An SM-2 state from its columns (all NULL while the card is new)."""
    if due is None:
        return sm2.CardState.new()
    return sm2.ReviewedCard(
        repetitions=reps,
        ease=ease,
        interval=interval,
        due=date.fromisoformat(due),
        lapses=lapses,
        last_review=date.fromisoformat(last_review),
    )


def state_values(state: sm2.CardState) -> tuple:
    """The columns of an SM-2 state, in :data:`STATE_COLUMNS` order."""
    if isinstance(state, sm2.NewCard):
        return (None,) * 6
    return (
        state.repetitions,
        state.ease,
        state.interval,
        state.due.isoformat(),
        state.lapses,
        state.last_review.isoformat(),
    )


def verdict_values(kind: str, before: sm2.CardState, after: sm2.CardState) -> tuple:
    """The columns of a verdict, in :data:`VERDICT_COLUMNS` order."""
    return (str(kind), *state_values(before), *state_values(after))


def instant_sql(ms: str) -> str:
    """SQL for an instant given in milliseconds since the epoch (the SQL ``ms``,
    not negative), written as the log writes instants (:func:`osteo_learn.core.days.utc_text`)."""
    return f"(strftime('%Y-%m-%dT%H:%M:%S', ({ms}) / 1000, 'unixepoch') || printf('.%03d+00:00', ({ms}) % 1000))"


def review(row: Sequence) -> Review:
    """A :class:`Review` from a row of :data:`REVIEW_COLUMNS`."""
    review_id, card_pk, reviewed_at, day, grade, kind = row[:6]
    before, after = row[6:12], row[12:18]
    duration_ms, undone_at = row[18:20]
    return Review(
        review_id,
        card_pk,
        reviewed_at,
        date.fromisoformat(day),
        sm2.Grade(grade),
        kind,
        state(*before),
        state(*after),
        duration_ms,
        undone_at,
    )


def card_filters(deck_ids: Sequence[str], tags: Sequence[str]) -> tuple[list[str], list]:
    """Conditions on ``cards AS c`` keeping the cards of some decks with every tag given."""
    where, params = [], []
    if deck_ids:
        where.append(f"c.deck_id IN ({', '.join('?' * len(deck_ids))})")
        params.extend(deck_ids)
    for tag in tags:
        where.append("(' ' || c.tags || ' ') LIKE ? ESCAPE '\\'")
        params.append("% " + tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %")
    return where, params


def log_filter(deck_ids: Sequence[str]) -> tuple[str, list]:
    """A condition narrowing the review log to the cards of some decks ("" for all)."""
    if not deck_ids:
        return "", []
    marks = ", ".join("?" * len(deck_ids))
    return f" AND card IN (SELECT id FROM cards WHERE deck_id IN ({marks}))", list(deck_ids)


def select_cards(conn, where: str, params: Sequence = (), order: str = "c.deck_id, c.position, c.ord"):
    """The cards of ``cards AS c`` meeting ``where``, as :class:`StoredCard`, read as consumed."""
    sql = f"SELECT {CARD_COLUMNS} FROM cards AS c WHERE {where} ORDER BY {order}"
    return map(StoredCard, conn.execute(sql, params))
