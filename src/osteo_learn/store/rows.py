"""Where database rows become domain objects, and objects become rows again.

Every room of the store reads cards and answers through these, so a card's
text (JSON) and schedule, and an answer's states before and after, are
decoded in one place. Also here: the SQL conditions that narrow a query to
some decks and tags, shared by the rooms.

This is also where what is read is checked. A row edited by hand or
damaged (an interval of 0, text that is not JSON, a date that is not one, a
field of 50 MB) raises :class:`DamagedRow`, naming the card and what is
wrong, never a ``KeyError`` or a ``ValueError`` from deep inside. A valid
row holds only what a valid deck and SM-2 can produce, within the same
bounds (:mod:`osteo_learn.core.limits`). For the reads done in SQL alone (an
export), :data:`DAMAGED_CARD` and :data:`DAMAGED_ANSWER` say it in SQL.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from osteo_learn.core import cloze, sm2
from osteo_learn.core.cards import Basic, Card, Cloze, Content, Kind, Vignette
from osteo_learn.core.history import AnswerKind
from osteo_learn.core.days import FIRST_DAY, LAST_DAY
from osteo_learn.core.limits import MAX_ID_LENGTH, MAX_TEXT_LENGTH, OPTION_COUNTS, valid_id
from osteo_learn.core.text import shown
from osteo_learn.errors import StoreError

MAX_EASE = 100_000
"""The highest EF stored, in hundredths (1000.0: SM-2 never comes near)."""
MAX_COUNT = 1_000_000
"""The most repetitions or lapses stored."""
LAST_DUE = LAST_DAY + timedelta(days=sm2.MAX_INTERVAL)
"""The latest due date: the latest study day plus the longest interval."""


class DamagedRow(StoreError):
    """A row of the database that no deck and no answer could have written; once the
    store knows which database (``path``), its name leads the message."""

    def __init__(self, message: str, path=None):
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path

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
    suspended = property(lambda self: bool(self._row[15]))
    leech = property(lambda self: bool(self._row[16]))
    flagged = property(lambda self: bool(self._row[17]))
    flag_note = property(lambda self: self._row[18])

    @property
    def card(self) -> Card:
        if self._card is None:
            _, deck_id, card_id, ordinal, kind, tags, fields, source = self._row[:8]
            try:
                if not (valid_id(deck_id) and valid_id(card_id)):
                    raise ValueError("its deck or card id is not one a deck can have")
                if not isinstance(source, str) or len(source) > MAX_TEXT_LENGTH:
                    raise ValueError(f"its source excerpt is {_size(source)}")
                found = content(kind, fields)
                if isinstance(found, Cloze) and ordinal not in found.numbers():
                    raise ValueError(f"its text has no deletion c{ordinal}")
                card = Card(card_id, tuple(tags.split()), source, found)
            except (TypeError, ValueError) as error:
                raise self.damaged(error) from None
            self._card = card
        return self._card

    @property
    def state(self) -> sm2.CardState:
        if self._state is None:
            try:
                self._state = _state(*self._row[9:15])
            except (TypeError, ValueError) as error:
                raise self.damaged(error) from None
        return self._state

    def damaged(self, error: Exception) -> DamagedRow:
        return DamagedRow(
            f"the card {shown(self.label)} (row {self.pk}) is damaged in the database: {shown(error, 300)}; "
            "restore the database from a backup (or, for its text, add its deck file again with add-deck)"
        )

    @property
    def sibling_key(self) -> tuple[str, str]:
        """Cards of one deck entry (the deletions of a cloze) share this key."""
        return self._row[1:3]

    @property
    def ref(self) -> str:
        """The card as commands name it: ``deck/card``, ``deck/card#N`` for a cloze deletion."""
        suffix = f"#{self.ordinal}" if self.kind == Kind.CLOZE else ""
        return f"{self.deck_id}/{self.card_id}{suffix}"

    @property
    def label(self) -> str:
        suffix = f" c{self.ordinal}" if self.kind == Kind.CLOZE else ""
        return f"{self.deck_id}/{self.card_id}{suffix}"

    def check(self) -> StoredCard:
        """Decode the whole row now; raise :class:`DamagedRow` if it is damaged."""
        self.card, self.state  # noqa: B018 - decoding checks
        return self

    def _key(self) -> tuple:
        return (self.pk, self.deck_id, self.card, self.ordinal, self.state, self.retired, tuple(self._row[15:19]))

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
    chosen: str | None = None
    """The option a vignette answer picked (its text, not its letter)."""
    made_leech: bool = False
    """Set by :meth:`~osteo_learn.store.log.Log.record` when this answer made the card a leech."""


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
    " c.reps, c.ease, c.interval, c.due, c.lapses, c.last_review,"
    " c.suspended, c.leech, c.flagged, c.flag_note"
)
"""The columns of ``cards AS c`` a :class:`StoredCard` is built from, in its order."""

