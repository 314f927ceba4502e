"""import-reviews: answers given on a phone (the real Anki, tests/phone.py) merged into the desk's log.

The story: the desk studies the demo deck and exports it with progress to
the phone; then both study on the days of tests/phone.py's fortnight
(learning steps, an undo, Set Due Date, a cram deck, an early review in a
rescheduling filtered deck, a deleted note, a second deck), sometimes the
same card on the same day; the phone exports in every format.
"""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from osteo_learn.anki import export
from osteo_learn.commands.cli import cli
from osteo_learn.core import sm2
from osteo_learn.store import Store, library
from phone import FILTERED, MANUAL, Phone, fortnight
from test_package_reader import repackage_as_version_1
from test_soundness import damage_a_page
from test_phone import DECK, LABELS, SOURCE

GRADE_OF_BUTTON = {1: 1, 2: 3, 3: 4, 4: 5}
# The fortnight's roles: learning steps, the undo and Set Due Date, the deleted note.
PHONE_FIRST = ["demo/q2", "demo/letters c2", "demo/q3", "demo/q1", "demo/letters c1"]
FORMATS = ["apkg v1", "apkg v2", "apkg v3", "colpkg v2", "colpkg v3"]


@dataclass
class Story:
    phone: Phone
    db: Path  # the desk's database before any import
    desk: list[tuple[str, int, date, int]]  # (label, instant in ms, study day, grade) of every desk answer
    exports: dict[str, Path]
    deleted_card: int  # the phone's card of the deleted note
    now: datetime  # the simulated instant after the story

    def copy(self, folder: Path) -> Path:
        target = folder / "study.db"
        shutil.copyfile(self.db, target)
        return target


def desk_instant(phone: Phone, day: date, hours: float) -> datetime:
    """``hours`` into the study day ``day`` (the phone answers 8 hours in)."""
    return datetime.combine(day, time(phone.day_start_hour)).astimezone() + timedelta(hours=hours)


def desk_study(db: Path, phone: Phone, answers: list[tuple[str, date, float, int]], log: list) -> None:
    """Answers given at the desk: (label, study day, hours into it, grade)."""
    store, _ = library.open_library(db)
    with store:
        pks = {card.label: card.pk for card in store.cards.all(("demo",))}
        for label, day, hours, grade in answers:
            instant = desk_instant(phone, day, hours)
            store.log.record(pks[label], grade, instant, day, 3000)
            log.append((label, int(instant.timestamp() * 1000), day, grade))


def make_desk(folder: Path, phone: Phone) -> Path:
    decks = folder / "decks"
    decks.mkdir()
    (decks / "greek.txt").write_text(SOURCE)
    (decks / "demo.toml").write_text(DECK)
    db = folder / "desk.db"
    store, _ = library.open_library(db)
    with store:
        library.add_deck(store, decks / "demo.toml")
        store.settings.set("day-start-hour", str(phone.day_start_hour))
    return db


def export_to_phone(db: Path, phone: Phone, *, with_progress: bool = True) -> Path:
    path = phone.folder.parent / f"desk-{phone.today}.apkg"
    store, _ = library.open_library(db)
    with store:
        export.export_from_store(
            store, path, deck_ids=("demo",), with_progress=with_progress,
            timestamp=phone.now.timestamp(), day_start_hour=phone.day_start_hour,
        )
    return path


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    folder = tmp_path_factory.mktemp("story")
    phone = Phone(folder)
    db = make_desk(folder, phone)
    d = [phone.created + timedelta(days=n) for n in range(14)]
    desk: list = []
    # Day 0, before the phone: q1 and the first deletion are learned at the
    # desk; q2 failed and repeated. Then the deck goes to the phone with progress.
    desk_study(db, phone, [("demo/q1", d[0], 1, 4), ("demo/letters c1", d[0], 1.5, 5)], desk)
    phone.import_package(export_to_phone(db, phone))
    phone.name_cards(LABELS)
    # Later desk answers: day 1 before the phone studies (the desk's counts),
    # day 2 after it (the phone's counts), day 5 and 9 on days the phone rests.
    desk_study(
        db, phone,
        [("demo/q1", d[1], 2, 5), ("demo/letters c1", d[1], 12, 4), ("demo/letters c2", d[2], 14, 2),
         ("demo/letters c2", d[2], 14.1, 4), ("demo/q1", d[5], 3, 3), ("demo/q2", d[9], 4, 5)],
        desk,
    )
    told = fortnight(phone, PHONE_FIRST)
    exports = {
        "apkg v2": phone.export("apkg", legacy=True),
        "apkg v3": phone.export("apkg"),
        "colpkg v2": phone.export("colpkg", legacy=True),
        "colpkg v3": phone.export("colpkg"),
    }
    exports["apkg v1"] = repackage_as_version_1(exports["apkg v2"], folder / "deck-v1.apkg")
    yield Story(phone, db, desk, exports, told.deleted, phone.now)
    phone.close()


