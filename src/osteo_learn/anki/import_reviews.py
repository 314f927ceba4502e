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
  answer at the desk; ``time`` is how long it took.

This module says what Anki's tables mean, as two views over the collection
(:func:`anki_views`); the store reads them on its own connection, finds its
cards by GUID and merges the answers (:mod:`osteo_learn.store.imports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from osteo_learn.anki import models
from osteo_learn.anki.package_reader import EXPORT_AGAIN, Package, PackageError, open_package, unicase
from osteo_learn.store import Store
from osteo_learn.store.imports import AnkiMerge, AnkiReading, UnreadableCollection

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
class Imported:
    """A package read and merged: what it is, what it held and what the merge did."""

    path: Path
    kind: str  # "apkg" or "colpkg"
    version: int
    merge: AnkiMerge
    dry_run: bool = False

    @property
    def reading(self) -> AnkiReading:
        return self.merge.reading

    @property
    def without_scheduling(self) -> bool:
        """Nothing in the file says it was ever studied: exported without scheduling, or never studied."""
        return self.reading.rows == 0 and self.reading.studied_cards == 0


def import_reviews(store: Store, path: Path, *, now: datetime, today: date, day_start_hour: int, dry_run: bool = False) -> Imported:
    """Read the Anki package at ``path`` and merge its answers into the store's log
    (one write transaction; with ``dry_run`` nothing is written).

    The collection is not checked whole beforehand (that would take longer
    than the import): SQLite checks every page it reads, and a damaged one
    stops the import with one line, having merged nothing. The database's
    own check before its first write runs meanwhile.
    """
    if not dry_run:
        store.check_soon()
    # Unpacked beside the database: a folder of the tool's own, swept if a kill leaves it.
    with open_package(path, check=False, beside=store.path) as package:
        return merge_package(store, package, now=now, today=today, day_start_hour=day_start_hour, dry_run=dry_run)


def merge_package(
    store: Store,
    package: Package,
    *,
    now: datetime,
    today: date,
    day_start_hour: int,
    dry_run: bool = False,
    not_older: bool = False,
    mapping: bool = False,
) -> Imported:
    """Merge the answers of an open package into the store's log (``not_older``
    and ``mapping``: see :func:`osteo_learn.store.imports.merge_anki`)."""

    def check(reading: AnkiReading) -> None:
        _refuse(package.path, reading)

    try:
        merged = store.log.merge_anki(
            package.collection_path,
            anki_views(package),
            package=package.path.name,
            now=now,
            today=today,
            day_start_hour=day_start_hour,
            check=check,
            dry_run=dry_run,
            not_older=not_older,
            mapping=mapping,
            collations={"unicase": unicase},
        )
    except UnreadableCollection as error:
        raise PackageError(f"{package.path} is damaged: its collection cannot be read ({error}); {EXPORT_AGAIN}") from None
    return Imported(package.path, package.kind, package.version, merged, dry_run)


def anki_views(package: Package) -> list[str]:
    """The views through which the store reads the package's collection (attached
    as ``anki``): its cards, and what each row of its review log is."""
    types = ", ".join(str(notetype) for notetype in sorted(_our_note_types(package)))
    cards = (
        "CREATE TEMP VIEW anki_cards AS SELECT c.id AS cid, c.nid AS nid, n.guid AS guid, c.ord AS ord,"
        f" n.mid IN ({types}) AS ours, c.type != 0 AS studied FROM anki.cards AS c JOIN anki.notes AS n ON n.id = c.nid"
    )
    if int(package.config().get("schedVer") or 1) == 1:
        # Anki's first scheduler: in learning, buttons 1-3 were Again, Good, Easy.
        grade = "CASE WHEN r.ease = 1 THEN 1 WHEN r.type IN (0, 2) THEN min(r.ease + 2, 5) WHEN r.ease = 2 THEN 3 WHEN r.ease = 3 THEN 4 ELSE 5 END"
    else:
        grade = "CASE r.ease WHEN 1 THEN 1 WHEN 2 THEN 3 WHEN 3 THEN 4 ELSE 5 END"
    rows = (
        "CREATE TEMP VIEW anki_rows AS SELECT r.id AS revlog_id, r.cid AS cid,"
        " CASE WHEN NOT r.ease BETWEEN 1 AND 4 THEN 'no_grade' WHEN r.type = 3 AND r.factor = 0 THEN 'cram'"
        " WHEN NOT (r.type BETWEEN 0 AND 3 AND r.id >= 1000) THEN 'unknown' ELSE 'answer' END AS what,"
        f" {grade} AS grade, r.ease AS ease, r.type AS type, max(r.time, 0) AS duration_ms FROM anki.revlog AS r"
    )
    return [cards, rows]


def _our_note_types(package: Package) -> set[int]:
    """osteo-learn's note types in the package: by id, or a copy Anki made of one."""
    copies = {copy for copy, original in package.notetype_originals().items() if original in OUR_NOTE_TYPES}
    return set(OUR_NOTE_TYPES) | copies


def _refuse(path: Path, reading: AnkiReading) -> None:
    """A package with none of our cards, or with answers dated after tomorrow: nothing is merged."""
    if not reading.our_cards:
        raise PackageError(
            f"{path} holds no osteo-learn cards (its {_count(reading.other_notes, 'note')} came from elsewhere):"
            f" export the collection, or the deck \"{models.PARENT_DECK_NAME}\", from the Anki where you study them"
            " (desktop: File > Export; AnkiDroid: menu > Export)"
        )
    if reading.future:
        when = datetime.fromtimestamp(reading.latest / 1000, timezone.utc).astimezone()
        raise PackageError(
            f"{path} holds {_count(reading.future, 'answer')} dated after tomorrow (the latest on {when:%Y-%m-%d at %H:%M}):"
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
        f"Read {imported.path}: {FORMATS[imported.kind]}, package version {imported.version}.",
        f"  osteo-learn: {_count(reading.our_notes, 'note')}, {_count(reading.our_cards, 'card')};"
        f" other decks ignored: {_count(reading.other_notes, 'note')}, {_count(reading.other_cards, 'card')},"
        f" {_count(reading.other_rows, 'review log row')}.",
    ]
    if reading.missing_cards:
        lines.append(
            f"  Not in the file: {_count(reading.missing_cards, 'card')} of the decks it holds{_missing_hint(imported)}."
        )
    verb = "would be merged" if imported.dry_run else "merged"
    lines.append(
        f"Answers: {reading.answers} to your cards; {merged.merged} {verb} into the review log,"
        f" {merged.known} already known (imported before, or given at the desk and exported)."
    )
    left = [
        f"{count} {LEFT_OUT[reason][count != 1]} {LEFT_OUT[reason][2]}"
        for reason in LEFT_OUT
        if (count := reading.left_out.get(reason, 0))
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
    if imported.without_scheduling:
        lines.append(
            "Note: the file holds no answers. If you studied these cards in Anki, it was exported without them:"
            ' export again with "Include scheduling information" ticked (desktop: File > Export;'
            " AnkiDroid: Export, with the scheduling box ticked)."
        )
    if imported.dry_run:
        lines.append("Dry run: nothing was written.")
    return lines


def _missing_hint(imported: Imported) -> str:
    if imported.kind == "apkg":
        return (
            " (a deck export leaves out cards that sit in a filtered deck: empty the filtered decks and export"
            " again, or export the whole collection, .colpkg; cards never brought into Anki are missing too)"
        )
    return " (cards never brought into this Anki collection, or deleted there)"


def to_json(imported: Imported, due_today: int) -> dict:
    """The same counts, for scripts."""
    reading, merged = imported.reading, imported.merge
    return {
        "file": str(imported.path),
        "format": imported.kind,
        "package_version": imported.version,
        "osteo_learn": {"notes": reading.our_notes, "cards": reading.our_cards, "missing_cards": reading.missing_cards},
        "other_decks": {"notes": reading.other_notes, "cards": reading.other_cards, "review_log_rows": reading.other_rows},
        "answers": reading.answers,
        "merged": merged.merged,
        "already_known": merged.known,
        "left_out": {reason: reading.left_out.get(reason, 0) for reason in LEFT_OUT},
        "same_day_conflicts": {"cards": merged.conflicts, "anki_first": merged.anki_first, "desk_first": merged.desk_first},
        "rescheduled": merged.rescheduled,
        "due_today": due_today,
        "without_scheduling": imported.without_scheduling,
        "dry_run": imported.dry_run,
    }