VERDICT_COLUMNS = (
    "kind,"
    " reps_before, ease_before, interval_before, due_before, lapses_before, last_review_before,"
    " reps_after, ease_after, interval_after, due_after, lapses_after, last_review_after"
)
"""How an answer counted and the card's states before and after it, in :func:`verdict_values` order."""

REVIEW_COLUMNS = f"id, card, reviewed_at, day, grade, {VERDICT_COLUMNS}, duration_ms, undone_at, chosen"
"""The columns of ``review_log`` (the log with each row's verdict) a :class:`Review` is built from, in its order."""

STATE_COLUMNS = "reps, ease, interval, due, lapses, last_review"
"""A card's SM-2 state in ``cards``, in the order of :func:`state` and :func:`state_values`."""


# Each kind's fields as stored: (required text fields, optional text fields).
_TEXT_FIELDS = {
    Kind.BASIC: (("front", "back"), ()),
    Kind.CLOZE: (("text",), ("extra",)),
    Kind.VIGNETTE: (("stem", "question", "answer", "explanation"), ()),
}


def content(kind: str, fields: str) -> Content:
    """A card's content from its kind and its fields as stored (JSON); ``ValueError`` saying what is wrong."""
    if kind not in _TEXT_FIELDS:
        raise ValueError(f"its kind {kind!r} is not basic, cloze or vignette")
    if not isinstance(fields, str) or len(fields) > 8 * MAX_TEXT_LENGTH:
        raise ValueError(f"its text (fields) is {_size(fields)}")
    try:
        data = json.loads(fields)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"its text (fields) is not valid JSON ({shown(error, 100)})") from None
    required, optional = _TEXT_FIELDS[Kind(kind)]
    if not isinstance(data, dict):
        raise ValueError("its text (fields) is not a JSON object")
    allowed = set(required) | set(optional) | ({"options"} if kind == Kind.VIGNETTE else set())
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"its text (fields) has an unknown field {shown(unknown[0])!r}")
    for name in required + optional:
        value = data.get(name, "" if name in optional else None)
        if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"its field {name!r} is {_size(value)}")
    if kind == Kind.BASIC:
        return Basic(**data)
    if kind == Kind.CLOZE:
        text = data["text"]
        if not cloze.numbers(text) or any(n > cloze.MAX_NUMBER for n in cloze.numbers(text)):
            raise ValueError("its text has no cloze deletion from c1 to c500")
        return Cloze(**data)
    options = data.get("options")
    if (
        not isinstance(options, list)
        or len(options) not in OPTION_COUNTS
        or not all(isinstance(o, str) and len(o) <= MAX_TEXT_LENGTH for o in options)
    ):
        raise ValueError(f"its options are not a list of {' or '.join(map(str, OPTION_COUNTS))} texts")
    if data["answer"] not in options:
        raise ValueError("its answer is not one of its options")
    return Vignette(**{**data, "options": tuple(options)})


def _size(value) -> str:
    if isinstance(value, str):
        return f"{len(value):,} characters long; a text may have at most {MAX_TEXT_LENGTH:,}"
    return f"{'missing' if value is None else 'not text'}"


def fields(content: Content) -> str:
    """A card's content as stored: its fields as JSON."""
    # vars() of the flat frozen dataclass: asdict() would deep-copy every field.
    return json.dumps(vars(content), ensure_ascii=False, sort_keys=True)


