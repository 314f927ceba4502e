"""Merging answers into the log: every card touched brought in step with the replay of all its answers.

The rule is :mod:`osteo_learn.core.history`'s: a card's answers that stand,
from the desk and from Anki, in time order; the first of each study day
schedules, later ones that day are repeats. When an answer joins the log
after later answers of its card (a phone answer imported after the desk
studied the card, an undo, a desk clock behind the phone's), the rows
after it may count otherwise than they were written. Rows are never
rewritten: the replay's verdict on such a row is kept in
``replayed_reviews``, which the ``review_log`` view reads (see
:mod:`osteo_learn.store.schema`), and the card's state columns are set to
the replay's, all in the caller's transaction.

Answers given in Anki join the log through :mod:`.imports`, which uses
:func:`rejudge` for the cards they touch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from osteo_learn.core import history, sm2
from osteo_learn.store import rows
from osteo_learn.store.schema import INSTANT_MS

class Fresh(NamedTuple):
    """An answer joining the log: the row id it gets, and where it came from in
    Anki (``(revlog id, button, log type)``, or None for a desk answer)."""

    card: int
    id: int
    reviewed_at: str
    day: str
    grade: int
    duration_ms: int
    anki: tuple[int, int, int] | None = None
    chosen: str | None = None  # the option a vignette answer picked


@dataclass
class Rejudged:
    """What bringing cards in step with their replay changed."""

    cards: int = 0  # cards replayed
    rescheduled: int = 0  # cards whose schedule changed
    verdicts: int = 0  # rows already in the log that now count otherwise
    conflicts: int = 0  # (card, study day) answered at the desk and in Anki, one of them new here
    anki_first: int = 0  # ... where Anki's answer was the earlier, so it counted
    desk_first: int = 0  # ... where the desk's was


# A card's rows are read from this long before its first fresh answer: older
# ones cannot share a study day with it or a later one (unless a session ran
# for days, which is noticed, and the card read whole).
WINDOW_MS = 3 * 86_400_000
_ALL = -(2**63)


def rejudge(
    conn: sqlite3.Connection, cards: Iterable[int | tuple[int, int]], fresh: Iterable[Fresh] = (), *, package: str = "", imported_at: str = ""
) -> Rejudged:
    """Insert the ``fresh`` answers (sorted by card, then time) and bring each
    of ``cards`` (every card of ``fresh`` among them) in step with the replay
    of its answers. Runs in the caller's write transaction.

    A card given as ``(card, instant in ms of its first fresh answer)`` keeps
    the verdicts of its rows before that instant, and only its rows from a
    little before it are read; a card given alone is replayed from its first
    answer.
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS merge_cards (card INTEGER PRIMARY KEY, since INTEGER NOT NULL)")
    conn.execute("DELETE FROM temp.merge_cards")
    conn.executemany(
        "INSERT OR IGNORE INTO temp.merge_cards VALUES (?, ?)",
        ((card, _ALL) if isinstance(card, int) else (card[0], card[1] - WINDOW_MS) for card in cards),
    )
    try:
        return _rejudge(conn, fresh, package, imported_at)
    finally:
        conn.execute("DELETE FROM temp.merge_cards")


def replay_card(conn: sqlite3.Connection, card: int) -> Rejudged:
    """Bring one card in step with the replay of its answers (after an undo)."""
    return rejudge(conn, [card])


