"""Answers given in Anki, read from a package the student exported, for the review log.

A package's note is osteo-learn's when its GUID is the one osteo-learn gives
a card of the store (:func:`osteo_learn.anki.notes.note_guid`, from the deck
id and card id; retired cards included) and its note type is still one of
osteo-learn's (by id, or a copy Anki made of one, which names it as its
original). Anki's card ``ord`` k is the card's ordinal k + 1 (the cloze
number, else 1). Card and note ids are never used: osteo-learn's change at
every export and Anki moves them on collision. Notes of other decks are
counted and left alone.

Which rows of Anki's review log are answers, and what they become:

- a row with a button (``ease`` 1-4) of type learn (0), review (1) or
  relearn (2), and a row of type 3 that rescheduled (a review in a filtered
  deck that reschedules: its factor is not 0) is an answer;
- left out and counted: rows without a button (Set Due Date, Reset, FSRS
  rescheduling: SM-2 schedules from answers only), cram rows (type 3 with
  factor 0, a filtered deck that does not reschedule), rows whose card was
  deleted in Anki, answers to cards retired here, and rows of kinds
  osteo-learn does not know;
- the button becomes an SM-2 grade: Again 1, Hard 3, Good 4, Easy 5 (the
  export's mapping read back for passing grades; every failure schedules
  alike in SM-2, and 1, "remembered once seen", claims least). In a package
  of Anki's first scheduler (``schedVer`` 1) a learning answer's buttons
  were Again, Good, Easy: 1, 4, 5;
- the row's id is the instant of the answer (milliseconds, UTC); its study
  day is that instant's local date less the day-start hour, as for an
  answer at the desk (:func:`osteo_learn.core.days.study_day`; SQLite's
  ``localtime`` reads the same time zone rules as Python's); ``time`` is how
  long it took.

The answers go to a table in a file of their own (``store.merge.INCOMING``),
which the store merges into the log (:meth:`osteo_learn.store.log.Log.merge`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from osteo_learn.anki import models
from osteo_learn.anki.notes import note_guid
from osteo_learn.anki.package_reader import EXPORT_AGAIN, Package, PackageError, open_package, unicase
from osteo_learn.store import Store
from osteo_learn.store.merge import INCOMING, MergeResult

OUR_NOTE_TYPES = (models.BASIC_MODEL_ID, models.CLOZE_MODEL_ID, models.VIGNETTE_MODEL_ID)

# Why a row of Anki's log is left out, in the order the reasons are checked:
# (one, several, why).
LEFT_OUT = {
    "no_grade": ("row", "rows", "without a grade (Set Due Date, Reset, rescheduling)"),
    "cram": ("cram answer", "cram answers", "(a filtered deck that does not reschedule)"),
    "deleted_cards": ("row", "rows", "of cards deleted in Anki"),
    "retired_cards": ("answer", "answers", "to cards retired here"),
    "unknown": ("row", "rows", "of a kind osteo-learn does not read"),
}


@dataclass
class Reading:
    """What a package holds for osteo-learn (see :func:`read_answers`)."""

    path: Path
    kind: str  # "apkg" or "colpkg"
    version: int
    answers_file: Path
    our_notes: int = 0
    our_cards: int = 0
    missing_cards: int = 0  # cards of the store (not retired) the package lacks, of the decks it holds
    scheduled_cards: int = 0  # our cards Anki has studied (not new there)
    other_notes: int = 0
    other_cards: int = 0
    other_rows: int = 0  # review log rows of other decks' cards
    answers: int = 0  # answers to our cards, to merge
    left_out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEFT_OUT, 0))
    revlog_rows: int = 0
    newest: int | None = None  # the newest review log id in the package, any card

    @property
    def without_scheduling(self) -> bool:
        """Nothing in the file says it was ever studied: exported without scheduling, or never studied."""
        return self.revlog_rows == 0 and self.scheduled_cards == 0


@dataclass
class Imported:
    """A package read and merged: what it held and what the merge did."""

    reading: Reading
    merge: MergeResult
    dry_run: bool = False


def import_reviews(store: Store, path: Path, *, now: datetime, today: date, day_start_hour: int, dry_run: bool = False) -> Imported:
    """Read the Anki package at ``path`` and merge its answers into the store's log
    (one write transaction; with ``dry_run`` nothing is written)."""
    with open_package(path) as package:
        return merge_package(store, package, now=now, today=today, day_start_hour=day_start_hour, dry_run=dry_run)


def merge_package(
    store: Store, package: Package, *, now: datetime, today: date, day_start_hour: int, dry_run: bool = False, not_older: bool = False
) -> Imported:
    """Merge the answers of an open package into the store's log (``not_older``: see
    :func:`osteo_learn.store.merge.merge_answers`)."""
    reading = read_answers(package, store.cards.keys(), day_start_hour=day_start_hour, today=today)
    merged = store.log.merge(reading.answers_file, package=package.path.name, now=now, dry_run=dry_run, not_older=not_older)
    return Imported(reading, merged, dry_run)


def read_answers(package: Package, cards: Iterable[tuple[int, str, str, int, bool]], *, day_start_hour: int, today: date) -> Reading:
    """Find osteo-learn's cards in ``package`` and write their answers to a table
    (``store.merge.INCOMING``) in a new file beside the unpacked collection.

    ``cards`` are the store's (key, deck id, card id, ordinal, retired). Raises
    :class:`PackageError` when the package holds none of them, or answers
    dated after tomorrow (a device clock set wrong): nothing is merged then.
    """
    target = package.collection_path.with_name("answers.sqlite")
    target.unlink(missing_ok=True)
    reading = Reading(package.path, package.kind, package.version, target)
    conn = sqlite3.connect(target.as_uri(), uri=True)
    try:
        conn.create_collation("unicase", unicase)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("ATTACH DATABASE ? AS anki", (f"{package.collection_path.as_uri()}?mode=ro&immutable=1",))
        _map_cards(conn, package, cards, reading)
        if not reading.our_cards:
            raise PackageError(
                f"{package.path} holds no osteo-learn cards (its {_count(reading.other_notes, 'note')} came from elsewhere):"
                f" export the collection, or the deck \"{models.PARENT_DECK_NAME}\", from the Anki where you study them"
                " (desktop: File > Export; AnkiDroid: menu > Export)"
            )
        _classify(conn, reading)
        _write_answers(conn, package, day_start_hour)
        _refuse_future(conn, package.path, today)
        reading.answers = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        conn.commit()
    except sqlite3.DatabaseError as error:
        raise PackageError(f"{package.path} is damaged: its collection cannot be read ({error}); {EXPORT_AGAIN}") from None
    finally:
        conn.close()
    return reading


def _map_cards(conn: sqlite3.Connection, package: Package, cards: Iterable[tuple[int, str, str, int, bool]], reading: Reading) -> None:
    """Every card of the package, with the store's card it is (NULL: another deck's)."""
    guids: dict[tuple[str, str], str] = {}
    conn.execute(
        "CREATE TABLE ours (guid TEXT NOT NULL, ord INTEGER NOT NULL, card INTEGER NOT NULL, retired INTEGER NOT NULL,"
        " deck TEXT NOT NULL, PRIMARY KEY (guid, ord)) WITHOUT ROWID"
    )
    rows = []
    for pk, deck_id, card_id, ordinal, retired in cards:
        guid = guids.get((deck_id, card_id))
        if guid is None:
            guid = guids[deck_id, card_id] = note_guid(deck_id, card_id)
        rows.append((guid, ordinal - 1, pk, int(retired), deck_id))
    conn.executemany("INSERT INTO ours VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("CREATE TABLE note_types (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO note_types VALUES (?)", ((nid,) for nid in _our_note_types(package)))
    conn.execute("CREATE TABLE mapped (cid INTEGER PRIMARY KEY, nid INTEGER NOT NULL, card INTEGER, retired INTEGER, studied INTEGER NOT NULL)")
    conn.execute(
        "INSERT INTO mapped SELECT c.id, c.nid, o.card, o.retired, c.type != 0 FROM anki.cards AS c JOIN anki.notes AS n ON n.id = c.nid"
        " LEFT JOIN ours AS o ON o.guid = n.guid AND o.ord = c.ord AND n.mid IN (SELECT id FROM note_types)"
    )
    (reading.our_notes, reading.our_cards, reading.other_notes, reading.other_cards, reading.scheduled_cards) = conn.execute(
        "SELECT count(DISTINCT nid) FILTER (WHERE card IS NOT NULL), count(card),"
        " count(DISTINCT nid) FILTER (WHERE card IS NULL), count(*) - count(card),"
        " count(*) FILTER (WHERE card IS NOT NULL AND studied) FROM mapped"
    ).fetchone()
    # Cards of the decks the package holds (any of their cards) that it lacks.
    reading.missing_cards = conn.execute(
        "SELECT count(*) FROM ours WHERE NOT retired AND card NOT IN (SELECT card FROM mapped WHERE card IS NOT NULL)"
        " AND deck IN (SELECT o.deck FROM mapped AS m JOIN ours AS o ON o.card = m.card)"
    ).fetchone()[0]


def _our_note_types(package: Package) -> set[int]:
    """osteo-learn's note types in the package: by id, or a copy Anki made of one."""
    copies = {copy for copy, original in package.notetype_originals().items() if original in OUR_NOTE_TYPES}
    return set(OUR_NOTE_TYPES) | copies


