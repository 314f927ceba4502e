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
the log holds a row of the same card whose instant is at most a second
before Anki's id: the answer imported before (its row has Anki's instant),
or one osteo-learn itself exported to Anki (the export numbers answers by
their instant, a millisecond on when two share one). Rows undone at the
desk count too: the export never sends them, so Anki's copy of one is the
desk's own answer, not a new one. Each import
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
    fingerprint: str = ""  # of what was read (see the module's description)
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

    ``views`` create the two views of the module's description over it. The
    cards are found by GUID and the review log is read and counted, without
    a write lock; ``check`` sees what was read (and may raise, which merges
    nothing); then, in one write transaction, the answers the log lacks are
    added and every card they touch replayed (with ``dry_run``, nothing is
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
    # The collection is a copy of the package's for this import alone: read it mapped into memory.
    conn.execute(f"PRAGMA anki.mmap_size = {MAPPED_BYTES}")
    # Room for the pages a large merge reads and writes (the default keeps 2
    # MB), and the database mapped: the merge looks up answers all over the log.
    with db.page_cache(MERGE_CACHE_KIB, mapped_bytes=MAPPED_BYTES):
        try:
            try:
                for view in views:
                    conn.execute(view)
            except sqlite3.DatabaseError as error:
                raise UnreadableCollection(str(error)) from None
            signature = "".join(views)
            # First a read, which takes no write lock: an import already recorded
            # brings nothing new, and nothing more is read.
            result, stamp = _read(db, signature, today, day_start_hour, mapping, whole=not_older)
            check(result.reading)
            if result.seen_before:
                return result
            with _transaction(db, dry_run) as conn:
                if _stamp(conn) != stamp:
                    # Another process wrote in between (a deck sync may have added cards): read again.
                    _drop_temp(conn)
                    result, _ = _read(db, signature, today, day_start_hour, mapping, whole=True, locked=True)
                    check(result.reading)
                _merge_incoming(conn, result, package, utc_text(now), day_start_hour, not_older)
                if result.merged:
                    # Recorded only with answers merged: an import that brings nothing writes nothing.
                    conn.execute(
                        "INSERT INTO anki_imports (imported_at, package, fingerprint, reading) VALUES (?, ?, ?, ?)",
                        (utc_text(now), package, result.fingerprint, json.dumps(asdict(result.reading), sort_keys=True)),
                    )
            return result
        finally:
            for name in ("anki_rows", "anki_cards"):
                conn.execute(f"DROP VIEW IF EXISTS temp.{name}")
            _drop_temp(conn)
            conn.execute("DETACH DATABASE anki")


# How much of the collection, and of the database, may be mapped into memory; the page cache of a merge (KiB).
MAPPED_BYTES = 1 << 31
MERGE_CACHE_KIB = 256 * 1024


def _drop_temp(conn: sqlite3.Connection) -> None:
    for name in ("merge_fresh", "merge_rows", "merge_mapped"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


def _stamp(conn: sqlite3.Connection) -> int:
    """Changes when another connection commits to the database (SQLite's ``data_version``)."""
    return conn.execute("PRAGMA main.data_version").fetchone()[0]


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


def _read(
    db: Database, signature: str, today: date, day_start_hour: int, mapping: bool, *, whole: bool, locked: bool = False
) -> tuple[AnkiMerge, int]:
    """Find our cards in the collection (temp.merge_mapped) and count its review log:
    the result so far, and the stamp of the database it was read from.

    Unless ``whole``, an import recorded with the same fingerprint is taken as
    it was recorded (``seen_before``) and nothing more is read. Outside a
    write transaction (not ``locked``), a read transaction of its own, which
    leaves the TEMP tables for the write that follows.
    """
    conn = db.conn
    if not locked:
        conn.execute("BEGIN")
    try:
        result = AnkiMerge()
        try:
            stamp = _stamp(conn)
            result.fingerprint = _map_cards(conn, result.reading, signature, day_start_hour)
            if mapping:
                result.mapping = conn.execute("SELECT cid, card FROM temp.merge_mapped WHERE card IS NOT NULL AND NOT retired").fetchall()
            known = None if whole else conn.execute(
                "SELECT reading FROM main.anki_imports WHERE fingerprint = ? LIMIT 1", (result.fingerprint,)
            ).fetchone()
            if known is not None:
                result.reading = AnkiReading(**json.loads(known[0]))
                result.answers = result.known = result.reading.answers
                result.seen_before = True
            else:
                _read_rows(conn, result.reading, today, day_start_hour)
        except sqlite3.DatabaseError as error:
            # The store's own damage is said as such; else the collection is at fault.
            db.refuse_if_damaged()
            raise UnreadableCollection(str(error)) from None
    except BaseException:
        if not locked and conn.in_transaction:
            conn.rollback()
        raise
    if not locked:
        conn.commit()
    return result, stamp


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
    """Read the review log: set aside in temp.merge_rows the rows of our cards
    that are not answers already in the log (fresh answers, and the rows left
    out), and count the log's rows by what they are and whose card they are of.

    An answer is in the log already when a row of its card, from the desk or
    imported before (undone or not), is at most a second older. The heavy part
    reads only the log's ids and cards, through Anki's index on the card: so
    each card's rows come together, and their look-ups in the log's index by
    card and instant fall close to one another. Only the rows it leaves, and
    those that are not answers (rare), are then read whole.
    """
    conn.execute(
        "CREATE TEMP TABLE merge_rows (revlog_id INTEGER PRIMARY KEY, card INTEGER NOT NULL, what TEXT NOT NULL,"
        " retired INTEGER NOT NULL, grade INTEGER, ease INTEGER, type INTEGER, duration_ms INTEGER)"
    )
    joined = "FROM temp.anki_rows AS r CROSS JOIN temp.merge_mapped AS m ON m.cid = r.cid"
    columns = "r.revlog_id, m.card, r.what, m.retired, r.grade, r.ease, r.type, r.duration_ms"
    # The rows of our cards whose answer the log lacks (those of retired cards all), found by id and card alone.
    unknown = (
        f"SELECT r.revlog_id {joined} WHERE m.card IS NOT NULL AND (m.retired OR NOT EXISTS (SELECT 1 FROM main.reviews AS d"
        f" WHERE d.card = m.card AND {_DESK_MS} BETWEEN r.revlog_id - 999 AND r.revlog_id))"
    )
    conn.execute(
        f"INSERT INTO temp.merge_rows WITH unknown (revlog_id) AS MATERIALIZED ({unknown}) SELECT {columns}"
        " FROM unknown CROSS JOIN temp.anki_rows AS r ON r.revlog_id = unknown.revlog_id CROSS JOIN temp.merge_mapped AS m ON m.cid = r.cid"
    )
    # And every row of our cards that is not an answer.
    conn.execute(f"INSERT OR IGNORE INTO temp.merge_rows SELECT {columns} {joined} WHERE r.what != 'answer' AND m.card IS NOT NULL")
    reading.rows, reading.newest, mapped, ours = conn.execute(
        "SELECT count(*), max(r.id), count(m.cid), count(m.card) FROM anki.revlog AS r LEFT JOIN temp.merge_mapped AS m ON m.cid = r.cid"
    ).fetchone()
    found = dict(
        conn.execute("SELECT CASE WHEN what != 'answer' THEN what WHEN retired THEN 'retired' ELSE 'fresh' END, count(*) FROM temp.merge_rows GROUP BY 1")
    )
    reading.left_out = {
        **{what: found.get(what, 0) for what in LEFT_OUT},
        "deleted_cards": reading.rows - mapped,
        "retired_cards": found.get("retired", 0),
    }
    reading.other_rows = mapped - ours
    reading.answers = ours - sum(found.get(what, 0) for what in (*LEFT_OUT, "retired"))
    answer = "m.card IS NOT NULL AND NOT m.retired AND r.what = 'answer'"
    # The latest answer: the log read backwards from its newest row.
    latest = conn.execute(f"SELECT r.revlog_id {joined} WHERE {answer} ORDER BY r.revlog_id DESC LIMIT 1").fetchone()
    reading.latest = latest[0] if latest else None
    # Answers dated after tomorrow: only those after a bound well before it
    # (any time zone) need their study day worked out.
    tomorrow = today + timedelta(days=1)
    bound = int(datetime.combine(tomorrow - timedelta(days=1), datetime.min.time(), timezone.utc).timestamp() * 1000)
    reading.future = conn.execute(
        f"SELECT count(*) {joined} WHERE r.revlog_id > ? AND {answer} AND {study_day_sql('r.revlog_id')} > ?",
        (bound, f"-{int(day_start_hour)} hours", tomorrow.isoformat()),
    ).fetchone()[0]


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
    conn.execute(
        "CREATE TEMP TABLE merge_fresh (id INTEGER PRIMARY KEY, card INTEGER NOT NULL, reviewed_at TEXT NOT NULL,"
        " day TEXT NOT NULL, grade INTEGER NOT NULL, duration_ms INTEGER NOT NULL, revlog_id INTEGER NOT NULL,"
        " ease INTEGER NOT NULL, type INTEGER NOT NULL)"
    )
    # Fresh answers, numbered in time order from the next row id of the log.
    conn.execute(
        "INSERT INTO temp.merge_fresh SELECT ? + row_number() OVER (ORDER BY revlog_id, card) - 1, card,"
        f" {rows.instant_sql('revlog_id')}, {study_day_sql('revlog_id')}, grade, duration_ms, revlog_id, ease, type"
        " FROM temp.merge_rows WHERE what = 'answer' AND NOT retired",
        (first_id, f"-{int(day_start_hour)} hours"),
    )
    result.merged = conn.execute("SELECT count(*) FROM temp.merge_fresh").fetchone()[0]
    result.known = result.answers - result.merged
    if not_older and result.newest_known is not None and not _as_new(conn, result.newest_known):
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


_DESK_MS = INSTANT_MS.replace("reviewed_at", "d.reviewed_at")


def _as_new(conn: sqlite3.Connection, newest_known: int) -> bool:
    """Whether an answer given in Anki, imported before or fresh now, is as new as
    ``newest_known`` (only the log's rows from that instant on are read)."""
    return bool(
        conn.execute(
            "SELECT EXISTS (SELECT 1 FROM temp.merge_fresh WHERE revlog_id >= ?1)"
            " OR EXISTS (SELECT 1 FROM temp.anki_rows AS r JOIN temp.merge_mapped AS m ON m.cid = r.cid"
            " WHERE r.revlog_id >= ?1 AND r.what = 'answer' AND m.card IS NOT NULL AND NOT m.retired"
            " AND EXISTS (SELECT 1 FROM main.anki_answers AS k WHERE k.card = m.card AND k.revlog_id = r.revlog_id))",
            (newest_known,),
        ).fetchone()[0]
    )
