"""Answers given in Anki joining the log: a package's collection read, its answers merged.

The collection is attached to the store's connection as ``anki`` and read
through two TEMP views that :mod:`osteo_learn.anki.import_reviews` defines
(what Anki's tables mean is the Anki layer's to say):

- ``anki_cards (cid, nid, guid, ord, ours, studied)``: every card, its note
  and the note's GUID, Anki's ordinal (0 for the first), whether its note
  type is osteo-learn's and whether Anki has studied it (not new);
- ``anki_rows (revlog_id, cid, what, grade, ease, type, duration_ms)``: every
  row of the review log: its id (the instant in ms), its card, what it is
  (``answer``, ``no_grade``, ``cram`` or ``unknown``), the SM-2 grade of an
  answer, Anki's button and log type, and how long it took.

The store finds its cards among them by GUID and ordinal (``cards.guid``,
Anki's ordinal plus one), and :func:`merge_anki` adds the answers the log
does not hold yet, bringing each card they touch in step with its replay
(:func:`osteo_learn.store.merge.rejudge`). An answer is already there when
it was imported before (the same Anki answer of the same card), or when it
is one osteo-learn itself exported to Anki: an answer of the same card
whose instant is at most a second before Anki's id (the export numbers
answers by their instant, a millisecond on when two share one). Each import
that merges answers is recorded with a fingerprint of what it read (the
review log's ids and cards, and which cards are ours); an import whose
fingerprint is one already recorded brings nothing new and reads no further.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from osteo_learn.core.days import utc_text
from osteo_learn.errors import StoreError
from osteo_learn.store import rows
from osteo_learn.store.connection import Database
from osteo_learn.store.merge import Fresh, Rejudged, rejudge
from osteo_learn.store.schema import INSTANT_MS

LEFT_OUT = ("no_grade", "cram", "unknown")


class UnreadableCollection(StoreError):
    """The attached collection could not be read (damaged); nothing was merged."""


class OlderThanImported(StoreError):
    """The answers given in Anki stop before the newest one imported before: they come
    from an older copy of the collection. Nothing was merged."""

    def __init__(self, newest_known: int):
        super().__init__(f"the answers stop before the newest one imported before (Anki's id {newest_known})")
        self.newest_known = newest_known


@dataclass
class AnkiReading:
    """What an import found in the collection (see :func:`merge_anki`)."""

    our_notes: int = 0
    our_cards: int = 0
    studied_cards: int = 0  # of ours, those Anki has studied
    missing_cards: int = 0  # the store's cards (not retired) of the decks the collection holds, that it lacks
    other_notes: int = 0
    other_cards: int = 0
    other_rows: int = 0  # review log rows of other decks' cards
    rows: int = 0  # every row of the review log
    newest: int | None = None  # the newest id of the review log
    answers: int = 0  # answers to our cards not retired
    left_out: dict[str, int] = field(default_factory=dict)  # no_grade, cram, unknown, deleted_cards, retired_cards
    future: int = 0  # answers dated after tomorrow
    latest: int | None = None  # the id of the latest answer


@dataclass
class MergeResult(Rejudged):
    """What :func:`merge_anki` found and did."""

    answers: int = 0  # answers read from Anki
    merged: int = 0  # added to the log
    known: int = 0  # already in the log
    newest_known: int | None = None  # the newest Anki id imported before this merge


@dataclass
class AnkiMerge(MergeResult):
    """What :func:`merge_anki` found and did."""

    reading: AnkiReading = field(default_factory=AnkiReading)
    seen_before: bool = False  # the fingerprint was imported before: nothing read further
    mapping: list[tuple[int, int]] = field(default_factory=list)  # (Anki card id, card) of ours, if asked for


def merge_anki(
    db: Database,
    collection: Path,
    views: Sequence[str],
    *,
    package: str,
    now: datetime,
    today: date,
    day_start_hour: int,
    check: Callable[[AnkiReading], None] = lambda reading: None,
    dry_run: bool = False,
    not_older: bool = False,
    mapping: bool = False,
    collations: dict[str, Callable[[str, str], int]] | None = None,
) -> AnkiMerge:
    """Merge the answers of the Anki collection file ``collection`` into the log.

    ``views`` create the two views of the module's description over it. One transaction: the cards are
    found by GUID, the review log is read and counted, ``check`` sees what was
    read (and may raise, which merges nothing), then the answers the log lacks
    are added and every card they touch replayed (with ``dry_run``, nothing is
    written). The study day of an answer is its instant's local date less
    ``day_start_hour``, as for an answer at the desk; one dated after the day
    after ``today`` is counted in ``reading.future``.

    With ``not_older``, raise :class:`OlderThanImported` (merging nothing) when
    none of the answers given in Anki (those imported before, and the new
    ones; not the desk's own answers that Anki holds) is as new as the newest
    answer imported before. With ``mapping``, the result lists our cards.
    ``collations`` are those the collection's indexes need.
    """
    conn = db.conn
    conn.commit()
    for name, collation in (collations or {}).items():
        conn.create_collation(name, collation)
    # TEMP tables in memory, never in the system's temporary folder (this
    # drops any left on the connection).
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("ATTACH DATABASE ? AS anki", (str(collection),))
    try:
        try:
            for view in views:
                conn.execute(view)
        except sqlite3.DatabaseError as error:
            raise UnreadableCollection(str(error)) from None
        signature = "".join(views)
        if not not_older:
            # First a read, which takes no write lock: an import already
            # recorded brings nothing new, and nothing more is read.
            seen = _seen_before(db, signature, day_start_hour, check, mapping)
            if seen is not None:
                return seen
        with _transaction(db, dry_run) as conn:
            return _merge_anki(conn, package, utc_text(now), today, day_start_hour, signature, check, not_older, mapping)
    finally:
        for name in ("anki_rows", "anki_cards"):
            conn.execute(f"DROP VIEW IF EXISTS temp.{name}")
        for name in ("merge_fresh", "merge_incoming", "merge_mapped"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        conn.execute("DETACH DATABASE anki")


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


def _seen_before(db: Database, signature: str, day_start_hour: int, check, mapping: bool) -> AnkiMerge | None:
    """The import recorded with this one's fingerprint, read without a write lock; None if there is none."""
    conn = db.conn
    conn.execute("BEGIN")
    try:
        result = AnkiMerge()
        try:
            fingerprint = _map_cards(conn, result.reading, signature, day_start_hour)
            known = conn.execute("SELECT reading FROM main.anki_imports WHERE fingerprint = ? LIMIT 1", (fingerprint,)).fetchone()
            if known is None:
                return None
            if mapping:
                result.mapping = conn.execute("SELECT cid, card FROM temp.merge_mapped WHERE card IS NOT NULL AND NOT retired").fetchall()
        except sqlite3.DatabaseError as error:
            raise UnreadableCollection(str(error)) from None
        result.reading = AnkiReading(**json.loads(known[0]))
        result.answers = result.known = result.reading.answers
        result.seen_before = True
        check(result.reading)
        return result
    finally:
        conn.rollback()


def _merge_anki(conn, package: str, imported_at: str, today: date, day_start_hour: int, views: str, check, not_older: bool, mapping: bool) -> AnkiMerge:
    result = AnkiMerge()
    try:
        fingerprint = _map_cards(conn, result.reading, views, day_start_hour)
        if mapping:
            result.mapping = conn.execute("SELECT cid, card FROM temp.merge_mapped WHERE card IS NOT NULL AND NOT retired").fetchall()
        _read_rows(conn, result.reading, today, day_start_hour)
    except sqlite3.DatabaseError as error:
        raise UnreadableCollection(str(error)) from None
    check(result.reading)
    _merge_incoming(conn, result, package, imported_at, day_start_hour, not_older)
    if result.merged:
        # Recorded only with answers merged: an import that brings nothing writes nothing.
        conn.execute(
            "INSERT INTO anki_imports (imported_at, package, fingerprint, reading) VALUES (?, ?, ?, ?)",
            (imported_at, package, fingerprint, json.dumps(asdict(result.reading), sort_keys=True)),
        )
    return result


def _map_cards(conn: sqlite3.Connection, reading: AnkiReading, views: str, day_start_hour: int) -> str:
    """Every card of the collection, with the store's card it is (NULL: another deck's);
    return the import's fingerprint."""
    conn.execute(
        "CREATE TEMP TABLE merge_mapped (cid INTEGER PRIMARY KEY, nid INTEGER NOT NULL, card INTEGER, retired INTEGER,"
        " deck TEXT, studied INTEGER NOT NULL)"
    )
    conn.execute(
        "INSERT INTO temp.merge_mapped SELECT a.cid, a.nid, c.id, c.retired, c.deck_id, a.studied FROM temp.anki_cards AS a"
        " LEFT JOIN main.cards AS c ON c.guid = a.guid AND c.ord = a.ord + 1 AND a.ours"
    )
    (reading.our_notes, reading.our_cards, reading.other_notes, reading.other_cards, reading.studied_cards, mapped_sum) = conn.execute(
        "SELECT count(DISTINCT nid) FILTER (WHERE card IS NOT NULL), count(card),"
        " count(DISTINCT nid) FILTER (WHERE card IS NULL), count(*) - count(card),"
        " count(*) FILTER (WHERE card IS NOT NULL AND studied),"
        " ifnull(sum((cid % 1000003) * (card % 999983) + retired), 0) FROM temp.merge_mapped"
    ).fetchone()
    # The store's cards of the decks the collection holds (any of their cards) that it lacks.
    reading.missing_cards = conn.execute(
        "SELECT (SELECT count(*) FROM main.cards AS c WHERE NOT c.retired"
        " AND c.deck_id IN (SELECT DISTINCT deck FROM temp.merge_mapped WHERE card IS NOT NULL))"
        " - (SELECT count(DISTINCT card) FROM temp.merge_mapped WHERE card IS NOT NULL AND NOT retired)"
    ).fetchone()[0]
    rows, seconds, mixed = conn.execute(
        "SELECT count(*), ifnull(sum(id / 1000), 0), ifnull(sum((id % 1000003) * (cid % 999983)), 0) FROM anki.revlog"
    ).fetchone()
    return hashlib.sha256(f"{views}|{day_start_hour}|{rows},{seconds},{mixed}|{reading.our_cards},{mapped_sum}".encode()).hexdigest()


def _read_rows(conn: sqlite3.Connection, reading: AnkiReading, today: date, day_start_hour: int) -> None:
    """Count the review log's rows by what they are, and take our cards' rows into
    temp.merge_incoming (their answers are those with ``what`` 'answer', of cards not retired)."""
    # Every row, those of cards deleted in Anki and those of other decks (Anki's index of the log by card is enough).
    reading.rows, reading.newest, deleted, reading.other_rows = conn.execute(
        "SELECT count(*), max(r.id), count(*) FILTER (WHERE m.cid IS NULL), count(*) FILTER (WHERE m.cid IS NOT NULL AND m.card IS NULL)"
        " FROM anki.revlog AS r LEFT JOIN temp.merge_mapped AS m ON m.cid = r.cid"
    ).fetchone()
    conn.execute(
        "CREATE TEMP TABLE merge_incoming (card INTEGER NOT NULL, retired INTEGER NOT NULL, revlog_id INTEGER NOT NULL,"
        " what TEXT NOT NULL, grade INTEGER NOT NULL, duration_ms INTEGER NOT NULL, ease INTEGER NOT NULL, type INTEGER NOT NULL)"
    )
    # The log read in its own order (CROSS JOIN), each row's card looked up.
    conn.execute(
        "INSERT INTO temp.merge_incoming SELECT m.card, m.retired, r.revlog_id, r.what, r.grade, r.duration_ms, r.ease, r.type"
        " FROM temp.anki_rows AS r CROSS JOIN temp.merge_mapped AS m ON m.cid = r.cid WHERE m.card IS NOT NULL"
    )
    # Answers dated after tomorrow: only those after a bound well before it
    # (any time zone) need their study day worked out.
    tomorrow = today + timedelta(days=1)
    bound = int(datetime.combine(tomorrow - timedelta(days=1), datetime.min.time(), timezone.utc).timestamp() * 1000)
    found = conn.execute(
        "SELECT " + "".join(f"count(*) FILTER (WHERE what = '{what}'), " for what in LEFT_OUT)
        + "count(*) FILTER (WHERE what = 'answer' AND retired), count(*) FILTER (WHERE what = 'answer' AND NOT retired),"
        " max(revlog_id) FILTER (WHERE what = 'answer' AND NOT retired),"
        f" count(*) FILTER (WHERE what = 'answer' AND NOT retired AND revlog_id > ? AND {study_day_sql('revlog_id')} > ?)"
        " FROM temp.merge_incoming",
        (bound, f"-{int(day_start_hour)} hours", tomorrow.isoformat()),
    ).fetchone()
    reading.left_out = {**dict(zip(LEFT_OUT, found[:3])), "deleted_cards": deleted, "retired_cards": found[3]}
    reading.answers, reading.latest, reading.future = found[4:]


def study_day_sql(ms: str) -> str:
    """SQL for the study day of an instant given in milliseconds since the epoch (the
    SQL ``ms``), with the day-start hour as the one parameter, written ``-H hours``:
    the local date less the day-start hour, as :func:`osteo_learn.core.days.study_day`
    counts it (SQLite's ``localtime`` and Python read the same time zone rules)."""
    return f"date(({ms}) / 1000, 'unixepoch', 'localtime', ?)"


def _merge_incoming(conn: sqlite3.Connection, result: AnkiMerge, package: str, imported_at: str, day_start_hour: int, not_older: bool) -> None:
    result.answers = result.reading.answers
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
        f" {rows.instant_sql('revlog_id')}, {study_day_sql('revlog_id')}, grade, duration_ms, revlog_id, ease, type FROM ("
        " SELECT a.* FROM temp.merge_incoming AS a WHERE a.what = 'answer' AND NOT a.retired"
        " AND NOT EXISTS (SELECT 1 FROM main.anki_answers AS k WHERE k.card = a.card AND k.revlog_id = a.revlog_id)"
        " AND NOT EXISTS (SELECT 1 FROM main.reviews AS r WHERE r.card = a.card"
        f" AND {ms} BETWEEN a.revlog_id - 999 AND a.revlog_id AND r.undone_at IS NULL))",
        (first_id, f"-{int(day_start_hour)} hours"),
    )
    result.merged = conn.execute("SELECT count(*) FROM temp.merge_fresh").fetchone()[0]
    result.known = result.answers - result.merged
    if not_older and result.newest_known is not None and not conn.execute(
        "SELECT EXISTS (SELECT 1 FROM temp.merge_incoming AS a WHERE a.revlog_id >= ?1 AND a.what = 'answer' AND NOT a.retired"
        " AND (EXISTS (SELECT 1 FROM main.anki_answers AS k WHERE k.card = a.card AND k.revlog_id = a.revlog_id)"
        " OR EXISTS (SELECT 1 FROM temp.merge_fresh AS f WHERE f.card = a.card AND f.revlog_id = a.revlog_id)))",
        (result.newest_known,),
    ).fetchone()[0]:
        raise OlderThanImported(result.newest_known)
    if not result.merged:
        return
    cards = conn.execute("SELECT card, min(revlog_id) FROM temp.merge_fresh GROUP BY card ORDER BY card").fetchall()
    fresh = (
        Fresh(card, id_, at, day, grade, duration, (revlog_id, ease, type_))
        for card, id_, at, day, grade, duration, revlog_id, ease, type_ in conn.execute(
            "SELECT card, id, reviewed_at, day, grade, duration_ms, revlog_id, ease, type FROM temp.merge_fresh ORDER BY card, id"
        )
    )
    done = rejudge(conn, cards, fresh, package=package, imported_at=imported_at)
    for name in ("cards", "rescheduled", "verdicts", "conflicts", "anki_first", "desk_first"):
        setattr(result, name, getattr(done, name))
