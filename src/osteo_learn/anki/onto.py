"""The desk's progress onto the phone: the phone's collection, copied, with osteo-learn's cards on the union's schedule.

Anki never changes the schedule of a card it already has when importing a
deck package; the only way to give it a new one is a whole collection,
which replaces the one on the device. So ``export --onto PHONE.colpkg``
reads the phone's latest whole-collection export, first merges its answers
as ``import-reviews`` does, and then writes a copy of that collection in
which:

- each of osteo-learn's cards carries the union's schedule: a reviewed card
  is a review card (type and queue 2, a suspended or buried card keeps its
  queue) with SM-2's interval, EF x 1000, repetitions and lapses, due on the
  same calendar day as at the desk (Anki counts due days from the day of
  its creation time ``crt``, read in the zone of ``creationOffset``); a
  card in a filtered deck goes home; a card never answered that Anki had
  rescheduled (Set Due Date) is new again;
- the answers Anki lacks (those given at the desk: Anki has every answer
  given on the phone) join its review log, each numbered by its instant
  (a millisecond on when that id is taken), as the export writes them;
- each such card's ``data.lrt`` (last review time) is its last answer, as
  Anki's Check Database computes it; under FSRS its memory state (``s``,
  ``d``) is cleared, so that Anki rebuilds it from the review log, desk
  answers included;
- every other row, table, deck, note type and media file is as the phone
  wrote it.

The copy is written as package version 2 (the collection uncompressed,
"Support older Anki versions"): a collection of schema 18 stays schema 18,
which every Anki since 2.1.50 opens, and no zstd writer is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from osteo_learn.anki.export import ExportError, OverwriteRefused, _fsync_folder, _give_mode, _size, _writable_folder
from osteo_learn.anki.import_reviews import Imported, merge_package
from osteo_learn.anki.package_reader import Package, open_package, unicase
from osteo_learn.core import sm2
from osteo_learn.core.files import reason
from osteo_learn.core.text import shown
from osteo_learn.store import Store
from osteo_learn.store.imports import OlderThanImported
from osteo_learn.system import paths, scratch

COLLECTION_PACKAGE = "Anki Collection Package (.colpkg)"


class OntoRefused(ExportError):
    """The phone's file cannot be the base of the copy; nothing was written."""


@dataclass
class Onto:
    """What ``export --onto`` merged and wrote."""

    imported: Imported
    path: Path
    size: int = 0
    cards: int = 0  # osteo-learn's cards in the collection
    rescheduled: int = 0  # of them, whose schedule in Anki changed
    answers_added: int = 0  # answers given at the desk, added to Anki's review log
    fsrs: bool = False


def export_onto(store: Store, phone: Path, path: Path, *, now: datetime, today: date, day_start_hour: int) -> Onto:
    """Merge the answers of the phone's collection package ``phone`` into the log, then
    write to ``path`` a copy of that collection carrying the union's schedule."""
    phone, path = Path(phone), Path(path)
    for protected, what in [(phone, f"the phone's file {phone}"), *store.protected_files()]:
        if paths.same_file(path, protected):
            raise OverwriteRefused(path, what)
    folder = _writable_folder(path)
    store.check_soon()
    with open_package(phone, check=True) as package:
        if package.kind != "colpkg":
            raise OntoRefused(
                f"{phone} is a deck package, not the phone's whole collection: only a whole collection can give"
                f" Anki a new schedule for cards it has. Export \"{COLLECTION_PACKAGE}\" from Anki (desktop:"
                " File > Export; AnkiDroid: menu > Export collection) and run this again; nothing was written"
            )
        try:
            imported = merge_package(store, package, now=now, today=today, day_start_hour=day_start_hour, not_older=True, mapping=True)
        except OlderThanImported as older:
            when = datetime.fromtimestamp(older.newest_known / 1000, timezone.utc).astimezone()
            raise OntoRefused(
                f"{phone} is older than the answers already imported from Anki: the newest, given on"
                f" {when:%Y-%m-%d at %H:%M}, is not in it. Export the collection from the phone again"
                " (desktop: File > Export; AnkiDroid: menu > Export collection) and use that file; nothing was written"
            ) from None
        onto = Onto(imported, path)
        scratch.sweep(folder)
        try:
            work = scratch.Scratch.make(path)
        except OSError as error:
            raise ExportError(f"cannot write to the folder {folder}: {reason(error)}; the answers were merged, nothing else was written") from None
        try:
            collection = work.path / "collection.anki21"
            shutil.copyfile(package.collection_path, collection)
            _reschedule(collection, store, imported, onto, now)
            written = work.path / "package.colpkg"
            with written.open("wb") as out:
                _zip(out, package, collection)
                out.flush()
                os.fsync(out.fileno())
            _give_mode(written, path)
            onto.size = written.stat().st_size
            os.replace(written, path)
        except (OSError, sqlite3.OperationalError) as error:
            detail = reason(error) if isinstance(error, OSError) else str(error)
            raise ExportError(f"cannot write {path}: building it in {folder} failed ({detail}); the answers were merged, nothing else was written") from None
        finally:
            work.remove()
    _fsync_folder(folder)
    return onto


