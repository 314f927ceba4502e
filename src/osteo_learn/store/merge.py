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

Answers from Anki arrive as a table (:data:`INCOMING`) in a file of their
own, written by :mod:`osteo_learn.anki.import_reviews`; :func:`merge_answers`
adds those the log does not hold yet. An answer is already there when it
was imported before (the same Anki answer of the same card), or when it is
one osteo-learn itself exported to Anki: an answer of the same card whose
instant is at most a second before Anki's id (the export numbers answers by
their instant, a millisecond on when two share one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from osteo_learn.core import history, sm2
from osteo_learn.core.days import utc_text
from osteo_learn.errors import StoreError
from osteo_learn.store import rows
from osteo_learn.store.connection import Database
from osteo_learn.store.schema import INSTANT_MS

INCOMING = """
CREATE TABLE answers (
    card INTEGER NOT NULL,
    revlog_id INTEGER NOT NULL CHECK (revlog_id >= 1000),
    day TEXT NOT NULL,
    grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 5),
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    ease INTEGER NOT NULL CHECK (ease BETWEEN 1 AND 4),
    type INTEGER NOT NULL,
    PRIMARY KEY (card, revlog_id)
) WITHOUT ROWID
"""
"""The answers given in Anki, as :func:`merge_answers` reads them: per row the
store's card (``cards.id``), Anki's review log id (the instant of the answer
in milliseconds since the epoch, UTC), the study day it counts for (ISO
date), its SM-2 grade, how long it took, Anki's button (1-4) and log type."""


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


@dataclass
class Rejudged:
    """What bringing cards in step with their replay changed."""

    cards: int = 0  # cards replayed
    rescheduled: int = 0  # cards whose schedule changed
    verdicts: int = 0  # rows already in the log that now count otherwise
    conflicts: int = 0  # (card, study day) answered at the desk and in Anki, one of them new here
    anki_first: int = 0  # ... where Anki's answer was the earlier, so it counted
    desk_first: int = 0  # ... where the desk's was


@dataclass
class MergeResult(Rejudged):
    """What :func:`merge_answers` found and did."""

    answers: int = 0  # answers read from Anki
    merged: int = 0  # added to the log
    known: int = 0  # already in the log
    newest_known: int | None = None  # the newest Anki id imported before this merge


