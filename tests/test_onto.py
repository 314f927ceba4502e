"""export --onto: the phone's collection (the real Anki, tests/phone.py) written back with the desk's schedule."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from osteo_learn.anki import package_reader
from osteo_learn.anki.package_reader import open_package
from osteo_learn.commands.cli import cli
from osteo_learn.core import sm2
from osteo_learn.store import Store
from phone import Phone, fortnight
from test_import_reviews import PHONE_FIRST, database_bytes, desk_study, export_to_phone, make_desk
from test_phone import LABELS

PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
DEMO = [label for label in LABELS if label != "demo/q3"]  # q3's note is deleted on the phone


@dataclass
class Trip:
    phone: Phone
    db: Path
    exported: Path  # the phone's collection, version 3
    legacy: Path  # the same, version 2
    now: datetime
    desk: list


def run(db: Path, *args: str, now: datetime):
    return CliRunner().invoke(cli, [*args, "--db", str(db)], env={"OSTEO_LEARN_NOW": now.isoformat()})


@pytest.fixture(scope="module")
def trip(tmp_path_factory) -> Trip:
    folder = tmp_path_factory.mktemp("trip")
    phone = Phone(folder)
    db = make_desk(folder, phone)
    desk: list = []
    d0 = phone.created
    desk_study(db, phone, [("demo/q1", d0, 1, 4)], desk)
    phone.import_package(export_to_phone(db, phone))
    phone.name_cards(LABELS)
    picture = phone.col.media.write_data("picture.png", PICTURE)
    fortnight(phone, PHONE_FIRST)
    note = phone.col.get_note(phone.card("other/hola").nid)
    note["Back"] = f'hello <img src="{picture}">'
    phone.col.update_note(note)
    # The desk studies too, on the fortnight's last day, after the phone.
    desk_study(db, phone, [("demo/q1", phone.today, 12, 5), ("demo/letters c1", phone.today, 12.5, 2), ("demo/q2", phone.today, 13, 4)], desk)
    exported = phone.export("colpkg")
    legacy = phone.export("colpkg", legacy=True)
    yield Trip(phone, db, exported, legacy, phone.now + timedelta(hours=6), desk)
    phone.close()


@pytest.fixture
def written(trip, tmp_path):
    """The desk's copy of the database, and the phone's collection written onto by it."""
    db = tmp_path / "study.db"
    shutil.copyfile(trip.db, db)
    out = tmp_path / "for-phone.colpkg"
    result = run(db, "export", "--onto", str(trip.exported), "-o", str(out), now=trip.now)
    assert result.exit_code == 0, result.output
    return db, out, result.output


def tables(path: Path) -> dict[str, list[tuple]]:
    with open_package(path) as package:
        conn = package.conn
        names = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(conn.execute(f"SELECT * FROM \"{name}\"").fetchall(), key=repr) for name in names}


def our_card_ids(trip: Trip) -> set[int]:
    return {trip.phone.card_id(label) for label in DEMO}


def test_it_merges_first_and_says_what_importing_the_copy_means(written):
    _, out, output = written
    lines = output.splitlines()
    assert lines[0].startswith("Read ") and "a whole collection (.colpkg), package version 3." in lines[0]
    wrote = next(line for line in lines if line.startswith("Wrote "))
    assert wrote.startswith(f"Wrote {out} (") and "4 of your cards on the desk's schedule" in wrote
    assert "3 desk answers added to Anki's review history; everything else as it was on the phone." in wrote
    text = output.replace("\n", " ")
    assert "REPLACES the whole collection on the phone" in text
    assert "Study nothing on the phone between its export and this import" in text
    assert "AnkiWeb will then ask for a one-way sync" in text
    assert "If you use FSRS:" in text


def test_everything_but_our_cards_and_the_added_answers_is_as_the_phone_wrote_it(trip, written):
    _, out, _ = written
    before, after = tables(trip.exported), tables(out)
    assert before.keys() == after.keys()
    for name in before:
        if name not in ("cards", "revlog"):
            assert after[name] == before[name], name
    ours = our_card_ids(trip)
    assert [row for row in after["cards"] if row[0] not in ours] == [row for row in before["cards"] if row[0] not in ours]
    assert set(before["revlog"]) <= set(after["revlog"])
    added = set(after["revlog"]) - set(before["revlog"])
    assert {row[1] for row in added} <= ours and len(added) == 3
    with zipfile.ZipFile(out) as package:
        assert package.read("meta") == b"\x08\x02"
        media = json.loads(package.read("media"))
        assert list(media.values()) == ["picture.png"]
        assert package.read(next(iter(media))) == PICTURE
        assert package.getinfo("collection.anki21").compress_type == zipfile.ZIP_DEFLATED
    with open_package(out) as package:
        assert (package.kind, package.version, package.schema) == ("colpkg", 2, 18)


def test_imported_into_anki_every_card_is_due_on_the_desks_day_and_every_answer_is_kept(trip, written, tmp_path):
    db, out, _ = written
    phone = Phone(tmp_path, start=trip.phone.created, day_start_hour=trip.phone.day_start_hour)
    try:
        # The phone as it was when it exported, then File > Import of the copy.
        phone.go_to(trip.phone.today)
        phone.import_collection(trip.exported)
        phone.name_cards(LABELS)
        rows_before = phone.revlog()
        other = trip.phone.card_id("other/hola")  # the same collection: the same ids
        other_before = phone.card(other).due, phone.card(other).ivl
        phone.import_collection(out)
        with Store.open(db) as store:
            states = {card.label: card.state for card in store.cards.all(("demo",))}
        for label in DEMO:
            state = states[label]
            if isinstance(state, sm2.NewCard):
                assert phone.card(label).type == 0, label
            else:
                card = phone.card(label)
                assert (card.type, card.queue, card.ivl, card.factor) == (2, 2, state.interval, state.ease * 10), label
                assert phone.due_day(label) == state.due, label
        rows_after = phone.revlog()
        assert set(rows_before) <= set(rows_after) and len(rows_after) == len(rows_before) + 3
        for label, ms, _day, grade in trip.desk[1:]:
            mine = [row for row in rows_after if row[1] == phone.card_id(label) and ms <= row[0] < ms + 1000]
            assert [(row[2], row[7] in (0, 1, 2)) for row in mine] == [(1 if grade < 3 else grade - 1, True)], label
        assert (phone.card(other).due, phone.card(other).ivl) == other_before
        # Anki's Check Database finds nothing to fix (each card's last review time is its last answer).
        assert phone.col.fix_integrity() == ("Database rebuilt and optimized.", True)
        assert (Path(phone.folder) / "collection.media" / "picture.png").read_bytes() == PICTURE
    finally:
        phone.close()


def test_the_legacy_collection_gives_the_same_copy(trip, written, tmp_path):
    db = tmp_path / "legacy.db"
    shutil.copyfile(trip.db, db)
    out = tmp_path / "legacy-for-phone.colpkg"
    result = run(db, "export", "--onto", str(trip.legacy), "-o", str(out), now=trip.now)
    assert result.exit_code == 0, result.output
    _, reference, _ = written
    ours = our_card_ids(trip)
    columns = "id, type, queue, due, ivl, factor, reps, lapses"
    with open_package(out) as package, open_package(reference) as other:
        assert package.schema == 11
        left = sorted(row for row in package.conn.execute(f"SELECT {columns} FROM cards") if row[0] in ours)
        right = sorted(row for row in other.conn.execute(f"SELECT {columns} FROM cards") if row[0] in ours)
        assert left == right
        revlog = "SELECT id, cid, ease, ivl, lastIvl, factor, type FROM revlog ORDER BY id"
        assert package.conn.execute(revlog).fetchall() == other.conn.execute(revlog).fetchall()


def test_writing_onto_again_adds_nothing_twice(trip, written, tmp_path):
    db, out, _ = written
    again = tmp_path / "again.colpkg"
    before = database_bytes(db)
    result = run(db, "export", "--onto", str(out), "-o", str(again), now=trip.now)
    assert result.exit_code == 0, result.output
    assert "0 merged" in result.output and "0 desk answers added" in result.output
    assert database_bytes(db) == before
    assert tables(again)["revlog"] == tables(out)["revlog"]


# -- refused ------------------------------------------------------------------------------


def test_a_deck_package_is_refused(trip, tmp_path):
    db = tmp_path / "study.db"
    shutil.copyfile(trip.db, db)
    deck = trip.phone.export("apkg")
    before = database_bytes(db)
    result = run(db, "export", "--onto", str(deck), "-o", str(tmp_path / "out.colpkg"), now=trip.now)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {deck} is a deck package, not the phone's whole collection: only a whole collection can give"
        ' Anki a new schedule for cards it has. Export "Anki Collection Package (.colpkg)" from Anki (desktop:'
        " File > Export; AnkiDroid: menu > Export collection) and run this again; nothing was written\n"
    )
    assert database_bytes(db) == before and not (tmp_path / "out.colpkg").exists()


def test_a_collection_older_than_the_answers_imported_from_anki_is_refused(trip, tmp_path):
    db = tmp_path / "study.db"
    shutil.copyfile(trip.db, db)
    phone = Phone(tmp_path, start=trip.phone.created, day_start_hour=trip.phone.day_start_hour)
    try:
        phone.import_package(export_to_phone(db, phone))
        phone.name_cards(LABELS)
        phone.study(default="good")
        older = phone.export("colpkg")
        phone.study_day(phone.today + timedelta(days=1), default="good")
        newer = phone.export("colpkg")
    finally:
        phone.close()
    assert run(db, "import-reviews", str(newer), now=trip.now).exit_code == 0
    before = database_bytes(db)
    result = run(db, "export", "--onto", str(older), "-o", str(tmp_path / "out.colpkg"), now=trip.now)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {older} is older than the answers already imported from Anki: the newest, given on ")
    assert result.output.endswith(", is not in it. Export the collection from the phone again (desktop: File > Export; AnkiDroid: menu > Export collection) and use that file; nothing was written\n")
    assert database_bytes(db) == before and not (tmp_path / "out.colpkg").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "{tmp}/out.apkg"], "Invalid value for -o: '{tmp}/out.apkg' must end in .colpkg (Anki replaces the collection only with a file of that name)"),
        ([], "Error: --onto needs -o FOR-PHONE.colpkg, the file to write"),
        (["-o", "{tmp}/out.colpkg", "--deck", "demo"], "Error: --onto writes the whole collection with all your cards: it takes no --deck, --tag or --with-progress"),
        (["-o", "{phone}"], "Invalid value for -o: '{phone}' is the phone's file {phone}; the package would replace it. Give another path"),
        (["-o", "{db}"], "Invalid value for -o: '{db}' is the database {db}; the package would replace it. Give another path"),
    ],
)
def test_wrong_arguments_exit_2_and_write_nothing(trip, tmp_path, args, message):
    db = tmp_path / "study.colpkg"  # a database whose name would pass as a package's
    shutil.copyfile(trip.db, db)
    phone = tmp_path / "phone.colpkg"
    shutil.copyfile(trip.exported, phone)
    before, phone_before = database_bytes(db), phone.read_bytes()
    fill = {"tmp": tmp_path, "phone": phone, "db": db}
    result = run(db, "export", "--onto", str(phone), *(a.format(**fill) for a in args), now=trip.now)
    assert result.exit_code == 2, result.output
    assert message.format(**fill) in result.output
    assert database_bytes(db) == before and phone.read_bytes() == phone_before


def test_under_fsrs_the_memory_state_is_cleared_and_it_says_so(trip, tmp_path):
    db = tmp_path / "study.db"
    shutil.copyfile(trip.db, db)
    fsrs = tmp_path / "fsrs.colpkg"
    with open_package(trip.legacy) as package:
        collection = tmp_path / "collection.anki21"
        shutil.copyfile(package.collection_path, collection)
    conn = sqlite3.connect(collection)
    conn.create_collation("unicase", package_reader.unicase)
    (conf,) = conn.execute("SELECT conf FROM col").fetchone()
    conn.execute("UPDATE col SET conf = ?", (json.dumps({**json.loads(conf), "fsrs": True}),))
    ours = our_card_ids(trip)
    conn.executemany("UPDATE cards SET data = ? WHERE id = ?", [('{"s":3.5,"d":5.0,"dr":0.9}', cid) for cid in ours])
    conn.commit()
    conn.close()
    with zipfile.ZipFile(trip.legacy) as old, zipfile.ZipFile(fsrs, "w") as new:
        for info in old.infolist():
            new.writestr(info, collection.read_bytes() if info.filename == "collection.anki21" else old.read(info))
    out = tmp_path / "out.colpkg"
    result = run(db, "export", "--onto", str(fsrs), "-o", str(out), now=trip.now)
    assert result.exit_code == 0, result.output
    assert "This collection uses FSRS" in result.output
    with open_package(out) as package:
        data = [json.loads(d) for cid, d in package.conn.execute("SELECT id, data FROM cards") if cid in ours]
    assert all("s" not in d and "d" not in d and d["dr"] == 0.9 and d["lrt"] > 0 for d in data)


def test_every_path_may_be_given_relative_to_the_working_folder(trip, tmp_path, monkeypatch):
    shutil.copyfile(trip.db, tmp_path / "study.db")
    shutil.copyfile(trip.exported, tmp_path / "phone.colpkg")
    monkeypatch.chdir(tmp_path)
    db = Path("study.db")
    imported = run(db, "import-reviews", "phone.colpkg", now=trip.now)
    assert imported.exit_code == 0, imported.output
    assert "merged into the review log" in imported.output
    onto = run(db, "export", "--onto", "phone.colpkg", "-o", "for-phone.colpkg", now=trip.now)
    assert onto.exit_code == 0, onto.output
    with open_package(tmp_path / "for-phone.colpkg") as package:
        assert package.kind == "colpkg"