# An answer: a button, a kind osteo-learn reads, not cram, an id that is an instant.
_ANSWER = "r.ease BETWEEN 1 AND 4 AND r.type BETWEEN 0 AND 3 AND NOT (r.type = 3 AND r.factor = 0) AND r.id >= 1000"


def _classify(conn: sqlite3.Connection, reading: Reading) -> None:
    found = conn.execute(
        "SELECT CASE WHEN m.cid IS NULL THEN 'deleted_cards' WHEN m.card IS NULL THEN 'other'"
        " WHEN NOT r.ease BETWEEN 1 AND 4 THEN 'no_grade' WHEN r.type = 3 AND r.factor = 0 THEN 'cram'"
        f" WHEN NOT ({_ANSWER}) THEN 'unknown' WHEN m.retired THEN 'retired_cards' ELSE 'answer' END AS what,"
        " count(*), max(r.id) FROM anki.revlog AS r LEFT JOIN mapped AS m ON m.cid = r.cid GROUP BY what"
    )
    for what, count, newest in found:
        reading.revlog_rows += count
        reading.newest = max(newest, reading.newest or newest)
        if what == "other":
            reading.other_rows = count
        elif what in reading.left_out:
            reading.left_out[what] = count


def _write_answers(conn: sqlite3.Connection, package: Package, day_start_hour: int) -> None:
    conn.execute(INCOMING)
    if int(package.config().get("schedVer") or 1) == 1:
        # Anki's first scheduler: in learning, buttons 1-3 were Again, Good, Easy.
        grade = "CASE WHEN r.ease = 1 THEN 1 WHEN r.type IN (0, 2) THEN r.ease + 2 WHEN r.ease = 2 THEN 3 WHEN r.ease = 3 THEN 4 ELSE 5 END"
    else:
        grade = "CASE r.ease WHEN 1 THEN 1 WHEN 2 THEN 3 WHEN 3 THEN 4 ELSE 5 END"
    conn.execute(
        "INSERT INTO answers (card, revlog_id, day, grade, duration_ms, ease, type)"
        f" SELECT m.card, r.id, {study_day_sql('r.id')}, min({grade}, 5), max(r.time, 0), r.ease, r.type"
        " FROM anki.revlog AS r JOIN mapped AS m ON m.cid = r.cid"
        f" WHERE m.card IS NOT NULL AND NOT m.retired AND {_ANSWER}",
        (f"-{int(day_start_hour)} hours",),
    )