# The standing answers of the cards in temp.merge_cards from their ``since``
# on, card by card: as written, the verdict kept beside (if any), and
# whether it came from Anki.
_VERDICT = rows.VERDICT_COLUMNS.split(", ")
_MS = INSTANT_MS.replace("reviewed_at", "r.reviewed_at")
_COLUMNS = (
    "r.card, r.id, r.reviewed_at, r.day, r.grade, "
    + ", ".join(f"r.{name}" for name in _VERDICT)
    + ", v.review IS NOT NULL, "
    + ", ".join(f"v.{name}" for name in _VERDICT)
    + ", k.review IS NOT NULL"
)
_JOINS = " LEFT JOIN main.replayed_reviews AS v ON v.review = r.id LEFT JOIN main.anki_answers AS k ON k.review = r.id"
_EXISTING = (
    f"SELECT {_COLUMNS} FROM temp.merge_cards AS t CROSS JOIN main.reviews AS r ON r.card = t.card AND {_MS} >= t.since"
    # By card (temp.merge_cards is in card order); each card's rows are sorted in Python.
    f"{_JOINS} WHERE r.undone_at IS NULL ORDER BY t.card"
)
_ONE_CARD = f"SELECT {_COLUMNS} FROM main.reviews AS r{_JOINS} WHERE r.card = ? AND r.undone_at IS NULL"
# Per card read from a ``since``: its last standing answer before it, as the log reads it now.
_BEFORE = (
    f"SELECT t.card, l.day, {', '.join(f'l.{name}' for name in _VERDICT[7:])} FROM temp.merge_cards AS t"
    " JOIN main.review_log AS l ON l.id = (SELECT r.id FROM main.reviews AS r WHERE r.card = t.card"
    f" AND {_MS} < t.since AND r.undone_at IS NULL ORDER BY {_MS} DESC, r.id DESC LIMIT 1)"
    f" WHERE t.since > {_ALL} ORDER BY t.card"
)
_STORED = slice(5, 5 + len(_VERDICT))
_HAS_VERDICT = 5 + len(_VERDICT)
_VERDICT_KEPT = slice(_HAS_VERDICT + 1, _HAS_VERDICT + 1 + len(_VERDICT))
_FROM_ANKI = _HAS_VERDICT + 1 + len(_VERDICT)
_AFTER = slice(7, 13)  # the state after, within a verdict's values


@dataclass
class _Writes:
    inserts: list = field(default_factory=list)
    links: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    updates: list = field(default_factory=list)


def _rejudge(conn: sqlite3.Connection, fresh: Iterable[Fresh], package: str, imported_at: str) -> Rejudged:
    done = Rejudged()
    states = conn.execute(
        f"SELECT c.id, t.since, c.{rows.STATE_COLUMNS.replace(', ', ', c.')} FROM temp.merge_cards AS t"
        " JOIN main.cards AS c ON c.id = t.card ORDER BY c.id"
    ).fetchall()
    before = _Groups(conn.execute(_BEFORE))
    existing = _Groups(conn.execute(_EXISTING))
    incoming = _Groups(iter(fresh))
    writes = _Writes()
    for card, since, *state in states:
        done.cards += 1
        written = existing.take(card)
        new = incoming.take(card)
        earlier = before.take(card)
        if since > _ALL and not _judge_card(done, writes, card, state, written, new, earlier, since, package, imported_at):
            # A session answered this card for days: read it whole.
            whole = conn.execute(_ONE_CARD, (card,)).fetchall()
            _judge_card(done, writes, card, state, whole, new, [], _ALL, package, imported_at)
        elif since == _ALL:
            _judge_card(done, writes, card, state, written, new, [], _ALL, package, imported_at)
    # Each table written in the order of its key: rows then go into the
    # b-tree one after another, not all over it.
    for found in (writes.inserts, writes.links, writes.kept, writes.dropped):
        found.sort(key=itemgetter(0))
    if writes.inserts:
        marks = ", ".join("?" * len(writes.inserts[0]))
        conn.executemany(
            f"INSERT INTO reviews (id, card, reviewed_at, day, grade, {rows.VERDICT_COLUMNS}, duration_ms, chosen) VALUES ({marks})",
            writes.inserts,
        )
    if writes.links:
        conn.executemany(
            "INSERT INTO anki_answers (review, card, revlog_id, ease, type, package, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            writes.links,
        )
    if writes.kept:
        marks = ", ".join("?" * len(writes.kept[0]))
        conn.executemany(f"INSERT OR REPLACE INTO replayed_reviews (review, {rows.VERDICT_COLUMNS}) VALUES ({marks})", writes.kept)
    if writes.dropped:
        conn.executemany("DELETE FROM replayed_reviews WHERE review = ?", writes.dropped)
    if writes.updates:
        conn.executemany(f"UPDATE cards SET {' = ?, '.join(rows.STATE_COLUMNS.split(', '))} = ? WHERE id = ?", writes.updates)
    return done


