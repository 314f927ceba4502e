"""Export to Anki: the real .apkg opened and inspected, and imported into a real Anki collection."""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import genanki
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from click.testing import CliRunner

from osteo_learn.anki import collection, export, notes, progress
from osteo_learn.anki import models as anki_models
from osteo_learn.core import days, sm2
from osteo_learn.core import text as core_text
from osteo_learn.store import library
from osteo_learn.core.cards import Kind
from osteo_learn.commands.cli import cli
from osteo_learn.store import Store
from osteo_learn.store.export import ExportSelection

SOURCE = (
    "Alpha comes first. Beta follows alpha. Gamma is third; delta is fourth.\n"
    "A case: a 70-year-old with numbness. Dosing < 5 mg & > 1 mg is <b>bold</b>.\n"
)

CARDS = {
    "q1": """
[[cards]]
id = "q1"
kind = "basic"
tags = ["order", "greek"]
front = "Which letter comes {front}?"
back = "Alpha."
source = "Alpha comes first."
""",
    "q2": """
[[cards]]
id = "q2"
kind = "basic"
tags = ["order"]
front = "Which letter follows alpha?"
back = "Beta."
source = "Beta follows alpha."
""",
    "letters": """
[[cards]]
id = "letters"
kind = "cloze"
tags = ["order"]
text = "{{c1::Gamma}} is third; {{c2::delta::a letter}} is fourth."
extra = "Greek letters."
source = "Gamma is third; delta is fourth."
""",
    "case": '''
[[cards]]
id = "case"
kind = "vignette"
tags = ["demo-cases"]
stem = """A 70-year-old with numbness.
She takes <script>alert(1)</script> daily."""
question = "Which dose is <b>safe</b> & why?"
options = ["< 5 mg", "> 1 mg & < 5 mg", "None", "Any"]
answer = "> 1 mg & < 5 mg"
explanation = "Between 1 & 5 mg: <i>see</i> the text."
source = "Dosing < 5 mg & > 1 mg is <b>bold</b>."
''',
    "q3": """
[[cards]]
id = "q3"
kind = "basic"
tags = ["order"]
front = "Which letter is fourth?"
back = "Delta."
source = "delta is fourth."
""",
}

ORDER = ["q1", "q2", "letters", "case", "q3"]
TIMESTAMP = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def write_deck(folder: Path, front: str = "first", order: list[str] = ORDER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "greek.txt").write_text(SOURCE)
    path = folder / "demo.toml"
    cards = "".join(CARDS[card_id] for card_id in order).replace("{front}", front)
    path.write_text(
        'id = "demo"\ntitle = "Demo <deck> & co"\ndescription = "For tests."\n\n'
        '[source]\ntitle = "Greek"\nfile = "greek.txt"\n' + cards
    )
    return path


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "home" / "study.db"


@pytest.fixture
def deck_file(tmp_path, db) -> Path:
    path = write_deck(tmp_path / "decks")
    store, _ = library.open_library(db)
    with store:
        library.add_deck(store, path)
    return path


def open_store(db: Path) -> Store:
    store, _ = library.open_library(db)
    return store


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12)).astimezone()


# Study days in the past (the Anki importer refuses ids from the future).
D0 = date.today() - timedelta(days=30)


def answer(store: Store, label: str, grade: int, day: date, seconds: int = 0, duration_ms: int = 4000):
    pk = next(c.pk for c in store.cards.all(("demo",)) if c.label == label)
    return store.log.record(pk, grade, noon(day) + timedelta(seconds=seconds), day, duration_ms)


def study(db: Path) -> None:
    """Seven study days of answers, with failures, same-day repeats and an undone answer.

    Expected Anki review log (type, button) per card, in order:
    q1: new 5 -> (Learn, Easy); D1 review 4 -> (Review, Good); D7 review 3 -> (Review, Hard),
        repeat 4 -> (Relearn, Good).
    q2: new 2 -> (Learn, Again), repeat 4 -> (Learn, Good); D1 review 5 -> (Review, Easy);
        D2 review 4 -> (Review, Good).
    letters c1: new 4 -> (Learn, Good); D1 review 5 -> (Review, Easy).
    letters c2: new 3 -> (Learn, Hard), repeat 5 -> (Learn, Easy); D1 review 1 -> (Review, Again),
        repeat 4 -> (Relearn, Good); D2 review 4 -> (Review, Good).
    case: new 0, undone -> nothing; it stays new.
    """
    D1, D2, D7 = (D0 + timedelta(days=n) for n in (1, 2, 7))
    with open_store(db) as store:
        answer(store, "demo/q1", 5, D0, 1)
        answer(store, "demo/q2", 2, D0, 2)
        answer(store, "demo/q2", 4, D0, 3)
        answer(store, "demo/letters c1", 4, D0, 4)
        answer(store, "demo/letters c2", 3, D0, 5)
        answer(store, "demo/letters c2", 5, D0, 6)
        undone = answer(store, "demo/case", 0, D0, 7)
        store.log.undo(undone.id, noon(D0) + timedelta(seconds=8))
        answer(store, "demo/q1", 4, D1, 1)
        answer(store, "demo/q2", 5, D1, 2)
        answer(store, "demo/letters c1", 5, D1, 3)
        answer(store, "demo/letters c2", 1, D1, 4)
        answer(store, "demo/letters c2", 4, D1, 5)
        answer(store, "demo/q2", 4, D2, 1)
        answer(store, "demo/letters c2", 4, D2, 2)
        answer(store, "demo/q1", 3, D7, 1)
        answer(store, "demo/q1", 4, D7, 2, duration_ms=12_345)


LEARN, REVIEW, RELEARN = 0, 1, 2
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
EXPECTED_LOG = {
    ("q1", 0): [(LEARN, EASY), (REVIEW, GOOD), (REVIEW, HARD), (RELEARN, GOOD)],
    ("q2", 0): [(LEARN, AGAIN), (LEARN, GOOD), (REVIEW, EASY), (REVIEW, GOOD)],
    ("letters", 0): [(LEARN, GOOD), (REVIEW, EASY)],
    ("letters", 1): [(LEARN, HARD), (LEARN, EASY), (REVIEW, AGAIN), (RELEARN, GOOD), (REVIEW, GOOD)],
}