def study_day_sql(ms: str) -> str:
    """SQL for the study day of an instant given in milliseconds since the epoch (the
    SQL ``ms``), with the day-start hour as the one parameter, written ``-H hours``:
    the local date less the day-start hour, as :func:`osteo_learn.core.days.study_day`
    counts it (SQLite's ``localtime`` and Python read the same time zone rules)."""
    return f"date(({ms}) / 1000, 'unixepoch', 'localtime', ?)"


def _refuse_future(conn: sqlite3.Connection, path: Path, today: date) -> None:
    tomorrow = today + timedelta(days=1)
    count, latest = conn.execute("SELECT count(*), max(revlog_id) FROM answers WHERE day > ?", (tomorrow.isoformat(),)).fetchone()
    if count:
        when = datetime.fromtimestamp(latest / 1000, timezone.utc).astimezone()
        raise PackageError(
            f"{path} holds {_count(count, 'answer')} dated after tomorrow (the latest on {when:%Y-%m-%d at %H:%M}):"
            " the clock of the device that gave them was wrong; nothing was imported. Set that device's date"
            " right, or import a file exported before the clock went wrong"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# -- what it says -------------------------------------------------------------------

FORMATS = {"apkg": "a deck package (.apkg)", "colpkg": "a whole collection (.colpkg)"}


def summary_lines(imported: Imported, due_today: int) -> list[str]:
    """What was read and merged, for the terminal."""
    reading, merged = imported.reading, imported.merge
    lines = [
        f"Read {reading.path}: {FORMATS[reading.kind]}, package version {reading.version}.",
        f"  osteo-learn: {_count(reading.our_notes, 'note')}, {_count(reading.our_cards, 'card')};"
        f" other decks ignored: {_count(reading.other_notes, 'note')}, {_count(reading.other_cards, 'card')},"
        f" {_count(reading.other_rows, 'review log row')}.",
    ]
    if reading.missing_cards:
        lines.append(
            f"  Not in the file: {_count(reading.missing_cards, 'card')} of the decks it holds{_missing_hint(reading)}."
        )
    verb = "would be merged" if imported.dry_run else "merged"
    lines.append(
        f"Answers: {reading.answers} to your cards; {merged.merged} {verb} into the review log,"
        f" {merged.known} already known (imported before, or given at the desk and exported)."
    )
    left = [
        f"{count} {LEFT_OUT[reason][count != 1]} {LEFT_OUT[reason][2]}" for reason, count in reading.left_out.items() if count
    ]
    lines.append("Left out: " + ("; ".join(left) if left else "nothing") + ".")
    if merged.conflicts:
        times = "once" if merged.conflicts == 1 else f"{merged.conflicts} times"
        lines.append(
            f"Same study day on both: {times} a card was answered at the desk and in Anki on one study day;"
            f" the earlier answer counted (Anki's {merged.anki_first}, the desk's {merged.desk_first});"
            " the later answers are same-day repeats."
        )
    lines.append(
        f"Schedule: {_count(merged.rescheduled, 'card')} {'would be ' if imported.dry_run else ''}rescheduled;"
        f" {_count(due_today, 'card')} due today{' as it stands' if imported.dry_run else ''}."
    )
    if reading.without_scheduling:
        lines.append(
            "Note: the file holds no answers. If you studied these cards in Anki, it was exported without them:"
            ' export again with "Include scheduling information" ticked (desktop: File > Export;'
            " AnkiDroid: Export, with the scheduling box ticked)."
        )
    if imported.dry_run:
        lines.append("Dry run: nothing was written.")
    return lines


def _missing_hint(reading: Reading) -> str:
    if reading.kind == "apkg":
        return (
            " (a deck export leaves out cards that sit in a filtered deck: empty the filtered decks and export"
            " again, or export the whole collection, .colpkg; cards never brought into Anki are missing too)"
        )
    return " (cards never brought into this Anki collection, or deleted there)"


def to_json(imported: Imported, due_today: int) -> dict:
    """The same counts, for scripts."""
    reading, merged = imported.reading, imported.merge
    return {
        "file": str(reading.path),
        "format": reading.kind,
        "package_version": reading.version,
        "osteo_learn": {"notes": reading.our_notes, "cards": reading.our_cards, "missing_cards": reading.missing_cards},
        "other_decks": {"notes": reading.other_notes, "cards": reading.other_cards, "review_log_rows": reading.other_rows},
        "answers": reading.answers,
        "merged": merged.merged,
        "already_known": merged.known,
        "left_out": dict(reading.left_out),
        "same_day_conflicts": {"cards": merged.conflicts, "anki_first": merged.anki_first, "desk_first": merged.desk_first},
        "rescheduled": merged.rescheduled,
        "due_today": due_today,
        "without_scheduling": reading.without_scheduling,
        "dry_run": imported.dry_run,
    }