# -- the collection ---------------------------------------------------------------


def day_zero(config: dict, crt: int) -> date:
    """The calendar day Anki numbers 0, from which a review card's ``due`` counts: the
    date of ``crt`` in the zone of ``creationOffset`` (minutes west of UTC), else,
    in older collections, in the device's zone (``localOffset``), else UTC."""
    west = config.get("creationOffset")
    if not isinstance(west, int):
        west = config.get("localOffset") if isinstance(config.get("localOffset"), int) else 0
    return datetime.fromtimestamp(crt, timezone(timedelta(minutes=-west))).date()


def _reschedule(collection: Path, store: Store, imported: Imported, onto: Onto, now: datetime) -> None:
    conn = sqlite3.connect(collection)
    conn.create_collation("unicase", unicase)
    try:
        config = _config(conn)
        onto.fsrs = bool(config.get("fsrs"))
        (crt,) = conn.execute("SELECT crt FROM col").fetchone()
        zero = day_zero(config, crt)
        cards = {card: cid for cid, card in imported.merge.mapping}
        onto.cards = len(cards)
        onto.rescheduled = _write_schedules(conn, store, cards, zero, int(now.timestamp()))
        onto.answers_added = _write_answers(conn, store, cards)
        _write_card_data(conn, onto.fsrs, int(now.timestamp()))
        conn.commit()
    finally:
        conn.close()


def _config(conn: sqlite3.Connection) -> dict:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "config" in tables:
        return {key: json.loads(value) for key, value in conn.execute("SELECT key, val FROM config")}
    return json.loads(conn.execute("SELECT conf FROM col").fetchone()[0])