def export_to(db: Path, path: Path, *, with_progress: bool = False, timestamp: float = TIMESTAMP):
    """Export the demo deck (the store also holds the bundled one)."""
    with open_store(db) as store:
        return export.export_from_store(
            store, path, deck_ids=("demo",), with_progress=with_progress, timestamp=timestamp
        )


class Package:
    """The collection inside an .apkg, opened with sqlite3."""

    def __init__(self, path: Path, tmp_path: Path):
        with zipfile.ZipFile(path) as archive:
            self.names = sorted(archive.namelist())
            self.media = archive.read("media").decode()
            target = tmp_path / f"unpacked-{path.stem}-{len(list(tmp_path.iterdir()))}.anki2"
            target.write_bytes(archive.read("collection.anki2"))
        self.conn = sqlite3.connect(target)

    def col(self) -> dict:
        crt, conf, models, decks = self.conn.execute("SELECT crt, conf, models, decks FROM col").fetchone()
        return {"crt": crt, "conf": json.loads(conf), "models": json.loads(models), "decks": json.loads(decks)}

    def notes(self) -> dict[str, dict]:
        """Notes by GUID."""
        rows = self.conn.execute("SELECT id, guid, mid, mod, tags, flds FROM notes ORDER BY id")
        return {
            guid: {"id": nid, "mid": mid, "mod": mod, "tags": tags.split(), "fields": flds.split("\x1f")}
            for nid, guid, mid, mod, tags, flds in rows
        }

    def cards(self, guid: str) -> list[dict]:
        rows = self.conn.execute(
            "SELECT c.id, c.ord, c.did, c.type, c.queue, c.due, c.ivl, c.factor, c.reps, c.lapses"
            " FROM cards c JOIN notes n ON n.id = c.nid WHERE n.guid = ? ORDER BY c.ord",
            (guid,),
        )
        keys = ("id", "ord", "did", "type", "queue", "due", "ivl", "factor", "reps", "lapses")
        return [dict(zip(keys, row)) for row in rows]

    def revlog(self, card_id: int) -> list[tuple]:
        return self.conn.execute(
            "SELECT id, ease, ivl, lastIvl, factor, time, type FROM revlog WHERE cid = ? ORDER BY id", (card_id,)
        ).fetchall()


def guid(card_id: str) -> str:
    return genanki.guid_for("demo", card_id)


# -- what the store gives the export -------------------------------------------


def test_each_card_streams_decks_in_order_and_each_deck_in_file_order_without_retired(tmp_path, db, deck_file):
    write_deck(deck_file.parent, order=["q3", "letters", "case", "q1"])  # q2 retired, order changed
    with open_store(db) as store:
        labels = [card.label for card in store.cards.each()]
        bundled = store.decks.ids()[0]
        tagged = [card.label for card in store.cards.each(("demo",), ("order",))]
    assert labels[0].startswith(f"{bundled}/")
    assert labels[-5:] == ["demo/q3", "demo/letters c1", "demo/letters c2", "demo/case", "demo/q1"]
    assert tagged == ["demo/q3", "demo/letters c1", "demo/letters c2", "demo/q1"]


def test_export_selection_numbers_notes_in_deck_order_with_a_cloze_once(tmp_path, db, deck_file):
    write_deck(deck_file.parent, order=["q3", "letters", "case", "q1", "q2"])
    with open_store(db) as store, store.export.selection(("demo",)) as selection:
        notes = [(number, deck_id, card_id, kind) for number, deck_id, card_id, kind, *_ in selection.notes()]
        counts, kinds, decks = selection.counts(), selection.cards_by_kind(), selection.deck_ids()
    assert notes == [
        (0, "demo", "q3", "basic"),
        (1, "demo", "letters", "cloze"),
        (2, "demo", "case", "vignette"),
        (3, "demo", "q1", "basic"),
        (4, "demo", "q2", "basic"),
    ]
    assert (counts, kinds, decks) == ((5, 6), {"basic": 3, "cloze": 2, "vignette": 1}, ["demo"])


def test_export_selection_narrowed_by_tag_keeps_the_order_of_all_decks(tmp_path, db, deck_file):
    with open_store(db) as store:
        bundled = store.decks.ids()[0]
        with store.export.selection(tags=("order",)) as selection:
            notes = [(deck_id, card_id) for _, deck_id, card_id, *_ in selection.notes()]
            decks = selection.deck_ids()
    assert notes == [("demo", "q1"), ("demo", "q2"), ("demo", "letters"), ("demo", "q3")]
    assert decks == ["demo"] and bundled != "demo"


class Written(NamedTuple):
    """The creation day the cards' due dates count from, and how many cards have a schedule."""

    creation_day: date
    reviewed: int


def write_cards(selection, folder: Path, *, first_card_id: int = 0, first_note_id: int = 0, with_progress: bool = True):
    """Fill genanki's empty collection in ``folder`` with the selection's cards and,
    with progress, its review log; return what was written and the rows."""
    collection = folder / "collection.anki2"
    genanki_collection(collection)
    written = Written(*progress.schedules(selection, with_progress))
    selection.write_anki_cards(
        collection,
        first_card_id=first_card_id,
        first_note_id=first_note_id,
        anki_decks={"demo": 77},
        mod=9,
        creation_day=written.creation_day if with_progress else None,
    )
    logged = selection.log_writer().write(collection, first_card_id=first_card_id).entries if with_progress else 0
    conn = sqlite3.connect(collection)
    cards = conn.execute("SELECT * FROM cards ORDER BY id").fetchall()
    revlog = conn.execute("SELECT id, cid, ease, ivl, lastIvl, factor, time, type, usn FROM revlog ORDER BY id").fetchall()
    conn.close()
    return written, logged, cards, revlog