def state(reps, ease, interval, due, lapses, last_review) -> sm2.CardState:
    """An SM-2 state from its columns (all NULL while the card is new);
    :class:`DamagedRow` saying what is wrong."""
    try:
        return _state(reps, ease, interval, due, lapses, last_review)
    except (TypeError, ValueError) as error:
        raise DamagedRow(f"a schedule in the database is damaged: {shown(error, 300)}; restore the database from a backup") from None


def _state(reps, ease, interval, due, lapses, last_review) -> sm2.CardState:
    """:func:`state`, raising ``ValueError`` or ``TypeError`` saying what is wrong."""
    if due is None and last_review is None and reps is None and ease is None and interval is None and lapses is None:
        return sm2.CardState.new()
    for name, value, high in (("repetitions", reps, MAX_COUNT), ("lapses", lapses, MAX_COUNT), ("ease", ease, MAX_EASE)):
        if isinstance(value, int) and not isinstance(value, bool) and value > high:
            raise ValueError(f"{name} must be at most {high:,}, not {value:,}")
    return sm2.ReviewedCard(
        repetitions=reps,
        ease=ease,
        interval=interval,
        due=day(due, "due", LAST_DUE),
        lapses=lapses,
        last_review=day(last_review, "last_review"),
    )


def day(text, name: str = "day", latest: date = LAST_DAY) -> date:
    """A study day as stored (ISO, from :data:`osteo_learn.core.days.FIRST_DAY` to ``latest``);
    ``ValueError`` saying what is wrong."""
    try:
        found = date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), not {shown(repr(text), 60)}") from None
    if not FIRST_DAY <= found <= latest or found.isoformat() != text:
        raise ValueError(f"{name} must be a date from {FIRST_DAY} to {latest} written YYYY-MM-DD, not {text!r}")
    return found


def stored_day(text, what: str = "a study day") -> date:
    """A study day or due date read by a query; :class:`DamagedRow` if it is not one."""
    try:
        return _stored_day(text) if type(text) is str else day(text, latest=LAST_DUE)
    except ValueError as error:
        raise DamagedRow(f"{what} in the database is damaged: {error}; restore the database from a backup") from None


# A replay reads and writes the same few hundred days many times over.
@functools.lru_cache(maxsize=1 << 16)
def _stored_day(text: str) -> date:
    return day(text, latest=LAST_DUE)


_iso = functools.lru_cache(maxsize=1 << 16)(date.isoformat)


def state_values(state: sm2.CardState) -> tuple:
    """The columns of an SM-2 state, in :data:`STATE_COLUMNS` order."""
    if isinstance(state, sm2.NewCard):
        return (None,) * 6
    return (
        state.repetitions,
        state.ease,
        state.interval,
        _iso(state.due),
        state.lapses,
        _iso(state.last_review),
    )


def verdict_values(kind: str, before: sm2.CardState, after: sm2.CardState) -> tuple:
    """The columns of a verdict, in :data:`VERDICT_COLUMNS` order."""
    return (str(kind), *state_values(before), *state_values(after))


def instant_sql(ms: str) -> str:
    """SQL for an instant given in milliseconds since the epoch (the SQL ``ms``,
    not negative), written as the log writes instants (:func:`osteo_learn.core.days.utc_text`)."""
    return f"(strftime('%Y-%m-%dT%H:%M:%S', ({ms}) / 1000, 'unixepoch') || printf('.%03d+00:00', ({ms}) % 1000))"


def review(row: Sequence) -> Review:
    """A :class:`Review` from a row of :data:`REVIEW_COLUMNS`; :class:`DamagedRow` if it is damaged."""
    review_id, card_pk, reviewed_at, answer_day, grade, kind = row[:6]
    before, after = row[6:12], row[12:18]
    duration_ms, undone_at, chosen = row[18:21]
    try:
        if kind not in (ReviewKind.NEW, ReviewKind.REVIEW, ReviewKind.REPEAT):
            raise ValueError(f"its kind {kind!r} is not new, review or repeat")
        try:
            datetime.fromisoformat(reviewed_at)
        except (TypeError, ValueError):
            raise ValueError(f"reviewed_at must be an instant, not {shown(repr(reviewed_at), 60)}") from None
        return Review(
            review_id,
            card_pk,
            reviewed_at,
            day(answer_day),
            sm2.Grade(grade),
            kind,
            _state(*before),
            _state(*after),
            duration_ms,
            undone_at,
            chosen,
        )
    except (TypeError, ValueError) as error:
        raise DamagedRow(
            f"the answer {review_id} of the review log is damaged in the database: {shown(error, 300)}; "
            "restore the database from a backup"
        ) from None