def _judge_card(done: Rejudged, writes: _Writes, card: int, state: list, written: list, new: list, earlier: list, since: int, package: str, imported_at: str) -> bool:
    """Judge one card's answers from its first fresh one (all, without one); False
    if the rows read from ``since`` do not suffice (a day shared with an older row)."""
    items = sorted([*written, *new], key=_time_order)
    start = next((i for i, item in enumerate(items) if isinstance(item, Fresh)), 0) if new else 0
    if since > _ALL:
        # Rows older than ``since`` are on study days no later than its UTC date plus one.
        horizon = (datetime.fromtimestamp(since / 1000, timezone.utc).date() + timedelta(days=1)).isoformat()
        if any(_day(item) <= horizon for item in items[start:]):
            return False
    days = {rows.stored_day(_day(item)) for item in items[:start]}
    if start:
        current = rows.state(*_current(items[start - 1])[_AFTER])
    elif earlier:
        days.add(rows.stored_day(earlier[0][1]))
        current = rows.state(*earlier[0][2:])
    else:
        current = sm2.CardState.new()
    final = current
    judged = history.judge(((rows.stored_day(_day(item)), _grade(item)) for item in items[start:]), state=current, days=days)
    for item, verdict in zip(items[start:], judged):
        values = rows.verdict_values(verdict.kind, verdict.before, verdict.after)
        final = verdict.after
        if isinstance(item, Fresh):
            writes.inserts.append((item.id, item.card, item.reviewed_at, item.day, item.grade, *values, item.duration_ms, item.chosen))
            if item.anki is not None:
                writes.links.append((item.id, item.card, *item.anki, package, imported_at))
            continue
        if values == _current(item):
            continue
        done.verdicts += 1
        if values == tuple(item[_STORED]):
            writes.dropped.append((item[1],))
        else:
            writes.kept.append((item[1], *values))
    if tuple(state) != rows.state_values(final):
        done.rescheduled += 1
        writes.updates.append((*rows.state_values(final), card))
    _count_conflicts(done, items)
    return True


def _time_order(item) -> tuple[str, int]:
    # An answer in the log before any fresh one of the same instant: its id is smaller.
    return (item.reviewed_at, item.id) if isinstance(item, Fresh) else (item[2], item[1])


def _day(item) -> str:
    return item.day if isinstance(item, Fresh) else item[3]


def _grade(item) -> int:
    return item.grade if isinstance(item, Fresh) else item[4]


def _current(item) -> tuple:
    """A written row's verdict as the log reads it now: the one kept beside it, else the row's."""
    return tuple(item[_VERDICT_KEPT] if item[_HAS_VERDICT] else item[_STORED])


def _count_conflicts(done: Rejudged, items: Sequence) -> None:
    """Study days on which a card has a fresh answer from Anki and an answer
    given at the desk: which of the two came first (and counted)."""
    fresh_days = {item.day for item in items if isinstance(item, Fresh) and item.anki is not None}
    if not fresh_days:
        return
    desk_days = {item[3] for item in items if not isinstance(item, Fresh) and not item[_FROM_ANKI]}
    for day in fresh_days & desk_days:
        done.conflicts += 1
        first = next(item for item in items if _day(item) == day)
        if isinstance(item := first, Fresh) or item[_FROM_ANKI]:
            done.anki_first += 1
        else:
            done.desk_first += 1


class _Groups:
    """Rows sorted by card (their first field), handed out one card at a time, in card order."""

    def __init__(self, found: Iterator):
        self._groups = groupby(found, key=lambda row: row[0])
        self._next = next(self._groups, None)

    def take(self, card: int) -> list:
        while self._next is not None and self._next[0] < card:
            self._next = next(self._groups, None)
        if self._next is None or self._next[0] != card:
            return []
        taken = list(self._next[1])
        self._next = next(self._groups, None)
        return taken