def test_anki_card_rows_are_numbered_in_deck_order_with_their_schedules(tmp_path, db, deck_file):
    study(db)
    first = 1_000_000
    (tmp_path / "new").mkdir()
    (tmp_path / "reviewed").mkdir()
    with open_store(db) as store, store.export.selection(("demo",)) as selection:
        plain, _, new, no_log = write_cards(selection, tmp_path / "new", first_card_id=first, first_note_id=first + 50, with_progress=False)
        written, _, reviewed, _ = write_cards(selection, tmp_path / "reviewed", first_card_id=first, first_note_id=first + 50)
        states = {card.label: card.state for card in store.cards.all(("demo",))}
        pks = {card.label: card.pk for card in store.cards.all(("demo",))}
    labels = ["demo/q1", "demo/q2", "demo/letters c1", "demo/letters c2", "demo/case", "demo/q3"]
    # Deck order: the note and the ord of each card.
    notes_and_ords = [(0, 0), (1, 0), (2, 0), (2, 1), (3, 0), (4, 0)]
    # id, note id, deck, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data
    # Card ids count on by the card's key in the store, as in the review log.
    new_by_key = {row[0] - first: row for row in new}
    assert [new_by_key[pks[label]][:6] for label in labels] == [
        (first + pks[label], first + 50 + note, 77, ord_, 9, -1) for label, (note, ord_) in zip(labels, notes_and_ords)
    ]
    assert [new_by_key[pks[label]][6:] for label in labels] == [
        (0, 0, note, 0, 0, 0, 0, 0, 0, 0, 0, "") for note, _ in notes_and_ords
    ]
    reviewed_by_key = {row[0] - first: row for row in reviewed}
    assert (plain.reviewed, no_log) == (0, [])
    # Every due date is after genanki's creation day, which is kept.
    assert written.creation_day == date(2014, 9, 19)
    assert len(reviewed) == len(labels)
    for label in labels:
        row, state = reviewed_by_key[pks[label]], states[label]
        if state.due is None:
            assert row[6:13] == (0, 0, row[1] - first - 50, 0, 0, 0, 0), label
        else:
            expected_due = (state.due - written.creation_day).days
            assert row[6:13] == (2, 2, expected_due, state.interval, state.ease * 10, state.repetitions, state.lapses), label
    assert sum(row[6] == 2 for row in reviewed) == written.reviewed == 4


def test_a_due_date_before_genankis_creation_day_moves_the_creation_day_back(tmp_path, db, deck_file):
    with open_store(db) as store:
        pk = next(c.pk for c in store.cards.all(("demo",)) if c.label == "demo/q1")
        store.log.record(pk, 5, datetime(2010, 1, 4, 12, tzinfo=timezone.utc), date(2010, 1, 4), 1000)
        with store.export.selection(("demo",)) as selection:
            written, _, cards, _ = write_cards(selection, tmp_path)
    # A first success is due a day later: 2010-01-05, day 0.
    assert written.creation_day == date(2010, 1, 5)
    assert cards[0][6:9] == (2, 2, 0)


def test_export_selection_review_log_rows_map_grades_kinds_and_exact_milliseconds(tmp_path, db, deck_file):
    instants = [
        datetime(2024, 2, 29, 23, 59, 59, 999_000, timezone.utc),  # last millisecond of a leap day
        datetime(2024, 3, 1, 0, 0, 0, 1_000, timezone.utc),
        datetime(2024, 3, 1, 12, 30, 15, 500_000, timezone.utc),
    ]
    with open_store(db) as store:
        pk = next(c.pk for c in store.cards.all(("demo",)) if c.label == "demo/q1")
        store.log.record(pk, 2, instants[0], date(2024, 2, 29), 1500)  # new, failed: Learn, Again
        store.log.record(pk, 4, instants[1], date(2024, 2, 29), 2500)  # a repeat on the day it was new: Learn, Good
        store.log.record(pk, 5, instants[2], date(2024, 3, 1), 99_000_000_000)  # review: Review, Easy
        with store.export.selection(("demo",)) as selection:
            _, logged, _, rows = write_cards(selection, tmp_path, first_card_id=500 - pk)
    expected_ms = [int(instant.timestamp() * 1000) for instant in instants]
    assert [row[0] for row in rows] == expected_ms == [1709251199999, 1709251200001, 1709296215500]
    assert [row[8] for row in rows] == [-1, -1, -1]  # usn: to be sent to AnkiWeb
    assert logged == 3
    # (card id, button, ivl, lastIvl, factor, time, type); q1's id is 500. The
    # failed first answer gives 1 day and keeps EF 2.5; the repeat changes
    # nothing; the review on the next day is the first success: 1 day again,
    # EF 2.5 + 0.1. A duration past Anki's 32-bit column is cut to its maximum.
    assert [row[1:8] for row in rows] == [
        (500, 1, 1, 0, 2500, 1500, 0),
        (500, 3, 1, 1, 2500, 2500, 0),
        (500, 4, 1, 1, 2600, 2**31 - 1, 1),
    ]


def test_answers_in_one_millisecond_push_later_ones_on_in_the_written_log(tmp_path, db, deck_file):
    noon_utc = datetime(2024, 5, 6, 12, tzinfo=timezone.utc)
    offsets_ms = [0, 0, 0, 1, 5]  # three at once, then one a millisecond later: pushed past the third
    with open_store(db) as store:
        pks = [c.pk for c in store.cards.all(("demo",))]
        for pk, offset in zip(pks, offsets_ms):
            store.log.record(pk, 4, noon_utc + timedelta(milliseconds=offset), date(2024, 5, 6), 1000)
        with store.export.selection(("demo",)) as selection:
            # Card ids count on from the export time, later than every answer.
            export_ms = int(noon_utc.timestamp() * 1000) + 86_400_000
            _, logged, _, rows = write_cards(selection, tmp_path, first_card_id=export_ms, first_note_id=export_ms)
            attached = [row[1] for row in store.conn.execute("PRAGMA database_list")]
            temp = store.conn.execute("SELECT name FROM temp.sqlite_master ORDER BY name").fetchall()
        left = store.conn.execute("SELECT name FROM temp.sqlite_master").fetchall()
    base = int(noon_utc.timestamp() * 1000)
    assert logged == 5
    assert [row[0] for row in rows] == [base, base + 1, base + 2, base + 3, base + 5]
    # The store's connection attached the numbering's file only to save it;
    # the numbering goes with the selection.
    assert attached == ["main", "temp"]
    assert temp == [("export_selection",), ("sqlite_autoindex_export_selection_1",)]
    assert left == []