def run(db: Path, *args: str, now: datetime):
    return CliRunner().invoke(cli, [*args, "--db", str(db)], env={"OSTEO_LEARN_NOW": now.isoformat()})


def import_file(db: Path, path: Path, now: datetime, *options: str):
    result = run(db, "import-reviews", str(path), *options, now=now)
    assert result.exit_code == 0, result.output
    return result


def snapshot(db: Path) -> dict:
    """Every card's state and every standing answer as the replay judges it."""
    with Store.open(db) as store:
        cards = {card.pk: card for card in store.cards.all(include_retired=True)}
        return {
            "states": {card.label: card.state for card in cards.values()},
            "log": sorted(
                (cards[r.card_pk].label, r.reviewed_at, r.day, int(r.grade), str(r.kind))
                for r in store.log.entries()
                if r.undone_at is None
            ),
        }


def study_day(phone: Phone, millis: int) -> date:
    return (datetime.fromtimestamp(millis / 1000).astimezone() - timedelta(hours=phone.day_start_hour)).date()


def phone_answers(story: Story, rows=None) -> list[tuple[str, int, date, int]]:
    """The phone's answers read straight from its log, as the issue defines them:
    a button, not a cram row, not the deleted note's card."""
    labels = {story.phone.card_id(label): label for label in LABELS if label != "demo/q3"}
    found = []
    for revlog_id, cid, ease, _ivl, _last, factor, _time, kind in rows if rows is not None else story.phone.revlog():
        if ease == 0 or (kind == FILTERED and factor == 0) or cid not in labels:
            continue
        found.append((labels[cid], revlog_id, study_day(story.phone, revlog_id), GRADE_OF_BUTTON[ease]))
    return found


def independent_replay(answers) -> dict[str, sm2.CardState]:
    """Each card's state from its answers alone: in time order, the first of each study day through SM-2."""
    states = {}
    for label in {a[0] for a in answers}:
        mine = sorted((ms, day, grade) for lab, ms, day, grade in answers if lab == label)
        firsts, seen = [], set()
        for _, day, grade in mine:
            if day not in seen:
                seen.add(day)
                firsts.append((day, grade))
        states[label] = sm2.replay(firsts)
    return states