def _write_schedules(conn: sqlite3.Connection, store: Store, cards: dict[int, int], zero: date, mod: int) -> int:
    """Give every card the union's schedule (kept in a table beside Anki's cards);
    return how many cards changed."""
    conn.execute(
        "CREATE TEMP TABLE schedule (cid INTEGER PRIMARY KEY, reviewed INTEGER NOT NULL, due INTEGER, ivl INTEGER,"
        " factor INTEGER, reps INTEGER, lapses INTEGER)"
    )
    rows = []
    for card, state in store.cards.states():
        cid = cards.get(card)
        if cid is None:
            continue
        if isinstance(state, sm2.NewCard):
            rows.append((cid, 0, None, 0, 0, 0, 0))
        else:
            rows.append((cid, 1, (state.due - zero).days, state.interval, state.ease * 10, state.repetitions, state.lapses))
    conn.executemany("INSERT INTO temp.schedule VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    # A reviewed card: a review card at home, with its queue if suspended or buried.
    changed = conn.execute(
        "UPDATE cards SET type = 2, queue = CASE WHEN cards.queue < 0 THEN cards.queue ELSE 2 END, due = s.due,"
        " ivl = s.ivl, factor = s.factor, reps = s.reps, lapses = s.lapses, left = 0,"
        " did = CASE WHEN cards.odid != 0 THEN cards.odid ELSE cards.did END, odid = 0, odue = 0, mod = ?, usn = -1"
        " FROM temp.schedule AS s WHERE s.cid = cards.id AND s.reviewed"
        " AND (cards.type, cards.queue < 0 OR cards.queue = 2, cards.due, cards.ivl, cards.factor, cards.reps,"
        " cards.lapses, cards.left, cards.odid) IS NOT (2, 1, s.due, s.ivl, s.factor, s.reps, s.lapses, 0, 0)",
        (mod,),
    ).rowcount
    # Never answered, yet not new in Anki (Set Due Date on a new card): new again, in its old place.
    changed += conn.execute(
        "UPDATE cards SET type = 0, queue = CASE WHEN cards.queue < 0 THEN cards.queue ELSE 0 END,"
        " due = ifnull(json_extract(CASE WHEN json_valid(cards.data) THEN cards.data END, '$.pos'), cards.due),"
        " ivl = 0, factor = 0, reps = 0, lapses = 0, left = 0,"
        " did = CASE WHEN cards.odid != 0 THEN cards.odid ELSE cards.did END, odid = 0, odue = 0,"
        " mod = ?, usn = -1 FROM temp.schedule AS s WHERE s.cid = cards.id AND NOT s.reviewed AND cards.type != 0",
        (mod,),
    ).rowcount
    return changed


def _write_answers(conn: sqlite3.Connection, store: Store, cards: dict[int, int]) -> int:
    """Add to Anki's review log every standing answer of our cards it lacks; return how many."""
    conn.execute(
        "CREATE TEMP TABLE answers (cid INTEGER NOT NULL, instant INTEGER NOT NULL, ease INTEGER NOT NULL, ivl INTEGER NOT NULL,"
        " last_ivl INTEGER NOT NULL, factor INTEGER NOT NULL, time INTEGER NOT NULL, type INTEGER NOT NULL)"
    )
    rows = []
    new_day: dict[int, str] = {}
    for card, instant, day, grade, kind, before, after, ease, duration in store.log.standing(cards):
        if kind == "new":
            new_day[card] = day
        button = 1 if grade < 3 else grade - 1
        last = {"new": 0, "review": before}.get(kind, after)
        log_type = {"new": 0, "review": 1}.get(kind, 0 if new_day.get(card) == day else 2)
        rows.append((cards[card], instant, button, after, last or 0, ease * 10, min(duration, 2_147_483_647), log_type))
    conn.executemany("INSERT INTO temp.answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # Anki has an answer when its log holds one of the card within a second
    # after the instant (an answer from Anki is there by its very id; one
    # osteo-learn exported is a millisecond or so on).
    conn.execute(
        "DELETE FROM temp.answers WHERE EXISTS (SELECT 1 FROM main.revlog AS r WHERE r.cid = answers.cid"
        " AND r.id BETWEEN answers.instant AND answers.instant + 999)"
    )
    added = conn.execute("SELECT count(*) FROM temp.answers").fetchone()[0]
    # Each by its instant, or the first free millisecond after it.
    shift = 0
    while conn.execute("SELECT EXISTS (SELECT 1 FROM temp.answers)").fetchone()[0]:
        conn.execute(
            "INSERT OR IGNORE INTO main.revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
            " SELECT instant + ?, cid, -1, ease, ivl, last_ivl, factor, time, type FROM temp.answers ORDER BY instant, cid",
            (shift,),
        )
        conn.execute(
            "DELETE FROM temp.answers WHERE EXISTS (SELECT 1 FROM main.revlog AS r WHERE r.id = answers.instant + ?"
            " AND r.cid = answers.cid AND r.usn = -1 AND r.ease = answers.ease)",
            (shift,),
        )
        shift += 1
    return added


def _write_card_data(conn: sqlite3.Connection, fsrs: bool, mod: int) -> None:
    """Each reviewed card's last review time from the log, as Check Database sets it (and
    under FSRS its memory state cleared)."""
    data = "CASE WHEN json_valid(c.data) AND json_type(c.data) = 'object' THEN c.data ELSE '{}' END"
    lrt = (
        "(SELECT max(r.id) / 1000 FROM main.revlog AS r WHERE r.cid = c.id"
        " AND r.ease BETWEEN 1 AND 4 AND (r.type != 3 OR r.factor != 0))"
    )
    new_data = f"json_set({data}, '$.lrt', {lrt})"
    if fsrs:
        new_data = f"json_remove({new_data}, '$.s', '$.d')"
    conn.execute(
        f"UPDATE cards AS c SET data = {new_data}, mod = ?, usn = -1 FROM temp.schedule AS s"
        f" WHERE s.cid = c.id AND s.reviewed AND {lrt} IS NOT NULL AND c.data IS NOT {new_data}",
        (mod,),
    )


# -- the package ---------------------------------------------------------------------


def _zip(out, package: Package, collection: Path) -> None:
    """Package version 2: ``meta``, the collection deflated, the stub as the phone's
    file had it, the media map as JSON and each media file as it is."""
    media = package.media
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("meta", b"\x08\x02")
        archive.write(collection, "collection.anki21", compress_type=zipfile.ZIP_DEFLATED)
        if package.stub:
            with archive.open(zipfile.ZipInfo(package.stub, (1980, 1, 1, 0, 0, 0)), "w") as stub:
                package.copy_entry(package.stub, stub)
        archive.writestr("media", json.dumps({str(n): item.name for n, item in enumerate(media)}))
        for n, item in enumerate(media):
            with archive.open(zipfile.ZipInfo(str(n), (1980, 1, 1, 0, 0, 0)), "w") as target:
                package.copy_media(item, target)


# -- what it says -----------------------------------------------------------------------


def summary_lines(onto: Onto) -> list[str]:
    fsrs = (
        "This collection uses FSRS: the cards carry osteo-learn's SM-2 intervals, and their FSRS memory state"
        " was cleared, so Anki rebuilds it from the review history, desk answers included, when each card is"
        " next answered. To let FSRS reschedule them all at once, run \"Reschedule cards on change\" in the"
        " deck options after importing."
        if onto.fsrs
        else "If you use FSRS: the cards carry osteo-learn's SM-2 intervals; FSRS rebuilds each card's memory"
        " state from the review history, desk answers included, when it is next answered."
    )
    return [
        f"Wrote {onto.path} ({_size(onto.size)}): the phone's collection, {onto.cards} of your cards on the desk's"
        f" schedule ({onto.rescheduled} changed), {onto.answers_added} desk answer{'s' * (onto.answers_added != 1)}"
        " added to Anki's review history; everything else as it was on the phone.",
        "Before you import it:",
        "  - Importing it REPLACES the whole collection on the phone with this file (AnkiDroid: menu > Import >"
        " Collection package (.colpkg); desktop: File > Import). Keep the phone's export as a backup.",
        "  - Study nothing on the phone between its export and this import: answers given there meanwhile would be lost.",
        "  - AnkiWeb will then ask for a one-way sync: upload this collection from the phone (keep the phone's"
        " side); other devices then download it.",
        f"  - {fsrs}",
    ]


def refused_line(error: OverwriteRefused) -> str:
    return f"'{shown(error.path, 1000)}' is {error.what}; the package would replace it. Give another path"