def test_log_ids_of_answers_before_1970_are_their_instants(tmp_path, db, deck_file):
    # A clock set to 1969: the instants are negative, and so are the ids.
    instant = datetime(1969, 12, 31, 23, 59, 59, 998_000, timezone.utc)
    with open_store(db) as store:
        pks = [c.pk for c in store.cards.all(("demo",))]
        store.log.record(pks[0], 4, instant, date(1969, 12, 31), 1000)
        store.log.record(pks[1], 4, instant, date(1969, 12, 31), 1000)
        with store.export.selection(("demo",)) as selection:
            _, logged, _, rows = write_cards(selection, tmp_path)
    assert logged == 2
    assert [row[0] for row in rows] == [-2, -1]


def test_log_ids_are_the_instants_in_time_order_when_the_clock_was_set_back(tmp_path, db, deck_file):
    ten_utc = datetime(2024, 5, 6, 10, tzinfo=timezone.utc)
    with open_store(db) as store:
        q1, q2 = (c.pk for c in store.cards.all(("demo",)) if c.label in ("demo/q1", "demo/q2"))
        store.log.record(q1, 2, ten_utc, date(2024, 5, 6), 1000)  # new, failed
        # The device clock is then set back an hour: the repeat and the next
        # card are logged after the failure but stamped before it.
        store.log.record(q1, 4, ten_utc - timedelta(minutes=59), date(2024, 5, 6), 1000)
        store.log.record(q2, 5, ten_utc - timedelta(minutes=58), date(2024, 5, 6), 1000)
        store.log.record(q2, 5, ten_utc + timedelta(days=1), date(2024, 5, 7), 1000)
        with store.export.selection(("demo",)) as selection:
            _, logged, _, rows = write_cards(selection, tmp_path, first_card_id=100 - q1)
        q1_state = store.cards.get(q1).state
    base = int(ten_utc.timestamp() * 1000)
    assert logged == 4
    # Each id is the instant of its answer, and the log is taken in time order,
    # as the replay takes it: q1's grade 4, stamped first, was the day's first
    # answer and scheduled the card; the failure stamped after it is a repeat.
    assert [(id_, cid, ease, type_) for id_, cid, ease, _, _, _, _, type_, _ in rows] == [
        (base - 59 * 60_000, 100, 3, 0),
        (base - 58 * 60_000, 100 + q2 - q1, 4, 0),
        (base, 100, 1, 0),
        (base + 86_400_000, 100 + q2 - q1, 4, 1),
    ]
    assert q1_state == sm2.review(sm2.CardState.new(), 4, date(2024, 5, 6))


def test_log_ids_move_a_millisecond_on_only_when_two_answers_share_one(tmp_path, db, deck_file):
    instant = datetime(2024, 5, 6, 10, tzinfo=timezone.utc)
    with open_store(db) as store:
        pks = [c.pk for c in store.cards.all(("demo",))][:3]
        for pk in pks:
            store.log.record(pk, 4, instant, date(2024, 5, 6), 1000)
        store.log.record(pks[0], 4, instant + timedelta(milliseconds=5), date(2024, 5, 6), 1000)
        with store.export.selection(("demo",)) as selection:
            _, logged, _, rows = write_cards(selection, tmp_path)
    base = int(instant.timestamp() * 1000)
    assert [row[0] for row in rows] == [base, base + 1, base + 2, base + 5]


def test_a_deck_synced_by_another_process_during_an_export_is_exported_as_it_is_then(tmp_path, db, deck_file):
    study(db)
    target = tmp_path / "out.apkg"
    with open_store(db) as store, store.export.selection(("demo",)) as selection:
        selection.counts()  # the cards are numbered now
        # Then another process syncs the deck file, which lost q2, before the
        # review log is read: the export sees it, and builds the package again.
        write_deck(deck_file.parent, order=["q1", "letters", "case", "q3"])
        with open_store(db):
            pass
        summary = export.export_package(target, [export.DeckInfo("demo", "Demo")], selection, timestamp=TIMESTAMP, with_progress=True)
    assert summary.notes == 4
    assert guid("q2") not in Package(target, tmp_path).notes()
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no temporary file left


def test_a_deck_synced_during_every_attempt_stops_the_export_cleanly(tmp_path, db, deck_file, monkeypatch):
    study(db)
    target = tmp_path / "out.apkg"
    attempts = []

    def changing(self):
        attempts.append(1)
        return (-1, -1)  # never what the review log's reader saw

    monkeypatch.setattr(ExportSelection, "fingerprint", changing)
    with open_store(db) as store, store.export.selection(("demo",)) as selection:
        with pytest.raises(export.ExportError, match="the cards changed while the export ran"):
            export.export_package(target, [export.DeckInfo("demo", "Demo")], selection, timestamp=TIMESTAMP, with_progress=True)
    assert len(attempts) == export.ATTEMPTS
    assert not target.exists()
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no temporary file left


def test_exporting_writes_nothing_to_the_database(tmp_path, db, deck_file):
    study(db)
    with open_store(db) as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = {path.name: path.read_bytes() for path in db.parent.iterdir()}
    with Store.open(db) as store:
        export.export_from_store(store, tmp_path / "out.apkg", deck_ids=("demo",), with_progress=True, timestamp=TIMESTAMP)
        export.export_from_store(store, tmp_path / "out.apkg", tags=("order",), with_progress=True, timestamp=TIMESTAMP)
    assert {path.name: path.read_bytes() for path in db.parent.iterdir()} == files