def database_bytes(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# -- one merged state, whatever the format -------------------------------------------------


def test_the_story_leaves_every_kind_of_row_and_answers_on_both_on_one_day(story):
    rows = story.phone.revlog()
    assert any(row[7] == MANUAL for row in rows) and any(row[7] == FILTERED and row[5] == 0 for row in rows)
    assert any(row[1] == story.deleted_card for row in rows)
    phone_days = {(label, day) for label, _, day, _ in phone_answers(story)}
    both = {(label, day) for label, _, day, _ in story.desk} & phone_days
    assert len(both) >= 2


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_gives_the_same_merged_state_and_every_card_its_independent_replay(story, tmp_path, name):
    db = story.copy(tmp_path)
    import_file(db, story.exports[name], story.now)
    merged = snapshot(db)
    expected = independent_replay(story.desk + phone_answers(story))
    demo = {label: state for label, state in merged["states"].items() if label.startswith("demo/")}
    assert demo == {label: expected.get(label, sm2.CardState.new()) for label in demo}
    # The deleted note's card keeps what the desk knew: its phone answers are left out.
    assert demo["demo/q3"] == sm2.CardState.new()
    reference = tmp_path / "reference"
    reference.mkdir()
    other = story.copy(reference)
    import_file(other, story.exports["colpkg v3"], story.now)
    assert snapshot(other) == merged


def test_the_log_holds_every_answer_once_and_the_cache_equals_the_replay(story, tmp_path):
    db = story.copy(tmp_path)
    import_file(db, story.exports["colpkg v3"], story.now)
    with Store.open(db) as store:
        standing = [r for r in store.log.entries() if r.undone_at is None]
        for card in store.cards.all(include_retired=True):
            assert card.state == store.log.replay(card.pk), card.label
        imported = store.conn.execute("SELECT count(*) FROM anki_answers").fetchone()[0]
    # Every desk answer once, every phone answer the desk did not export once.
    desk_exported = {(label, ms) for label, ms, day, _ in story.desk if day == story.phone.created}
    phone_own = [a for a in phone_answers(story) if (a[0], a[1]) not in desk_exported]
    assert imported == len(phone_own)
    assert len(standing) == len(story.desk) + len(phone_own)


def test_a_desk_answer_the_phone_gave_earlier_that_day_becomes_a_repeat(story, tmp_path):
    db = story.copy(tmp_path)
    import_file(db, story.exports["colpkg v3"], story.now)
    day2 = story.phone.created + timedelta(days=2)
    with Store.open(db) as store:
        pk = next(card.pk for card in store.cards.all() if card.label == "demo/letters c2")
        that_day = [r for r in store.log.entries(pk) if r.day == day2 and r.undone_at is None]
    # The phone answered at 8 hours into day 2, the desk at 14: the desk's two answers are repeats.
    kinds = [(r.kind, r.reviewed_at < that_day[0].reviewed_at) for r in that_day]
    assert [r.kind for r in that_day][0] != "repeat"
    assert [k for k, _ in kinds[1:]] and all(k == "repeat" for k, _ in kinds[1:])
    with sqlite3.connect(db) as conn:
        written = conn.execute(
            "SELECT kind FROM reviews WHERE card = ? AND day = ? AND id NOT IN (SELECT review FROM anki_answers) ORDER BY id",
            (pk, day2.isoformat()),
        ).fetchall()
    # As written at the desk the first was the day's review; the log was not rewritten.
    assert written[0] != ("repeat",)


# -- idempotence ----------------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing_and_writes_nothing(story, tmp_path):
    db = story.copy(tmp_path)
    import_file(db, story.exports["apkg v3"], story.now)
    before = database_bytes(db)
    second = import_file(db, story.exports["apkg v3"], story.now, "--json")
    assert '"merged": 0' in second.output
    assert database_bytes(db) == before
    # And the other formats of the same collection bring nothing new either.
    for name in FORMATS:
        import_file(db, story.exports[name], story.now)
    assert database_bytes(db) == before


def test_answers_the_desk_exported_to_the_phone_are_recognised_not_imported(story, tmp_path):
    db = story.copy(tmp_path)
    result = run(db, "import-reviews", str(story.exports["colpkg v3"]), "--json", now=story.now)
    import json

    counts = json.loads(result.output)
    desk_exported = [a for a in story.desk if a[2] == story.phone.created]
    assert counts["already_known"] == len(desk_exported) == 2
    assert counts["merged"] == counts["answers"] - 2


def test_an_older_file_after_a_newer_adds_nothing(tmp_path):
    phone = Phone(tmp_path)
    db = make_desk(tmp_path, phone)
    phone.import_package(export_to_phone(db, phone, with_progress=False))
    phone.name_cards(LABELS)
    phone.study(default="good")
    older = phone.export("colpkg")
    phone.study_day(phone.today + timedelta(days=1), default="easy")
    newer = phone.export("apkg")
    import_file(db, newer, phone.now)
    merged = snapshot(db)
    before = database_bytes(db)
    result = import_file(db, older, phone.now)
    assert "0 merged" in result.output
    assert database_bytes(db) == before
    # And the other way round gives the same.
    other = tmp_path / "other"
    other.mkdir()
    db2 = make_desk(other, phone)
    import_file(db2, older, phone.now)
    import_file(db2, newer, phone.now)
    assert snapshot(db2) == merged
    phone.close()


def test_dry_run_says_what_would_be_merged_and_writes_nothing(story, tmp_path):
    db = story.copy(tmp_path)
    before = database_bytes(db)
    dry = import_file(db, story.exports["colpkg v3"], story.now, "--dry-run")
    assert "would be merged" in dry.output and dry.output.rstrip().endswith("Dry run: nothing was written.")
    assert database_bytes(db) == before
    real = import_file(db, story.exports["colpkg v3"], story.now)
    merged_line = next(line for line in real.output.splitlines() if line.startswith("Answers:"))
    assert merged_line == next(line for line in dry.output.splitlines() if line.startswith("Answers:")).replace("would be merged", "merged")


# -- bad files: one line, exit 1, the database byte for byte as it was -----------------------

EXPORT_AGAIN = "export it from Anki again (desktop: File > Export; AnkiDroid: menu > Export)"


def rewrite(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = replace.get(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info, data)
    return target


def zip_of(target: Path, entries: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(target, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return target


def edited(source: Path, entry: str, target: Path, sql: str, *params) -> Path:
    """A copy of a version-2 package whose collection ``sql`` changed."""
    work = target.with_suffix(".sqlite")
    with zipfile.ZipFile(source) as archive:
        work.write_bytes(archive.read(entry))
    conn = sqlite3.connect(work)
    conn.execute(sql, params)
    conn.commit()
    conn.close()
    return rewrite(source, target, {entry: work.read_bytes()})


def no_osteo_notes(folder: Path) -> Path:
    phone = Phone(folder)
    phone.add_note("Spanish", "hola", "hello", label="spanish/hola")
    phone.study(deck="Spanish", default="good")
    path = phone.export("colpkg")
    phone.close()
    return path


def bad_files(story: Story, folder: Path) -> dict[str, tuple[Path, str]]:
    """Each bad file with the start of its message (the path is added in front)."""
    colpkg, apkg = story.exports["colpkg v3"], story.exports["apkg v2"]
    text = folder / "notes.apkg"
    text.write_text("just some notes\n")
    cut = folder / "cut.colpkg"
    cut.write_bytes(colpkg.read_bytes()[: colpkg.stat().st_size // 2])
    desk_apkg = folder / "desk.apkg"
    store, _ = library.open_library(story.copy(folder))
    with store:
        export.export_from_store(store, desk_apkg, deck_ids=("demo",), timestamp=story.now.timestamp())
    damaged = bytearray(desk_apkg.read_bytes())
    with zipfile.ZipFile(desk_apkg) as archive:
        info = archive.getinfo("collection.anki2")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    damaged[start + info.compress_size // 2] ^= 0xFF
    crc = folder / "damaged.apkg"
    crc.write_bytes(bytes(damaged))
    foreign = folder / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    future = int((story.now + timedelta(days=3)).timestamp() * 1000)
    (folder / "none").mkdir()
    return {
        "not a zip": (text, "is not an Anki package (it is not a zip file)"),
        "truncated": (cut, "is incomplete: the zip file ends before its table of contents"),
        "crc": (crc, "is damaged: collection.anki2 fails its integrity check (Bad CRC-32)"),
        "newer meta": (rewrite(colpkg, folder / "new.colpkg", {"meta": b"\x08\x04"}), "was written by a newer Anki (package version 4"),
        "newer schema": (
            edited(apkg, "collection.anki21", folder / "schema19.apkg", "UPDATE col SET ver = 19"),
            "holds a collection of schema 19, newer than 18",
        ),
        "foreign sqlite": (
            zip_of(folder / "foreign.apkg", {"collection.anki2": foreign.read_bytes()}),
            "is not an Anki export: its collection.anki2 is an SQLite database but not an Anki collection",
        ),
        "osteo database": (
            zip_of(folder / "study.zip", {"study.db": story.db.read_bytes()}, zipfile.ZIP_DEFLATED),
            "holds an osteo-learn database (study.db), not a file exported from Anki",
        ),
        "no osteo notes": (no_osteo_notes(folder / "none"), "holds no osteo-learn cards (its 1 note came from elsewhere): export the collection, or the deck"),
        "after tomorrow": (
            edited(apkg, "collection.anki21", folder / "future.apkg", "UPDATE revlog SET id = ? WHERE id = (SELECT max(id) FROM revlog)", future),
            "holds 1 answer dated after tomorrow (the latest on ",
        ),
        "zip bomb": (
            zip_of(folder / "bomb.apkg", {"collection.anki21": bytes(8 << 20)}, zipfile.ZIP_DEFLATED),
            "collection.anki21 unpacks to more than 1 MiB, the most osteo-learn unpacks",
        ),
        "zstd bomb": (
            zip_of(folder / "bomb.colpkg", {"meta": b"\x08\x03", "collection.anki21b": __import__("zstandard").ZstdCompressor(level=19).compress(bytes(64 << 20))}),
            "collection.anki21b unpacks to more than 1 MiB, the most osteo-learn unpacks",
        ),
    }


@pytest.fixture(scope="module")
def bad(story, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    return bad_files(story, tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize(
    "case",
    ["not a zip", "truncated", "crc", "newer meta", "newer schema", "foreign sqlite", "osteo database", "no osteo notes", "after tomorrow", "zip bomb", "zstd bomb"],
)
def test_each_bad_file_gets_one_error_line_and_leaves_the_database_unchanged(story, bad, tmp_path, monkeypatch, case):
    from osteo_learn.anki import package_reader

    monkeypatch.setattr(package_reader, "MAX_BYTES", 1 << 20)  # the cap, small for the bombs
    db = story.copy(tmp_path)
    before = database_bytes(db)
    path, message = bad[case]
    result = run(db, "import-reviews", str(path), now=story.now)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {path}") and message in result.output, result.output
    assert result.output.count("\n") == 1
    assert database_bytes(db) == before


@pytest.mark.parametrize("index", ["card_events_day", "cards_guid"], ids=["a page it never reads", "a page it reads"])
def test_a_desk_database_with_a_damaged_page_is_refused_and_nothing_is_merged(story, tmp_path, index):
    """The check before writing runs beside the reading: a merge is done in
    memory and refused before its commit; damage met while reading is the
    database's, not blamed on the file from Anki."""
    db = story.copy(tmp_path)
    data = damage_a_page(db, index)
    result = run(db, "import-reviews", str(story.exports["colpkg v3"]), now=story.now)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {db} is damaged (") and result.output.count("\n") == 1, result.output
    assert "nothing was written to it" in result.output
    assert db.read_bytes() == data
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_ctrl_c_during_the_merge_rolls_it_back_and_exits_130(story, tmp_path, monkeypatch):
    from osteo_learn.store import merge

    db = story.copy(tmp_path)
    before = database_bytes(db)
    real = merge._rejudge

    def half_done(conn, *args):
        real(conn, *args)  # every row written, the transaction not yet committed
        raise KeyboardInterrupt

    monkeypatch.setattr(merge, "_rejudge", half_done)
    result = run(db, "import-reviews", str(story.exports["colpkg v3"]), now=story.now)
    assert result.exit_code == 130
    assert "Interrupted; nothing was left half done." in result.output
    assert database_bytes(db) == before


# -- a review session at the same time -------------------------------------------------------


class KeysWithImport:
    """A student's keys, one per line; before the first key is read (the first
    card is on screen), the phone's answers are imported by another process."""

    def __init__(self, lines: list[str], importing):
        self.lines = list(lines)
        self.importing = importing

    def readline(self) -> str:
        if self.importing is not None:
            self.importing()
            self.importing = None
        return self.lines.pop(0) + "\n" if self.lines else ""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("not a real file")


def test_a_review_session_keeps_working_and_sees_the_merged_state_at_its_next_card(tmp_path):
    import io

    from osteo_learn.terminal import session

    phone = Phone(tmp_path)
    db = make_desk(tmp_path, phone)
    phone.import_package(export_to_phone(db, phone, with_progress=False))
    phone.name_cards(LABELS)
    # On the phone, earlier that day: q1 and q2 seen once each (the student
    # stops when the third new card comes up).
    given = phone.study({"demo/q1": ["good"], "demo/q2": ["good"]})
    assert [a.label for a in given] == ["demo/q1", "demo/q2"]
    package = phone.export("colpkg")
    now, today = phone.now + timedelta(minutes=30), phone.today

    def import_meanwhile():
        import_file(db, package, now)

    out = io.StringIO()
    with Store.open(db) as store:
        settings = store.settings.values()
        # q1 is on screen when the import runs: its answer is then that day's
        # second, a repeat. q2, planned as new, was learned on the phone: left out.
        keys = KeysWithImport(["", "4", "", "5", "q"], import_meanwhile)
        code = session.run(store, settings, now, today, session.Options(("demo",)), stdin=keys, stdout=out)
    shown = out.getvalue()
    assert code == 0
    assert shown.index("Which letter comes first?") < shown.index("Which letter is third?")
    assert "Which letter follows alpha?" not in shown
    assert "Saved: grade 4, schedule unchanged" in shown
    with Store.open(db) as store:
        cards = {card.label: card for card in store.cards.all(("demo",))}
        q1_log = store.log.entries(cards["demo/q1"].pk)
        assert [r.kind for r in q1_log] == ["new", "repeat"]
        assert cards["demo/q1"].state == q1_log[0].after == store.log.replay(cards["demo/q1"].pk)
        assert [r.kind for r in store.log.entries(cards["demo/q3"].pk)] == ["new"]
    phone.close()


# -- what it says -------------------------------------------------------------------------


@pytest.fixture
def fresh_phone(tmp_path):
    """A desk with the demo deck and a phone that imported it without progress."""
    phone = Phone(tmp_path)
    db = make_desk(tmp_path, phone)
    phone.import_package(export_to_phone(db, phone, with_progress=False))
    phone.name_cards(LABELS)
    yield phone, db
    phone.close()


def test_it_says_what_it_read_merged_and_left_out(story, tmp_path):
    db = story.copy(tmp_path)
    result = import_file(db, story.exports["colpkg v3"], story.now)
    answers = phone_answers(story)
    rows = story.phone.revlog()
    ours = {story.phone.card_id(label) for label in LABELS if label != "demo/q3"}
    other = [row for row in rows if row[1] not in ours and row[1] != story.deleted_card]
    no_grade = sum(row[2] == 0 for row in rows if row[1] in ours)
    cram = sum(row[7] == FILTERED and row[5] == 0 and row[2] > 0 for row in rows if row[1] in ours)
    deleted = sum(row[1] == story.deleted_card for row in rows)
    with Store.open(db) as store:
        due = store.queue.count_due(study_day(story.phone, int(story.now.timestamp() * 1000)))
    lines = result.output.splitlines()
    assert lines[0] == f"Read {story.exports['colpkg v3']}: a whole collection (.colpkg), package version 3."
    assert lines[1] == f"  osteo-learn: 3 notes, 4 cards; other decks ignored: 1 note, 1 card, {len(other)} review log rows."
    assert lines[2] == "  Not in the file: 1 card of the decks it holds (cards never brought into this Anki collection, or deleted there)."
    assert lines[3] == (
        f"Answers: {len(answers)} to your cards; {len(answers) - 2} merged into the review log,"
        " 2 already known (imported before, or given at the desk and exported)."
    )
    assert lines[4] == (
        f"Left out: {no_grade} row{'s' * (no_grade != 1)} without a grade (Set Due Date, Reset, rescheduling);"
        f" {cram} cram answers (a filtered deck that does not reschedule); {deleted} rows of cards deleted in Anki."
    )
    desk_exported = {(label, ms) for label, ms, day, _ in story.desk if day == story.phone.created}
    phone_own = [a for a in answers if (a[0], a[1]) not in desk_exported]
    desk_days: dict = {}
    for label, ms, day, _ in story.desk:
        desk_days[label, day] = min(ms, desk_days.get((label, day), ms))
    both = {(label, day) for label, _, day, _ in phone_own if (label, day) in desk_days}
    anki_first = sum(min(ms for lab, ms, d, _ in phone_own if (lab, d) == pair) < desk_days[pair] for pair in both)
    assert lines[5] == (
        f"Same study day on both: {len(both)} times a card was answered at the desk and in Anki on one study day;"
        f" the earlier answer counted (Anki's {anki_first}, the desk's {len(both) - anki_first});"
        " the later answers are same-day repeats."
    )
    assert lines[6].startswith("Schedule: ") and lines[6].endswith(f" {due} card{'s' * (due != 1)} due today.")


def test_a_desk_answer_exported_then_undone_at_the_desk_is_not_brought_back(tmp_path):
    """Anki's copy of a desk answer is the desk's own, even once the desk has taken it back."""
    phone = Phone(tmp_path)
    db = make_desk(tmp_path, phone)
    desk = []
    desk_study(db, phone, [("demo/q1", phone.today, 1.0, 5)], desk)
    phone.import_package(export_to_phone(db, phone))
    phone.name_cards(LABELS)
    with Store.open(db) as store:
        (answer,) = store.log.entries()
        store.log.undo(answer.id, desk_instant(phone, phone.today, 2.0))
    result = import_file(db, phone.export("colpkg"), phone.now)
    assert "Answers: 1 to your cards; 0 merged into the review log, 1 already known" in result.output, result.output
    with Store.open(db) as store:
        (row,) = store.log.entries()
        assert row.undone_at is not None
        q1 = next(card for card in store.cards.all(("demo",)) if card.label == "demo/q1")
        assert q1.state == sm2.CardState.new()


def test_a_card_retired_by_another_process_between_the_read_and_the_write_is_read_again(fresh_phone, tmp_path):
    from osteo_learn.anki.import_reviews import anki_views
    from osteo_learn.anki.package_reader import open_package, unicase

    phone, db = fresh_phone
    phone.study({"demo/q1": ["easy"], "demo/q2": ["good"]})
    package_path = phone.export("colpkg")

    checked = []

    def check(reading) -> None:
        # Called after each read: the first time, another process retires q1 meanwhile.
        if not checked:
            with sqlite3.connect(db) as other:
                other.execute("UPDATE cards SET retired = 1 WHERE deck_id = 'demo' AND card_id = 'q1'")
        checked.append(reading.answers)

    with Store.open(db) as store, open_package(package_path) as package:

        merged = store.log.merge_anki(
            package.collection_path, anki_views(package), package=package_path.name, now=phone.now,
            today=phone.today, day_start_hour=phone.day_start_hour, check=check, collations={"unicase": unicase},
        )
        assert checked == [2, 1]  # read twice: the second time, q1's answer is left out
        assert merged.reading.left_out["retired_cards"] == 1 and merged.merged == 1
        labels = {card.pk: card.label for card in store.cards.all(include_retired=True)}
        assert [labels[r.card_pk] for r in store.log.entries()] == ["demo/q2"]


def test_answers_to_a_card_retired_here_are_left_out(fresh_phone, tmp_path):
    phone, db = fresh_phone
    phone.study({"demo/q1": ["easy"]})
    package = phone.export("colpkg")
    deck = tmp_path / "decks" / "demo.toml"
    deck.write_text(DECK.replace('id = "q1"', 'id = "q1-renamed"'))
    result = import_file(db, package, phone.now)
    assert "Left out: 1 answer to cards retired here." in result.output
    with Store.open(db) as store:
        retired = next(card for card in store.cards.all(include_retired=True) if card.label == "demo/q1")
        assert retired.retired and retired.state == sm2.CardState.new()


def test_a_deck_export_without_scheduling_says_how_to_export_it(fresh_phone, tmp_path):
    from anki.collection import DeckIdLimit, ExportAnkiPackageOptions

    phone, db = fresh_phone
    phone.study({"demo/q1": ["easy"]})
    path = tmp_path / "no-scheduling.apkg"
    options = ExportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False, with_media=True, legacy=False)
    phone.col.export_anki_package(out_path=str(path), options=options, limit=DeckIdLimit(deck_id=phone.col.decks.id("Osteo Learn")))
    result = import_file(db, path, phone.now)
    assert result.output.splitlines()[-1] == (
        "Note: the file holds no answers. If you studied these cards in Anki, it was exported without them:"
        ' export again with "Include scheduling information" ticked (desktop: File > Export;'
        " AnkiDroid: Export, with the scheduling box ticked)."
    )


def test_a_deck_export_lacking_a_card_in_a_filtered_deck_says_so(fresh_phone):
    phone, db = fresh_phone
    phone.study({"demo/q1": ["easy"]})
    phone.go_to(phone.today + timedelta(days=1))
    phone.filtered_deck("Ahead", "front:*first*", reschedule=True)
    result = import_file(db, phone.export("apkg"), phone.now)
    assert (
        "  Not in the file: 1 card of the decks it holds (a deck export leaves out cards that sit in a filtered deck:"
        " empty the filtered decks and export again, or export the whole collection, .colpkg;"
        " cards never brought into Anki are missing too)."
    ) in result.output.splitlines()
    assert "Answers: 0 to your cards" in result.output


# -- study days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["UTC", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
)
def test_an_answers_study_day_is_counted_as_at_the_desk_across_time_zones_and_clock_changes(zone, monkeypatch):
    import time as clock

    from osteo_learn.store.imports import study_day_sql
    from osteo_learn.core.days import study_day as desk_day

    monkeypatch.setenv("TZ", zone)
    clock.tzset()
    try:
        # Every 15 minutes over the days around each clock change of 2026, in both hemispheres.
        changes = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1)]
        instants = [
            int(datetime.combine(day, time(), timezone.utc).timestamp() * 1000) + minutes * 60_000 + 123
            for day in changes
            for minutes in range(-2 * 1440, 2 * 1440, 15)
        ]
        offsets = {datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone().utcoffset() for ms in instants}
        assert (len(offsets) > 1) == (zone in ("America/Los_Angeles", "Europe/London", "Australia/Lord_Howe"))
        conn = sqlite3.connect(":memory:")
        for hour in (0, 1, 2, 3, 4, 12, 23):
            sql = f"SELECT {study_day_sql('?')}"
            for ms in instants:
                expected = desk_day(datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone(), hour)
                assert conn.execute(sql, (ms, f"-{hour} hours")).fetchone()[0] == expected.isoformat(), (zone, hour, ms)
    finally:
        monkeypatch.undo()
        clock.tzset()


# -- the order of imports never changes a schedule -------------------------------------------

RATINGS = ["again", "hard", "good", "easy"]
DEMO = ["demo/q1", "demo/q2", "demo/q3", "demo/letters c1", "demo/letters c2"]


@st.composite
def sessions(draw):
    """Some study days; on each, a phone session (a rating for every card Anki
    shows, some cards with a plan of their own) and desk answers at given hours."""
    days = draw(st.lists(st.integers(0, 9), min_size=2, max_size=4, unique=True).map(sorted))
    plan = []
    for day in days:
        default = draw(st.sampled_from(["good", "easy"]))  # a learning card graduates: the session ends
        own = draw(st.dictionaries(st.sampled_from(DEMO), st.lists(st.sampled_from(RATINGS), min_size=1, max_size=3), max_size=2))
        desk = draw(st.lists(st.tuples(st.sampled_from(DEMO), st.floats(0, 20), st.integers(0, 5)), max_size=4))
        plan.append((day, default, own, desk))
    return plan, draw(st.integers(1, len(days) - 1))


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(story=sessions())
def test_a_then_b_equals_b_then_a_over_random_desk_and_phone_sessions(tmp_path_factory, story):
    plan, split = story
    folder = tmp_path_factory.mktemp("orders")
    phone = Phone(folder)
    db = make_desk(folder, phone)
    phone.import_package(export_to_phone(db, phone, with_progress=False))
    phone.name_cards(LABELS)
    desk: list = []
    packages = []
    for n, (offset, default, own, answers) in enumerate(plan):
        day = phone.created + timedelta(days=offset)
        phone.study_day(day, own, default=default)
        desk_plan = [(label, day, hours, grade) for label, hours, grade in answers]
        recorded: list = []
        desk_study(db, phone, desk_plan, recorded)
        desk.extend(recorded)
        if n + 1 == split:
            packages.append(phone.export("colpkg"))
    packages.append(phone.export("apkg", legacy=True))
    a, b = packages
    phone_rows = phone.revlog()
    now = phone.now
    phone.close()

    results = []
    for name, order in (("a then b", (a, b)), ("b then a", (b, a)), ("b twice, then a", (b, b, a))):
        copy = folder / name
        copy.mkdir()
        target = copy / "study.db"
        shutil.copyfile(db, target)
        for package in order:
            import_file(target, package, now)
        results.append(snapshot(target))
    assert results[0] == results[1] == results[2]
    labels = {cid: label for label, cid in ((label, _card_id(folder, label)) for label in DEMO)}
    answers = [
        (labels[cid], revlog_id, study_day(phone, revlog_id), GRADE_OF_BUTTON[ease])
        for revlog_id, cid, ease, _i, _l, factor, _t, kind in phone_rows
        if ease and not (kind == FILTERED and factor == 0)
    ]
    expected = independent_replay(desk + answers)
    assert {label: results[0]["states"][label] for label in DEMO} == {label: expected.get(label, sm2.CardState.new()) for label in DEMO}


def _card_id(folder: Path, label: str) -> int:
    """The phone's card id of a label, read from the phone's collection file."""
    from osteo_learn.anki.notes import note_guid

    deck_id, _, rest = label.partition("/")
    card_id, _, ordinal = rest.partition(" c")
    with sqlite3.connect(folder / "phone" / "collection.anki2") as conn:
        conn.create_collation("unicase", lambda x, y: (x.casefold() > y.casefold()) - (x.casefold() < y.casefold()))
        (cid,) = conn.execute(
            "SELECT c.id FROM cards c JOIN notes n ON n.id = c.nid WHERE n.guid = ? AND c.ord = ?",
            (note_guid(deck_id, card_id), int(ordinal) - 1 if ordinal else 0),
        ).fetchone()
    return cid


def test_a_note_in_a_copy_anki_made_of_our_note_type_is_still_ours(fresh_phone, tmp_path):
    phone, db = fresh_phone
    # In Anki, a field of the basic note type renamed: the next import of the
    # deck brings its new notes in a copy of the note type, naming ours as original.
    basic = phone.col.models.by_name("Osteo Learn Basic")
    phone.col.models.rename_field(basic, basic["flds"][2], "Where it says so")
    phone.col.models.update_dict(basic)
    deck = tmp_path / "decks" / "demo.toml"
    deck.write_text(DECK + '\n[[cards]]\nid = "q4"\nkind = "basic"\ntags = ["greek"]\nfront = "Which letter is fourth?"\nback = "Delta."\nsource = "delta is fourth."\n')
    phone.import_package(export_to_phone(db, phone, with_progress=False))
    q4 = phone.card_id("demo/q4")
    mid = phone.col.db.scalar("SELECT mid FROM notes WHERE id = (SELECT nid FROM cards WHERE id = ?)", q4)
    assert mid != basic["id"] and phone.col.models.get(mid)["originalId"] == basic["id"]
    given = phone.study(default="easy")
    assert "demo/q4" in {answer.label for answer in given}
    result = import_file(db, phone.export("colpkg"), phone.now)
    assert f"Answers: {len(given)} to your cards; {len(given)} merged" in result.output
    with Store.open(db) as store:
        card = next(card for card in store.cards.all() if card.label == "demo/q4")
        assert card.state == sm2.review(sm2.CardState.new(), 5, phone.today)