def rejudge(conn: sqlite3.Connection, cards: Iterable[int], fresh: Iterable[Fresh] = (), *, package: str = "", imported_at: str = "") -> Rejudged:
    """Insert the ``fresh`` answers (sorted by card, then time) and bring each
    of ``cards`` (every card of ``fresh`` among them) in step with the replay
    of its answers. Runs in the caller's write transaction.

    Rows before a card's first fresh answer keep their verdicts; a card
    without fresh answers is replayed from its first answer.
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS merge_cards (card INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.merge_cards")
    conn.executemany("INSERT OR IGNORE INTO temp.merge_cards VALUES (?)", ((card,) for card in cards))
    try:
        return _rejudge(conn, fresh, package, imported_at)
    finally:
        conn.execute("DELETE FROM temp.merge_cards")


def replay_card(conn: sqlite3.Connection, card: int) -> Rejudged:
    """Bring one card in step with the replay of its answers (after an undo)."""
    return rejudge(conn, [card])


# The standing answers of the cards in temp.merge_cards, in time order: as
# written, the verdict kept beside (if any), and whether it came from Anki.
_VERDICT = rows.VERDICT_COLUMNS.split(", ")
_EXISTING = (
    "SELECT r.card, r.id, r.reviewed_at, r.day, r.grade, "
    + ", ".join(f"r.{name}" for name in _VERDICT)
    + ", v.review IS NOT NULL, "
    + ", ".join(f"v.{name}" for name in _VERDICT)
    + ", k.review IS NOT NULL"
    " FROM temp.merge_cards AS t CROSS JOIN main.reviews AS r ON r.card = t.card"
    " LEFT JOIN main.replayed_reviews AS v ON v.review = r.id"
    " LEFT JOIN main.anki_answers AS k ON k.review = r.id"
    f" WHERE r.undone_at IS NULL ORDER BY r.card, {INSTANT_MS.replace('reviewed_at', 'r.reviewed_at')}, r.id"
)
_STORED = slice(5, 5 + len(_VERDICT))
_HAS_VERDICT = 5 + len(_VERDICT)
_VERDICT_KEPT = slice(_HAS_VERDICT + 1, _HAS_VERDICT + 1 + len(_VERDICT))
_FROM_ANKI = _HAS_VERDICT + 1 + len(_VERDICT)
_AFTER = slice(7, 13)  # the state after, within a verdict's values


def _rejudge(conn: sqlite3.Connection, fresh: Iterable[Fresh], package: str, imported_at: str) -> Rejudged:
    done = Rejudged()
    states = conn.execute(
        f"SELECT c.id, c.{rows.STATE_COLUMNS.replace(', ', ', c.')} FROM temp.merge_cards AS t JOIN main.cards AS c ON c.id = t.card ORDER BY c.id"
    )
    existing = _Groups(conn.execute(_EXISTING))
    incoming = _Groups(iter(fresh))
    inserts: list[tuple] = []
    links: list[tuple] = []
    kept: list[tuple] = []
    dropped: list[tuple] = []
    updates: list[tuple] = []
    for card, *state in states:
        done.cards += 1
        written = existing.take(card)
        new = incoming.take(card)
        items = sorted([*written, *new], key=_time_order)
        start = next((i for i, item in enumerate(items) if isinstance(item, Fresh)), 0) if new else 0
        days = {date.fromisoformat(_day(item)) for item in items[:start]}
        before = rows.state(*_current(items[start - 1])[_AFTER]) if start else sm2.CardState.new()
        final = before
        judged = history.judge(((date.fromisoformat(_day(item)), _grade(item)) for item in items[start:]), state=before, days=days)
        for item, verdict in zip(items[start:], judged):
            values = rows.verdict_values(verdict.kind, verdict.before, verdict.after)
            final = verdict.after
            if isinstance(item, Fresh):
                inserts.append((item.id, item.card, item.reviewed_at, item.day, item.grade, *values, item.duration_ms))
                if item.anki is not None:
                    links.append((item.id, item.card, *item.anki, package, imported_at))
                continue
            if values == _current(item):
                continue
            done.verdicts += 1
            if values == tuple(item[_STORED]):
                dropped.append((item[1],))
            else:
                kept.append((item[1], *values))
        if tuple(state) != rows.state_values(final):
            done.rescheduled += 1
            updates.append((*rows.state_values(final), card))
        _count_conflicts(done, items)
    if inserts:
        marks = ", ".join("?" * len(inserts[0]))
        conn.executemany(
            f"INSERT INTO reviews (id, card, reviewed_at, day, grade, {rows.VERDICT_COLUMNS}, duration_ms) VALUES ({marks})", inserts
        )
    if links:
        conn.executemany(
            "INSERT INTO anki_answers (review, card, revlog_id, ease, type, package, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)", links
        )
    if kept:
        marks = ", ".join("?" * len(kept[0]))
        conn.executemany(f"INSERT OR REPLACE INTO replayed_reviews (review, {rows.VERDICT_COLUMNS}) VALUES ({marks})", kept)
    if dropped:
        conn.executemany("DELETE FROM replayed_reviews WHERE review = ?", dropped)
    if updates:
        conn.executemany(f"UPDATE cards SET {' = ?, '.join(rows.STATE_COLUMNS.split(', '))} = ? WHERE id = ?", updates)
    return done


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


# -- answers from Anki -----------------------------------------------------------------


class OlderThanImported(StoreError):
    """The answers given in Anki stop before the newest one imported before: they come
    from an older copy of the collection. Nothing was merged."""

    def __init__(self, newest_known: int):
        super().__init__(f"the answers stop before the newest one imported before (Anki's id {newest_known})")
        self.newest_known = newest_known


def merge_answers(
    db: Database, incoming: Path, *, package: str, now: datetime, dry_run: bool = False, not_older: bool = False
) -> MergeResult:
    """Add the answers of the :data:`INCOMING` table in the file ``incoming`` that the
    log does not hold yet, and bring every card they touch in step with its
    replay, in one write transaction (with ``dry_run``, in one read that writes
    nothing). ``package`` names the file they came from, for the record.

    With ``not_older``, raise :class:`OlderThanImported` (merging nothing) when
    none of the answers given in Anki (those imported before, and the new
    ones; not the desk's own answers that Anki holds) is as new as the newest
    answer imported before.
    """
    conn = db.conn
    conn.execute("ATTACH DATABASE ? AS incoming", (str(incoming),))
    try:
        with _transaction(db, dry_run) as conn:
            return _merge(conn, package, utc_text(now), not_older)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.merge_fresh")
        conn.execute("DETACH DATABASE incoming")


@contextmanager
def _transaction(db: Database, dry_run: bool):
    if not dry_run:
        with db.write() as conn:
            yield conn
        return
    db.conn.execute("BEGIN")
    try:
        yield db.conn
    finally:
        db.conn.rollback()


def _merge(conn: sqlite3.Connection, package: str, imported_at: str, not_older: bool) -> MergeResult:
    result = MergeResult()
    result.answers = conn.execute("SELECT count(*) FROM incoming.answers").fetchone()[0]
    result.newest_known = conn.execute("SELECT max(revlog_id) FROM main.anki_answers").fetchone()[0]
    first_id = conn.execute("SELECT ifnull(max(id), 0) + 1 FROM main.reviews").fetchone()[0]
    ms = INSTANT_MS.replace("reviewed_at", "r.reviewed_at")
    conn.execute(
        "CREATE TEMP TABLE merge_fresh (id INTEGER PRIMARY KEY, card INTEGER NOT NULL, reviewed_at TEXT NOT NULL,"
        " day TEXT NOT NULL, grade INTEGER NOT NULL, duration_ms INTEGER NOT NULL, revlog_id INTEGER NOT NULL,"
        " ease INTEGER NOT NULL, type INTEGER NOT NULL)"
    )
    # Fresh answers, numbered in time order from the next row id of the log.
    conn.execute(
        "INSERT INTO temp.merge_fresh SELECT ? + row_number() OVER (ORDER BY revlog_id, card) - 1, card,"
        f" {rows.instant_sql('revlog_id')}, day, grade, duration_ms, revlog_id, ease, type FROM ("
        " SELECT a.* FROM incoming.answers AS a JOIN main.cards AS c ON c.id = a.card AND c.retired = 0"
        " WHERE NOT EXISTS (SELECT 1 FROM main.anki_answers AS k WHERE k.card = a.card AND k.revlog_id = a.revlog_id)"
        " AND NOT EXISTS (SELECT 1 FROM main.reviews AS r WHERE r.card = a.card"
        f" AND {ms} BETWEEN a.revlog_id - 999 AND a.revlog_id AND r.undone_at IS NULL))",
        (first_id,),
    )
    result.merged = conn.execute("SELECT count(*) FROM temp.merge_fresh").fetchone()[0]
    result.known = result.answers - result.merged
    if not_older and result.newest_known is not None and not conn.execute(
        "SELECT EXISTS (SELECT 1 FROM incoming.answers AS a WHERE a.revlog_id >= ?1"
        " AND (EXISTS (SELECT 1 FROM main.anki_answers AS k WHERE k.card = a.card AND k.revlog_id = a.revlog_id)"
        " OR EXISTS (SELECT 1 FROM temp.merge_fresh AS f WHERE f.card = a.card AND f.revlog_id = a.revlog_id)))",
        (result.newest_known,),
    ).fetchone()[0]:
        raise OlderThanImported(result.newest_known)
    if not result.merged:
        return result
    cards = [card for (card,) in conn.execute("SELECT DISTINCT card FROM temp.merge_fresh ORDER BY card")]
    fresh = (
        Fresh(card, id_, at, day, grade, duration, (revlog_id, ease, type_))
        for card, id_, at, day, grade, duration, revlog_id, ease, type_ in conn.execute(
            "SELECT card, id, reviewed_at, day, grade, duration_ms, revlog_id, ease, type FROM temp.merge_fresh ORDER BY card, id"
        )
    )
    done = rejudge(conn, cards, fresh, package=package, imported_at=imported_at)
    for name in ("cards", "rescheduled", "verdicts", "conflicts", "anki_first", "desk_first"):
        setattr(result, name, getattr(done, name))
    return result