def genanki_collection(path: Path) -> None:
    """An empty Anki collection as genanki creates it."""
    conn = sqlite3.connect(path)
    genanki.Package([]).write_to_db(conn.cursor(), TIMESTAMP, iter(()))
    conn.commit()
    conn.close()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_note_guid_is_genanki_guid_of_deck_id_and_card_id(deck_id, card_id):
    from osteo_learn.core.guid import BASE91

    assert list(BASE91) == genanki.util.BASE91_TABLE
    assert notes.note_guid(deck_id, card_id) == genanki.guid_for(deck_id, card_id)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_text_html_escapes_and_drops_control_characters(text):
    expected = html.escape(core_text.clean(text)).replace("\r\n", "\n").replace("\n", "<br>")
    assert notes.text_html(text) == expected


# -- the package -----------------------------------------------------------


def test_package_is_a_zip_of_a_collection_and_an_empty_media_list(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    assert package.names == ["collection.anki2", "media"]
    assert json.loads(package.media) == {}


def test_one_note_per_entry_with_the_note_type_of_its_kind(tmp_path, db, deck_file):
    summary = export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    notes = package.notes()
    assert set(notes) == {guid(card_id) for card_id in ORDER}
    assert {card_id: notes[guid(card_id)]["mid"] for card_id in ORDER} == {
        "q1": anki_models.BASIC_MODEL_ID,
        "q2": anki_models.BASIC_MODEL_ID,
        "letters": anki_models.CLOZE_MODEL_ID,
        "case": anki_models.VIGNETTE_MODEL_ID,
        "q3": anki_models.BASIC_MODEL_ID,
    }
    assert (summary.notes, summary.card_total) == (5, 6)
    assert {str(kind): n for kind, n in summary.cards.items()} == {"basic": 3, "cloze": 2, "vignette": 1}


def test_notes_and_cards_are_the_rows_genanki_writes_for_the_same_notes(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    collection = tmp_path / "genanki.anki2"
    genanki_collection(collection)
    conn = sqlite3.connect(collection)
    models, anki_deck, first = anki_models.models(), anki_models.deck_id("demo"), int(TIMESTAMP * 1000)
    with open_store(db) as store:
        entries: dict[str, list] = {}
        for stored in store.cards.all(("demo",)):
            entries.setdefault(stored.card_id, []).append(stored)
    # Given the export's ids (notes numbered on from the export time, cards
    # counted on from it by their key in the store), genanki writes exactly
    # the export's rows.
    cards_before = 0
    for number, siblings in enumerate(entries.values()):
        card = siblings[0].card
        note = genanki.Note(
            models[card.kind],
            notes.note_fields(card),
            tags=notes.note_tags("demo", card),
            guid=notes.note_guid("demo", card.id),
            due=number,
        )
        ids = iter([first + number, *(first + stored.pk for stored in siblings)])
        note.write_to_db(conn.cursor(), TIMESTAMP, anki_deck, ids)
        cards_before += len(siblings)
    for table in ("notes", "cards"):
        expected = conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        assert package.conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() == expected, table
    assert cards_before == 6
    conn.close()


def test_note_types_have_fixed_ids_names_and_fields(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    models = Package(tmp_path / "out.apkg", tmp_path).col()["models"]
    found = {int(mid): (m["name"], [f["name"] for f in m["flds"]], m["type"]) for mid, m in models.items()}
    assert found == {
        1459574010: ("Osteo Learn Basic", ["Front", "Back", "Source"], 0),
        2013311197: ("Osteo Learn Cloze", ["Text", "Extra", "Source"], 1),
        1387262961: ("Osteo Learn Vignette", ["Case", "Question", "Options", "Answer", "Explanation", "Source"], 0),
    }


def test_each_cloze_deletion_is_one_card_of_one_note(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    assert [card["ord"] for card in package.cards(guid("letters"))] == [0, 1]
    assert [card["ord"] for card in package.cards(guid("q1"))] == [0]


def test_guid_derives_from_deck_id_and_card_id_not_from_text(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    fields = Package(tmp_path / "out.apkg", tmp_path).notes()[guid("q1")]["fields"]
    assert fields[0] == "Which letter comes first?"
    assert guid("q1") == notes.note_guid("demo", "q1") != genanki.guid_for(*fields)


def test_fields_hold_the_card_text_and_its_source(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    notes = Package(tmp_path / "out.apkg", tmp_path).notes()
    assert notes[guid("q2")]["fields"] == ["Which letter follows alpha?", "Beta.", "Beta follows alpha."]
    assert notes[guid("letters")]["fields"] == [
        "{{c1::Gamma}} is third; {{c2::delta::a letter}} is fourth.",
        "Greek letters.",
        "Gamma is third; delta is fourth.",
    ]


def test_plain_text_is_escaped_so_no_card_carries_markup(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    case, question, options, answer_field, explanation, source = (
        Package(tmp_path / "out.apkg", tmp_path).notes()[guid("case")]["fields"]
    )
    assert case == "A 70-year-old with numbness.<br>She takes &lt;script&gt;alert(1)&lt;/script&gt; daily."
    assert question == "Which dose is &lt;b&gt;safe&lt;/b&gt; &amp; why?"
    assert explanation == "Between 1 &amp; 5 mg: &lt;i&gt;see&lt;/i&gt; the text."
    assert source == "Dosing &lt; 5 mg &amp; &gt; 1 mg is &lt;b&gt;bold&lt;/b&gt;."
    assert answer_field == "B. &gt; 1 mg &amp; &lt; 5 mg"
    assert options == (
        '<ol class="ol-options"><li>&lt; 5 mg</li>'
        '<li class="ol-correct">&gt; 1 mg &amp; &lt; 5 mg</li><li>None</li><li>Any</li></ol>'
    )


def test_tags_are_hierarchical_with_deck_kind_and_card_tags(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    notes = Package(tmp_path / "out.apkg", tmp_path).notes()
    assert sorted(notes[guid("q1")]["tags"]) == [
        "osteo::deck::demo",
        "osteo::kind::basic",
        "osteo::tag::greek",
        "osteo::tag::order",
    ]
    assert sorted(notes[guid("case")]["tags"]) == ["osteo::deck::demo", "osteo::kind::vignette", "osteo::tag::demo-cases"]


def test_deck_is_named_under_the_common_parent_with_a_stable_id(tmp_path, db, deck_file):
    export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    names = {int(did): deck["name"] for did, deck in package.col()["decks"].items()}
    demo_id = anki_models.deck_id("demo")
    assert names[demo_id] == "Osteo Learn::Demo &lt;deck&gt; &amp; co"  # {{Deck}} puts it into a card as it is
    assert names[anki_models.PARENT_DECK_ID] == "Osteo Learn"
    assert demo_id == anki_models.deck_id("demo") and 2**30 <= demo_id < 2**31
    assert {card["did"] for card_id in ORDER for card in package.cards(guid(card_id))} == {demo_id}


def test_a_title_with_anki_level_separator_stays_one_deck_under_the_parent():
    assert anki_models.deck_name("Spine::Nerves  and  bones") == "Osteo Learn::Spine: Nerves and bones"


def test_new_card_order_follows_the_deck_order(tmp_path, db, deck_file):
    write_deck(deck_file.parent, order=["q3", "case", "letters", "q2", "q1"])
    export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    positions = [card["due"] for card_id in ["q3", "case", "letters", "q2", "q1"] for card in package.cards(guid(card_id))]
    assert positions == [0, 1, 2, 2, 3, 4]


def test_without_progress_every_card_is_new_and_there_is_no_review_log(tmp_path, db, deck_file):
    study(db)
    export_to(db, tmp_path / "out.apkg")
    package = Package(tmp_path / "out.apkg", tmp_path)
    cards = [card for card_id in ORDER for card in package.cards(guid(card_id))]
    assert {(card["type"], card["queue"], card["ivl"], card["reps"]) for card in cards} == {(0, 0, 0, 0)}
    assert package.conn.execute("SELECT count(*) FROM revlog").fetchone() == (0,)


def test_with_progress_reviewed_cards_carry_interval_ease_due_reps_and_lapses(tmp_path, db, deck_file):
    study(db)
    summary = export_to(db, tmp_path / "out.apkg", with_progress=True)
    package = Package(tmp_path / "out.apkg", tmp_path)
    col = package.col()
    assert (col["conf"]["schedVer"], col["conf"]["creationOffset"], col["conf"]["rollover"]) == (2, 0, 4)
    creation_day = datetime.fromtimestamp(col["crt"], timezone.utc).date()
    with open_store(db) as store:
        stored = {card.label: card for card in store.cards.all(("demo",))}
    checked = 0
    for card_id in ORDER:
        for card in package.cards(guid(card_id)):
            label = f"demo/{card_id}" + (f" c{card['ord'] + 1}" if card_id == "letters" else "")
            state = stored[label].state
            if state.due is None:
                assert (card["type"], card["queue"], card["reps"]) == (0, 0, 0), label
                continue
            checked += 1
            assert (card["type"], card["queue"]) == (2, 2), label
            assert creation_day + timedelta(days=card["due"]) == state.due, label
            assert (card["ivl"], card["factor"], card["reps"], card["lapses"]) == (
                state.interval,
                state.ease * 10,
                state.repetitions,
                state.lapses,
            ), label
    assert checked == summary.reviewed == 4
    # Worked example, letters c2: 3 (EF 2.5 -> 2.36), pass; 1 on D1 is a lapse
    # (repetitions reset, EF kept); 4 on D2: first success again, 1 day, EF 2.36.
    c2 = package.cards(guid("letters"))[1]
    assert (c2["ivl"], c2["factor"], c2["reps"], c2["lapses"]) == (1, 2360, 1, 1)


def test_with_progress_review_log_maps_grades_to_buttons_and_leaves_out_undone_answers(tmp_path, db, deck_file):
    study(db)
    summary = export_to(db, tmp_path / "out.apkg", with_progress=True)
    package = Package(tmp_path / "out.apkg", tmp_path)
    with open_store(db) as store:
        new_by_key = {card.label: card for card in store.cards.all(("demo",))}
        logs = {label: [r for r in store.log.entries(card.pk) if r.undone_at is None] for label, card in new_by_key.items()}
    found = {}
    for card_id in ORDER:
        for card in package.cards(guid(card_id)):
            rows = package.revlog(card["id"])
            if rows:
                found[(card_id, card["ord"])] = [(kind, ease) for _, ease, _, _, _, _, kind in rows]
            label = f"demo/{card_id}" + (f" c{card['ord'] + 1}" if card_id == "letters" else "")
            for row, review in zip(rows, logs[label], strict=True):
                entry_id, _, ivl, _, factor, taken, _ = row
                assert entry_id == int(datetime.fromisoformat(review.reviewed_at).timestamp() * 1000)
                assert (ivl, factor, taken) == (review.after.interval, review.after.ease * 10, review.duration_ms)
    assert found == EXPECTED_LOG
    assert summary.revlog == sum(len(rows) for rows in EXPECTED_LOG.values()) == 15
    # q1's intervals after each answer and before it: 5 new -> 1 day (EF 2.6);
    # 4 -> 6 days (EF 2.6); 3 -> ceil(6 x 2.6) = 16 days; the repeat keeps 16.
    q1 = package.revlog(package.cards(guid("q1"))[0]["id"])
    assert [(ivl, last) for _, _, ivl, last, _, _, _ in q1] == [(1, 0), (6, 1), (16, 6), (16, 16)]


def test_answers_in_the_same_millisecond_get_distinct_log_ids(tmp_path, db, deck_file):
    with open_store(db) as store:
        for label in ("demo/q1", "demo/q2", "demo/q3"):
            answer(store, label, 5, D0)
    export_to(db, tmp_path / "out.apkg", with_progress=True)
    package = Package(tmp_path / "out.apkg", tmp_path)
    ids = [row[0] for row in package.conn.execute("SELECT id FROM revlog ORDER BY id")]
    first = int(noon(D0).timestamp() * 1000)
    assert ids == [first, first + 1, first + 2]


def test_retired_cards_are_not_exported(tmp_path, db, deck_file):
    write_deck(deck_file.parent, order=["q1", "letters", "case", "q3"])
    export_to(db, tmp_path / "out.apkg")
    assert guid("q2") not in Package(tmp_path / "out.apkg", tmp_path).notes()


def test_exporting_twice_with_an_edit_keeps_guids_and_note_type_ids(tmp_path, db, deck_file):
    export_to(db, tmp_path / "first.apkg")
    write_deck(deck_file.parent, front="before all the others")
    export_to(db, tmp_path / "second.apkg", timestamp=TIMESTAMP + 3600)
    first = Package(tmp_path / "first.apkg", tmp_path).notes()
    second = Package(tmp_path / "second.apkg", tmp_path).notes()
    assert set(first) == set(second)
    assert {g: n["mid"] for g, n in first.items()} == {g: n["mid"] for g, n in second.items()}
    assert second[guid("q1")]["fields"][0] == "Which letter comes before all the others?"
    assert second[guid("q1")]["mod"] > first[guid("q1")]["mod"]


def test_same_input_and_timestamp_give_the_same_package(tmp_path, db, deck_file):
    study(db)
    export_to(db, tmp_path / "a.apkg", with_progress=True)
    export_to(db, tmp_path / "b.apkg", with_progress=True)
    assert (tmp_path / "a.apkg").read_bytes() == (tmp_path / "b.apkg").read_bytes()


def test_an_existing_file_is_replaced_only_by_a_complete_package(tmp_path, db, deck_file):
    target = tmp_path / "out" / "demo.apkg"
    target.parent.mkdir()
    target.write_bytes(b"the previous package")
    with open_store(db) as store, store.export.selection(("demo",)) as selection:
        # A card whose deck is not among the decks fails half-way through writing.
        with pytest.raises(KeyError):
            export.export_package(target, [], selection, timestamp=TIMESTAMP)
        assert target.read_bytes() == b"the previous package"
        assert os.listdir(target.parent) == ["demo.apkg"]
        export.export_package(target, [export.DeckInfo("demo", "Demo")], selection, timestamp=TIMESTAMP)
    assert zipfile.is_zipfile(target)
    assert os.listdir(target.parent) == ["demo.apkg"]


# -- the command -------------------------------------------------------------


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args))
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args))
    finally:
        os.chdir(previous)


def test_ctrl_c_while_the_notes_are_written_exits_130_and_leaves_the_old_file(tmp_path, db, deck_file, monkeypatch):
    study(db)
    target = tmp_path / "out" / "demo.apkg"
    target.parent.mkdir()
    target.write_bytes(b"the previous package")
    written = collection._write_notes

    def interrupted(*args):
        written(*args)  # the review log is being written on the other thread meanwhile
        raise KeyboardInterrupt

    monkeypatch.setattr(collection, "_write_notes", interrupted)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    result = CliRunner().invoke(cli, ["export", "--db", str(db), "--deck", "demo", "-o", str(target), "--with-progress"])
    assert result.exit_code == 130, result.output
    assert result.output == "Interrupted; nothing was left half done.\n"
    assert target.read_bytes() == b"the previous package"
    assert os.listdir(target.parent) == ["demo.apkg"]
    assert os.listdir(temporary) == []


def test_export_command_writes_a_file_named_after_the_deck_and_says_how_to_import(tmp_path, db, deck_file):
    study(db)
    here = tmp_path / "here"
    here.mkdir()
    result = run("export", "--db", str(db), "--deck", "demo", "--with-progress", cwd=here)
    assert result.exit_code == 0, result.output
    size = (here / "demo.apkg").stat().st_size
    lines = result.output.splitlines()
    assert re.fullmatch(
        r"Wrote demo\.apkg \(\d+\.\d KiB\): 1 deck, 5 notes, 6 cards \(3 basic, 2 cloze, 1 vignette\)\.", lines[0]
    )
    assert f"{size / 1024:.1f} KiB" in lines[0]
    assert lines[1] == (
        "Progress: 4 reviewed cards with their schedule, 15 answers in the review history; 2 cards arrive as new."
    )
    assert 'tick "Import any learning progress"' in lines[2]


def test_the_summary_says_one_of_each_in_the_singular():
    summary = export.ExportSummary(Path("one.apkg"), decks=1, notes=1, reviewed=1, revlog=1, size=2048, with_progress=True)
    summary.cards[Kind.BASIC] = 2
    lines = export.summary_lines(summary)
    assert lines[0] == "Wrote one.apkg (2.0 KiB): 1 deck, 1 note, 2 cards (2 basic)."
    assert lines[1] == "Progress: 1 reviewed card with its schedule, 1 answer in the review history; 1 card arrives as new."


def test_export_command_output_option_and_tag_filter(tmp_path, db, deck_file):
    out = tmp_path / "phone.apkg"
    result = run("export", "--db", str(db), "--tag", "demo-cases", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "1 deck, 1 note, 1 card (1 vignette)" in result.output
    assert "Progress: not included" in result.output
    assert set(Package(out, tmp_path).notes()) == {guid("case")}


def test_export_command_replaces_an_existing_package(tmp_path, db, deck_file):
    out = tmp_path / "demo.apkg"
    out.write_bytes(b"old")
    result = run("export", "--db", str(db), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out)


def test_export_command_unknown_deck_exits_1(tmp_path, db, deck_file):
    result = run("export", "--db", str(db), "--deck", "nope", "-o", str(tmp_path / "x.apkg"))
    assert result.exit_code == 1
    assert "Error: no deck 'nope'" in result.output
    assert not (tmp_path / "x.apkg").exists()


def test_export_command_tag_without_cards_exits_1(tmp_path, db, deck_file):
    result = run("export", "--db", str(db), "--tag", "nope", "-o", str(tmp_path / "x.apkg"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: no tag 'nope' (tags: demo-cases, diagnosis, greek, mechanism, order,")
    result = run("export", "--db", str(db), "--tag", "demo-cases", "--tag", "nope", "-o", str(tmp_path / "x.apkg"))
    assert result.exit_code == 1 and "no tag 'nope'" in result.output


def test_export_command_missing_folder_exits_1(tmp_path, db, deck_file):
    target = tmp_path / "missing" / "x.apkg"
    result = run("export", "--db", str(db), "-o", str(target))
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {target}: the folder {target.parent} does not exist\n"


def test_export_command_unwritable_folder_exits_1(tmp_path, db, deck_file):
    if os.geteuid() == 0:
        folder = Path("/sys")  # refuses new files even to root
        why = "Operation not permitted"  # what /sys says to the folder the package is built in
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        why = "Permission denied"
    result = run("export", "--db", str(db), "-o", str(folder / "x.apkg"))
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write to the folder {folder}: {why}\n"


def test_export_command_folder_as_output_exits_1(tmp_path, db, deck_file):
    folder = tmp_path / "taken.apkg"
    folder.mkdir()
    result = run("export", "--db", str(db), "-o", str(folder))
    assert result.exit_code == 1
    assert result.output == f"Error: {folder} is a folder; give the path of the .apkg file to write\n"


def test_export_command_output_must_end_in_apkg(tmp_path, db, deck_file):
    result = run("export", "--db", str(db), "-o", str(tmp_path / "x.zip"))
    assert result.exit_code == 2
    assert "must end in .apkg" in result.output


# -- a real Anki collection --------------------------------------------------


def import_into(collection: Collection, path: Path, *, with_scheduling: bool):
    request = ImportAnkiPackageRequest(
        package_path=str(path), options=ImportAnkiPackageOptions(with_scheduling=with_scheduling)
    )
    return collection.import_anki_package(request).log


def anki_due_date(collection: Collection, due: int) -> date:
    """The calendar date of a review card's due day in Anki (rollover 4 a.m., local time)."""
    today = days.study_day(datetime.now().astimezone(), 4)
    return today + timedelta(days=due - collection.sched.today)


def visible_text(rendered: str) -> str:
    without_style = re.sub(r"<style>.*?</style>", "", rendered, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", "", without_style).strip()


def test_package_imports_into_anki_with_every_card_rendering_a_front(tmp_path, db, deck_file, anki):
    export_to(db, tmp_path / "out.apkg", timestamp=datetime.now().timestamp())
    log = import_into(anki, tmp_path / "out.apkg", with_scheduling=False)
    assert (len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting)) == (5, 0, 0, 0)
    card_ids = anki.find_cards("deck:\"Osteo Learn::Demo &lt;deck&gt; &amp; co\"")
    assert len(card_ids) == 6
    assert not anki.get_empty_cards().notes
    for card_id in card_ids:
        card = anki.get_card(card_id)
        question, answer_html = card.question(), card.answer()
        for side in (question, answer_html):
            assert "template has a problem" not in side and "is blank" not in side
        assert visible_text(question)
    case = anki.get_card(anki.find_cards("tag:osteo::kind::vignette")[0])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in case.question() and "<script>" not in case.question()
    assert '<li class="ol-correct">&gt; 1 mg &amp; &lt; 5 mg</li>' in case.answer()
    assert "Answer: B. &gt; 1 mg &amp; &lt; 5 mg" in case.answer()
    cloze = anki.get_card(anki.find_cards("tag:osteo::kind::cloze card:2")[0])
    assert "[a letter]" in cloze.question()


def test_progress_imports_into_anki_with_every_reviewed_card_due_on_the_same_date(tmp_path, db, deck_file, anki):
    study(db)
    export_to(db, tmp_path / "out.apkg", with_progress=True, timestamp=datetime.now().timestamp())
    import_into(anki, tmp_path / "out.apkg", with_scheduling=True)
    with open_store(db) as store:
        stored = store.cards.all(("demo",))
    reviewed = 0
    for card in stored:
        nid = anki.db.scalar("SELECT id FROM notes WHERE guid = ?", guid(card.card.id))
        ord_ = card.ordinal - 1 if card.card.kind == "cloze" else 0
        ctype, queue, due, ivl, factor, reps, lapses = anki.db.first(
            "SELECT type, queue, due, ivl, factor, reps, lapses FROM cards WHERE nid = ? AND ord = ?", nid, ord_
        )
        state = card.state
        if state.due is None:
            assert (ctype, queue) == (0, 0), card.label
            continue
        reviewed += 1
        assert (ctype, queue) == (2, 2), card.label
        assert anki_due_date(anki, due) == state.due, card.label
        assert (ivl, factor, reps, lapses) == (state.interval, state.ease * 10, state.repetitions, state.lapses)
    assert reviewed == 4
    # The log in time order: D0 six first answers and repeats (Learn), D1
    # four reviews and c2's repeat after its lapse (Relearn), D2 two reviews,
    # D7 q1's review and its repeat (Relearn).
    assert anki.db.list("SELECT type FROM revlog ORDER BY id") == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 1, 1, 1, 2]


def test_importing_an_edited_export_again_updates_notes_without_duplicates(tmp_path, db, deck_file, anki):
    now = datetime.now().timestamp()
    study(db)
    export_to(db, tmp_path / "first.apkg", with_progress=True, timestamp=now - 60)
    import_into(anki, tmp_path / "first.apkg", with_scheduling=True)
    write_deck(deck_file.parent, front="before all the others")
    export_to(db, tmp_path / "second.apkg", with_progress=True, timestamp=now)
    log = import_into(anki, tmp_path / "second.apkg", with_scheduling=True)
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 5, 0)
    assert anki.note_count() == 5 and anki.card_count() == 6
    assert anki.db.scalar("SELECT count(*) FROM revlog") == 15
    assert anki.db.scalar("SELECT count(*) FROM notetypes WHERE name LIKE 'Osteo Learn%'") == 3
    q1 = anki.get_note(anki.db.scalar("SELECT id FROM notes WHERE guid = ?", guid("q1")))
    assert q1["Front"] == "Which letter comes before all the others?"