# The same checks in SQL, for reads done in SQL alone (an export): a card
# (``cards AS c``) or an answer (``reviews AS r``) that no deck or answer
# could have written. (Kinds, grades and the state columns being all NULL
# together are the schema's own CHECKs.)
_SQL_DAY = "(date({0}) IS {0} AND {0} BETWEEN '" + FIRST_DAY.isoformat() + "' AND '{1}')"
_SQL_ID = f"({{0}} GLOB '[a-z0-9]*' AND NOT {{0}} GLOB '*[^a-z0-9._-]*' AND length({{0}}) <= {MAX_ID_LENGTH})"
DAMAGED_CARD = (
    "(NOT " + _SQL_ID.format("c.deck_id")  # the deck id goes into tags; the card id only into a hash
    + " OR NOT EXISTS (SELECT 1 FROM decks AS d WHERE d.id = c.deck_id)"
    f" OR length(c.fields) > {8 * MAX_TEXT_LENGTH} OR length(c.source) > {MAX_TEXT_LENGTH}"
    f" OR (length(c.fields) > {MAX_TEXT_LENGTH} AND json_valid(c.fields) AND EXISTS (SELECT 1 FROM json_tree(c.fields) AS f"
    f"  WHERE f.type = 'text' AND length(f.atom) > {MAX_TEXT_LENGTH}))"
    " OR (c.due IS NOT NULL AND NOT (" + _SQL_DAY.format("c.due", LAST_DUE) + " AND " + _SQL_DAY.format("c.last_review", LAST_DAY)
    + f" AND c.interval BETWEEN 1 AND {sm2.MAX_INTERVAL} AND c.ease BETWEEN {sm2.MIN_EASE} AND {MAX_EASE}"
    f" AND c.reps BETWEEN 0 AND {MAX_COUNT} AND c.lapses BETWEEN 0 AND {MAX_COUNT}"
    " AND julianday(c.due) - julianday(c.last_review) = c.interval)))"
)
"""A condition on ``cards AS c`` true for a card row whose ids, deck, sizes or
schedule :class:`StoredCard` would refuse: what an export reads in SQL alone.
(Its text, which the export reads in Python, is checked there, by :func:`content`.)"""

DAMAGED_SCHEDULE = (
    f"(r.interval_after NOT BETWEEN 1 AND {sm2.MAX_INTERVAL} OR r.ease_after NOT BETWEEN {sm2.MIN_EASE} AND {MAX_EASE}"
    f" OR (r.interval_before IS NOT NULL AND r.interval_before NOT BETWEEN 1 AND {sm2.MAX_INTERVAL}))"
)
"""A condition on ``reviews AS r`` true for an answer whose schedule an export in SQL could not carry."""

DAMAGED_ANSWER = f"(julianday(r.reviewed_at) IS NULL OR {DAMAGED_SCHEDULE})"
"""The same, or an answer without an instant (what an export in SQL reads of an answer; its
study day it only compares, so any text will do)."""


def card_filters(deck_ids: Sequence[str], tags: Sequence[str], kinds: Sequence[str] = ()) -> tuple[list[str], list]:
    """Conditions on ``cards AS c`` keeping the cards of any of ``deck_ids``, with any
    of ``tags``, of any of ``kinds`` (an empty list keeps all)."""
    where, params = [], []
    if deck_ids:
        where.append(f"c.deck_id IN ({', '.join('?' * len(deck_ids))})")
        params.extend(deck_ids)
    if tags:
        where.append("(" + " OR ".join(["(' ' || c.tags || ' ') LIKE ? ESCAPE '\\'"] * len(tags)) + ")")
        params.extend("% " + tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %" for tag in tags)
    if kinds:
        where.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
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
